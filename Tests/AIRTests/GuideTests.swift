import Engine
import Random
import Scenes
import XCTest
@testable import AIR

/// A network small enough for debug builds: 32×32 images, narrow layers.
/// A small network; `light`: with the light head (tests of AIR's core leave it out).
func tinyConfig(maxObjects: Int = 2, light: Bool = false) -> ModelConfig {
    var c = ModelConfig()
    c.inferLight = light
    c.width = 32; c.height = 32
    c.maxObjects = maxObjects
    c.hidden = 32; c.encoderFeatures = 32; c.glimpseFeatures = 32
    c.glimpseSize = 12
    return c
}

/// A red object at (x, y), unturned: the hand-made scenes of the order tests.
func redObject(_ x: Double, _ y: Double, _ shape: Shape = .cube) -> SceneObject {
    SceneObject(shape: shape, color: Color(rgb: SIMD3(0.8, 0.2, 0.2)), position: SIMD2(x, y), rotation: 0)
}

/// 0–1 objects on a 32×32 image, every object clearly visible.
func tinySpec() throws -> BatchSpec {
    try BatchSpec.read("""
    {"kind": "random", "objects_per_scene": {"min": 0, "max": 1}, "size": [32, 32], "spp": 1,
     "min_visible_pixels": 8, "x": [-1.2, 1.2], "y": [-1.2, 1.2]}
    """, file: "tiny.json")
}

final class StepInputTests: XCTestCase {
    /// The glimpses sampled straight from the observed images and renderings equal, bit for bit,
    /// the spatial transformer's glimpses of the whole 6-channel input built first, for windows
    /// inside, across the edge of and outside the image, and for a rendering plane at an offset.
    func testGlimpsesEqualTheTransformersOnTheFullInput() {
        let (b, h, w, size) = (3, 10, 12, 5)
        let plane = h * w * 3
        let observed = (0..<(b * plane)).map { Float(($0 * 37) % 101) / 100 }
        let rendered = [Float](repeating: 0.3, count: plane) + (0..<(b * plane)).map { Float(($0 * 53) % 97) / 96 }
        let table = SIMD3<Float>(0.5, 0.48, 0.45)
        let rows = [2, 0]
        let theta: [Float] = [0.4, 0, 0.1, 0, 0.4, -0.2, 0.5, 0.1, 0.9, -0.1, 0.5, 0.7]
        let tape = Tape()
        var full = [Float]()
        for row in rows {
            for p in 0..<(h * w) {
                let o = observed[row * plane + 3 * p..<row * plane + 3 * p + 3].map { $0 }
                let r = rendered[plane + row * plane + 3 * p..<plane + row * plane + 3 * p + 3].map { $0 }
                full += [o[0] - table.x, o[1] - table.y, o[2] - table.z, o[0] - r[0], o[1] - r[1], o[2] - r[2]]
            }
        }
        let thetaT = tape.constant(shape: [2, 2, 3], values: theta)
        let reference = glimpse(tape.constant(shape: [2, h, w, 6], values: full), theta: thetaT, height: size, width: size).values
        let sampled = glimpseInput(observed: observed, rendered: rendered, renderedOffset: plane, rows: rows, table: table,
                                   height: h, width: w, theta: thetaT, size: size, tape: tape).values
        XCTAssertEqual(sampled, reference)
        XCTAssertTrue(reference.contains(0) && reference.contains { $0 != 0 }, "the second window must reach outside the image")
    }

    /// Rewriting the half input in a box of columns after the rendering changed there gives, bit
    /// for bit, the half input made whole from the new rendering, for boxes at either edge and
    /// inside (a row of 20 half pixels spans vectors and scalar ends).
    func testHalfInputInAColumnBoxEqualsTheWholeRewrite() {
        let (h, w) = (8, 40)
        let observed = (0..<(h * w * 3)).map { Float(($0 * 37) % 101) / 100 }
        var rendered = (0..<(h * w * 3)).map { Float(($0 * 53) % 97) / 96 }
        let table = SIMD3<Float>(0.5, 0.48, 0.45)
        for box in [0..<3, 5..<9, 17..<20, 0..<20] {
            var half = [Float](repeating: 0, count: h / 2 * w / 2 * 6)
            func write(_ columns: Range<Int>?) {
                observed.withUnsafeBufferPointer { o in
                    rendered.withUnsafeBufferPointer { r in
                        writeHalfInput(observed: o.baseAddress!, rendered: r.baseAddress!, table: table, width: w,
                                       rows: 0..<h / 2, columns: columns, into: &half)
                    }
                }
            }
            write(nil)
            // The rendering changes in the full-resolution columns of the box, in rows 2–5.
            for y in 2..<6 { for x in 2 * box.lowerBound..<2 * box.upperBound { rendered[3 * (y * w + x)] += 0.25 } }
            write(box)
            let boxed = half
            write(nil)
            XCTAssertEqual(boxed, half, "columns \(box)")
        }
    }
}

final class LatentCodeTests: XCTestCase {
    func testYawPointRoundTripsModuloSymmetry() {
        for shape in Shape.allCases {
            guard let period = shape.symmetryPeriod else {
                XCTAssertEqual(LatentCode.yawPoint(SceneObject(shape: shape, color: Color(rgb: .zero), position: .zero, rotation: 33)), .zero)
                continue
            }
            for yaw in stride(from: -400.0, through: 400, by: 37) {
                let o = SceneObject(shape: shape, color: Color(rgb: .zero), position: .zero, rotation: yaw)
                let back = LatentCode.yaw(from: LatentCode.yawPoint(o), shape: shape)
                XCTAssert(back >= 0 && back < period, "\(shape) \(yaw) → \(back)")
                XCTAssertEqual(Angles.error(predicted: back, truth: yaw, period: period), 0, accuracy: 1e-3, "\(shape) \(yaw)")
            }
        }
    }

    func testYawGradientMatchesFiniteDifferences() {
        let h: Float = 1e-3
        for shape in [Shape.cube, .brick, .wedge] {
            for p in [SIMD2<Float>(0.8, 0.3), SIMD2(-0.2, 0.9), SIMD2(-0.5, -0.4)] {
                let g = LatentCode.yawGradient(point: p, shape: shape, dYaw: 2)
                let fx = (LatentCode.yaw(from: p + SIMD2(h, 0), shape: shape) - LatentCode.yaw(from: p - SIMD2(h, 0), shape: shape)) / Double(2 * h)
                let fy = (LatentCode.yaw(from: p + SIMD2(0, h), shape: shape) - LatentCode.yaw(from: p - SIMD2(0, h), shape: shape)) / Double(2 * h)
                XCTAssertEqual(g.x, 2 * fx, accuracy: 1e-2 * max(1, abs(g.x)), "\(shape) \(p)")
                XCTAssertEqual(g.y, 2 * fy, accuracy: 1e-2 * max(1, abs(g.y)), "\(shape) \(p)")
            }
        }
    }

    func testCanonicalOrderIsNearestToCameraFirst() {
        let far = SceneObject(shape: .cube, color: Color(rgb: .zero), position: SIMD2(0, 1.2))
        let near = SceneObject(shape: .cube, color: Color(rgb: .zero), position: SIMD2(0.3, -1.2))
        let left = SceneObject(shape: .cube, color: Color(rgb: .zero), position: SIMD2(-1.2, 0))
        let right = SceneObject(shape: .cube, color: Color(rgb: .zero), position: SIMD2(1.2, 0))
        let order = LatentCode.canonicalOrder([far, right, near, left], camera: Camera())
        XCTAssertEqual(order.map(\.position), [near.position, left.position, right.position, far.position])
    }

    func testAttentionCentresOnTheProjectedPointWithTheWorldWindow() {
        let config = ModelConfig()
        let a = Attention(config: config)
        let camera = config.camera
        for (x, y) in [(0.0, 0.0), (-1.2, 1.0), (1.4, -1.3)] {
            let t = a.theta(x: x, y: y)
            let p = SIMD3(x, y, config.glimpseHeight)
            let px = camera.project(p)!
            XCTAssertEqual(Double(t[2]), 2 * px.x / 64 - 1, accuracy: 1e-5)
            XCTAssertEqual(Double(t[5]), 2 * px.y / 64 - 1, accuracy: 1e-5)
            // Two points half a window either side along the camera's right vector share the
            // depth: their projections are exactly one window apart.
            let r = camera.basis.r * (config.glimpseWorld / 2)
            let span = camera.project(p + r)!.x - camera.project(p - r)!.x
            XCTAssertEqual(Double(t[0]) * 64, span, accuracy: 1e-3)
            XCTAssertEqual(t[0], t[4])
            XCTAssertEqual(t[1], 0); XCTAssertEqual(t[3], 0)
        }
    }
}

final class ModelFileTests: XCTestCase {
    func tempPath(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "air-model-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    func testRoundTripRebuildsTheSameNetwork() throws {
        var rng = RNG(seed: 3)
        let net = GuideNetwork(config: tinyConfig(), rng: &rng)
        let path = tempPath("m.safetensors")
        try ModelFile.save(net, to: path, extra: ["step": "7"])
        let (back, meta) = try ModelFile.load(path)
        XCTAssertEqual(back.config, net.config)
        XCTAssertEqual(meta["step"], "7")
        for ((n1, p1), (n2, p2)) in zip(net.namedParameters(), back.namedParameters()) {
            XCTAssertEqual(n1, n2)
            XCTAssertEqual(p1.values, p2.values, n1)
        }
    }

    func testBadFilesNameTheProblem() throws {
        var rng = RNG(seed: 3)
        let net = GuideNetwork(config: tinyConfig(), rng: &rng)
        var tensors: [String: StoredTensor] = [:]
        for (n, p) in net.namedParameters() { tensors[n] = StoredTensor(shape: p.shape, values: p.values) }
        let config = String(decoding: try JSONEncoder().encode(net.config), as: UTF8.self)
        let meta = ["format": ModelFile.format, "config": config]

        func expectError(_ t: [String: StoredTensor], _ m: [String: String], _ needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let path = tempPath("bad.safetensors")
            try SafeTensors.write(t, metadata: m, to: path)
            XCTAssertThrowsError(try ModelFile.load(path), file: file, line: line) { e in
                let text = "\(e)"
                XCTAssert(text.contains(path) && text.contains(needle), text, file: file, line: line)
            }
        }
        var missing = tensors; missing.removeValue(forKey: "lstm.weight")
        try expectError(missing, meta, "lstm.weight")
        var misshapen = tensors; misshapen["presWhere.bias"] = StoredTensor(shape: [4], values: [0, 0, 0, 0])
        try expectError(misshapen, meta, "presWhere.bias")
        var nan = tensors; nan["presWhere.bias"]!.values[0] = .nan
        try expectError(nan, meta, "non-finite")
        try expectError(tensors, ["format": "something-else", "config": config], "not an air model")
        try expectError(tensors, ["format": ModelFile.format, "config": "{"], "config")
    }
}

/// The estimators on the real renderer: the exact colour gradient (shading images) equals
/// central finite differences (exact too, the likelihood being quadratic in the albedo), and the
/// pose gradient points from a displaced object towards where the observed image has it.
final class RendererGradientTests: XCTestCase {
    func testExactColourGradientMatchesFiniteDifferences() throws {
        var camera = Camera(); camera.width = 32; camera.height = 32
        let r = Rasterizer()
        let truth = Scene(camera: camera, objects: [
            SceneObject(shape: .cube, color: Color(rgb: [0.8, 0.2, 0.2]), position: [-0.8, -0.5], rotation: 20),
            SceneObject(shape: .wedge, color: Color(rgb: [0.1, 0.6, 0.3]), position: [0.7, 0.4], rotation: 200)])
        let observed = try r.render(truth, samplesPerPixel: 4)
        var guess = truth
        guess.objects[0].color = Color(rgb: [0.5, 0.4, 0.1])
        guess.objects[1].color = Color(rgb: [0.3, 0.3, 0.9])
        let likelihood = GaussianLikelihood(sigma: 0.05)
        let session = try r.session(base: guess, samplesPerPixel: 4)
        let fd = try FiniteDifferenceEstimator(likelihood: likelihood).colorGradients(session: session, objects: guess.objects, observed: observed)
        let exact = likelihood.albedoGradient(observed: observed, rendered: session.baseImage,
                                              shading: try r.shading(guess, samplesPerPixel: 4), objectCount: 2)
        for k in 0..<2 {
            for c in 0..<3 {
                XCTAssertEqual(exact[k][c], fd[k][c], accuracy: 1e-3 * max(1, abs(fd[k][c])), "object \(k) channel \(c)")
            }
            // Towards the truth: the gradient's sign follows (true − guessed) albedo.
            for c in 0..<3 where abs(truth.objects[k].color.rgb[c] - guess.objects[k].color.rgb[c]) > 0.05 {
                XCTAssertEqual(exact[k][c] > 0, truth.objects[k].color.rgb[c] > guess.objects[k].color.rgb[c])
            }
        }
    }

    func testPoseGradientPointsTowardsTheObservedObject() throws {
        var camera = Camera(); camera.width = 48; camera.height = 48
        let r = Rasterizer()
        let truth = Scene(camera: camera, objects: [SceneObject(shape: .brick, color: Color(rgb: [0.9, 0.8, 0.1]), position: [0.2, 0.1], rotation: 30)])
        let observed = try r.render(truth, samplesPerPixel: 4)
        let estimator = FiniteDifferenceEstimator(likelihood: GaussianLikelihood(sigma: 0.05))
        for (dx, dy) in [(0.15, 0.0), (-0.15, 0.0), (0.0, 0.15), (0.0, -0.15)] {
            var guess = truth
            guess.objects[0].position += SIMD2(dx, dy)
            let session = try r.session(base: guess, samplesPerPixel: 4)
            let g = try estimator.centralPoseGradients(session: session, objects: guess.objects, observed: observed)[0]
            XCTAssertLessThan(g.x * dx + g.y * dy, 0, "displaced by (\(dx), \(dy)): gradient (\(g.x), \(g.y))")
        }
    }
}
