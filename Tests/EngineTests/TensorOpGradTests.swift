import XCTest
import Random
@testable import Engine

final class TensorOpGradTests: XCTestCase {
    func testMatmul() {
        checkGradients("matmul", inputs: [input([3, 4], seed: 1), input([4, 5], seed: 2)]) { _, t in matmul(t[0], t[1]) }
        checkGradients("matmul Bᵀ", inputs: [input([3, 4], seed: 1), input([5, 4], seed: 2)]) { _, t in
            matmul(t[0], t[1], transposeB: true)
        }
        checkGradients("matmul 3d·2d", inputs: [input([2, 3, 4], seed: 3), input([4, 2], seed: 4)]) { _, t in matmul(t[0], t[1]) }
        checkGradients("batched", inputs: [input([2, 3, 4], seed: 5), input([2, 4, 2], seed: 6)]) { _, t in matmul(t[0], t[1]) }
        checkGradients("batched Bᵀ", inputs: [input([2, 3, 4], seed: 5), input([2, 2, 4], seed: 6)]) { _, t in
            matmul(t[0], t[1], transposeB: true)
        }
        checkGradients("linear", inputs: [input([3, 4], seed: 7), input([5, 4], seed: 8), input([5], seed: 9)]) { _, t in
            linear(t[0], t[1], t[2])
        }
    }

    func testMatmulValues() {
        let tape = Tape()
        let a = tape.constant(shape: [2, 2], values: [1, 2, 3, 4])
        let b = tape.constant(shape: [2, 2], values: [5, 6, 7, 8])
        XCTAssertEqual(matmul(a, b).values, [19, 22, 43, 50])
        XCTAssertEqual(matmul(a, b, transposeB: true).values, [17, 23, 39, 53])
        XCTAssertEqual(linear(a, b, tape.constant(shape: [2], values: [1, -1])).values, [18, 22, 40, 52])  // a·bᵀ + bias
    }

    func testReductions() {
        let x = input([2, 3, 4], seed: 10)
        checkGradients("sum all", inputs: [x]) { _, t in sum(t[0]) }
        checkGradients("sum 0", inputs: [x]) { _, t in sum(t[0], axes: [0]) }
        checkGradients("sum 1 keep", inputs: [x]) { _, t in sum(t[0], axes: [1], keepDims: true) }
        checkGradients("sum -1", inputs: [x]) { _, t in sum(t[0], axes: [-1]) }
        checkGradients("mean 0,2", inputs: [x]) { _, t in mean(t[0], axes: [0, 2]) }
        checkGradients("mean all", inputs: [x]) { _, t in mean(t[0]) }
        let tape = Tape()
        let c = tape.constant(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(sum(c, axes: [0]).values, [5, 7, 9])
        XCTAssertEqual(sum(c, axes: [1]).values, [6, 15])
        XCTAssertEqual(mean(c).values, [3.5])
        XCTAssertEqual(mean(c).shape, [])
        XCTAssertEqual(mean(c, axes: [1], keepDims: true).shape, [2, 1])
    }

    func testSoftmaxFamily() {
        let x = input([3, 5], seed: 11, -3, 3)
        checkGradients("softmax", inputs: [x]) { _, t in softmax(t[0]) }
        checkGradients("logSoftmax", inputs: [x]) { _, t in logSoftmax(t[0]) }
        checkGradients("logSumExp", inputs: [x]) { _, t in logSumExp(t[0]) }
        let tape = Tape()
        let big = tape.constant(shape: [1, 3], values: [1000, 1001, 1002])
        let ls = logSoftmax(big).values
        let ref: [Double] = [0, 1, 2].map { Double($0) - 2 - Foundation.log(1 + exp(-1.0) + exp(-2.0)) }
        XCTAssertEqual(ls, ref.map(Float.init), accuracy: 1e-5)
        XCTAssertEqual(softmax(big).values.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(logSumExp(big).values, [Float(1002 + Foundation.log(1 + exp(-1.0) + exp(-2.0)))], accuracy: 1e-6)
    }

    func testShapeOps() {
        let x = input([2, 3, 4], seed: 12)
        checkGradients("reshape", inputs: [x]) { _, t in t[0].reshaped([6, -1]) * t[0].reshaped([6, 4]) }
        checkGradients("transpose", inputs: [x]) { _, t in transpose(t[0]) }
        checkGradients("permute", inputs: [x]) { _, t in permute(t[0], [2, 0, 1]) }
        checkGradients("slice 0 (view)", inputs: [x]) { _, t in slice(t[0], axis: 0, 1..<2) * 3 }
        checkGradients("slice 1", inputs: [x]) { _, t in slice(t[0], axis: 1, 1..<3) }
        checkGradients("slice -1", inputs: [x]) { _, t in slice(t[0], axis: -1, 0..<2) }
        checkGradients("concat 0", inputs: [x, input([1, 3, 4], seed: 13)]) { _, t in concat([t[0], t[1]], axis: 0) }
        checkGradients("concat 2", inputs: [x, input([2, 3, 2], seed: 14)]) { _, t in concat([t[1], t[0], t[1]], axis: 2) }
        checkGradients("stack 1", inputs: [x, input([2, 3, 4], seed: 15)]) { _, t in stack([t[0], t[1]], axis: 1) }
        checkGradients("gather", inputs: [x]) { _, t in gather(t[0], indices: [2, 0, 2], axis: 1) }
        checkGradients("pick", inputs: [x]) { _, t in pick(t[0], [0, 3, 1, 1, 2, 0]) }
        checkGradients("view then op", inputs: [x]) { _, t in exp(slice(t[0].flattened(), axis: 0, 0..<1)) }
        // views of op results (not of parameters) must route gradients into the result's buffer
        checkGradients("reshape of result", inputs: [x]) { _, t in exp((t[0] * 2).reshaped([4, 6])) }
        checkGradients("slice of result", inputs: [x]) { _, t in
            let y = t[0] * 2
            return concat([exp(slice(y, axis: 0, 1..<2)), slice(y, axis: 0, 0..<1)], axis: 0)
        }

        let tape = Tape()
        let c = tape.constant(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(transpose(c).values, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(slice(c, axis: 1, 1..<3).values, [2, 3, 5, 6])
        XCTAssertEqual(concat([c, c], axis: 1).values, [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        XCTAssertEqual(gather(c, indices: [1, 1, 0], axis: 0).values, [4, 5, 6, 4, 5, 6, 1, 2, 3])
        XCTAssertEqual(pick(c, [2, 0]).values, [3, 4])
        let st = stack([c, c * 10], axis: 1)
        XCTAssertEqual(st.shape, [2, 2, 3])
        XCTAssertEqual(st.values, [1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60])
    }
}

import Foundation
