import Engine
import Random
import Scenes
import XCTest
@testable import AIR

/// Render-and-compare refinement on exact images of known scenes, and calibrated confidences.
final class RefinementTests: XCTestCase {
    func config() -> ModelConfig {
        var c = ModelConfig()
        c.width = 48; c.height = 48
        c.samplesPerPixel = 4
        return c
    }

    func truth(_ cfg: ModelConfig) -> Scene {
        let light = Light.from(elevation: 50, azimuth: 200, ambient: 0.25, diffuse: 0.75, shadows: true)
        return cfg.scene(light: light, objects: [
            SceneObject(shape: .cube, color: Palette.color(named: "red")!, position: [-0.6, -0.3], rotation: 20),
            SceneObject(shape: .brick, color: Palette.color(named: "blue")!, position: [0.7, 0.5], rotation: 70),
        ])
    }

    func testRefinementRecoversAPerturbedReading() throws {
        let cfg = config()
        let t = truth(cfg)
        let observed = PNG.quantized(try Rasterizer().render(t, samplesPerPixel: 4))
        var start = t
        start.objects[0].position += [0.07, -0.05]
        start.objects[0].rotation += 6
        start.objects[1].position += [-0.04, 0.06]
        start.objects[1].color.rgb += [0.06, 0.04, -0.05]
        start.light.ambient = 0.3
        let (refined, report) = try Refiner(config: cfg).refine(observed, start: start)
        XCTAssertGreaterThan(report.logLikelihoodAfter, report.logLikelihoodBefore)
        XCTAssertLessThanOrEqual(report.renders, RefinementOptions().maxRenders + 10)
        XCTAssertEqual(refined.objects.count, 2, "\(report) \(refined)")
        for (r, o) in zip(refined.objects, t.objects) {
            XCTAssertEqual(r.shape, o.shape)
            let d = r.position - o.position
            XCTAssertLessThan((d * d).sum().squareRoot(), 0.01, "\(r) vs \(o), \(report)")
            XCTAssertLessThan(Angles.error(predicted: r.rotation, truth: o.rotation, shape: o.shape)!, 1.0)
            let c = r.color.rgb - o.color.rgb
            XCTAssertLessThan((c * c).sum().squareRoot(), 0.03)
        }
        XCTAssertEqual(refined.light.ambient, 0.25, accuracy: 0.03)
    }

    func testBirthAddsAMissedObjectAndDeathRemovesAPhantom() throws {
        let cfg = config()
        let t = truth(cfg)
        let observed = PNG.quantized(try Rasterizer().render(t, samplesPerPixel: 4))
        var missing = t
        missing.objects.removeLast()
        let (born, r1) = try Refiner(config: cfg).refine(observed, start: missing)
        XCTAssertEqual(born.objects.count, 2, "accepted \(r1.accepted)")
        XCTAssertEqual(r1.accepted["birth"], 1)
        var phantom = t
        phantom.objects.append(SceneObject(shape: .pyramid, color: Palette.color(named: "green")!, position: [0.6, -1.2], rotation: 0))
        let (pruned, r2) = try Refiner(config: cfg).refine(observed, start: phantom)
        XCTAssertEqual(pruned.objects.count, 2, "accepted \(r2.accepted)")
        XCTAssertEqual(r2.accepted["death"], 1)
        // The evidence of a real object is large, that of the phantom negative.
        let evidence = try Refiner(config: cfg).evidence(observed, scene: phantom)
        XCTAssertGreaterThan(evidence[0], 100)
        XCTAssertLessThan(evidence[2], 0)
        // One object's evidence alone is the same number, and the same noise level.
        let all = try Refiner(config: cfg).evidenceAndNoise(observed, scene: phantom)
        for k in 0..<3 {
            let one = try Refiner(config: cfg).evidenceAndNoise(observed, scene: phantom, of: [k])
            XCTAssertEqual(one.evidence, [all.evidence[k]])
            XCTAssertEqual(one.sigma, all.sigma)
        }
    }

    /// The network's light can be tens of degrees off; shadows then land where no object casts
    /// them. The sky grid finds the light, and no object is invented for a shadow.
    func testALightFarOffIsFoundFromTheShadows() throws {
        let cfg = config()
        var t = truth(cfg)
        t.light = Light.from(elevation: 34, azimuth: 15, ambient: 0.4, diffuse: 0.75, shadows: true)
        let observed = PNG.quantized(try Rasterizer().render(t, samplesPerPixel: 4))
        var start = t
        start.light = Light.from(elevation: 62, azimuth: 70, ambient: 0.28, diffuse: 0.7, shadows: true)
        let (refined, report) = try Refiner(config: cfg).refine(observed, start: start)
        XCTAssertEqual(refined.objects.count, 2, "\(report.accepted)")
        let (el, az) = refined.light.elevationAzimuth
        XCTAssertEqual(el, 34, accuracy: 3, "\(refined.light)")
        XCTAssertEqual(az, 15, accuracy: 6, "\(refined.light)")
        XCTAssertEqual(refined.light.ambient, 0.4, accuracy: 0.04)
    }

    /// One block read as two touching halves is read as one block again.
    func testTwoHalvesOfABrickMergeIntoIt() throws {
        let cfg = config()
        var t = truth(cfg)
        t.objects = [SceneObject(shape: .brick, color: Palette.color(named: "yellow")!, position: [0.2, 0.1], rotation: 0)]
        let observed = PNG.quantized(try Rasterizer().render(t, samplesPerPixel: 4))
        var start = t
        start.objects = [
            SceneObject(shape: .cube, color: Palette.color(named: "yellow")!, position: [-0.32, 0.1], rotation: 0),
            SceneObject(shape: .wedge, color: Palette.color(named: "orange")!, position: [0.72, 0.1], rotation: 0),
        ]
        let (refined, report) = try Refiner(config: cfg).refine(observed, start: start)
        XCTAssertEqual(refined.objects.map(\.shape), [.brick], "\(report.accepted)")
        let d = refined.objects[0].position - t.objects[0].position
        XCTAssertLessThan((d * d).sum().squareRoot(), 0.02)
    }

    /// The prior's support: a reading keeps only objects that show enough pixels.
    func testObjectsShowingTooFewPixelsAreDropped() throws {
        var cfg = config()
        let t = truth(cfg)
        let observed = PNG.quantized(try Rasterizer().render(t, samplesPerPixel: 4))
        let mask = try Rasterizer().renderWithMask(t, samplesPerPixel: 4, image: false, mask: true).mask!
        let visible = Labels.compute(scene: t, mask: mask).map(\.visiblePixels)
        // At the smaller count every object stays; above the larger none may.
        cfg.minVisiblePixels = visible.min()!
        let (kept, _) = try Refiner(config: cfg).refine(observed, start: t)
        XCTAssertEqual(kept.objects.count, 2)
        cfg.minVisiblePixels = visible.max()! + 1
        let (dropped, report) = try Refiner(config: cfg).refine(observed, start: t)
        XCTAssertEqual(dropped.objects.count, 0, "visible \(visible), \(report.accepted)")
    }

    /// A birth is judged by its own pixels and those it covers: an object already hidden (the
    /// copy of a block read twice, which only the end of the search removes) does not block it.
    func testAnAlreadyHiddenObjectDoesNotBlockBirths() throws {
        let cfg = config()
        let t = truth(cfg)
        let observed = PNG.quantized(try Rasterizer().render(t, samplesPerPixel: 4))
        var inside = t.objects[0]
        inside.shape = .pyramid   // the cube's footprint, lower: hidden inside it
        var before = t
        before.objects = [t.objects[0], inside]
        let search = try Search(refiner: Refiner(config: cfg), observed: observed, start: before)
        XCTAssertEqual(try search.visiblePixels(before)![1], 0)
        var born = before
        born.objects.append(t.objects[1])
        XCTAssertLessThan(try search.visiblePixels(born)!.min()!, cfg.minVisiblePixels, "the hidden copy fails a whole-scene rule")
        XCTAssertTrue(try search.isVisibleBirth(born, before: before))
        var hiddenBirth = before
        hiddenBirth.objects.append(inside)
        XCTAssertFalse(try search.isVisibleBirth(hiddenBirth, before: before), "a newcomer must show itself")
        var pyramidAlone = t
        pyramidAlone.objects = [inside]
        var covering = pyramidAlone
        covering.objects.append(t.objects[0])
        XCTAssertFalse(try search.isVisibleBirth(covering, before: pyramidAlone), "nor hide an object that showed")
        // And the search: from the cube with its hidden copy, the brick is born.
        let (refined, report) = try Refiner(config: cfg).refine(observed, start: before)
        XCTAssertEqual(refined.objects.count, 2, "\(report.accepted)")
        XCTAssertTrue(refined.objects.contains { o in
            let d = o.position - t.objects[1].position
            return (d * d).sum().squareRoot() < 0.2
        }, "\(refined.objects)")
    }

    /// The light's levels: exact on a hand-made linear image, clamped at zero like a 1-D fit.
    func testLevelsSolveTheLeastSquaresProblem() {
        var rng = RNG(seed: 9)
        let n = 300
        let a = Image(width: 10, height: 10, pixels: (0..<n).map { _ in Float(rng.uniformDouble()) })
        let d = Image(width: 10, height: 10, pixels: (0..<n).map { _ in Float(rng.uniformDouble()) })
        let x = Image(width: 10, height: 10, pixels: (0..<n).map { 0.3 * a.pixels[$0] + 0.6 * d.pixels[$0] })
        let fit = Search.levels(x, ambientOnly: a, diffuseOnly: d)!
        XCTAssertEqual(fit.ambient, 0.3, accuracy: 1e-5)
        XCTAssertEqual(fit.diffuse, 0.6, accuracy: 1e-5)
        XCTAssertEqual(fit.sse, 0, accuracy: 1e-4)
        // A negative ambient is no light: the diffuse level alone, by 1-D least squares.
        let y = Image(width: 10, height: 10, pixels: (0..<n).map { -0.5 * a.pixels[$0] + 0.8 * d.pixels[$0] })
        let clamped = Search.levels(y, ambientOnly: a, diffuseOnly: d)!
        var dy = 0.0, dd = 0.0, yy = 0.0
        for i in 0..<n { dy += Double(d.pixels[i]) * Double(y.pixels[i]); dd += Double(d.pixels[i] * d.pixels[i]); yy += Double(y.pixels[i] * y.pixels[i]) }
        XCTAssertEqual(clamped.ambient, 0)
        XCTAssertEqual(clamped.diffuse, dy / dd, accuracy: 1e-5)
        XCTAssertEqual(clamped.sse, yy - dy * dy / dd, accuracy: 1e-4)
    }

    func testRegionSumOfSquaresMatchesANaiveSum() {
        var rng = RNG(seed: 4)
        let a = Image(width: 13, height: 7, pixels: (0..<273).map { _ in Float(rng.uniformDouble()) })
        let b = Image(width: 13, height: 7, pixels: (0..<273).map { _ in Float(rng.uniformDouble()) })
        for r in [PixelRegion(x0: 0, y0: 0, x1: 13, y1: 7), PixelRegion(x0: 3, y0: 2, x1: 8, y1: 6), PixelRegion(x0: -2, y0: 5, x1: 20, y1: 9)] {
            var naive = 0.0
            for j in max(0, r.y0)..<min(7, r.y1) { for i in max(0, r.x0)..<min(13, r.x1) { for c in 0..<3 {
                let d = Double(a.pixels[(j * 13 + i) * 3 + c]) - Double(b.pixels[(j * 13 + i) * 3 + c])
                naive += d * d
            } } }
            XCTAssertEqual(Refiner.sse(a, b, region: r), naive, accuracy: 1e-4 * max(1, naive))
        }
        XCTAssertEqual(Refiner.sse(a, b, region: PixelRegion(x0: 5, y0: 5, x1: 5, y1: 6)), 0)
    }

    func testCalibrationReportOnHandMadeCases() {
        // Ten objects at 0.9 of which nine are real: perfectly calibrated.
        let good = CalibrationReport((0..<10).map { (0.9, $0 < 9) })
        XCTAssertEqual(good.expectedCalibrationError, 0, accuracy: 1e-12)
        // Ten at 0.9, five real; ten at 0.25, none real: |0.5 − 0.9| · ½ + |0 − 0.25| · ½.
        let bad = CalibrationReport((0..<10).map { (0.9, $0 < 5) } + (0..<10).map { _ in (0.25, false) })
        XCTAssertEqual(bad.expectedCalibrationError, 0.2 + 0.125, accuracy: 1e-12)
        XCTAssertEqual(bad.bins[9].objects, 10)
        XCTAssertEqual(bad.bins[2].accuracy, 0)
        // Confidence 1 goes to the last bin.
        XCTAssertEqual(CalibrationReport([(1.0, true)]).bins[9].objects, 1)
    }

    func testLogisticFitRecoversKnownWeights() {
        var rng = RNG(seed: 3)
        let w = [1.5, -2.0, 0.5, 0.3]  // two features, an indicator, the bias (the fit takes any number)
        let samples: [(features: [Double], real: Bool)] = (0..<4000).map { _ in
            let x = [rng.normal(), rng.normal(), rng.uniformDouble() < 0.3 ? 1.0 : 0.0]
            let p = ConfidenceCalibration.logistic(w, x)
            return (x, rng.uniformDouble() < p)
        }
        let fitted = ConfidenceCalibration.fit(samples)
        for (a, b) in zip(fitted, w) { XCTAssertEqual(a, b, accuracy: 0.25) }
    }

    func testImagesOfAnotherSizeAreResampledOrRefusedByName() throws {
        let cfg = config()
        let big = Image(width: 96, height: 96, pixels: [Float](repeating: 0.5, count: 96 * 96 * 3))
        let (fitted, resized) = try SceneReader.fit(big, name: "big.png", config: cfg)
        XCTAssertTrue(resized)
        XCTAssertEqual(fitted.width, 48)
        let wide = Image(width: 96, height: 48, pixels: [Float](repeating: 0.5, count: 96 * 48 * 3))
        XCTAssertThrowsError(try SceneReader.fit(wide, name: "photos/wide.png", config: cfg)) { e in
            XCTAssertTrue("\(e)".hasPrefix("photos/wide.png: image is 96x48"), "\(e)")
        }
    }
}

/// A model file's configuration is checked, field by field, before a network is built from it.
final class ModelFileValidationTests: XCTestCase {
    func testBadConfigurationsAreNamed() throws {
        let dir = NSTemporaryDirectory() + "air-modelfile-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.makeDirectories(dir)
        var rng = RNG(seed: 1)
        let net = GuideNetwork(config: tinyConfig(), rng: &rng)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let good = String(decoding: try encoder.encode(net.config), as: UTF8.self)
        let cases: [(String, String, String)] = [
            ("\"width\":32", "\"width\":-5", "width"),
            ("\"hidden\":32", "\"hidden\":1000000000", "hidden"),
            ("\"maxObjects\":2", "\"maxObjects\":0", "maxObjects"),
            ("\"tableHalfWidth\":1.5", "\"tableHalfWidth\":0", "tableHalfWidth"),
            ("\"glimpseSize\":12", "\"glimpseSize\":100000", "glimpseSize"),
            // A camera the renderer would call degenerate names the file and the field.
            ("\"fovY\":40", "\"fovY\":1e-300", "fovY"),
            ("\"eye\":[0,-4.5,7.5]", "\"eye\":[0,-4.5,1e300]", "camera: eye[2]"),
            ("\"eye\":[0,-4.5,7.5]", "\"eye\":[0,0.3,7.5]", "camera: up"),
        ]
        for (from, to, field) in cases {
            XCTAssertTrue(good.contains(from), from)
            let path = dir + "/\(field).safetensors"
            try Checkpoint.saveParameters(net, to: path, metadata: ["format": ModelFile.format, "version": "1",
                                                                    "config": good.replacingOccurrences(of: from, with: to)])
            XCTAssertThrowsError(try ModelFile.load(path), field) { e in
                XCTAssertTrue("\(e)".hasPrefix(path + ": metadata.config.\(field)"), "\(e)")
            }
        }
    }
}
