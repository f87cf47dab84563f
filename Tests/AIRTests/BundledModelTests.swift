import Random
import Scenes
import XCTest
@testable import AIR

/// The bundled model (models/default.safetensors, trained by the README's command) on fresh
/// scenes of scenes/default.json drawn with a seed used neither in training nor in its
/// held-out set. The bounds are the product targets.
final class BundledModelTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testBundledModelMeetsTheTargets() throws {
        let path = Self.root.appendingPathComponent("models/default.safetensors").path
        let (network, _) = try ModelFile.load(path)
        let spec = try BatchSpec.read(FileIO.readText(Self.root.appendingPathComponent("scenes/default.json").path), file: "default.json")
        let renderer = Rasterizer(threads: 1)
        let n = 300
        var images: [Image] = [], truth: [[SceneObject]] = []
        for i in 0..<n {
            let s = try spec.sample(index: i, seed: 20_261_125, renderer: renderer).scene
            images.append(PNG.quantized(try renderer.render(s, samplesPerPixel: spec.samplesPerPixel)))
            truth.append(s.objects)
        }
        let read = try Inferrer(network: network).infer(images)
        var evaluation = Evaluation()
        for (t, r) in zip(truth, read) { evaluation.add(truth: t, predicted: r.scene.objects) }
        let m = evaluation.report().overall
        print(evaluation.report().summary)
        XCTAssertGreaterThanOrEqual(m.countAccuracy!, 0.98)
        XCTAssertGreaterThanOrEqual(m.shapeAccuracy!, 0.95)
        XCTAssertGreaterThanOrEqual(m.colorNameAccuracy!, 0.97)
        XCTAssertLessThanOrEqual(m.positionErrorMedian!, 0.05)
        XCTAssertLessThanOrEqual(m.rotationErrorMedianDeg!, 5)
    }
}
