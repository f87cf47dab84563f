import XCTest
import Random
@testable import Engine

final class TapeTests: XCTestCase {
    /// AIR's pattern: latents get an externally computed gradient, a loss gets seed 1; both flow
    /// into the same parameters and add up.
    func testMultiOutputBackwardWithExternalGradient() {
        var rng = RNG(seed: 1)
        let w = Tensor.uniformParameter(shape: [3, 2], bound: 1, rng: &rng)
        let tape = Tape()
        let x = tape.constant(shape: [4, 3], values: randomValues(12, seed: 2))
        let latents = matmul(x, w)                        // [4, 2]
        let loss = sum(square(latents)) * 0.5
        let external = randomValues(8, seed: 3)
        tape.backward([(latents, external), (loss, [1])])
        // d/dW [Σ external·latents + ½Σ latents²] = xᵀ (external + latents)
        let xv = x.values, lv = latents.values
        var expected = [Float](repeating: 0, count: 6)
        for i in 0..<3 { for j in 0..<2 { for r in 0..<4 {
            expected[i * 2 + j] += xv[r * 3 + i] * (external[r * 2 + j] + lv[r * 2 + j])
        } } }
        XCTAssertEqual(w.grad!, expected, accuracy: 1e-5)
        // the latents' own gradient is the sum of both paths
        XCTAssertEqual(latents.grad!, zip(external, lv).map { $0 + $1 }, accuracy: 1e-6)
    }

    func testAccumulationAcrossBackwardsAndZeroGrad() {
        let w = Tensor.parameter(shape: [2], values: [1, 2])
        let tape = Tape()
        for _ in 0..<3 {
            let y = sum(tape.watch(w) * tape.constant(shape: [2], values: [3, 4]))
            y.backward()
            tape.reset()
        }
        XCTAssertEqual(w.grad!, [9, 12])
        w.zeroGrad()
        XCTAssertEqual(w.grad!, [0, 0])
        // a second backward over the same tape adds the same amount again (no double counting
        // of stale intermediate gradients)
        let y = sum(square(tape.watch(w)))
        y.backward()
        y.backward()
        XCTAssertEqual(w.grad!, [4, 8])
    }

    func testDetachStopsGradient() {
        let w = Tensor.parameter(shape: [2], values: [1, 2])
        let tape = Tape()
        let a = tape.watch(w)
        sum(a * a.detached()).backward()      // d/dw (w · stop(w)) = stop(w)
        XCTAssertEqual(w.grad!, [1, 2])
    }

    func testNoGradRecordsNothing() {
        let w = Tensor.parameter(shape: [2, 2], values: [1, 2, 3, 4])
        let tape = Tape()
        let x = tape.constant(shape: [1, 2], values: [1, 1])
        let y = tape.withoutGrad { relu(matmul(x, w)) }
        XCTAssertEqual(tape.nodeCount, 0)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertEqual(y.values, [4, 6])
        _ = relu(matmul(x, w))
        XCTAssertEqual(tape.nodeCount, 2)
        // constants only: nothing recorded either
        tape.reset()
        _ = exp(x) + x
        XCTAssertEqual(tape.nodeCount, 0)
    }

    func testArenaIsReusedAcrossSteps() {
        var rng = RNG(seed: 4)
        let mlp = MLP([16, 32, 4], rng: &rng)
        let tape = Tape()
        var capacities: [Int] = []
        for _ in 0..<4 {
            let x = tape.randn([8, 16], rng: &rng)
            mean(square(mlp(x))).backward()
            capacities.append(tape.arena.capacity)
            tape.reset()
        }
        XCTAssertEqual(Set(capacities.dropFirst()).count, 1, "arena grew after the first step: \(capacities)")
    }

    func testNamedParameters() {
        final class Encoder: Module {
            let conv1: Conv2d
            let heads: [Linear]
            let scale = Tensor.parameter(shape: [1], values: [1])
            let notAParameter = Tensor(shape: [1], values: [0])
            init(rng: inout RNG) {
                conv1 = Conv2d(3, 4, kernel: 3, rng: &rng)
                heads = [Linear(4, 2, rng: &rng), Linear(4, 1, bias: false, rng: &rng)]
            }
        }
        final class Model: Module {
            let encoder: Encoder
            let lstm: LSTMCell
            init(rng: inout RNG) { encoder = Encoder(rng: &rng); lstm = LSTMCell(2, 3, rng: &rng) }
        }
        var rng = RNG(seed: 5)
        let names = Model(rng: &rng).namedParameters().map(\.name)
        XCTAssertEqual(names, ["encoder.conv1.weight", "encoder.conv1.bias", "encoder.heads.0.weight",
                               "encoder.heads.0.bias", "encoder.heads.1.weight", "encoder.scale",
                               "lstm.weight", "lstm.bias"])
    }
}
