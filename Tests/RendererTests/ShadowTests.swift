import Random
import Renderer
import XCTest

/// A fingerprint of renders of fixed random scenes: images, masks and shading images.
enum Golden {
    /// FNV-1a over the bytes of everything `render` returns for 48 scenes at four sizes and
    /// sample counts.
    static func fingerprint(_ render: (air_camera, [air_object]) -> (rgb: [Float], mask: [UInt8], shade: [Float])) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        func eat(_ v: UInt32) { for k in 0..<4 { h = (h ^ UInt64((v >> (8 * k)) & 0xff)) &* 0x100000001b3 } }
        for (spp, size) in [(4, 64), (1, 32), (9, 32), (16, 24)] {
            let camera = R.camera(width: Int32(size), height: Int32(size), spp: Int32(spp))
            for s in 0..<12 {
                var rng = RNG(seed: 31).split(UInt64(s * 100 + spp))
                let out = render(camera, R.randomScene(&rng))
                for v in out.rgb { eat(v.bitPattern) }
                for m in out.mask { eat(UInt32(m)) }
                for v in out.shade { eat(v.bitPattern) }
            }
        }
        return h
    }

    /// air_render and air_render_shading under `light` (nil: the default).
    static func render(_ camera: air_camera, _ objects: [air_object], light: air_light?) -> (rgb: [Float], mask: [UInt8], shade: [Float]) {
        var c = camera
        let out = R.render(camera, objects, light: light)
        var shade = [Float](repeating: -1, count: objects.count * Int(camera.width * camera.height))
        let status: Int32
        if var l = light {
            status = air_render_shading(&c, &l, objects, Int32(objects.count), &shade)
        } else {
            status = air_render_shading(&c, nil, objects, Int32(objects.count), &shade)
        }
        XCTAssertEqual(status, 0)
        return (out.rgb, out.mask, shade)
    }
}

/// Shadows beyond the reference comparison: scenes without them keep the v1 bytes, the fast
/// paths (cache, batch, shading) agree with full renders, bad lights are refused.
final class ShadowTests: XCTestCase {
    /// Golden.fingerprint of the renderer before shadows existed (commit d53c023, default light).
    static let v1Fingerprint: UInt64 = 0xbc9d3da9eb123328

    func testShadowsOffKeepTheV1Bytes() {
        var explicit = air_default_light()
        explicit.shadows = 0
        XCTAssertEqual(Golden.fingerprint { Golden.render($0, $1, light: nil) }, Self.v1Fingerprint, "default light")
        XCTAssertEqual(Golden.fingerprint { Golden.render($0, $1, light: explicit) }, Self.v1Fingerprint, "explicit default light")
    }

    /// The defaults given explicitly render exactly as NULL, with shadows on too, through every entry point.
    func testDefaultsExplicitEqualNull() {
        var camera = R.camera()
        var lit = air_default_light()
        lit.shadows = 1
        var rng = RNG(seed: 41)
        for s in 0..<8 {
            let objects = s % 2 == 0 ? R.randomScene(&rng) : R.randomCloseScene(&rng)
            let viaNull = R.render(camera, objects)
            var explicit = air_default_light()
            let viaDefault = R.render(camera, objects, light: explicit)
            assertSame(viaDefault.rgb, viaNull.rgb, "image")
            assertSame(viaDefault.mask, viaNull.mask, "mask")
            // The cache and the batch take the same light.
            let cache = air_cache_create()!
            defer { air_cache_destroy(cache) }
            var image = [Float](repeating: 0, count: 64 * 64 * 3)
            XCTAssertEqual(air_cache_set_scene(cache, &camera, &explicit, objects, Int32(objects.count), &image), 0)
            assertSame(image, viaNull.rgb, "cache")
            // Shadows change the image but never the mask.
            let shadowed = R.render(camera, objects, light: lit)
            assertSame(shadowed.mask, viaNull.mask, "mask with shadows")
        }
    }

    /// For random scenes and lights with shadows, every cached re-render equals a full
    /// render bit for bit, and pixels outside the returned region keep the base image's values.
    /// Some moves put the object on the light side of another, so that its shadow falls
    /// across it.
    func testMovedRendersWithShadowsEqualFullRenders() {
        var acrossObjects = 0
        for spp: Int32 in [4, 1, 9] {
            var camera = R.camera(width: 48, height: 40, spp: spp)
            let cache = air_cache_create()!
            defer { air_cache_destroy(cache) }
            for s in 0..<8 {
                var rng = RNG(seed: 12).split(UInt64(s) &+ UInt64(spp) << 8)
                let objects = s % 2 == 0 ? R.randomCloseScene(&rng) : R.randomScene(&rng)
                var light = R.randomLight(&rng)
                if s == 7 {  // a grazing light: shadows far out of view and behind the eye
                    let a = rng.uniform(0, 2 * Double.pi)
                    light.direction = (cos(a), sin(a), 0.05)
                }
                let (lx, ly) = (light.direction.0, light.direction.1)
                let horizontal = max((lx * lx + ly * ly).squareRoot(), 1e-9)
                var base = [Float](repeating: 0, count: 48 * 40 * 3)
                XCTAssertEqual(air_cache_set_scene(cache, &camera, &light, objects, Int32(objects.count), &base), 0)
                let baseFull = R.render(camera, objects, light: light)
                assertSame(base, baseFull.rgb, "set_scene image")
                for m in 0..<16 {
                    let k = rng.int(below: objects.count)
                    var moved = objects[k]
                    switch m % 4 {
                    case 0:  // small nudge and turn
                        moved.x += Float(rng.uniform(-0.03, 0.03))
                        moved.y += Float(rng.uniform(-0.03, 0.03))
                        moved.rotation_deg += Float(rng.uniform(-10, 10))
                    case 1:  // towards the light from another object: its shadow falls on that one
                        let other = objects[(k + 1 + rng.int(below: max(objects.count - 1, 1))) % objects.count]
                        let d = rng.uniform(0.9, 1.6)
                        moved.x = other.x + Float(d * lx / horizontal + rng.uniform(-0.3, 0.3))
                        moved.y = other.y + Float(d * ly / horizontal + rng.uniform(-0.3, 0.3))
                    case 2:  // anywhere on the table, maybe another shape and colour
                        moved.x = Float(rng.uniform(-1.5, 1.5))
                        moved.y = Float(rng.uniform(-1.5, 1.5))
                        moved.shape = Int32(rng.int(below: 5))
                        moved.color = (rng.uniformFloat(), rng.uniformFloat(), rng.uniformFloat())
                    default:  // out of view
                        moved.x = 60
                    }
                    var image = base
                    var region: [Int32] = [0, 0, 0, 0]
                    XCTAssertEqual(air_cache_render_moved(cache, Int32(k), &moved, &image, &region), 0)
                    var scene = objects
                    scene[k] = moved
                    let full = R.render(camera, scene, light: light)
                    assertSame(image, full.rgb, "scene \(s) move \(m) spp \(spp)")
                    for j in 0..<40 {
                        for i in 0..<48 where !(i >= region[0] && i < region[2] && j >= region[1] && j < region[3]) {
                            let p = (j * 48 + i) * 3
                            if image[p] != base[p] { XCTFail("pixel (\(i), \(j)) outside \(region) changed"); return }
                        }
                    }
                    // Pixels of another object that changed colour without changing owner: shadow moved on it.
                    for p in 0..<(48 * 40) where full.mask[p] == baseFull.mask[p] && full.mask[p] != 0
                        && Int(full.mask[p]) != k + 1 && full.rgb[p * 3] != base[p * 3] {
                        acrossObjects += 1
                    }
                }
            }
        }
        print("moved shadows changed \(acrossObjects) pixels of other objects")
        XCTAssertGreaterThan(acrossObjects, 100, "too few moves took a shadow across another object")
    }

    func testBatchWithPerSceneLightsEqualsSingleRenders() {
        var camera = R.camera(width: 32, height: 24)
        var rng = RNG(seed: 43)
        var objects: [air_object] = []
        var offsets: [Int32] = [0]
        var lights: [air_light] = []
        for s in 0..<13 {
            if s != 4 { objects += s % 2 == 0 ? R.randomScene(&rng) : R.randomCloseScene(&rng) }  // scene 4 is empty
            offsets.append(Int32(objects.count))
            var l = R.randomLight(&rng)
            if s % 3 == 2 { l.shadows = 0 }
            lights.append(l)
        }
        let pixels = 32 * 24
        var singleRGB: [Float] = [], singleMask: [UInt8] = []
        for s in 0..<13 {
            let out = R.render(camera, Array(objects[Int(offsets[s])..<Int(offsets[s + 1])]), light: lights[s])
            singleRGB += out.rgb
            singleMask += out.mask
        }
        for threads: Int32 in [0, 1, 2, 3] {
            let pool = threads == 0 ? nil : air_pool_create(threads)
            defer { if let pool { air_pool_destroy(pool) } }
            for _ in 0..<2 {  // the pool's scratch is reused
                var rgb = [Float](repeating: -1, count: 13 * pixels * 3)
                var masks = [UInt8](repeating: 99, count: 13 * pixels)
                XCTAssertEqual(air_render_batch(pool, &camera, lights, objects, offsets, 13, &rgb, &masks), 0)
                assertSame(rgb, singleRGB, "threads \(threads)")
                assertSame(masks, singleMask, "threads \(threads)")
            }
        }
    }

    /// With a black table and shades that never clamp (ambient + diffuse <= 1), the image is
    /// exactly the sum of albedo times shading image: a shadowed sample contributes ambient.
    func testShadingImagesWithShadows() {
        var camera = R.camera(width: 48, height: 48)
        let pixels = 48 * 48
        var shadowedSamples = 0
        for s in 0..<6 {
            var rng = RNG(seed: 44).split(UInt64(s))
            let objects = R.randomCloseScene(&rng)
            var light = R.light(elevation: rng.uniform(30, 40), azimuth: rng.uniform(0, 360), ambient: 0.3, diffuse: 0.6,
                                table: (0, 0, 0))
            var shade = [Float](repeating: -1, count: objects.count * pixels)
            XCTAssertEqual(air_render_shading(&camera, &light, objects, Int32(objects.count), &shade), 0)
            let rgb = R.render(camera, objects, light: light).rgb
            var worst: Double = 0
            for p in 0..<pixels {
                for ch in 0..<3 {
                    var v = Double(rgb[p * 3 + ch])
                    for (k, o) in objects.enumerated() { v -= Double([o.color.0, o.color.1, o.color.2][ch]) * Double(shade[k * pixels + p]) }
                    worst = max(worst, abs(v))
                }
            }
            XCTAssertLessThan(worst, 1e-6, "scene \(s)")
            var off = light
            off.shadows = 0
            var unshadowed = [Float](repeating: -1, count: objects.count * pixels)
            XCTAssertEqual(air_render_shading(&camera, &off, objects, Int32(objects.count), &unshadowed), 0)
            shadowedSamples += zip(shade, unshadowed).filter { $0 < $1 }.count
        }
        XCTAssertGreaterThan(shadowedSamples, 50, "no object pixel in shadow")
    }

    func testBadLightsAreRefused() {
        var camera = R.camera(width: 8, height: 8)
        let cube = [R.object(0, (1, 0, 0), 0, 0)]
        var bad: [air_light] = []
        for direction in [(0.0, 0.0, 0.0), (1.0, 0.0, -1.0), (0.3, 0.2, 0.0), (.nan, 0.0, 1.0), (0.0, .infinity, 1.0)] {
            var l = air_default_light()
            l.direction = direction
            bad.append(l)
        }
        for (ambient, diffuse) in [(-0.1, 0.7), (0.3, -0.01), (.nan, 0.7), (0.3, .infinity)] {
            var l = air_default_light()
            l.ambient = ambient
            l.diffuse = diffuse
            bad.append(l)
        }
        for shadows: Int32 in [2, -1] {
            var l = air_default_light()
            l.shadows = shadows
            bad.append(l)
        }
        var nanTable = air_default_light()
        nanTable.table_color = (.nan, 0.5, 0.5)
        bad.append(nanTable)
        let cache = air_cache_create()!
        defer { air_cache_destroy(cache) }
        for (k, var light) in bad.enumerated() {
            var rgb = [Float](repeating: -7, count: 64 * 3)
            var mask = [UInt8](repeating: 9, count: 64)
            var shade = [Float](repeating: -7, count: 64)
            let err = Int32(AIR_ERR_LIGHT)
            XCTAssertEqual(air_render(&camera, &light, cube, 1, &rgb, &mask), err, "light \(k)")
            XCTAssertEqual(air_render_shading(&camera, &light, cube, 1, &shade), err, "light \(k)")
            XCTAssertEqual(air_cache_set_scene(cache, &camera, &light, cube, 1, &rgb), err, "light \(k)")
            let lights = [air_default_light(), light]
            XCTAssertEqual(air_render_batch(nil, &camera, lights, cube, [0, 1, 1], 2, &rgb, &mask), err, "light \(k)")
            XCTAssertTrue(rgb.allSatisfy { $0 == -7 } && mask.allSatisfy { $0 == 9 } && shade.allSatisfy { $0 == -7 },
                          "light \(k): outputs touched")
        }
        XCTAssertFalse(String(cString: air_error_string(Int32(AIR_ERR_LIGHT))).contains("unknown"))
        // Directions need not be unit vectors; any z > 0 is fine, even a grazing light.
        var grazing = air_default_light()
        grazing.direction = (1, 0.2, 1e-3)
        grazing.shadows = 1
        var rgb = [Float](repeating: 0, count: 64 * 3)
        XCTAssertEqual(air_render(&camera, &grazing, cube, 1, &rgb, nil), 0)
    }
}
