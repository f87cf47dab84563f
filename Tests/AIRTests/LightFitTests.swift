import Foundation
import Random
import Scenes
import XCTest
@testable import AIR

/// `LightFit`: the one light of a set-up with a fixed lamp, found from readings whose own
/// lights are off; refused where the images' lights differ; taken by a model's readings.
final class LightFitTests: XCTestCase {
    let shapes: [Shape] = [.wedge, .cube, .brick, .pyramid, .cylinder, .wedge]
    let colors: [SIMD3<Double>] = [[0.9, 0.9, 0.9], [0.85, 0.2, 0.15], [0.15, 0.7, 0.2], [0.15, 0.3, 0.85], [0.9, 0.8, 0.1], [0.9, 0.9, 0.9]]

    func objects(_ k: Int) -> [SceneObject] {
        (0..<(1 + k % 3)).map { j in
            let i = (k + j) % shapes.count
            return SceneObject(shape: shapes[i], color: Color(rgb: colors[i]), position: SIMD2(-0.9 + 0.9 * Double(j), 0.5 * Double(k % 3) - 0.5), rotation: 25 * Double(k + j))
        }
    }

    func images(_ lights: [Light], config cfg: ModelConfig) throws -> [Image] {
        let r = Rasterizer(threads: 1)
        return try lights.enumerated().map { k, l in PNG.quantized(try r.render(cfg.scene(light: l, objects: objects(k)), samplesPerPixel: cfg.samplesPerPixel)) }
    }

    /// Six images under one light, read with lights 8–15° off and levels 0.05 off: the common
    /// light comes back within a degree and 0.01.
    func testASharedLightIsRecoveredFromReadingsThatAreOff() throws {
        var cfg = tinyConfig(maxObjects: 3, light: true)
        cfg.samplesPerPixel = 1
        let truth = Light.from(elevation: 52, azimuth: -118, ambient: 0.3, diffuse: 0.7, shadows: false)
        let shown = try images([Light](repeating: truth, count: 6), config: cfg)
        let scenes = (0..<6).map { k -> Scene in
            let off = Light.from(elevation: 52 + (k % 2 == 0 ? 9 : -8), azimuth: -118 + 12 * Double(k - 3), ambient: 0.25 + 0.02 * Double(k), diffuse: 0.75, shadows: false)
            return cfg.scene(light: off, objects: objects(k))
        }
        let fit = try LightFit.fit(images: shown, scenes: scenes, samplesPerPixel: 1)
        let angle = acos(min(1, (fit.light.unitDirection * truth.unitDirection).sum())) * 180 / Double.pi
        XCTAssertLessThan(angle, 1)
        XCTAssertEqual(fit.light.ambient, 0.3, accuracy: 0.01)
        XCTAssertEqual(fit.light.diffuse, 0.7, accuracy: 0.01)
        XCTAssertFalse(fit.light.shadows)
        XCTAssert(fit.isShared, "median loss \(fit.medianLoss)")
    }

    /// Images under lights of the training prior's range, each read with its own light: no one
    /// light explains them.
    func testLightsThatDifferAreNotShared() throws {
        var cfg = tinyConfig(maxObjects: 3, light: true)
        cfg.samplesPerPixel = 1
        let lights = (0..<6).map { k in
            Light.from(elevation: 35 + 10 * Double(k), azimuth: 60 * Double(k), ambient: 0.15 + 0.05 * Double(k), diffuse: 0.85 - 0.05 * Double(k), shadows: false)
        }
        let shown = try images(lights, config: cfg)
        let scenes = lights.enumerated().map { k, l in cfg.scene(light: l, objects: objects(k)) }
        let fit = try LightFit.fit(images: shown, scenes: scenes, samplesPerPixel: 1)
        XCTAssertFalse(fit.isShared, "median loss \(fit.medianLoss)")
        XCTAssertGreaterThan(fit.medianLoss, 10 * LightFit.largestMedianLoss)
    }

    /// A model that knows its set-up's light reads every image under it, and its file keeps it.
    func testAModelsWorldLightIsTakenByItsReadingsAndKeptInItsFile() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let world = Light.from(elevation: 70, azimuth: 20, ambient: 0.25, diffuse: 0.6, shadows: false)
        let image = try ReadingFixtures.image(cfg.scene(light: world, objects: [ReadingFixtures.red]), config: cfg)
        let read = try SceneReader(network: network, refine: false).read([image])[0]
        XCTAssertNotEqual(read.scene.light, world)

        network.setWorldLight(world)
        let reader = try SceneReader(network: network, refine: false)
        XCTAssertFalse(reader.refiner.options.lightMoves)
        XCTAssertEqual(try reader.read([image])[0].scene.light, world)

        let path = NSTemporaryDirectory() + "air-world-light-\(UInt32.random(in: 0...UInt32.max)).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(network, to: path)
        XCTAssertEqual(try ModelFile.load(path).network.config.worldLight?.light, world)

        var bad = cfg
        bad.worldLight = WorldLight(Light(direction: [0, 0, -1], ambient: 0.3, diffuse: 0.7, shadows: false))
        XCTAssertEqual(bad.problem?.field, "worldLight.direction")
    }
}

/// The births' map a model fits in its own world (`air adapt` under a fixed light, clean images).
final class BirthsCalibrationTests: XCTestCase {
    /// The ridge holds the fit to the map it starts from: no samples, or a ridge far larger than
    /// the samples, give that map back; a small one follows the samples.
    func testTheFitIsHeldToTheMapItStartsFrom() {
        let prior = [0.5, 2.0, -0.4, -0.8, 1.5, -10.0, -3.5]
        XCTAssertEqual(ConfidenceCalibration.fit([], towards: prior), prior)
        // At evidence feature e, real in the proportion 1 / (1 + exp(−2e)).
        let samples = (0...40).flatMap { k -> [(features: [Double], real: Bool)] in
            let e = Double(k - 20) / 10, real = Int((10 / (1 + exp(-2 * e))).rounded())
            return (0..<10).map { j in ([0, e, 1, 0, 0, 0], j < real) }
        }
        let held = ConfidenceCalibration.fit(samples, ridge: 1e6, towards: prior)
        for (a, b) in zip(held, prior) { XCTAssertEqual(a, b, accuracy: 1e-3) }
        let free = ConfidenceCalibration.fit(samples, ridge: 1e-3, towards: prior)
        XCTAssertEqual(ConfidenceCalibration.logistic(free, [0, 1, 1, 0, 0, 0]), 1 / (1 + exp(-2)), accuracy: 0.03)
        XCTAssertEqual(ConfidenceCalibration.logistic(free, [0, -1, 1, 0, 0, 0]), 1 / (1 + exp(2)), accuracy: 0.03)
        XCTAssertLessThan(ConfidenceCalibration.logistic(prior, [0, 1, 1, 0, 0, 0]), 0.2)
    }

    /// A red cube the network read and a white wedge it missed, read with the look-again under
    /// the births' map `births` (nil: the refined map's).
    func readMissedWedge(births: [Double]?) throws -> Reading {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let white = SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(0.6, 0.7), rotation: 210)
        let image = try ReadingFixtures.image(cfg.scene(objects: [ReadingFixtures.red, white]), config: cfg)
        let start = InferredScene(objects: [ReadingFixtures.reading(ReadingFixtures.red, presence: 0.99)], stopPresence: 0.01,
                                  scene: cfg.scene(objects: [ReadingFixtures.red]))
        var c = try XCTUnwrap(cfg.calibration)
        c.births = births
        network.setCalibration(c)
        let reader = try SceneReader(network: network, refine: false)
        reader.lookAgainRenders = 400
        return try reader.finish(image, start)
    }

    /// The look-again's births are kept, and reported, by the births' map when the model has one.
    func testBirthsAreWeighedByTheirOwnMap() throws {
        func read(births bias: Double?) throws -> Reading {
            try readMissedWedge(births: bias.map { [0, 0, 0, 0, 0, 0, $0] })
        }
        let refined = try read(births: nil)
        XCTAssertEqual(refined.objects.count, 2, "the refined map keeps this wedge")
        XCTAssertEqual(try read(births: -20).objects.count, 1, "a births' map that doubts every birth keeps none")
        let trusted = try read(births: 20)
        XCTAssertEqual(trusted.objects.count, 2)
        XCTAssertNil(trusted.objects[1].presence)
        XCTAssertEqual(trusted.objects[1].confidence, 1 / (1 + exp(-20)), accuracy: 1e-12)
    }

    /// A births' map with a weight on the pixels a birth changes weighs them: the wedge the
    /// look-again finds is a whole block, a hundred pixels or more, and its confidence is the
    /// logistic of that weight times log(pixels / 100) plus the bias.
    func testABirthsMapWeighsThePixelsABirthChanges() throws {
        func read(pixelWeight: Double, bias: Double) throws -> Reading {
            try readMissedWedge(births: [0, 0, 0, 0, 0, 0, pixelWeight, bias])
        }
        let kept = try read(pixelWeight: 5, bias: 0)
        XCTAssertEqual(kept.objects.count, 2)
        let pixels = try XCTUnwrap(kept.objects[1].pixels)
        XCTAssertGreaterThan(pixels, 100, "a wedge seen whole")
        XCTAssertLessThan(pixels, 400)
        XCTAssertEqual(kept.objects[1].confidence, 1 / (1 + exp(-5 * log(Double(pixels) / 100))), accuracy: 1e-12)
        XCTAssertEqual(try read(pixelWeight: -5, bias: 0).objects.count, 1, "a map that doubts large births drops it")
        // The same bias without the pixels' weight is the map fitted before it (seven weights).
        var c = try XCTUnwrap(try ReadingFixtures.bundledNetwork().config.calibration)
        c.births = [0, 0, 0, 0, 0, 0, 0, 3]
        let eight = c.birthConfidence(evidence: 500, noise: 0.02, pixels: 37)
        c.births = [0, 0, 0, 0, 0, 0, 3]
        XCTAssertEqual(eight, c.birthConfidence(evidence: 500, noise: 0.02, pixels: 37), accuracy: 1e-15)
    }

    /// The pixels a block changes: those whose channels differ by more than 0.01 RMS.
    func testTheChangedPixelsAreThoseThatDifferByMoreThanAHundredth() {
        let without = Image(width: 2, height: 2, pixels: [Float](repeating: 0.5, count: 12))
        var with = without
        with.pixels[0] += 0.011  // one channel: 0.011 / √3 RMS, not changed
        with.pixels[3] += 0.02; with.pixels[4] += 0.02; with.pixels[5] += 0.02  // changed
        with.pixels[9] -= 0.0175  // 0.0175² = 3.06e-4 > 3e-4: changed
        XCTAssertEqual(SceneReader.changedPixels(with: with, without: without), 2)
        XCTAssertEqual(SceneReader.changedPixels(with: without, without: without), 0)
    }

    /// A births' map whose weights do not match the features, or are not finite, makes the model
    /// file an error naming the calibration, not a reading that slices past the weights.
    func testABirthsMapOfTheWrongSizeIsRefused() throws {
        let network = try ReadingFixtures.bundledNetwork()
        var good = try XCTUnwrap(network.config.calibration)
        good.births = good.refined
        var cfg = network.config
        cfg.calibration = good
        XCTAssertNil(cfg.problem)
        good.births = good.refined + [0]
        cfg.calibration = good
        XCTAssertNil(cfg.problem, "a map that weighs the pixels a birth changes has one more weight")
        for bad in [Array(good.refined.dropLast()), good.refined + [0, 0], good.refined.dropLast() + [.nan]] {
            var c = good
            c.births = bad
            cfg.calibration = c
            XCTAssertEqual(cfg.problem?.field, "calibration", "\(bad.count) weights")
        }
        let path = NSTemporaryDirectory() + "air-births-\(UInt32.random(in: 0...UInt32.max)).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var c = good
        c.births = [1, 2, 3]
        network.setCalibration(c)
        try ModelFile.save(network, to: path)
        XCTAssertThrowsError(try ModelFile.load(path)) { error in
            XCTAssertTrue("\(error)".contains("metadata.config.calibration"), "\(error)")
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    /// The twin: the spec's blocks under the model's table, camera and light, no camera effects.
    func testTheTwinIsTheModelsWorldWithoutEffects() throws {
        var cfg = tinyConfig(maxObjects: 3, light: true)
        cfg.samplesPerPixel = 1
        cfg.tableColor = [0.6, 0.4, 0.3]
        cfg.eye = [0.2, -4.4, 7.6]
        let world = Light.from(elevation: 58, azimuth: -110, ambient: 0.27, diffuse: 0.72, shadows: false)
        cfg.worldLight = WorldLight(world)
        var spec = BatchSpec.varied
        spec.camera.width = cfg.width; spec.camera.height = cfg.height
        spec.samplesPerPixel = 1
        let twin = ConfidenceCalibration.twin(of: spec, config: cfg)
        XCTAssertNil(twin.effects)
        let r = Rasterizer(threads: 1)
        for i in 0..<6 {
            let s = try twin.sample(index: i, seed: 9, renderer: r).scene
            XCTAssertEqual(s.light, world)
            XCTAssertEqual(s.tableColor, cfg.table)
            XCTAssertEqual(s.camera.eye, cfg.camera.eye)
            XCTAssertEqual(try twin.observe(s, index: i, seed: 9, renderer: r).pixels, try r.render(s, samplesPerPixel: 1).pixels)
        }
    }

    /// An image read exactly is clean; one with sensor noise of σ 0.03 is not.
    func testNoiseLevelTellsCleanImages() throws {
        var cfg = tinyConfig(maxObjects: 2, light: true)
        cfg.samplesPerPixel = 1
        let scene = cfg.scene(objects: [redObject(0.2, -0.1)])
        let clean = PNG.quantized(try Rasterizer(threads: 1).render(scene, samplesPerPixel: 1))
        var rng = RNG(seed: 3)
        var noisy = clean
        for i in noisy.pixels.indices { noisy.pixels[i] = min(max(noisy.pixels[i] + Float(0.03 * rng.normal()), 0), 1) }
        XCTAssertLessThanOrEqual(try ConfidenceCalibration.noiseLevel(images: [clean], scenes: [scene], samplesPerPixel: 1), ConfidenceCalibration.cleanNoise)
        XCTAssertGreaterThan(try ConfidenceCalibration.noiseLevel(images: [noisy], scenes: [scene], samplesPerPixel: 1), 0.02)
    }
}
