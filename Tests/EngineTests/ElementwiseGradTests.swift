import XCTest
import Random
@testable import Engine

final class ElementwiseGradTests: XCTestCase {
    func testUnaryOps() {
        let x = input([3, 4], seed: 1, -2, 2)
        let pos = input([3, 4], seed: 2, 0.3, 2)
        let kinked: (shape: [Int], values: [Float]) = ([3, 4], randomAwayFromZero(12, seed: 3))
        checkGradients("exp", inputs: [x]) { _, t in exp(t[0]) }
        checkGradients("log", inputs: [pos]) { _, t in log(t[0]) }
        checkGradients("sqrt", inputs: [pos]) { _, t in sqrt(t[0]) }
        checkGradients("square", inputs: [x]) { _, t in square(t[0]) }
        checkGradients("relu", inputs: [kinked]) { _, t in relu(t[0]) }
        checkGradients("elu", inputs: [kinked]) { _, t in elu(t[0]) }
        checkGradients("sigmoid", inputs: [x]) { _, t in sigmoid(t[0]) }
        checkGradients("tanh", inputs: [x]) { _, t in tanh(t[0]) }
        checkGradients("softplus", inputs: [x]) { _, t in softplus(t[0]) }
        checkGradients("logSigmoid", inputs: [x]) { _, t in logSigmoid(t[0]) }
        checkGradients("clamp", inputs: [kinked]) { _, t in clamp(t[0], min: -0.5, max: 0.5) }
        checkGradients("neg/affine", inputs: [x]) { _, t in 3 - (-t[0] * 2 + 1) / 4 }
        checkGradients("pow", inputs: [pos]) { _, t in pow(t[0], 1.5) }
        checkGradients("sin", inputs: [x]) { _, t in sin(t[0]) }
        checkGradients("cos", inputs: [x]) { _, t in cos(t[0]) }
        checkGradients("abs", inputs: [kinked]) { _, t in abs(t[0]) }
    }

    func testStableValuesAtExtremes() {
        let tape = Tape()
        let x = tape.constant(shape: [4], values: [-100, -20, 20, 100])
        XCTAssertEqual(softplus(x).values, [0, 2.0611537e-09, 20, 100], accuracy: 1e-6)
        XCTAssertEqual(logSigmoid(x).values, [-100, -20, -2.0611537e-09, 0], accuracy: 1e-5)
        XCTAssertEqual(sigmoid(x).values, [0, 2.0611537e-09, 1, 1], accuracy: 1e-7)
        XCTAssertFalse(logSigmoid(x).values.contains { !$0.isFinite })
    }

    func testBroadcastingBinaryOps() {
        let a = input([2, 3, 4], seed: 4)
        let shapes: [[Int]] = [[2, 3, 4], [4], [3, 1], [2, 1, 4], [], [1, 3, 4]]
        for (k, s) in shapes.enumerated() {
            let b = input(s, seed: 10 + UInt64(k), 0.5, 1.5)
            checkGradients("add \(s)", inputs: [a, b]) { _, t in t[0] + t[1] }
            checkGradients("sub \(s)", inputs: [b, a]) { _, t in t[0] - t[1] }
            checkGradients("mul \(s)", inputs: [a, b]) { _, t in t[0] * t[1] }
            checkGradients("div \(s)", inputs: [a, b]) { _, t in t[0] / t[1] }
        }
        // both operands broadcast: [3, 1] with [1, 4]
        checkGradients("mul outer", inputs: [input([3, 1], seed: 30), input([1, 4], seed: 31)]) { _, t in t[0] * t[1] }
    }

    func testBroadcastValues() {
        let tape = Tape()
        let a = tape.constant(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = tape.constant(shape: [3], values: [10, 20, 30])
        let c = tape.constant(shape: [2, 1], values: [100, 200])
        XCTAssertEqual((a + b).values, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual((a * c).values, [100, 200, 300, 800, 1000, 1200])
        XCTAssertEqual((b - c).shape, [2, 3])
        XCTAssertEqual((b - c).values, [-90, -80, -70, -190, -180, -170])
    }

    func testEmptyTensors() {
        let tape = Tape()
        let a = tape.zeros([0, 3]), b = tape.full([3], 2)
        XCTAssertEqual((a + b).shape, [0, 3])
        XCTAssertEqual(sum(a * b, axes: [0]).values, [0, 0, 0])
        XCTAssertEqual(exp(a).count, 0)
    }

    func testMaskedMultiplyAndMaximum() {
        checkGradients("masked", inputs: [input([2, 3], seed: 5)]) { tape, t in
            maskedMultiply(t[0], tape.constant(shape: [2, 3], values: [1, 0, 1, 0, 1, 1]))
        }
        // the mask gets no gradient
        let tape = Tape()
        let m = Tensor.parameter(shape: [2], values: [1, 0])
        let x = Tensor.parameter(shape: [2], values: [3, 4])
        sum(maskedMultiply(tape.watch(x), tape.watch(m))).backward()
        XCTAssertEqual(x.grad!, [1, 0])
        XCTAssertEqual(m.grad!, [0, 0])
        let a: (shape: [Int], values: [Float]) = ([4], [0.1, 0.9, -0.5, 2])
        let b: (shape: [Int], values: [Float]) = ([4], [0.5, 0.2, -0.1, 1])
        checkGradients("maximum", inputs: [a, b]) { _, t in maximum(t[0], t[1]) }
        checkGradients("minimum", inputs: [a, b]) { _, t in minimum(t[0], t[1]) }
    }
}

func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "counts differ", file: file, line: line)
    for (x, y) in zip(a, b) where !(abs(x - y) <= accuracy * max(1, abs(y))) {
        XCTFail("\(a) != \(b) (accuracy \(accuracy))", file: file, line: line)
        return
    }
}
