import XCTest
import Random
@testable import Engine

final class LayerGradTests: XCTestCase {
    func testConv2d() {
        for (k, s, p) in [(3, 1, 1), (3, 2, 0), (4, 2, 1), (1, 1, 0), (2, 3, 2)] {
            checkGradients("conv k\(k) s\(s) p\(p)",
                           inputs: [input([2, 5, 6, 3], seed: 1), input([2, k, k, 3], seed: 2), input([2], seed: 3)]) { _, t in
                conv2d(t[0], t[1], t[2], stride: s, padding: p)
            }
        }
    }

    /// Hand-computed: a 3×3 single-channel image, 2×2 kernel, stride 1, no padding.
    func testConv2dValues() {
        let tape = Tape()
        let x = tape.constant(shape: [1, 3, 3, 1], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let w = tape.constant(shape: [1, 2, 2, 1], values: [1, 0, 0, -1])
        let y = conv2d(x, w, tape.constant(shape: [1], values: [10]))
        XCTAssertEqual(y.shape, [1, 2, 2, 1])
        XCTAssertEqual(y.values, [6, 6, 6, 6])    // x[i,j] − x[i+1,j+1] + 10 = −4 + 10
        let padded = conv2d(x, w, nil, padding: 1)
        XCTAssertEqual(padded.shape, [1, 4, 4, 1])
        XCTAssertEqual(Array(padded.values.prefix(4)), [-1, -2, -3, 0])
    }

    func testPooling() {
        let x: (shape: [Int], values: [Float]) = ([2, 4, 4, 2], randomValues(64, seed: 4))
        checkGradients("maxPool", inputs: [x], h: 1e-3) { _, t in maxPool2d(t[0], kernel: 2) }
        checkGradients("maxPool s1", inputs: [x], h: 1e-3) { _, t in maxPool2d(t[0], kernel: 3, stride: 1) }
        checkGradients("avgPool", inputs: [x]) { _, t in avgPool2d(t[0], kernel: 2) }
        let tape = Tape()
        let c = tape.constant(shape: [1, 2, 2, 1], values: [1, 5, 3, 2])
        XCTAssertEqual(maxPool2d(c, kernel: 2).values, [5])
        XCTAssertEqual(avgPool2d(c, kernel: 2).values, [2.75])
    }

    func testLSTMGatesAndCell() {
        checkGradients("lstmGates h", inputs: [input([2, 12], seed: 5, -2, 2), input([2, 3], seed: 6)]) { _, t in
            lstmGates(t[0], t[1]).h
        }
        checkGradients("lstmGates c", inputs: [input([2, 12], seed: 5, -2, 2), input([2, 3], seed: 6)]) { _, t in
            lstmGates(t[0], t[1]).c
        }
        // hidden 9: one 8-lane vector plus a scalar tail per row
        checkGradients("lstmGates h+c wide", inputs: [input([2, 36], seed: 15, -2, 2), input([2, 9], seed: 16)]) { _, t in
            let s = lstmGates(t[0], t[1])
            return concat([s.h, s.c * 0.5], axis: 1)
        }
        // both outputs used, as in an unrolled sequence
        checkGradients("lstmGates h+c", inputs: [input([2, 12], seed: 7, -2, 2), input([2, 3], seed: 8)]) { _, t in
            let s = lstmGates(t[0], t[1])
            return s.h * 2 + s.c
        }
        var rng = RNG(seed: 9)
        let cell = LSTMCell(4, 3, rng: &rng)
        let x = input([2, 4], seed: 10)
        checkGradients("LSTMCell 3 steps", inputs: [x, (cell.weight.shape, cell.weight.values), (cell.bias.shape, cell.bias.values)]) { tape, t in
            var state = cell.zeroState(batch: 2, on: tape)
            var outs: [Tensor] = []
            for _ in 0..<3 {
                let z = linear(concat([t[0], state.h], axis: 1), t[1], t[2])
                state = lstmGates(z, state.c)
                outs.append(state.h)
            }
            return concat(outs, axis: 1)
        }
    }

    /// The fused cell equals the textbook composition of primitive ops.
    func testLSTMCellMatchesReference() {
        var rng = RNG(seed: 11)
        let cell = LSTMCell(3, 2, rng: &rng)
        let tape = Tape()
        let x = tape.randn([2, 3], rng: &rng)
        let h = tape.randn([2, 2], rng: &rng), c = tape.randn([2, 2], rng: &rng)
        let (h1, c1) = cell(x, (h, c))
        let z = matmul(concat([x, h], axis: 1), cell.weight, transposeB: true) + cell.bias
        let i = sigmoid(slice(z, axis: 1, 0..<2)), f = sigmoid(slice(z, axis: 1, 2..<4))
        let g = tanh(slice(z, axis: 1, 4..<6)), o = sigmoid(slice(z, axis: 1, 6..<8))
        let cRef = f * c + i * g
        XCTAssertEqual(c1.values, cRef.values, accuracy: 1e-6)
        XCTAssertEqual(h1.values, (o * tanh(cRef)).values, accuracy: 1e-6)
    }

    func testLayers() {
        var rng = RNG(seed: 12)
        let mlp = MLP([3, 5, 2], activation: tanh, rng: &rng)
        let ps = mlp.parameters
        checkGradients("MLP", inputs: [input([4, 3], seed: 13)] + ps.map { ($0.shape, $0.values) }) { _, t in
            let h = tanh(linear(t[0], t[1], t[2]))
            return linear(h, t[3], t[4])
        }
        // and the module computes exactly that composition
        let tape = Tape()
        let x = tape.constant(shape: [4, 3], values: randomValues(12, seed: 13))
        let ref = linear(tanh(linear(x, ps[0], ps[1])), ps[2], ps[3])
        XCTAssertEqual(mlp(x).values, ref.values)
        let conv = Conv2d(2, 3, kernel: 3, stride: 2, padding: 1, rng: &rng)
        XCTAssertEqual(conv(tape.zeros([1, 8, 8, 2])).shape, [1, 4, 4, 3])
    }
}
