import Scenes
import XCTest
@testable import AIR

/// The look-again finds a block the network stopped before, and keeps none where the image
/// shows none; under shadows it fits the light first.
final class LookAgainTests: XCTestCase {
    func testAMissedBlockIsFoundAndBareTableGetsNone() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let red = ReadingFixtures.red
        // The kind the network misses: a white wedge about as bright as the table.
        let white = SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(0.6, 0.7), rotation: 100)
        let image = try ReadingFixtures.image(cfg.scene(objects: [red, white]), config: cfg)
        let stopped = InferredScene(objects: [ReadingFixtures.reading(red, presence: 0.99)], stopPresence: 0.02, scene: cfg.scene(objects: [red]))
        let reader = try SceneReader(network: network, refine: false)

        XCTAssertEqual(try reader.finish(image, stopped).scene.objects.count, 1, "without the look-again")
        reader.lookAgainRenders = 200
        let r = try reader.finish(image, stopped)
        XCTAssertEqual(r.scene.objects.count, 2)
        let found = try XCTUnwrap(r.objects.last)
        XCTAssertNil(found.presence, "the network did not read it")
        XCTAssertLessThan(((found.object.position - white.position) * (found.object.position - white.position)).sum().squareRoot(), 0.3)
        XCTAssertGreaterThanOrEqual(found.confidence, 0.5)
        XCTAssertEqual(r.objects.first?.object, red, "the network's block stays as read")

        // Every block read: nothing to find.
        let all = InferredScene(objects: [ReadingFixtures.reading(red, presence: 0.99), ReadingFixtures.reading(white, presence: 0.99)], stopPresence: 0.02, scene: cfg.scene(objects: [red, white]))
        XCTAssertEqual(try reader.finish(image, all).scene.objects.count, 2)
    }

    /// Shadowed scenes as the network reads them: looking again without fitting the light
    /// first reads misplaced shadows as blocks.
    func testUnderShadowsTheLightIsFittedBeforeLooking() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let spec = try BatchSpec.read(FileIO.readText(BundledModelTests.root.appendingPathComponent("scenes/shifts/shadows.json").path), file: "shadows.json")
        let (scenes, images) = try spec.observedScenes(count: 300, seed: 2027, renderer: Rasterizer(threads: 1))
        func overCounts(lightMoves: Bool) throws -> Int {
            var options = RefinementOptions()
            options.lightMoves = lightMoves
            let reader = try SceneReader(network: network, refine: false, refinement: options)
            reader.lookAgainRenders = 200
            return zip(scenes, try reader.read(images)).filter { $1.scene.objects.count > $0.objects.count }.count
        }
        let fitted = try overCounts(lightMoves: true), unfitted = try overCounts(lightMoves: false)
        // Debug build: 5 over-counts with the light as read, 0 fitted.
        XCTAssertLessThanOrEqual(fitted + 3, unfitted, "over-counts of 300: \(unfitted) with the light as read, \(fitted) fitted")
        XCTAssertLessThanOrEqual(fitted, 1)
    }

    /// A light read 12° off under shadows: no block for the misplaced shadows, and the missed
    /// block is found.
    func testUnderAMisreadSunTheMissedBlockIsFound() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let red = SceneObject(shape: .brick, color: Color(rgb: SIMD3(0.85, 0.15, 0.15)), position: SIMD2(-0.6, 0.4), rotation: 30)
        let white = SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(0.7, -0.6), rotation: 200)
        let sun = Light.from(elevation: 40, azimuth: 150, ambient: 0.3, diffuse: 0.7, shadows: true)
        var truth = cfg.scene(light: sun, objects: [red, white])
        let image = try ReadingFixtures.image(truth, config: cfg)
        // The light as a network might read it: 12 degrees off, so every shadow is elsewhere.
        truth.light = Light.from(elevation: 46, azimuth: 140, ambient: 0.3, diffuse: 0.7, shadows: true)
        let reader = try SceneReader(network: network, refine: false)

        let all = truth.with(objects: [red, white])
        XCTAssertEqual(try reader.lookAgain(image, all, renders: 200).objects.count, 2, "a misplaced shadow is no block")
        let found = Array(try reader.lookAgain(image, truth.with(objects: [red]), renders: 200).objects.dropFirst())
        XCTAssertEqual(found.count, 1)
        let p = try XCTUnwrap(found.first).position
        XCTAssertLessThan(((p - white.position) * (p - white.position)).sum().squareRoot(), 0.3)
    }

    /// Wedges at every yaw: a wedge looks like no other yaw of itself, and the proposals once
    /// reached only yaws within about 120° of 0–60°: a wedge at 195° or 210° could not be proposed.
    func testAWedgeTurnedAwayIsFoundTurnedAway() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let red = ReadingFixtures.red
        let reader = try SceneReader(network: network, refine: false)
        for yaw in [195.0, 210.0] {
            let white = SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(0.6, 0.7), rotation: yaw)
            let image = try ReadingFixtures.image(cfg.scene(objects: [red, white]), config: cfg)
            let found = Array(try reader.lookAgain(image, cfg.scene(objects: [red]), renders: 400).objects.dropFirst())
            XCTAssertEqual(found.count, 1, "yaw \(yaw)")
            let o = try XCTUnwrap(found.first)
            XCTAssertEqual(o.shape, .wedge, "yaw \(yaw)")
            XCTAssertLessThan(((o.position - white.position) * (o.position - white.position)).sum().squareRoot(), 0.15, "yaw \(yaw)")
            XCTAssertLessThan(try XCTUnwrap(Angles.error(predicted: o.rotation, truth: yaw, shape: .wedge)), 20, "yaw \(yaw): read \(o.rotation)")
            XCTAssertEqual(o.color.rgb.x, 0.9, accuracy: 0.1, "yaw \(yaw)")
        }
    }

    /// Lone white wedges, the light read 18° off (the network had no block to read it from):
    /// under that light a wedge's faces can fit a wrong yaw as well as the true one, at too
    /// little evidence to keep; the light searched with the yaw finds them (the first is fresh
    /// scene 1,963 of seed 925, glossy world).
    func testLoneWedgesAreFoundUnderALightReadOff() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let read = cfg.scene(light: Light(direction: SIMD3(-0.2731, -0.3899, 0.8794), ambient: 0.2708, diffuse: 0.6781, shadows: false))
        let reader = try SceneReader(network: network, refine: false)
        var found = 0
        let poses: [(Double, Double, Double)] = [(-0.12312502, -1.4839493, 25.7123), (0.5, -0.8, 40), (-0.9, 0.3, 300), (0.2, 0.9, 120),
                                                 (1.1, -1.2, 200), (-0.4, -0.2, 75), (0.8, 0.4, 160), (-1.2, 1.1, 250)]
        for (x, y, yaw) in poses {
            let white = SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(x, y), rotation: yaw)
            let truth = cfg.scene(objects: [white])
            let r = try reader.lookAgain(try ReadingFixtures.image(truth, config: cfg), read, renders: 400)
            guard let o = r.objects.first, r.objects.count == 1 else { continue }
            let d = ((o.position - white.position) * (o.position - white.position)).sum().squareRoot()
            if d < 0.1, try XCTUnwrap(Angles.error(predicted: o.rotation, truth: yaw, shape: .wedge)) < 15 { found += 1 }
        }
        // Debug build: 6 of 8 found; 5 with the light as read.
        XCTAssertGreaterThanOrEqual(found, 6, "found \(found) of \(poses.count)")
    }

    /// Under a light the model knows (`ModelConfig.worldLight`), lone white wedges at yaws
    /// between the 30° steps (the glossy world's misses: 18–27°) are found at their yaw: each
    /// newborn's yaw is searched every 10° with its albedo fitted.
    func testLoneWedgesAreFoundAtTheirYawUnderAKnownLight() throws {
        let network = try ReadingFixtures.bundledNetwork()
        network.setWorldLight(Light())
        let cfg = network.config
        let reader = try SceneReader(network: network, refine: false)
        XCTAssertFalse(reader.refiner.options.lightMoves)
        var found = 0
        let poses: [(Double, Double, Double)] = [(-0.34, 0.86, 20), (-0.43, 0.08, 18), (-1.15, 1.15, 106), (0.5, -0.8, 47),
                                                 (0.9, 0.6, 200), (-0.7, -1.0, 258), (0.2, -0.2, 318), (1.2, 1.0, 137)]
        for (x, y, yaw) in poses {
            let white = SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(x, y), rotation: yaw)
            let r = try reader.lookAgain(try ReadingFixtures.image(cfg.scene(objects: [white]), config: cfg), cfg.scene(), renders: 400)
            XCTAssertEqual(r.light, Light())
            guard let o = r.objects.first, r.objects.count == 1 else { continue }
            let d = ((o.position - white.position) * (o.position - white.position)).sum().squareRoot()
            if d < 0.1, try XCTUnwrap(Angles.error(predicted: o.rotation, truth: yaw, shape: .wedge)) < 10 { found += 1 }
        }
        // Debug build: 6 of 8 found (two births start a fifth of a unit away); 2 with the yaw
        // every 30°.
        XCTAssertGreaterThanOrEqual(found, 6, "found \(found) of \(poses.count)")
    }

    /// A birth of the table's own colour passes under a light the model knows to cast no
    /// shadows, and is refused as a shadow where the images may hold them.
    func testATableColouredBirthIsABlockUnderAKnownLightWithoutShadows() throws {
        let network = try ReadingFixtures.bundledNetwork()
        // Its slope turned to the light: brighter than the table wherever it differs from it, as
        // the white wedges refused as shadows were fitted.
        let beige = SceneObject(shape: .wedge, color: Color(rgb: Scene.defaultTableColor), position: SIMD2(0.4, 0.3), rotation: 270)
        let scene = network.config.scene(objects: [ReadingFixtures.red, beige])
        let image = try ReadingFixtures.image(scene, config: network.config)
        XCTAssertTrue(SceneReader.looksLikeShadow(beige.color.rgb, table: scene.tableColor))
        // Every birth confident: the test is of its colour.
        var c = try XCTUnwrap(network.config.calibration)
        c.births = [0, 0, 0, 0, 0, 0, 0, 20]
        network.setCalibration(c)
        func passes(_ light: Light?) throws -> Bool {
            network.setWorldLight(light)
            let reader = try SceneReader(network: network, refine: false)
            return try reader.passing(image, scene, born: [1], table: scene.tableColor) == [beige]
        }
        XCTAssertTrue(try passes(Light()))
        XCTAssertFalse(try passes(nil), "the light read from the image: it may hide shadows")
        var shadowed = Light()
        shadowed.shadows = true
        XCTAssertFalse(try passes(shadowed), "a known light with shadows")
    }

    /// The albedo fitted in closed form is the best one: no albedo nearby renders closer, and
    /// the SSE it reports is the SSE of its render.
    func testTheFittedAlbedoIsTheLeastSquaresOne() throws {
        let cfg = ModelConfig()
        let refiner = Refiner(config: cfg)
        let truth = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.3, 0.6, 0.8)), position: SIMD2(0.2, -0.1), rotation: 20)
        let observed = try ReadingFixtures.image(cfg.scene(objects: [ReadingFixtures.red, truth]), config: cfg)
        var search = try Search(refiner: refiner, observed: observed, start: cfg.scene(objects: [ReadingFixtures.red]))
        // A pose a little off, from a grey guess: the fitted albedo is that pose's best.
        var guess = truth
        guess.position += SIMD2(0.05, 0.03)
        guess.color = Color(rgb: SIMD3(0.5, 0.5, 0.5))
        let fit = try XCTUnwrap(try search.withFittedAlbedo(guess))
        func sse(_ rgb: SIMD3<Double>) throws -> Double {
            var o = guess
            o.color = Color(rgb: rgb)
            return Refiner.sse(observed, try refiner.renderer.render(cfg.scene(objects: [ReadingFixtures.red, o]), samplesPerPixel: refiner.spp))
        }
        let best = try sse(fit.object.color.rgb)
        XCTAssertEqual(fit.sse, best, accuracy: 1e-3 * best)
        for c in 0..<3 {
            for d in [-0.02, 0.02] {
                var rgb = fit.object.color.rgb
                rgb[c] += d
                XCTAssertGreaterThan(try sse(rgb), best, "channel \(c) moved by \(d)")
            }
        }
        XCTAssertGreaterThan(try sse(guess.color.rgb), best + 1)
    }

    /// A birth the caller refuses gives its place back: with room for one block only, the
    /// search finds the second block once the first is refused.
    func testARefusedBirthLeavesItsPlace() throws {
        var cfg = ModelConfig()
        cfg.maxObjects = 2
        let refiner = Refiner(config: cfg)
        let red = ReadingFixtures.red
        let blue = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.15, 0.25, 0.85)), position: SIMD2(-0.8, 0.9), rotation: 10)
        let green = SceneObject(shape: .cylinder, color: Color(rgb: SIMD3(0.15, 0.7, 0.2)), position: SIMD2(0.9, -0.9), rotation: 0)
        let image = try ReadingFixtures.image(cfg.scene(objects: [red, blue, green]), config: cfg)
        let start = cfg.scene(objects: [red])
        let first = try refiner.lookAgain(image, start: start)
        XCTAssertEqual(first.objects.count, 2)
        let taken = try XCTUnwrap(first.objects.last).position
        var refusals = 0
        let second = try refiner.lookAgain(image, start: start) { s in
            let p = s.objects.last!.position
            let same = ((p - taken) * (p - taken)).sum() < 0.3 * 0.3
            if same { refusals += 1 }
            return !same
        }
        XCTAssertEqual(refusals, 1)
        XCTAssertEqual(second.objects.count, 2)
        let other = ((taken - blue.position) * (taken - blue.position)).sum() < 0.09 ? green : blue
        let p = try XCTUnwrap(second.objects.last).position
        XCTAssertLessThan(((p - other.position) * (p - other.position)).sum().squareRoot(), 0.15)
    }

    /// A block's dark side standing in for a shadow: most of its pixels are the table's,
    /// darkened. A lit block brightens or recolours them.
    func testShadowFractionCountsThePixelsDarkenedInTheirOwnHue() {
        func image(_ rgb: [SIMD3<Float>]) -> Image {
            Image(width: rgb.count, height: 1, pixels: rgb.flatMap { [$0.x, $0.y, $0.z] })
        }
        let table = SIMD3<Float>(0.5, 0.48, 0.45)
        let without = image([table, table, table, table])
        let shade = image([table * 0.4, table * 0.5, table * 0.4, table])
        XCTAssertEqual(SceneReader.shadowFraction(with: shade, without: without), 1, "the unchanged pixel does not count")
        let lit = image([SIMD3(0.8, 0.8, 0.8), SIMD3(0.8, 0.8, 0.8), table * 0.4, table])
        XCTAssertEqual(SceneReader.shadowFraction(with: lit, without: without), 1.0 / 3, accuracy: 1e-12)
        let blue = image([SIMD3(0.05, 0.1, 0.4), SIMD3(0.05, 0.1, 0.4), SIMD3(0.05, 0.1, 0.4), table])
        XCTAssertEqual(SceneReader.shadowFraction(with: blue, without: without), 0, "a dark block of a colour is no shadow")
        XCTAssertEqual(SceneReader.shadowFraction(with: without, without: without), 0)
    }

    func testMisfitCountsThePixelsThatSpeakAgainst() {
        func image(_ values: [Float]) -> Image {
            Image(width: values.count, height: 1, pixels: values.flatMap { [$0, $0, $0] })
        }
        let with = image([0.9, 0.9, 0.9, 0.9, 0.4]), without = image([0.4, 0.4, 0.4, 0.4, 0.4])
        XCTAssertEqual(SceneReader.misfitFraction(with, with: with, without: without), 0)
        XCTAssertEqual(SceneReader.misfitFraction(without, with: with, without: without), 1)
        // Of the four pixels the block changes, three show it and one shows table; the fifth,
        // unchanged, does not count.
        XCTAssertEqual(SceneReader.misfitFraction(image([0.85, 0.9, 0.8, 0.45, 0.1]), with: with, without: without), 0.25)
    }

    func testTheResidualWeighsOnlyThePixelsTheBlockChanges() throws {
        func image(_ values: [Float]) -> Image {
            Image(width: values.count, height: 1, pixels: values.flatMap { [$0, $0, $0] })
        }
        let with = image([0.9, 0.9, 0.4]), without = image([0.4, 0.4, 0.4])
        XCTAssertEqual(SceneReader.residual(with, with: with, without: without, sigma: 0.02), SceneReader.PixelResidual(ratio: 0, pixels: 2))
        // The two changed pixels off by 0.02 and 0.06 a channel: (0.02² + 0.06²) / 2 / 0.02² = 5;
        // the third, unchanged, is far off and does not count.
        let seen = image([0.92, 0.84, 0.9])
        let r = try XCTUnwrap(SceneReader.residual(seen, with: with, without: without, sigma: 0.02))
        XCTAssertEqual(r.ratio, 5, accuracy: 1e-4)
        XCTAssertEqual(r.pixels, 2)
        XCTAssertEqual(r.nats, 15, accuracy: 1e-3, "6 values: (3 · 0.02² + 3 · 0.06²) / (2 · 0.02²)")
        XCTAssertEqual(try XCTUnwrap(SceneReader.residual(seen, with: with, without: without, sigma: 0.04)).ratio, 1.25, accuracy: 1e-4)
        XCTAssertNil(SceneReader.residual(seen, with: without, without: without, sigma: 0.02))
    }

    /// Two blocks that the network read as one brick between them: the look-again alone leaves
    /// the brick (it adds blocks, it does not reread them); the relook takes the brick out and
    /// finds the two. Blocks read well are not looked at again.
    func testTwoBlocksReadAsOneAreReadAsTwo() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let red = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.85, 0.15, 0.15)), position: SIMD2(-0.5, -0.3), rotation: 10)
        let yellow = SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.8, 0.15)), position: SIMD2(0.6, 0.5), rotation: 30)
        let merged = SceneObject(shape: .brick, color: Color(rgb: SIMD3(0.95, 0.5, 0.1)), position: SIMD2(0, 0.1), rotation: 20)
        let image = try ReadingFixtures.image(cfg.scene(objects: [red, yellow]), config: cfg)
        let reader = try SceneReader(network: network, refine: false)
        reader.lookAgainRenders = 200

        let one = InferredScene(objects: [ReadingFixtures.reading(merged, presence: 0.99)], stopPresence: 0.01, scene: cfg.scene(objects: [merged]))
        XCTAssertEqual(try reader.lookAgain(image, one.scene, renders: 200).objects, [merged], "the look-again alone")
        let w = try reader.refiner.weigh(image, scene: one.scene, of: [0])
        XCTAssertGreaterThan(try XCTUnwrap(SceneReader.residual(image, with: w.rendered, without: w.without[0], sigma: w.sigma)).ratio, SceneReader.relookResidual)
        let r = try reader.finish(image, one)
        XCTAssertEqual(r.scene.objects.count, 2, "\(r.scene.objects)")
        for truth in [red, yellow] {
            XCTAssertTrue(r.scene.objects.contains { (($0.position - truth.position) * ($0.position - truth.position)).sum() < 0.3 * 0.3 },
                          "\(truth.position) in \(r.scene.objects.map(\.position))")
        }
        XCTAssertTrue(r.objects.allSatisfy { $0.presence == nil }, "both are the look-again's")
        reader.relooks = false
        XCTAssertEqual(try reader.finish(image, one).scene.objects, [merged], "without the relook (births gathered at floor 0)")
        reader.relooks = true

        let both = InferredScene(objects: [ReadingFixtures.reading(red, presence: 0.99), ReadingFixtures.reading(yellow, presence: 0.99)],
                                 stopPresence: 0.01, scene: cfg.scene(objects: [red, yellow]))
        let good = try reader.refiner.weigh(image, scene: both.scene, of: [0, 1])
        for k in 0..<2 {
            XCTAssertLessThan(try XCTUnwrap(SceneReader.residual(image, with: good.rendered, without: good.without[k], sigma: good.sigma)).ratio, SceneReader.relookResidual)
        }
        XCTAssertEqual(try reader.finish(image, both).scene.objects, [red, yellow])
    }

    /// A highlight the renderer cannot draw on a block read right: looking again without the
    /// block finds two blocks that fit the image better, but they win back less than half of
    /// what the highlight costs, and the reading stays.
    func testAHighlightIsNotSplitIntoBlocks() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let red = SceneObject(shape: .brick, color: Color(rgb: SIMD3(0.85, 0.15, 0.15)), position: SIMD2(0.5, -0.6), rotation: 40)
        var image = try ReadingFixtures.image(cfg.scene(objects: [red]), config: cfg)
        let bare = try ReadingFixtures.image(cfg.scene(objects: []), config: cfg)
        // The block's pixels within 3 of its box's centre, 90 % of the way to white.
        let block = (0..<(image.pixels.count / 3)).filter { abs(image.pixels[3 * $0] - bare.pixels[3 * $0]) > 0.1 }
        let xs = block.map { $0 % image.width }, ys = block.map { $0 / image.width }
        let cx = (xs.min()! + xs.max()!) / 2, cy = (ys.min()! + ys.max()!) / 2
        for p in block where abs(p % image.width - cx) <= 3 && abs(p / image.width - cy) <= 3 {
            for c in 3 * p..<3 * p + 3 { image.pixels[c] += 0.9 * (1 - image.pixels[c]) }
        }
        let reader = try SceneReader(network: network, refine: false)
        reader.lookAgainRenders = 200
        let scene = cfg.scene(objects: [red])
        let w = try reader.refiner.weigh(image, scene: scene, of: [0])
        let misfit = try XCTUnwrap(SceneReader.residual(image, with: w.rendered, without: w.without[0], sigma: w.sigma))
        XCTAssertGreaterThan(misfit.ratio, SceneReader.relookResidual)
        let again = try reader.lookAgain(image, cfg.scene(objects: []), renders: 200)
        XCTAssertEqual(again.objects.count, 2, "the look-again without the block splits it")
        let gain = (w.sse - (try reader.refiner.weigh(image, scene: again, of: []).sse)) / (2 * w.sigma * w.sigma)
        XCTAssertGreaterThan(gain, 0)
        XCTAssertLessThan(gain, misfit.nats / 2)
        let one = InferredScene(objects: [ReadingFixtures.reading(red, presence: 0.99)], stopPresence: 0.01, scene: scene)
        XCTAssertEqual(try reader.finish(image, one).scene.objects, [red])
    }

    /// Three highlights on the two blocks read (two on the brick, one on the cube) make the
    /// residual's three largest windows, and the model reads at most three blocks; a faint white
    /// wedge elsewhere (its faces turned from the light) comes after them. With a births' map
    /// that weighs a birth's pixels the look-again tries six windows and finds it; with one that
    /// does not, three, and it stops at the highlights.
    func testAFaintBlockAfterThreeHighlightsIsFoundWithSixWindows() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let brick = SceneObject(shape: .brick, color: Color(rgb: SIMD3(0.85, 0.15, 0.15)), position: SIMD2(-0.5, -0.7), rotation: 0)
        let cube = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.15, 0.3, 0.85)), position: SIMD2(0.9, -0.6), rotation: 30)
        let wedge = SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(0.6, 0.9), rotation: 25)
        var image = try ReadingFixtures.image(cfg.scene(objects: [brick, cube, wedge]), config: cfg)
        let bare = try ReadingFixtures.image(cfg.scene(objects: [wedge]), config: cfg)
        // 5×5 patches 90 % of the way to white at the brick's box centre ± 5 pixels and the cube's centre.
        for (b, offsets) in [(brick, [-5, 5]), (cube, [0])] {
            let alone = try ReadingFixtures.image(cfg.scene(objects: [b, wedge]), config: cfg)
            let px = (0..<(image.pixels.count / 3)).filter { abs(alone.pixels[3 * $0] - bare.pixels[3 * $0]) > 0.1 }
            let xs = px.map { $0 % image.width }, ys = px.map { $0 / image.width }
            let cx = (xs.min()! + xs.max()!) / 2, cy = (ys.min()! + ys.max()!) / 2
            for dx in offsets {
                for p in px where abs(p % image.width - cx - dx) <= 2 && abs(p / image.width - cy) <= 2 {
                    for c in 3 * p..<3 * p + 3 { image.pixels[c] += 0.9 * (1 - image.pixels[c]) }
                }
            }
        }
        func looked(births: [Double]) throws -> Scene {
            var c = try XCTUnwrap(cfg.calibration)
            c.births = births
            network.setCalibration(c)
            let reader = try SceneReader(network: network, refine: false)
            return try reader.lookAgain(image, cfg.scene(objects: [brick, cube]), renders: 400)
        }
        let three = try looked(births: [0, 0, 0, 0, 0, 0, 20])
        let six = try looked(births: [0, 0, 0, 0, 0, 0, 0, 20])
        XCTAssertEqual(three.objects.count, 2, "three windows stop at the highlights")
        XCTAssertEqual(six.objects.count, 3)
        let found = try XCTUnwrap(six.objects.last)
        XCTAssertLessThan(((found.position - wedge.position) * (found.position - wedge.position)).sum().squareRoot(), 0.3)
    }

    func testShadowColoursAreTheTablesHueNoBrighter() {
        let table = Scene.defaultTableColor
        XCTAssertTrue(SceneReader.looksLikeShadow(table * 0.4, table: table))
        XCTAssertTrue(SceneReader.looksLikeShadow(table, table: table))
        XCTAssertFalse(SceneReader.looksLikeShadow(table * 1.3, table: table), "brighter than the table")
        for entry in Palette.entries {
            XCTAssertFalse(SceneReader.looksLikeShadow(entry.rgb, table: table), entry.name)
        }
    }
}
