import Scenes
import XCTest
@testable import AIR

/// The look-again finds a block the network stopped before, and keeps none where the image
/// shows none, nor under a light read with shadows.
final class LookAgainTests: XCTestCase {
    private func bundled() throws -> GuideNetwork {
        try ModelFile.load(BundledModelTests.root.appendingPathComponent("models/default.safetensors").path).network
    }

    private func reading(_ o: SceneObject) -> InferredObject {
        InferredObject(object: o, presence: 0.99, shapeProbabilities: [0.2, 0.2, 0.2, 0.2, 0.2], positionStd: SIMD2(0.05, 0.05),
                       rotationSpread: nil, colorStd: SIMD3(0.01, 0.01, 0.01), glimpseCenter: SIMD2(32, 32), glimpseSide: 20)
    }

    func testAMissedBlockIsFoundAndBareTableGetsNone() throws {
        let network = try bundled()
        let cfg = network.config
        let red = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.85, 0.15, 0.15)), position: SIMD2(-0.8, -0.5), rotation: 20)
        // The kind the network misses: a white wedge about as bright as the table.
        let white = SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(0.6, 0.7), rotation: 100)
        let image = PNG.quantized(try Rasterizer(threads: 1).render(cfg.scene(objects: [red, white]), samplesPerPixel: cfg.samplesPerPixel))
        let stopped = InferredScene(objects: [reading(red)], stopPresence: 0.02, scene: cfg.scene(objects: [red]))
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
        let all = InferredScene(objects: [reading(red), reading(white)], stopPresence: 0.02, scene: cfg.scene(objects: [red, white]))
        XCTAssertEqual(try reader.finish(image, all).scene.objects.count, 2)

        // Under a light read with shadows the reader does not look.
        var shadowed = stopped
        shadowed.scene.light.shadows = true
        XCTAssertEqual(try reader.lookAgain(image, shadowed.scene, renders: 200).count, 0)
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
