import Random
import Scenes
import XCTest
@testable import AIR

/// The prior every objective shares, against hand-computed values.
final class GenerativeModelTests: XCTestCase {
    func spec(_ json: String) throws -> BatchSpec { try BatchSpec.read(json, file: "prior.json") }

    /// Count and shape weights become log-probabilities (with the small floor); counts past the
    /// model's `maxObjects` are cut off and the rest renormalised.
    func testCountAndShapeFollowTheSpec() throws {
        let s = try spec("""
        {"kind": "random", "objects_per_scene": {"min": 0, "max": 2}, "shapes": {"cube": 1, "wedge": 1}}
        """)
        let p = ScenePrior(spec: s, maxObjects: 3)
        let f = ScenePrior.floor
        XCTAssertEqual(p.countLogProbs.count, 4)
        for n in 0...2 { XCTAssertEqual(p.logProb(count: n), log((1 - f) / 3 + f / 4), accuracy: 1e-12) }
        XCTAssertEqual(p.logProb(count: 3), log(f / 4), accuracy: 1e-12)
        XCTAssertEqual(p.logProb(count: 4), -.infinity)
        XCTAssertEqual(p.shapeLogProbs[Shape.cube.rawValue], log((1 - f) / 2 + f / 5), accuracy: 1e-12)
        XCTAssertEqual(p.shapeLogProbs[Shape.brick.rawValue], log(f / 5), accuracy: 1e-12)
        XCTAssertEqual(p.countLogProbs.map(exp).reduce(0, +), 1, accuracy: 1e-12)
        // The same spec with maxObjects 1: counts 0 and 1 only, equally likely.
        let q = ScenePrior(spec: s, maxObjects: 1)
        XCTAssertEqual(q.logProb(count: 1), log(0.5), accuracy: 1e-12)
    }

    /// The position density integrates to one over the plane (the area plus its Gaussian edges),
    /// is flat inside, and its gradient is the numerical derivative.
    func testPositionDensityIsNormalisedAndItsGradientIsRight() throws {
        let p = ScenePrior(spec: try spec(#"{"kind": "random", "x": [-1.0, 0.5], "y": [-0.5, 0.5]}"#), maxObjects: 3)
        XCTAssertEqual(p.positionLogProb(SIMD2(0, 0)), p.positionLogProb(SIMD2(0.4, -0.4)))
        var mass = 0.0
        let h = 0.002
        for i in 0..<1000 {
            for j in 0..<600 {
                let pt = SIMD2(-1.5 + (Double(i) + 0.5) * 2 * h, -1 + (Double(j) + 0.5) * 2 * h)
                mass += exp(p.positionLogProb(pt)) * 4 * h * h
            }
        }
        XCTAssertEqual(mass, 1, accuracy: 1e-3)
        for pt in [SIMD2(0.6, 0.0), SIMD2(-1.07, 0.55), SIMD2(0.2, -0.58)] {
            let g = p.positionLogProbAndGradient(pt).gradient, e = 1e-6
            let dx = (p.positionLogProb(pt + SIMD2(e, 0)) - p.positionLogProb(pt - SIMD2(e, 0))) / (2 * e)
            let dy = (p.positionLogProb(pt + SIMD2(0, e)) - p.positionLogProb(pt - SIMD2(0, e))) / (2 * e)
            XCTAssertEqual(g.x, dx, accuracy: 1e-4 * max(1, abs(dx)))
            XCTAssertEqual(g.y, dy, accuracy: 1e-4 * max(1, abs(dy)))
        }
    }

    /// A palette prior peaks at its colours (by its weights), its gradient is the numerical one;
    /// a uniform-RGB prior is flat.
    func testColourPriorPeaksOnThePalette() throws {
        let red = Palette.entries.firstIndex { $0.name == "red" }!
        let p = ScenePrior(spec: try spec(#"{"kind": "random", "colors": {"red": 1}}"#), maxObjects: 3)
        let s2 = ScenePrior.paletteSpread * ScenePrior.paletteSpread
        let mu = Palette.entries[red].rgb
        XCTAssertEqual(p.colorLogProb(mu), -1.5 * log(2 * Double.pi * s2), accuracy: 1e-9)
        XCTAssertEqual(p.colorLogProb(mu + SIMD3(0.03, 0, 0)), -1.5 * log(2 * Double.pi * s2) - 0.5, accuracy: 1e-9)
        let c = mu + SIMD3(0.02, -0.01, 0.015), e = 1e-6
        let g = p.colorLogProbAndGradient(c).gradient
        for k in 0..<3 {
            var u = c, d = c
            u[k] += e; d[k] -= e
            XCTAssertEqual(g[k], (p.colorLogProb(u) - p.colorLogProb(d)) / (2 * e), accuracy: 1e-3)
        }
        let flat = ScenePrior(spec: try spec(#"{"kind": "random", "colors": "uniform_rgb"}"#), maxObjects: 3)
        XCTAssertEqual(flat.colorLogProb(SIMD3(0.3, 0.2, 0.9)), 0)
    }

    /// The trainer's model is the prior of the spec the sleep phase draws from: with a spec of
    /// 0–1 objects, a reading of two is all but impossible for the ELBO too.
    func testTrainerSharesTheSleepSpecsPrior() throws {
        let s = try spec(#"{"kind": "random", "objects_per_scene": {"min": 0, "max": 1}, "size": [32, 32], "spp": 1}"#)
        var config = tinyConfig(maxObjects: 2)
        config.samplesPerPixel = 1
        var rng = RNG(seed: 1)
        var options = TrainingOptions()
        options.evalImages = 1
        options.threads = 1
        let t = try Trainer(network: GuideNetwork(config: config, rng: &rng), source: SpecSource(spec: s, seed: 1),
                            heldOutSource: SpecSource(spec: s, seed: 2), options: options)
        XCTAssertEqual(t.elbo.model.prior.logProb(count: 1), log((1 - ScenePrior.floor) / 2 + ScenePrior.floor / 3), accuracy: 1e-12)
        XCTAssertLessThan(t.elbo.model.prior.logProb(count: 2), -9)
    }
}

/// The inference canvas's colour fit: an object read too dark is drawn with the albedo that
/// explains the image, so the next step sees no residual where it stands.
final class CanvasColorTests: XCTestCase {
    func testNewestObjectGetsTheAlbedoThatExplainsTheImage() throws {
        let r = Rasterizer(threads: 1)
        var scene = Scene(camera: Camera())
        let white = SceneObject(shape: .pyramid, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(0.3, -0.2), rotation: 20)
        let red = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.85, 0.15, 0.15)), position: SIMD2(-0.8, 0.5), rotation: 0)
        scene.objects = [red, white]
        let observed = try r.render(scene, samplesPerPixel: 4)
        var dark = scene
        dark.objects[1].color = Color(rgb: SIMD3(0.7, 0.72, 0.68))
        var canvas = try r.render(dark, samplesPerPixel: 4)
        let before = zip(canvas.pixels, observed.pixels).map { abs($0 - $1) }.max()!
        let shade = try r.renderWithShading(dark, samplesPerPixel: 4, object: 1).shade
        let full = try r.shading(dark, samplesPerPixel: 4), plane = dark.camera.width * dark.camera.height
        XCTAssertEqual(shade, Array(full[plane..<2 * plane]), "one plane, bit for bit the full call's")
        Inferrer.fitNewestColor(&canvas, scene: dark, shade: shade, observed: observed.pixels[...])
        let after = zip(canvas.pixels, observed.pixels).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(before, 0.1)
        XCTAssertLessThan(after, 1e-4)
    }
}
