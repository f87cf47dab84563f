import Scenes
@testable import AIR

/// What tests of the reader start from: the bundled model's network, and a network reading of a
/// given object (uninformative shape probabilities, small spreads).
enum ReadingFixtures {
    static func bundledNetwork() throws -> GuideNetwork {
        try ModelFile.load(BundledModelTests.root.appendingPathComponent("models/default.safetensors").path).network
    }

    static func reading(_ o: SceneObject, presence: Double) -> InferredObject {
        InferredObject(object: o, presence: presence, shapeProbabilities: [0.2, 0.2, 0.2, 0.2, 0.2], positionStd: SIMD2(0.05, 0.05),
                       rotationSpread: nil, colorStd: SIMD3(0.01, 0.01, 0.01), glimpseCenter: SIMD2(32, 32), glimpseSide: 20)
    }
}
