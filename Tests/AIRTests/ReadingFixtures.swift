import Scenes
@testable import AIR

/// What tests of the reader start from: the bundled model's network, and a network reading of a
/// given object (uninformative shape probabilities, small spreads).
enum ReadingFixtures {
    static func bundledNetwork() throws -> GuideNetwork {
        try ModelFile.load(BundledModelTests.root.appendingPathComponent("models/default.safetensors").path).network
    }

    /// The red cube the reader tests read.
    static let red = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.85, 0.15, 0.15)), position: SIMD2(-0.8, -0.5), rotation: 20)

    /// `scene` as the model sees it: rendered at `config`'s samples per pixel, quantized as a PNG.
    static func image(_ scene: Scene, config: ModelConfig) throws -> Image {
        PNG.quantized(try Rasterizer(threads: 1).render(scene, samplesPerPixel: config.samplesPerPixel))
    }

    static func reading(_ o: SceneObject, presence: Double) -> InferredObject {
        InferredObject(object: o, presence: presence, shapeProbabilities: [0.2, 0.2, 0.2, 0.2, 0.2], positionStd: SIMD2(0.05, 0.05),
                       rotationSpread: nil, colorStd: SIMD3(0.01, 0.01, 0.01), glimpseCenter: SIMD2(32, 32), glimpseSide: 20)
    }
}
