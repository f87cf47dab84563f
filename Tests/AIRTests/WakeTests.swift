import Engine
import Foundation
import Random
import Scenes
import XCTest
@testable import AIR

/// Learning from images alone: the wake phase's targets, unlabelled image folders, the table fit.
final class WakeTests: XCTestCase {
    /// The search turns an untrained guide's reading of one clear block into that block.
    func testWakeTargetsFindTheObjectFromAnUntrainedGuide() throws {
        let t = try tinyWakeTrainer(steps: 1)
        let cfg = t.network.config
        let truth = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.8, 0.1, 0.1)), position: SIMD2(0.3, -0.2), rotation: 20)
        let image = PNG.quantized(try Rasterizer(threads: 1).render(cfg.scene(objects: [truth]), samplesPerPixel: cfg.samplesPerPixel))
        let empty = PNG.quantized(try Rasterizer(threads: 1).render(cfg.scene(), samplesPerPixel: cfg.samplesPerPixel))
        let targets = try t.wake.targets([image, empty])
        XCTAssertEqual(targets.scenes[0].objects.count, 1)
        XCTAssertEqual(targets.scenes[1].objects.count, 0)
        let found = try XCTUnwrap(targets.scenes[0].objects.first)
        XCTAssertLessThan(((found.position - truth.position) * (found.position - truth.position)).sum().squareRoot(), 0.15)
        XCTAssertGreaterThanOrEqual(targets.searchGain, 0)
    }

    /// `air adapt`'s wake targets keep the colour the guide read for each object it read, and
    /// the search's for an object it added; a target farther than the match distance from every
    /// reading is one the search added, even when a reading is left over nearby (0.54 units).
    func testWakeTargetsKeepTheGuidesColours() throws {
        let red = Palette.color(named: "red")!, blue = Palette.color(named: "blue")!
        let read = [SceneObject(shape: .cube, color: red, position: [0, 0], rotation: 0),
                    SceneObject(shape: .brick, color: blue, position: [1, 1], rotation: 0),
                    SceneObject(shape: .cylinder, color: Palette.color(named: "magenta")!, position: [-1.2, 1.2], rotation: 0)]
        var targets = [SceneObject(shape: .cube, color: Palette.color(named: "green")!, position: [1.05, 0.97], rotation: 0),
                       SceneObject(shape: .cube, color: Palette.color(named: "white")!, position: [0.04, -0.02], rotation: 0),
                       SceneObject(shape: .wedge, color: Palette.color(named: "yellow")!, position: [-1, -1], rotation: 0),
                       SceneObject(shape: .wedge, color: Palette.color(named: "orange")!, position: [-0.7, 1.0], rotation: 0)]
        WakeObjective.keepColors(of: read, in: &targets)
        XCTAssertEqual(targets.map { $0.color.name }, ["blue", "red", "yellow", "orange"])
        var none: [SceneObject] = []
        WakeObjective.keepColors(of: read, in: &none)
        XCTAssertTrue(none.isEmpty)
        // The option reaches the wake phase; learning from scratch keeps the search's colours.
        XCTAssertFalse(try tinyWakeTrainer(steps: 1).wake.keepsGuideColors)
        var options = TrainingOptions()
        options.wakeKeepsGuideColors = true
        let decoded = try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(options))
        XCTAssertTrue(decoded.wakeKeepsGuideColors)
        XCTAssertFalse(try JSONDecoder().decode(TrainingOptions.self, from: Data("{}".utf8)).wakeKeepsGuideColors)
    }

    /// The matte colour of a block: without highlights the least-squares albedo; with a white
    /// highlight on two thirds of its pixels still the albedo, where the least-squares colour is
    /// whitened; the rendered colour it starts from does not matter; a block out of sight has none.
    func testMatteColourIgnoresWhiteHighlights() throws {
        func distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }
        let r = Rasterizer(threads: 1), cfg = ModelConfig()
        let red = SIMD3(0.85, 0.15, 0.15)
        let truth = cfg.scene(objects: [SceneObject(shape: .cube, color: Color(rgb: red), position: [0.2, -0.3], rotation: 25),
                                        SceneObject(shape: .cube, color: Color(rgb: red), position: [9, 9], rotation: 0)])
        let (clean, shade) = try r.renderWithShading(truth, samplesPerPixel: cfg.samplesPerPixel)
        var start = truth
        start.objects[0].color = Color(rgb: SIMD3(0.5, 0.5, 0.5))
        let plain = try MatteColor.albedos(of: start, in: clean, renderer: r, samplesPerPixel: cfg.samplesPerPixel)
        XCTAssertLessThan(distance(try XCTUnwrap(plain[0]), red), 1e-3)
        XCTAssertNil(plain[1])
        // A broad white highlight: +0.3 on every channel of two thirds of the block's pixels.
        var glossy = clean
        let covered = (0..<(clean.width * clean.height)).filter { shade[$0] > 0.2 }
        for p in covered.prefix(2 * covered.count / 3) { for c in 0..<3 { glossy.pixels[3 * p + c] = min(1, glossy.pixels[3 * p + c] + 0.3) } }
        let matte = try XCTUnwrap(MatteColor.albedos(of: start, in: glossy, renderer: r, samplesPerPixel: cfg.samplesPerPixel)[0])
        XCTAssertLessThan(distance(matte, red), 0.03, "\(matte)")
        var search = try Search(refiner: Refiner(config: cfg), observed: glossy, start: start)
        _ = try search.colorSweep()
        let leastSquares = search.state.scene.objects[0].color.rgb
        XCTAssertGreaterThan(distance(leastSquares, red), 0.1, "the highlight whitens the least-squares colour: \(leastSquares)")
    }

    /// With `matteColors` the wake target of a block under a broad highlight keeps nearer the
    /// block's colour than the search's own, which is whitened; the option survives a run's
    /// settings.
    func testWakeTargetsTakeTheMatteColour() throws {
        let t = try tinyWakeTrainer(steps: 1)
        let cfg = t.network.config, r = Rasterizer(threads: 1)
        let red = SIMD3(0.85, 0.15, 0.15)
        let scene = cfg.scene(objects: [SceneObject(shape: .cube, color: Color(rgb: red), position: SIMD2(0.3, -0.2), rotation: 20)])
        var (image, shade) = try r.renderWithShading(scene, samplesPerPixel: cfg.samplesPerPixel)
        let covered = (0..<(image.width * image.height)).filter { shade[$0] > 0.2 }
        for p in covered.prefix(2 * covered.count / 3) { for c in 0..<3 { image.pixels[3 * p + c] = min(1, image.pixels[3 * p + c] + 0.3) } }
        image = PNG.quantized(image)
        func error(_ targets: WakeObjective.Targets) throws -> Double {
            let c = try XCTUnwrap(targets.scenes[0].objects.first).color.rgb
            return ((c - red) * (c - red)).sum().squareRoot()
        }
        let search = try error(t.wake.targets([image]))
        t.wake.matteColors = true
        let matte = try error(t.wake.targets([image]))
        // The search also moves the light to explain the highlight (here ambient 0.30 → 0.24),
        // which the colour takes up too: the matte colour is closer, not exact.
        XCTAssertGreaterThan(search, 0.3)
        XCTAssertLessThan(matte, search / 2, "search colour off by \(search)")
        var options = TrainingOptions()
        options.wakeMatteColors = true
        XCTAssertTrue(try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(options)).wakeMatteColors)
        XCTAssertFalse(try JSONDecoder().decode(TrainingOptions.self, from: Data("{}".utf8)).wakeMatteColors)
        // --no-wake-light reaches the search; runs saved before the option refit the light.
        XCTAssertTrue(t.wake.searchesLight)
        XCTAssertTrue(try JSONDecoder().decode(TrainingOptions.self, from: Data("{}".utf8)).wakeLightMoves)
        let fixed = try tinyWakeTrainer(steps: 1, wakeLightMoves: false)
        XCTAssertFalse(fixed.wake.searchesLight)
    }

    /// rws steps never read the scenes' labels: a source whose scenes are wrong (always a
    /// phantom block) trains exactly as one whose scenes are right.
    func testWakeStepsReadNoLabels() throws {
        struct Lying: SceneSource {
            let inner: SpecSource
            var camera: Camera { inner.camera }
            var samplesPerPixel: Int { inner.samplesPerPixel }
            func scene(_ index: Int, renderer: Rasterizer) throws -> (scene: Scene, image: Image?) {
                let s = try inner.scene(index, renderer: renderer)
                var wrong = s.scene
                wrong.objects = [SceneObject(shape: .pyramid, color: Color(rgb: SIMD3(0, 1, 0)), position: SIMD2(1, 1), rotation: 0)]
                return (wrong, try s.image ?? renderer.render(s.scene, samplesPerPixel: inner.samplesPerPixel))
            }
        }
        let spec = try tinySpec()
        let a = try tinyWakeTrainer(steps: 3)
        let b = try tinyWakeTrainer(steps: 3, source: Lying(inner: SpecSource(spec: spec, seed: 5)))
        for _ in 0..<3 { _ = try a.trainStep(); _ = try b.trainStep() }
        XCTAssertEqual(a.learner.namedParameters().map(\.tensor.values), b.learner.namedParameters().map(\.tensor.values))
    }

    /// From scratch, without labels or sleep steps, a few dozen rws steps on 0–1 object scenes
    /// count better than chance (50 %).
    func testWakeTrainingFromScratchBeatsChance() throws {
        let t = try tinyWakeTrainer(steps: 60)
        let before = try t.evaluateHeldOut().overall.countAccuracy!
        while t.step < 60 { XCTAssert(try t.trainStep().loss.isFinite) }
        let after = try t.evaluateHeldOut().overall.countAccuracy!
        XCTAssertGreaterThan(after, 0.6, "count accuracy \(before) → \(after)")
        XCTAssertGreaterThan(after, before + 0.1, "count accuracy \(before) → \(after)")
    }

    func testUnlabelledImagesNeedAnObjectiveThatReadsImagesAlone() throws {
        let folder = try makeImageFolder(count: 8, size: 32)
        var cfg = tinyConfig(maxObjects: 2)
        cfg.samplesPerPixel = 1
        let src = try ImageFolderSource(folder: folder, config: cfg)
        XCTAssertThrowsError(try tinyWakeTrainer(steps: 1, source: src, objective: .sleep)) {
            XCTAssert("\($0)".contains("unlabelled images train with rws or elbo"), "\($0)")
        }
        let t = try tinyWakeTrainer(steps: 1, source: src)
        XCTAssert(try t.trainStep().loss.isFinite)
    }

    /// Images of the model's aspect ratio are resampled to its size; the held-back part is the
    /// last quarter at most; a folder without PNGs is an error naming it.
    func testImageFolderSourceSplitsAndFits() throws {
        let folder = try makeImageFolder(count: 12, size: 64)
        let cfg = tinyConfig(maxObjects: 2)
        let (train, held) = try ImageFolderSource.split(folder: folder, config: cfg, heldOut: 100)
        XCTAssertEqual(train.count, 9)
        XCTAssertEqual(held?.count, 3)
        XCTAssertFalse(train.labelled)
        let image = try XCTUnwrap(try train.scene(10, renderer: Rasterizer(threads: 1)).image)
        XCTAssertEqual([image.width, image.height], [32, 32])
        let empty = NSTemporaryDirectory() + "air-empty-\(UInt32.random(in: 0...UInt32.max))"
        try FileIO.makeDirectories(empty)
        XCTAssertThrowsError(try ImageFolderSource(folder: empty, config: cfg)) { XCTAssert("\($0)".contains(empty)) }
    }

    /// The table's albedo is recovered from images of another table, read with the right objects
    /// and light but the model's table.
    func testTableFitRecoversTheAlbedo() throws {
        var cfg = tinyConfig(maxObjects: 2)
        cfg.samplesPerPixel = 1
        let truthTable = SIMD3(0.62, 0.41, 0.23)
        let r = Rasterizer(threads: 1)
        var images: [Image] = [], scenes: [Scene] = []
        for k in 0..<3 {
            let light = Light.from(elevation: 40 + 10 * Double(k), azimuth: 30 * Double(k), ambient: 0.3, diffuse: 0.7, shadows: k == 1)
            let objects = [SceneObject(shape: .brick, color: Color(rgb: SIMD3(0.2, 0.3, 0.9)), position: SIMD2(0.2 * Double(k), 0), rotation: 10)]
            var truth = cfg.scene(light: light, objects: objects)
            truth.tableColor = truthTable
            images.append(PNG.quantized(try r.render(truth, samplesPerPixel: 1)))
            scenes.append(cfg.scene(light: light, objects: objects))
        }
        let fitted = try TableFit.albedo(images: images, scenes: scenes, samplesPerPixel: 1)
        for c in 0..<3 { XCTAssertEqual(fitted[c], truthTable[c], accuracy: 0.004) }
    }

    func makeImageFolder(count: Int, size: Int) throws -> String {
        let folder = NSTemporaryDirectory() + "air-images-\(UInt32.random(in: 0...UInt32.max))"
        try FileIO.makeDirectories(folder)
        var camera = Camera()
        camera.width = size; camera.height = size
        let r = Rasterizer(threads: 1)
        for k in 0..<count {
            let o = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.9, 0.2, 0.1)), position: SIMD2(0.1 * Double(k) - 0.5, 0), rotation: 0)
            let img = try r.render(Scene(camera: camera, objects: k % 2 == 0 ? [o] : []), samplesPerPixel: 1)
            try FileIO.writeAtomically(folder + String(format: "/%03d.png", k), PNG.encode(PNG.quantized(img)))
        }
        try FileIO.writeAtomically(folder + "/notes.txt", text: "not an image")
        return folder
    }
}

final class CameraFitTests: XCTestCase {
    /// A camera moved along the table is found by the prior's centring: the images come from the
    /// model's camera shifted by (0.2, −0.15), the blocks stand symmetrically about the origin
    /// (mean position 0, as the prior's), and the readings given are those under the model's
    /// camera (every block seen shifted the other way).
    func testCentringRecoversAShiftAlongTheTable() throws {
        var cfg = tinyConfig(maxObjects: 2)
        cfg.samplesPerPixel = 1
        var truth = cfg.camera
        let shift = SIMD3(0.2, -0.15, 0)
        truth.eye += shift
        truth.target += shift
        let r = Rasterizer(threads: 1)
        var images: [Image] = [], readings: [Scene] = []
        for p in [SIMD2(0.6, 0.3), SIMD2(-0.6, -0.3), SIMD2(0.2, -0.7), SIMD2(-0.2, 0.7)] {
            let o = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.9, 0.2, 0.1)), position: p, rotation: 10)
            var s = cfg.scene(objects: [o])
            s.camera = truth
            images.append(PNG.quantized(try r.render(s, samplesPerPixel: 1)))
            var read = o
            read.position -= SIMD2(shift.x, shift.y)
            readings.append(cfg.scene(objects: [read]))
        }
        var fit = CameraFit(config: cfg)
        fit.polishRenders = 30
        let camera = try fit.fit(images: Array(images.prefix(2)), scenes: Array(readings.prefix(2)),
                                 centring: Array(zip(images, readings)).map { (image: $0.0, scene: $0.1) })
        XCTAssertEqual(camera.eye.x - camera.target.x, truth.eye.x - truth.target.x, accuracy: 0.06)
        XCTAssertEqual(camera.target.x, truth.target.x, accuracy: 0.06)
        XCTAssertEqual(camera.target.y, truth.target.y, accuracy: 0.06)
    }

    /// The centring's readings may leave the model's table area: a set-up turned or shifted
    /// against the model's puts blocks past its edge, and the outline must see them there. A
    /// block at x = 1.6 (the area ends at 1.5), read at 1.45, is re-fitted to 1.6: the mean
    /// with one at −1.2 is 0.2, and the camera moves by it (0.15 if the reading stopped at 1.5).
    func testCentringReadingsMayLeaveTheModelsArea() throws {
        var cfg = tinyConfig(maxObjects: 2)
        cfg.samplesPerPixel = 1
        let r = Rasterizer(threads: 1)
        var images: [Image] = [], readings: [Scene] = []
        for (x, read) in [(1.6, 1.45), (-1.2, -1.2)] {
            let o = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.9, 0.2, 0.1)), position: SIMD2(x, 0), rotation: 10)
            images.append(PNG.quantized(try r.render(cfg.scene(objects: [o]), samplesPerPixel: 1)))
            var guess = o
            guess.position.x = read
            readings.append(cfg.scene(objects: [guess]))
        }
        var fit = CameraFit(config: cfg)
        fit.polishRenders = 40
        _ = try fit.fit(images: [images[1]], scenes: [readings[1]],
                        centring: Array(zip(images, readings)).map { (image: $0.0, scene: $0.1) })
        XCTAssertEqual(fit.lastCentring.shift.x, -0.2, accuracy: 0.03)
    }

    /// Positions filling the table area's square, turned by 0.05 radians: the outline gives the
    /// turn back, within the grid; a few wild readings outside do not move it.
    func testOutlineTurnUndoesATurn() {
        var rng = RNG(seed: 21)
        var points: [SIMD2<Double>] = (0..<3000).map { _ in SIMD2(rng.uniformDouble() * 3 - 1.5, rng.uniformDouble() * 3 - 1.5) }
        points = points.map { p in SIMD2(cos(0.05) * p.x - sin(0.05) * p.y, sin(0.05) * p.x + cos(0.05) * p.y) }
        points += (0..<40).map { k in SIMD2(2.5 * cos(Double(k)), 2.5 * sin(Double(k))) }
        XCTAssertEqual(CameraFit.outlineTurn(points, halfWidth: 1.5), -0.05, accuracy: 0.004)
        XCTAssertEqual(CameraFit.outlineTurn(Array(points.prefix(100)), halfWidth: 1.5), 0)
    }

    /// Positions read with noise 0.03 (uniform, ±0.05) and turned by 0.03 radians: the most
    /// likely outline gives the turn back within 0.0075 rad (in a simulation of 30 such sets:
    /// RMS 0.0034, worst 0.0070; the fewest-outside count: RMS 0.0087, worst 0.019).
    func testOutlineTurnOfNoisyReadings() {
        var rng = RNG(seed: 23)
        let points: [SIMD2<Double>] = (0..<3000).map { _ in
            let p = SIMD2(rng.uniformDouble() * 3 - 1.5, rng.uniformDouble() * 3 - 1.5)
                + SIMD2(rng.uniformDouble() - 0.5, rng.uniformDouble() - 0.5) * 0.1
            return CameraFit.turned(p, by: 0.03)
        }
        XCTAssertEqual(CameraFit.outlineTurn(points, halfWidth: 1.5), -0.03, accuracy: 0.0075)
    }

    /// Positions filling the square, moved by (0.03, −0.02) and read with noise: the outline
    /// gives the shift back to a few thousandths, several times closer than their mean does.
    func testOutlineShiftUndoesAShift() {
        var rng = RNG(seed: 22)
        let shift = SIMD2(0.03, -0.02)
        let points: [SIMD2<Double>] = (0..<3000).map { _ in
            SIMD2(rng.uniformDouble() * 3 - 1.5, rng.uniformDouble() * 3 - 1.5) + shift
                + SIMD2(rng.uniformDouble() - 0.5, rng.uniformDouble() - 0.5) * 0.03 * 1.7
        }
        let found = CameraFit.outlineShift(points, halfWidth: 1.5)
        XCTAssertEqual(found.x, shift.x, accuracy: 0.003)
        XCTAssertEqual(found.y, shift.y, accuracy: 0.003)
        let mean = points.reduce(SIMD2(0, 0), +) / Double(points.count)
        XCTAssertGreaterThan(max(abs(mean.x - shift.x), abs(mean.y - shift.y)), 0.006)
        XCTAssertEqual(CameraFit.outlineShift(Array(points.prefix(100)), halfWidth: 1.5), SIMD2(0, 0))
    }

    /// Objects filling the square seen by the true camera, read (through their pixels' rays)
    /// under a camera 3 % too close to its target: the readings fill a square 3 % too small,
    /// and the outline's dolly takes the camera back to the true distance within a grid step;
    /// under the true camera it stays.
    func testOutlineDollyUndoesAScaleError() throws {
        var rng = RNG(seed: 24)
        let truth = ModelConfig().camera
        let heights: [Double] = (0..<2000).map { _ in [0.25, 0.35, 0.5][rng.int(below: 3)] }
        let points: [SIMD2<Double>] = (0..<2000).map { _ in
            SIMD2(rng.uniformDouble() * 3 - 1.5, rng.uniformDouble() * 3 - 1.5)
                + SIMD2(rng.uniformDouble() - 0.5, rng.uniformDouble() - 0.5) * 0.03
        }
        let near = CameraFit.dollied(truth, by: 0.97)
        let read = try XCTUnwrap(CameraFit.alongRays(points, heights: heights, from: truth, to: near))
        let spread = read.map { abs($0.x) }.max()!
        XCTAssertLessThan(spread, 1.48, "read under the nearer camera the square shrinks")
        let k = CameraFit.outlineDolly(read, heights: heights, camera: near, halfWidth: 1.5)
        XCTAssertEqual(0.97 * k, 1, accuracy: 0.004)
        XCTAssertEqual(CameraFit.outlineDolly(points, heights: heights, camera: truth, halfWidth: 1.5), 1, accuracy: 0.0026)
        XCTAssertEqual(CameraFit.outlineDolly(Array(read.prefix(100)), heights: heights, camera: near, halfWidth: 1.5), 1)
        let back = try XCTUnwrap(CameraFit.alongRays(read, heights: heights, from: near, to: truth))
        for (a, b) in zip(back, points).prefix(50) { XCTAssertEqual((a - b).x, 0, accuracy: 1e-9); XCTAssertEqual((a - b).y, 0, accuracy: 1e-9) }
    }
}

/// A small rws trainer on 0–1-object 32×32 scenes: the search's wake phase, or with `particles`
/// > 0 the importance-weighted particles.
func tinyWakeTrainer(steps: Int, source: (any SceneSource)? = nil, objective: Objective = .rws, seed: UInt64 = 5,
                     particles: Int = 0, wakeLightMoves: Bool = true) throws -> Trainer {
    let spec = try tinySpec()
    var options = TrainingOptions()
    options.wakeLightMoves = wakeLightMoves
    options.objective = objective
    options.wakeParticles = particles
    options.steps = steps
    options.batchSize = 8
    options.warmup = 5
    options.learningRate = 3e-3
    options.seed = seed
    options.threads = 2
    options.evalImages = 32
    options.wakeSearchRenders = 300
    var config = tinyConfig(maxObjects: 2)
    config.samplesPerPixel = spec.samplesPerPixel
    var rng = RNG(seed: seed)
    let net = GuideNetwork(config: config, rng: &rng)
    return try Trainer(network: net, source: source ?? SpecSource(spec: spec, seed: seed),
                       heldOutSource: SpecSource(spec: spec, seed: seed + 1000), options: options)
}
