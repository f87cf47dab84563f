import XCTest
@testable import Scenes

final class RenderingTests: XCTestCase {
    static func allShapes(width: Int = 32, height: Int = 32) -> Scene {
        var camera = Camera()
        camera.width = width; camera.height = height
        let names = ["red", "green", "blue", "yellow", "cyan"]
        let objects = Shape.allCases.enumerated().map { k, s in
            SceneObject(shape: s, color: Palette.color(named: names[k])!,
                        position: [[-1, -1], [1, -1], [0, 0.1], [-1, 1.2], [1.1, 1.1]][k], rotation: Double(17 * k))
        }
        return Scene(camera: camera, objects: objects)
    }

    // Pixels against hand computations and an independent ray caster: Tests/RendererTests.

    func testBatchEqualsSingleRenders() throws {
        var scenes = [Self.allShapes().objects, [], Array(Self.allShapes().objects.prefix(2))]
        scenes.append([SceneObject(shape: .wedge, color: Color(rgb: [0.2, 0.4, 0.6]), position: [0.3, -0.2], rotation: 200)])
        let camera = Self.allShapes().camera
        let r = Rasterizer(threads: 2)
        let (images, masks) = try r.renderBatch(scenes.map { Scene(camera: camera, objects: $0) }, camera: camera, samplesPerPixel: 4, images: true, masks: true)
        let n = camera.width * camera.height
        for (i, objects) in scenes.enumerated() {
            let (img, mask) = try Rasterizer().renderWithMask(Scene(camera: camera, objects: objects), samplesPerPixel: 4, image: true, mask: true)
            XCTAssertEqual(Array(images[i * n * 3..<(i + 1) * n * 3]), img!.pixels)
            XCTAssertEqual(Array(masks[i * n..<(i + 1) * n]), mask!)
        }
    }

    func testShadingReconstructsTheImage() throws {
        // rgb = table part + sum_k colour_k * shade_k, and the table part is the image
        // of the same scene with black objects.
        let scene = Self.allShapes(width: 16, height: 16)
        var black = scene
        for k in black.objects.indices { black.objects[k].color = Color(rgb: [0, 0, 0]) }
        let r = Rasterizer()
        let shade = try r.shading(scene, samplesPerPixel: 4)
        let table = try r.render(black, samplesPerPixel: 4)
        let image = try r.render(scene, samplesPerPixel: 4)
        let n = 16 * 16
        var worst: Float = 0
        for p in 0..<n {
            for c in 0..<3 {
                var v = table.pixels[p * 3 + c]
                for (k, o) in scene.objects.enumerated() { v += Float(o.color.rgb[c]) * shade[k * n + p] }
                worst = max(worst, abs(v - image.pixels[p * 3 + c]))
            }
        }
        XCTAssertLessThan(worst, 1e-5)
        XCTAssertGreaterThan(shade.max()!, 0.3)
    }

    /// One pass for both outputs gives each as its own call does, with and without shadows.
    func testRenderWithShadingIsRenderAndShading() throws {
        var scene = Self.allShapes(width: 24, height: 24)
        let r = Rasterizer()
        for shadows in [false, true] {
            scene.light.shadows = shadows
            let (image, shade) = try r.renderWithShading(scene, samplesPerPixel: 4)
            XCTAssertEqual(image.pixels, try r.render(scene, samplesPerPixel: 4).pixels)
            XCTAssertEqual(shade, try r.shading(scene, samplesPerPixel: 4))
            XCTAssertGreaterThan(shade.max()!, 0.3)
            // One object's plane alone: the same image, and that plane bit for bit.
            let plane = 24 * 24
            for k in scene.objects.indices {
                let one = try r.renderWithShading(scene, samplesPerPixel: 4, object: k)
                XCTAssertEqual(one.image.pixels, image.pixels)
                XCTAssertEqual(one.shade, Array(shade[k * plane..<(k + 1) * plane]), "object \(k), shadows \(shadows)")
            }
        }
    }

    /// Drawing each object onto the rendering of the ones before it gives the full render and
    /// the newest object's plane, bit for bit, object after object: crowded and overlapping
    /// blocks, low lights whose shadows fall on earlier blocks, and one block out of view.
    func testRenderAddedIsTheFullRender() throws {
        let r = Rasterizer()
        var camera = Camera()
        camera.width = 40; camera.height = 32
        var objects: [SceneObject] = []
        var state: UInt64 = 12345
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        for k in 0..<9 {
            objects.append(SceneObject(shape: Shape.allCases[k % Shape.allCases.count],
                                       color: Color(rgb: [uniform(), uniform(), uniform()]),
                                       position: [3 * uniform() - 1.5, 3 * uniform() - 1.5], rotation: 360 * uniform()))
        }
        objects.insert(SceneObject(shape: .cube, color: Color(rgb: [1, 0, 0]), position: [40, 0]), at: 4)   // out of view
        var regions = 0
        for (direction, shadows) in [(SIMD3<Double>(-0.4, -0.6, 1), false), ([-0.4, -0.6, 1], true), ([1, 0.3, 0.35], true)] {
            var scene = Scene(camera: camera, objects: [])
            scene.light.direction = direction
            scene.light.shadows = shadows
            var canvas = try r.render(scene, samplesPerPixel: 4)
            for n in 1...objects.count {
                scene.objects = Array(objects.prefix(n))
                let full = try r.renderWithShading(scene, samplesPerPixel: 4, object: n - 1)
                var shade: [Float] = []
                let added = try r.renderAdded(scene, samplesPerPixel: 4, onto: &canvas, shade: &shade)
                // Counts of differing values, not the arrays: a failure names the object, not 4,000 floats.
                XCTAssertEqual(zip(canvas.pixels, full.image.pixels).filter { $0 != $1 }.count, 0, "object \(n - 1), light \(direction), shadows \(shadows)")
                XCTAssertEqual(zip(shade, full.shade).filter { $0 != $1 }.count, 0, "object \(n - 1)")
                XCTAssertEqual(shade.count, full.shade.count)
                if n == 5 { XCTAssertTrue(added.rows.isEmpty || added.columns.isEmpty, "the block out of view draws nothing") }
                if added.rows.count < camera.height || added.columns.count < camera.width { regions += 1 }
            }
        }
        XCTAssertGreaterThan(regions, 15, "most additions render a part of the image")
    }

    /// The lane-wise quantisation gives each value what the one-value `quantize` gives: every
    /// level's edges (k ± ½)/255 and their neighbours, values outside [0, 1], and any count of
    /// values (the tail after the last full group of four).
    func testQuantizedIsQuantizeOverTwoHundredFiftyFive() {
        var values: [Float] = [-1, -0.0, 0, 1, 1.5, .infinity, -.infinity, .ulpOfOne]
        for k in 0...256 {
            let edge = (Float(k) - 0.5) / 255
            values += [edge, edge.nextUp, edge.nextDown, Float(k) / 255, (Float(k) / 255).nextUp]
        }
        let m = values.count / 3
        for width in [m, m - 1, m - 2, m - 3] {   // 3·width values: every remainder mod 4
            let q = PNG.quantized(Image(width: width, height: 1, pixels: Array(values.prefix(3 * width))))
            for (v, got) in zip(values, q.pixels) {
                XCTAssertEqual(got, Float(PNG.quantize(v)) / 255, "value \(v)")
            }
        }
        XCTAssertEqual(PNG.quantized(Image(width: 2, height: 1, pixels: [.nan, 0.5, .nan, 1, .nan, 0])).pixels,
                       [0, 128 / 255, 0, 1, 0, 0], "NaN reads as 0")
    }

    func testSessionMatchesFullRender() throws {
        let scene = Self.allShapes()
        let session = try Rasterizer().session(base: scene, samplesPerPixel: 4)
        XCTAssertEqual(session.baseImage, try Rasterizer().render(scene, samplesPerPixel: 4))
        var moved = scene
        moved.objects[2].position.x += 0.05
        moved.objects[2].rotation += 3
        var image = session.baseImage
        let region = try session.renderMoved(index: 2, to: moved.objects[2], into: &image)
        XCTAssertFalse(region.isEmpty)
        XCTAssertEqual(image, try Rasterizer().render(moved, samplesPerPixel: 4))
    }

    func testErrorsCarryTheRendererText() {
        XCTAssertThrowsError(try Rasterizer().render(Self.allShapes(), samplesPerPixel: 3)) { e in
            XCTAssertEqual((e as? RenderError)?.code, -4)
            XCTAssertFalse((e as? RenderError)?.message.isEmpty ?? true)
        }
    }

    func testLabelsAgainstTheMask() throws {
        let scene = Self.allShapes()
        let mask = try Rasterizer().renderWithMask(scene, samplesPerPixel: 4, image: false, mask: true).mask!
        let labels = Labels.compute(scene: scene, mask: mask)
        for (k, label) in labels.enumerated() {
            // Independently: the set of pixels with value k + 1.
            let pixels = (0..<mask.count).filter { Int(mask[$0]) == k + 1 }.map { ($0 % 32, $0 / 32) }
            XCTAssertEqual(label.visiblePixels, pixels.count)
            XCTAssertEqual(label.bbox, PixelRegion(x0: pixels.map(\.0).min()!, y0: pixels.map(\.1).min()!,
                                                   x1: pixels.map(\.0).max()! + 1, y1: pixels.map(\.1).max()! + 1))
            let o = scene.objects[k]
            let expected = scene.camera.project([o.position.x, o.position.y, o.shape.height / 2])!
            XCTAssertEqual(label.pixelCoords, expected)
            // The centre's projection lies inside the object's box for these unoccluded objects.
            XCTAssertTrue((label.bbox!.x0...label.bbox!.x1).contains(Int(expected.x)))
        }
        // An object hidden from view: no bbox, zero pixels.
        var hidden = scene
        hidden.objects.append(SceneObject(shape: .cube, color: Palette.color(named: "red")!, position: [0, -30]))
        let hiddenLabels = Labels.compute(scene: hidden, mask: try Rasterizer().renderWithMask(hidden, samplesPerPixel: 1, image: false, mask: true).mask!)
        XCTAssertNil(hiddenLabels[5].bbox)
        XCTAssertEqual(hiddenLabels[5].visiblePixels, 0)
    }

    func testPNGRoundTripAndQuantisation() throws {
        XCTAssertEqual(PNG.quantize(0), 0)
        XCTAssertEqual(PNG.quantize(1), 255)
        XCTAssertEqual(PNG.quantize(0.5), 128)         // 127.5 + 0.5 = 128
        XCTAssertEqual(PNG.quantize(Float(0.5) - .ulpOfOne), 127)
        XCTAssertEqual(PNG.quantize(1.5 / 255), 2)     // exactly halfway rounds up
        XCTAssertEqual(PNG.quantize(-0.2), 0)
        XCTAssertEqual(PNG.quantize(7), 255)
        let image = try Rasterizer().render(Self.allShapes(), samplesPerPixel: 4)
        let data = try PNG.encode(image)
        XCTAssertEqual(Array(data.prefix(8)), [137, 80, 78, 71, 13, 10, 26, 10])
        let back = try PNG.decode(data, channels: 3)
        XCTAssertEqual(back.width, 32)
        XCTAssertEqual(back.pixels, PNG.bytes(of: image))
        let mask: [UInt8] = (0..<(7 * 5)).map { UInt8($0 * 7 % 256) }
        let m = try PNG.decode(PNG.encodeMask(mask, width: 7, height: 5), channels: 1)
        XCTAssertEqual(m.pixels, mask)
        // Grey PNGs read as RGB repeat the grey value.
        let grey = try PNG.decode(PNG.encodeMask(mask, width: 7, height: 5), channels: 3)
        XCTAssertEqual(grey.pixels, mask.flatMap { [$0, $0, $0] })
        XCTAssertThrowsError(try PNG.decode([1, 2, 3], channels: 3))
    }
}
