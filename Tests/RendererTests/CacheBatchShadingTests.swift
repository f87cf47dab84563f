import Random
import Renderer
import XCTest

/// The fast paths (cached re-renders, batches on a pool) against plain air_render, and the
/// shading images against the image they explain.
final class CacheTests: XCTestCase {
    func testMovedRendersEqualFullRendersBitForBit() {
        for spp: Int32 in [4, 1, 9] {
            var camera = R.camera(width: 48, height: 40, spp: spp)
            let cache = air_cache_create()!
            defer { air_cache_destroy(cache) }
            for s in 0..<6 {
                var rng = RNG(seed: 11).split(UInt64(s) &+ UInt64(spp) << 8)
                let objects = R.randomScene(&rng)
                var base = [Float](repeating: 0, count: 48 * 40 * 3)
                XCTAssertEqual(objects.withUnsafeBufferPointer { air_cache_set_scene(cache, &camera, nil, $0.baseAddress, Int32($0.count), &base) }, 0)
                assertSame(base, R.render(camera, objects).rgb, "set_scene image")
                for m in 0..<12 {
                    let k = rng.int(below: objects.count)
                    var moved = objects[k]
                    switch m % 4 {
                    case 0:  // small nudge
                        moved.x += Float(rng.uniform(-0.02, 0.02))
                        moved.y += Float(rng.uniform(-0.02, 0.02))
                    case 1:  // rotation and colour
                        moved.rotation_deg += Float(rng.uniform(-20, 20))
                        moved.color = (rng.uniformFloat(), rng.uniformFloat(), rng.uniformFloat())
                    case 2:  // onto or across another object, maybe another shape
                        let other = objects[rng.int(below: objects.count)]
                        moved.x = other.x + Float(rng.uniform(-0.6, 0.6))
                        moved.y = other.y + Float(rng.uniform(-0.6, 0.6))
                        moved.shape = Int32(rng.int(below: 5))
                    default:  // out of view
                        moved.x = 60
                    }
                    var image = base
                    var region: [Int32] = [0, 0, 0, 0]
                    XCTAssertEqual(air_cache_render_moved(cache, Int32(k), &moved, &image, &region), 0)
                    var scene = objects
                    scene[k] = moved
                    let full = R.render(camera, scene).rgb
                    assertSame(image, full, "scene \(s) move \(m) spp \(spp)")
                    // Outside the region the base image was left alone.
                    for j in 0..<40 {
                        for i in 0..<48 where !(i >= region[0] && i < region[2] && j >= region[1] && j < region[3]) {
                            let p = (j * 48 + i) * 3
                            if image[p] != base[p] { XCTFail("pixel (\(i), \(j)) outside \(region) changed"); return }
                        }
                    }
                }
            }
        }
    }

    func testRegionIsEmptyWhenNothingIsVisible() {
        var camera = R.camera()
        let cache = air_cache_create()!
        defer { air_cache_destroy(cache) }
        let objects = [R.object(0, (1, 0, 0), 50, 0)]
        var image = [Float](repeating: 0, count: 64 * 64 * 3)
        XCTAssertEqual(air_cache_set_scene(cache, &camera, nil, objects, 1, &image), 0)
        var moved = R.object(1, (0, 1, 0), 60, 0)
        var region: [Int32] = [9, 9, 9, 9]
        XCTAssertEqual(air_cache_render_moved(cache, 0, &moved, &image, &region), 0)
        XCTAssertEqual(region[0], region[2])
        assertSame(image, R.render(camera, []).rgb, "empty")
    }
}

final class BatchTests: XCTestCase {
    func testBatchMatchesSingleRendersForAnyThreadCount() {
        var camera = R.camera(width: 32, height: 24)
        var rng = RNG(seed: 5)
        var objects: [air_object] = []
        var offsets: [Int32] = [0]
        for s in 0..<13 {
            if s != 4 { objects += R.randomScene(&rng) }  // scene 4 is empty
            offsets.append(Int32(objects.count))
        }
        let pixels = 32 * 24
        var singleRGB: [Float] = [], singleMask: [UInt8] = []
        for s in 0..<13 {
            let out = R.render(camera, Array(objects[Int(offsets[s])..<Int(offsets[s + 1])]))
            singleRGB += out.rgb
            singleMask += out.mask
        }
        for threads: Int32 in [0, 1, 2, 3] {
            let pool = threads == 0 ? nil : air_pool_create(threads)
            defer { if let pool { air_pool_destroy(pool) } }
            if threads > 0 { XCTAssertEqual(air_pool_threads(pool), threads) }
            for _ in 0..<3 {  // the pool is reused
                var rgb = [Float](repeating: -1, count: 13 * pixels * 3)
                var masks = [UInt8](repeating: 99, count: 13 * pixels)
                XCTAssertEqual(air_render_batch(pool, &camera, nil, objects, offsets, 13, &rgb, &masks), 0)
                assertSame(rgb, singleRGB, "threads \(threads)")
                assertSame(masks, singleMask, "threads \(threads)")
            }
        }
    }
}

final class ShadingTests: XCTestCase {
    /// The image is affine in the albedos: rgb = table part + sum_k albedo_k shade_k. Two
    /// colourings of one scene must leave the same table part, which must be the table's
    /// colour times the fraction of samples that see the table (a multiple of 1/spp).
    func testShadingImagesReconstructTheImage() {
        for spp: Int32 in [4, 9] {
            var camera = R.camera(width: 40, height: 32, spp: spp)
            let pixels = 40 * 32
            let tableColour = SIMD3<Double>(0.50, 0.48, 0.45) * ReferenceRayCaster.shade([0, 0, 1])
            for s in 0..<4 {
                var rng = RNG(seed: 21).split(UInt64(s))
                let first = R.randomScene(&rng)
                var second = first
                for k in second.indices { second[k].color = (rng.uniformFloat(), rng.uniformFloat(), rng.uniformFloat()) }
                var tableParts: [[Double]] = []
                var shades: [[Float]] = []
                for objects in [first, second] {
                    var shade = [Float](repeating: -1, count: objects.count * pixels)
                    XCTAssertEqual(air_render_shading(&camera, nil, objects, Int32(objects.count), &shade), 0)
                    shades.append(shade)
                    let rgb = R.render(camera, objects).rgb
                    var part = [Double](repeating: 0, count: pixels * 3)
                    for p in 0..<pixels {
                        for ch in 0..<3 {
                            var v = Double(rgb[p * 3 + ch])
                            for (k, o) in objects.enumerated() {
                                let albedo = [o.color.0, o.color.1, o.color.2][ch]
                                v -= Double(albedo) * Double(shade[k * pixels + p])
                            }
                            part[p * 3 + ch] = v
                        }
                    }
                    tableParts.append(part)
                }
                assertSame(shades[0], shades[1], "shading does not depend on albedo")
                XCTAssertGreaterThan(shades[0].filter { $0 > 0 }.count, 20)
                for p in 0..<pixels {
                    let fraction = tableParts[0][p * 3] / tableColour.x
                    let steps = fraction * Double(spp)
                    XCTAssertEqual(steps, steps.rounded(), accuracy: 1e-4, "pixel \(p)")
                    for ch in 0..<3 {
                        XCTAssertEqual(tableParts[0][p * 3 + ch], tableParts[1][p * 3 + ch], accuracy: 1e-6)
                        XCTAssertEqual(tableParts[0][p * 3 + ch], fraction * tableColour[ch], accuracy: 1e-6)
                    }
                }
            }
        }
    }
}

final class ErrorTests: XCTestCase {
    func testEveryErrorCode() {
        var good = R.camera(width: 8, height: 8)
        var rgb = [Float](repeating: 0, count: 8 * 8 * 3)
        var mask = [UInt8](repeating: 0, count: 64)
        let cube = [R.object(0, (1, 0, 0), 0, 0)]
        func render(_ camera: air_camera, _ objects: [air_object] = cube) -> Int32 {
            var c = camera
            return air_render(&c, nil, objects, Int32(objects.count), &rgb, &mask)
        }
        XCTAssertEqual(render(good), Int32(AIR_OK))
        XCTAssertEqual(air_render(nil, nil, cube, 1, &rgb, &mask), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(air_render(&good, nil, nil, 1, &rgb, &mask), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(air_render(&good, nil, cube, -1, &rgb, &mask), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(air_render(&good, nil, nil, 0, nil, nil), Int32(AIR_OK))
        XCTAssertEqual(render(good, [R.object(0, (Float.nan, 0, 0), 0, 0)]), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(render(good, [R.object(0, (1, 0, 0), .infinity, 0)]), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(render(good, [R.object(5, (1, 0, 0), 0, 0)]), Int32(AIR_ERR_SHAPE))
        XCTAssertEqual(render(good, [R.object(-1, (1, 0, 0), 0, 0)]), Int32(AIR_ERR_SHAPE))
        for (w, h) in [(0, 8), (8, 0), (-3, 8), (16385, 1)] as [(Int32, Int32)] {
            var c = good
            c.width = w
            c.height = h
            XCTAssertEqual(render(c), Int32(AIR_ERR_SIZE), "\(w) x \(h)")
        }
        for spp: Int32 in [0, 2, 3, 8, 25, -4] {
            var c = good
            c.spp = spp
            XCTAssertEqual(render(c), Int32(AIR_ERR_SPP), "spp \(spp)")
        }
        var cameras: [air_camera] = []
        var c = good
        c.target = c.eye
        cameras.append(c)
        c = good
        c.eye = (0, 0, 5)
        c.target = (0, 0, 0)  // looking straight down along up
        cameras.append(c)
        c = good
        c.up = (0, 0, 0)
        cameras.append(c)
        for fov: Float in [0, 180, -10, 200, .nan] {
            c = good
            c.fov_y_deg = fov
            cameras.append(c)
        }
        c = good
        c.eye.2 = 0  // not above the table
        cameras.append(c)
        c = good
        c.eye.0 = .infinity
        cameras.append(c)
        for (k, camera) in cameras.enumerated() { XCTAssertEqual(render(camera), Int32(AIR_ERR_CAMERA), "camera \(k)") }

        // Shading, batch, pool and cache entry points.
        XCTAssertEqual(air_render_shading(&good, nil, cube, 1, nil), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(air_render_batch(nil, &good, nil, cube, nil, 1, &rgb, &mask), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(air_render_batch(nil, &good, nil, cube, [0, 1], -1, &rgb, &mask), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(air_render_batch(nil, &good, nil, cube, [1, 0], 1, &rgb, &mask), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(air_render_batch(nil, &good, nil, [R.object(7, (1, 0, 0), 0, 0)], [0, 1], 1, &rgb, &mask), Int32(AIR_ERR_SHAPE))
        XCTAssertEqual(air_pool_threads(nil), 0)
        air_pool_destroy(nil)
        let cache = air_cache_create()!
        defer { air_cache_destroy(cache) }
        var moved = cube[0]
        var region: [Int32] = [0, 0, 0, 0]
        XCTAssertEqual(air_cache_render_moved(cache, 0, &moved, &rgb, &region), Int32(AIR_ERR_ARGUMENT), "no scene yet")
        XCTAssertEqual(air_cache_set_scene(nil, &good, nil, cube, 1, &rgb), Int32(AIR_ERR_ARGUMENT))
        var badSpp = good
        badSpp.spp = 3
        XCTAssertEqual(air_cache_set_scene(cache, &badSpp, nil, cube, 1, &rgb), Int32(AIR_ERR_SPP))
        XCTAssertEqual(air_cache_set_scene(cache, &good, nil, cube, 1, &rgb), Int32(AIR_OK))
        XCTAssertEqual(air_cache_render_moved(cache, 1, &moved, &rgb, &region), Int32(AIR_ERR_INDEX))
        XCTAssertEqual(air_cache_render_moved(cache, -1, &moved, &rgb, &region), Int32(AIR_ERR_INDEX))
        XCTAssertEqual(air_cache_render_moved(cache, 0, nil, &rgb, &region), Int32(AIR_ERR_ARGUMENT))
        XCTAssertEqual(air_cache_render_moved(cache, 0, &moved, nil, &region), Int32(AIR_ERR_ARGUMENT))
        moved.shape = 9
        XCTAssertEqual(air_cache_render_moved(cache, 0, &moved, &rgb, &region), Int32(AIR_ERR_SHAPE))
        air_cache_destroy(nil)
        for code in [AIR_OK, AIR_ERR_ARGUMENT, AIR_ERR_SHAPE, AIR_ERR_SIZE, AIR_ERR_SPP, AIR_ERR_CAMERA, AIR_ERR_INDEX, AIR_ERR_MEMORY] {
            XCTAssertFalse(String(cString: air_error_string(Int32(code))).contains("unknown"))
        }
        XCTAssertTrue(String(cString: air_error_string(-99)).contains("unknown"))
    }
}
