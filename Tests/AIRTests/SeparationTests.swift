import Scenes
import XCTest
@testable import AIR

/// Readings leave in the prior's support: a block read twice loses its copy, two touching
/// blocks read into each other are pushed apart, and the reader reports no overlap.
final class SeparationTests: XCTestCase {
    let cfg: ModelConfig = {
        var c = ModelConfig()
        c.width = 48; c.height = 48
        c.samplesPerPixel = 4
        return c
    }()
    let red = SceneObject(shape: .cube, color: Palette.color(named: "red")!, position: [-0.55, 0.2], rotation: 0)
    let blue = SceneObject(shape: .cube, color: Palette.color(named: "blue")!, position: [0.55, 0.2], rotation: 0)

    func image(_ objects: [SceneObject]) throws -> Image {
        try ReadingFixtures.image(cfg.scene(objects: objects), config: cfg)
    }

    func testACopyGoesAndTouchingBlocksArePushedApart() throws {
        let observed = try image([red, blue])
        let refiner = Refiner(config: cfg)
        // The blue block read twice, 0.03 apart.
        var copy = blue
        copy.position += [0.03, -0.02]
        let once = try refiner.separated(observed, cfg.scene(objects: [red, blue, copy]))
        XCTAssertEqual(once.objects.count, 2)
        XCTAssertNil(Footprint.firstOverlap(once.objects))
        XCTAssertEqual(once.objects.map(\.color), [red.color, blue.color])

        // The two, 0.1 apart, read 0.1 into each other: both stay, each moved 0.1 back.
        var (a, b) = (red, blue)
        a.position.x += 0.1
        b.position.x -= 0.1
        let apart = try refiner.separated(observed, cfg.scene(objects: [a, b]))
        XCTAssertEqual(apart.objects.count, 2)
        XCTAssertFalse(Footprint.overlap(apart.objects[0], apart.objects[1], gap: 0.9e-3))
        XCTAssertEqual(apart.objects[0].position.x, -0.5005, accuracy: 1e-9)
        XCTAssertEqual(apart.objects[1].position.x, 0.5005, accuracy: 1e-9)

        // A scene in the support is returned as it is.
        let fine = cfg.scene(objects: [red, blue])
        XCTAssertEqual(try refiner.separated(observed, fine), fine)
    }

    /// A block read into a real one, 0.8 from it, where the image shows none: J drops it, but
    /// with `copiesOnly` (the network alone, no birth to follow) the two are only pushed apart.
    func testOnlyCopiesMayGoWhenAsked() throws {
        let observed = try image([red])
        var phantom = blue
        phantom.position = red.position + [0.8, 0]
        let read = cfg.scene(objects: [red, phantom])
        let refiner = Refiner(config: cfg)
        XCTAssertEqual(try refiner.separated(observed, read).objects, [red])
        let kept = try refiner.separated(observed, read, copiesOnly: true)
        XCTAssertEqual(kept.objects.count, 2)
        XCTAssertNil(Footprint.firstOverlap(kept.objects, gap: 0.9e-3))
    }

    /// Refinement starts from the separated scene: its moves keep the footprints apart.
    func testRefinementLeavesNoOverlap() throws {
        let observed = try image([red, blue])
        var copy = red
        copy.position += [0.05, 0.04]
        var options = RefinementOptions()
        options.maxRenders = 300
        let (refined, report) = try Refiner(config: cfg, options: options).refine(observed, start: cfg.scene(objects: [red, copy, blue]))
        XCTAssertEqual(refined.objects.count, 2)
        XCTAssertNil(Footprint.firstOverlap(refined.objects, gap: 0.9e-3))
        XCTAssertEqual(report.accepted["separate"], 1)
    }

    /// The reader's reported scene is a scene: the network's copy of a block is not reported.
    func testTheReaderReportsNoCopy() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let c = network.config
        let observed = try ReadingFixtures.image(c.scene(objects: [red, blue]), config: c)
        var copy = blue
        copy.position += [0.02, 0.02]
        let read = InferredScene(objects: [red, blue, copy].map { ReadingFixtures.reading($0, presence: 0.99) }, stopPresence: 0.02,
                                 scene: c.scene(objects: [red, blue, copy]))
        let reader = try SceneReader(network: network, refine: false)
        for renders in [nil, 200] {
            reader.lookAgainRenders = renders
            let r = try reader.finish(observed, read)
            XCTAssertEqual(r.scene.objects.count, 2, "look-again \(String(describing: renders))")
            XCTAssertNil(Footprint.firstOverlap(r.scene.objects))
            XCTAssertEqual(r.objects.map(\.presence), [0.99, 0.99], "each kept block is still the network's reading")
        }
    }
}
