import XCTest
import Foundation
import Random
@testable import Engine

/// The README's usage example, kept compiling and running.
final class UsageExampleTests: XCTestCase {
    final class Guide: Module {
        let encoder: MLP, lstm: LSTMCell, head: Linear
        init(rng: inout RNG) {
            encoder = MLP([48, 32, 16], rng: &rng)
            lstm = LSTMCell(16, 32, rng: &rng)
            head = Linear(32, 4, rng: &rng)                 // 2 means + 2 log-stds
        }
    }

    func testReadmeExample() throws {
        var rng = RNG(seed: 1)
        let guide = Guide(rng: &rng)
        let opt = Adam([ParameterGroup(guide, learningRate: 1e-3)])
        let tape = Tape()
        let images = Tensor(shape: [8, 48], values: (0..<384).map { _ in rng.uniformFloat() })

        let x = tape.watch(images)                                      // zero-copy input
        let (h, _) = guide.lstm(relu(guide.encoder(x)), guide.lstm.zeroState(batch: 8, on: tape))
        let out = guide.head(h)
        let q = Normal(mean: slice(out, axis: 1, 0..<2), logStd: slice(out, axis: 1, 2..<4))
        let z = q.rsample(rng: &rng)                                    // [8, 2] continuous latents
        let prior = Normal(mean: tape.zeros([8, 2]), std: tape.full([8, 2], 1))
        let kl = sum(q.kl(to: prior))
        let dfdz = [Float](repeating: 0.1, count: z.count)              // e.g. finite differences of the renderer
        tape.backward([(z, dfdz.map { -$0 }), (kl, [1])])               // minimise KL − f(z)
        opt.clipGradNorm(10)
        opt.step()
        tape.reset()

        let path = NSTemporaryDirectory() + "readme-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.saveTrainingState(module: guide, optimizer: opt, rngs: ["train": rng], to: path)
        let restored = try Checkpoint.loadTrainingState(module: guide, optimizer: opt, from: path)
        XCTAssertEqual(restored.rngs["train"], rng)
        XCTAssertEqual(opt.stepCount, 1)
        XCTAssertEqual(guide.namedParameters().map(\.name).first, "encoder.layers.0.weight")
    }
}
