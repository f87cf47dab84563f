import XCTest
@testable import Scenes

final class SamplerTests: XCTestCase {
    func smallSpec(_ extra: String = "") throws -> BatchSpec {
        try BatchSpec.read(#"{"size": [32, 32], "min_visible_pixels": 8\#(extra)}"#, file: "spec.json")
    }

    func testSceneIDependsOnlyOnSeedAndIndex() throws {
        let spec = try smallSpec()
        let r = Rasterizer()
        let forward = try (0..<12).map { try spec.sample(index: $0, seed: 5, renderer: r).scene }
        let backward = try (0..<12).reversed().map { try spec.sample(index: $0, seed: 5, renderer: r).scene }
        XCTAssertEqual(forward, Array(backward.reversed()))
        let other = try (0..<12).map { try spec.sample(index: $0, seed: 6, renderer: r).scene }
        XCTAssertNotEqual(forward, other)
        XCTAssertNotEqual(forward[3], forward[4])
    }

    func testConstraintsHold() throws {
        let spec = try smallSpec(#", "objects_per_scene": {"min": 1, "max": 3}, "shapes": {"brick": 1, "pyramid": 3}, "colors": {"red": 1, "blue": 1}"#)
        let r = Rasterizer()
        var counts = Set<Int>()
        var shapes = Set<Shape>()
        var retried = 0
        for i in 0..<40 {
            let s = try spec.sample(index: i, seed: 1, renderer: r)
            counts.insert(s.scene.objects.count)
            if s.attempts > 1 { retried += 1 }
            XCTAssertTrue((1...3).contains(s.scene.objects.count))
            XCTAssertNil(Footprint.firstOverlap(s.scene.objects))
            let mask = try r.renderWithMask(s.scene, samplesPerPixel: 4, image: false, mask: true).mask!
            XCTAssertEqual(mask, s.mask)
            for (k, o) in s.scene.objects.enumerated() {
                shapes.insert(o.shape)
                XCTAssertGreaterThanOrEqual(mask.filter { Int($0) == k + 1 }.count, 8, "scene \(i) object \(k)")
                XCTAssertTrue(["red", "blue"].contains(o.color.name!))
                XCTAssertTrue((-1.5...1.5).contains(o.position.x) && (-1.5...1.5).contains(o.position.y))
                XCTAssertTrue((0..<360).contains(o.rotation))
                XCTAssertEqual(o.position.x, Double(Float(o.position.x)), "latents are Float-quantised")
            }
        }
        XCTAssertEqual(counts, [1, 2, 3])
        XCTAssertEqual(shapes, [.brick, .pyramid])
    }

    func testImpossibleConstraintsFailCleanly() throws {
        let spec = try smallSpec(#", "objects_per_scene": {"min": 3, "max": 3}, "x": [0, 0.1], "y": [0, 0.1], "max_attempts": 3"#)
        XCTAssertThrowsError(try spec.sample(index: 7, seed: 0, renderer: Rasterizer())) { e in
            XCTAssertEqual((e as? SamplingError)?.index, 7)
        }
    }

    /// max_attempts is bounded when the spec is read, and a scene whose constraints cannot be
    /// met fails within the time bound, naming the scene and what to change.
    func testCrowdedSpecsFailInBoundedTime() throws {
        XCTAssertThrowsError(try smallSpec(#", "max_attempts": 1000000"#)) { e in
            XCTAssertEqual((e as? InputError)?.field, "max_attempts", "\(e)")
            XCTAssertTrue("\(e)".contains("outside 1...100000"), "\(e)")
        }
        let crowded = try BatchSpec.read(#"{"size": [16, 16], "spp": 1, "objects_per_scene": {"min": 255, "max": 255}, "max_attempts": 100000}"#, file: "crowded.json")
        let started = Date()
        XCTAssertThrowsError(try crowded.sample(index: 4, seed: 0, renderer: Rasterizer(), timeLimit: 0.3)) { e in
            XCTAssertEqual((e as? SamplingError)?.index, 4)
            XCTAssertTrue("\(e)".hasPrefix("scene 4: gave up after"), "\(e)")
            XCTAssertTrue("\(e)".contains("lower objects_per_scene"), "\(e)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testSweeps() throws {
        let rot = try BatchSpec.read(#"{"kind": "rotation_sweep", "shape": "wedge", "color": "red", "position": [0, 0.3], "rotation": {"from": 0, "to": 360, "step": 5}}"#, file: "r.json")
        XCTAssertEqual(rot.count, 72)
        let r = Rasterizer()
        XCTAssertEqual(try rot.sample(index: 3, seed: 0, renderer: r).scene.objects[0].rotation, 15)
        XCTAssertEqual(try rot.sample(index: 71, seed: 9, renderer: r).scene.objects[0].rotation, 355)
        let grid = try BatchSpec.read(#"{"kind": "position_grid", "shape": "cube", "color": "blue", "rotation": 30, "x": {"from": -1, "to": 1, "steps": 3}, "y": {"from": 0, "to": 1, "steps": 2}}"#, file: "g.json")
        XCTAssertEqual(grid.count, 6)
        let o = try grid.sample(index: 4, seed: 0, renderer: r).scene.objects[0]
        XCTAssertEqual(o.position, [0, 1])
        XCTAssertEqual(o.rotation, 30)
        XCTAssertEqual(o.shape, .cube)
    }

    func testShippedSpecsParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let d = try BatchSpec.read(FileIO.readText(root + "/scenes/default.json"), file: "default.json")
        guard case .random(let r) = d.kind else { return XCTFail() }
        XCTAssertEqual(r, BatchSpec.Random())
        XCTAssertEqual(d.camera, Camera())
        XCTAssertEqual(d.samplesPerPixel, 4)
        XCTAssertEqual(try BatchSpec.read(FileIO.readText(root + "/scenes/rotation-sweep.json"), file: "r").count, 72)
        XCTAssertEqual(try BatchSpec.read(FileIO.readText(root + "/scenes/position-grid.json"), file: "g").count, 169)
        // Issue 12's crowded world, exactly: 0–10 objects (uniform), uniform shapes, palette
        // colours, x, y on [−2.5, 2.5], any yaw, at least 30 visible pixels, the farther camera at
        // 128×128 and spp 4, the default light and table; the generalisation spec stops at 6.
        for (name, most) in [("crowded", 10), ("crowded-0-6", 6)] {
            let c = try BatchSpec.read(FileIO.readText(root + "/scenes/\(name).json"), file: name)
            guard case .random(let r) = c.kind else { return XCTFail(name) }
            XCTAssertEqual(r.countWeights, [Double](repeating: 1, count: most + 1), name)
            XCTAssertEqual(r.shapeWeights, [1, 1, 1, 1, 1])
            XCTAssertEqual(r.colors, BatchSpec.Random().colors)
            XCTAssertEqual(r.x, -2.5...2.5); XCTAssertEqual(r.y, -2.5...2.5)
            XCTAssertTrue(r.rotation == (0, 360))
            XCTAssertEqual(r.minVisiblePixels, 30)
            XCTAssertEqual(c.camera.eye, SIMD3(0, -7.5, 12.5)); XCTAssertEqual(c.camera.target, SIMD3(0, 0.5, 0))
            XCTAssertEqual(c.camera.up, SIMD3(0, 0, 1)); XCTAssertEqual(c.camera.fovY, 40)
            XCTAssertEqual(c.camera.width, 128); XCTAssertEqual(c.camera.height, 128)
            XCTAssertEqual(c.samplesPerPixel, 4)
            XCTAssertNil(c.light); XCTAssertNil(c.effects)
            XCTAssertEqual(c.tableColor, Scene.defaultTableColor)
        }
        // The quarter-hour recipe's draw is varied-plain's with a wider sky and darker shade only.
        let plain = try BatchSpec.read(FileIO.readText(root + "/scenes/varied-plain.json"), file: "varied-plain")
        var wide = try BatchSpec.read(FileIO.readText(root + "/scenes/varied-wide.json"), file: "varied-wide")
        XCTAssertEqual(wide.light?.elevation, Draw(20, 90))
        XCTAssertEqual(wide.light?.ambient, Draw(0.1, 0.45))
        let plainLight = try XCTUnwrap(plain.light)
        wide.light?.elevation = plainLight.elevation
        wide.light?.ambient = plainLight.ambient
        wide.json = plain.json  // the source text, comment and all
        XCTAssertEqual(wide, plain)
        // `air adapt`'s built-in prior is the file's twin.
        var builtIn = BatchSpec.variedPlain
        builtIn.json = plain.json
        XCTAssertEqual(builtIn, plain)
        for name in ["example", "all-shapes", "empty"] {
            _ = try SceneJSON.read(FileIO.readText(root + "/scenes/\(name).json"), file: name)
        }
    }

    func testBadSpecsNameFileLineAndField() {
        let cases: [(String, Int, String)] = [
            ("{\n\"spp\": 3\n}", 2, "spp"),
            ("{\n\"spp\": 0\n}", 2, "spp"),
            ("{\n\"size\": [64, 0]\n}", 2, "size[1]"),
            ("{\n\"shapes\": {\"cube\": 1, \"ball\": 2}\n}", 2, "shapes.ball"),
            ("{\n\"colors\": \"rainbow\"\n}", 2, "colors"),
            ("{\n\"objects_per_scene\": {\"min\": 3, \"max\": 1}\n}", 2, "objects_per_scene"),
            ("{\n\"kind\": \"spiral\"\n}", 2, "kind"),
            ("{\n\"kind\": \"rotation_sweep\", \"shape\": \"cube\", \"color\": \"red\",\n\"rotation\": {\"from\": 0, \"to\": 360, \"step\": 0}\n}", 3, "rotation"),
            ("{\n\"seed\": -1\n}", 2, "seed"),
            ("{\n\"x\": [1, -1]\n}", 2, "x"),
            ("{\n\"camera\": {\"fov_y\": 0}\n}", 2, "camera.fov_y"),
        ]
        for (text, line, field) in cases {
            XCTAssertThrowsError(try BatchSpec.read(text, file: "spec.json"), field) { e in
                let e = e as? InputError
                XCTAssertEqual(e?.file, "spec.json")
                XCTAssertEqual(e?.line, line, "\(String(describing: e))")
                XCTAssertEqual(e?.field, field, "\(String(describing: e))")
            }
        }
    }
}
