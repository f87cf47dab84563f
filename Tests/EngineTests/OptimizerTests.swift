import XCTest
import Foundation
import Random
import OptimizerKernels
@testable import Engine

final class OptimizerTests: XCTestCase {
    /// Two Adam steps by hand (Double) on f(w) = Σ c·w².
    func testAdamMatchesHandComputation() {
        let w = Tensor.parameter(shape: [2], values: [1, -2])
        let c: [Float] = [3, 0.5]
        let opt = Adam([ParameterGroup([("w", w)], learningRate: 0.1)])
        var ref = [1.0, -2.0], m = [0.0, 0.0], v = [0.0, 0.0]
        let tape = Tape()
        for t in 1...3 {
            sum(tape.constant(shape: [2], values: c) * square(tape.watch(w))).backward()
            opt.step()
            tape.reset()
            for i in 0..<2 {
                let g = 2 * Double(c[i]) * ref[i]
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.999, Double(t)))
                ref[i] -= 0.1 * mh / (vh.squareRoot() + 1e-8)
            }
        }
        XCTAssertEqual(w.values, ref.map(Float.init), accuracy: 1e-5)
        XCTAssertEqual(w.grad!, [0, 0], "step zeroes the gradients")
        XCTAssertEqual(opt.stepCount, 3)
    }

    /// The vector kernel gives every element the scalar formula's bits (same operations, same
    /// order, no fused multiply-add), on lengths that end inside a vector and with weight decay.
    func testAdamKernelIsTheScalarFormulaBitForBit() {
        var rng = RNG(seed: 21)
        for n in [1, 7, 8, 15, 16, 33, 203] {
            let g = (0..<n).map { _ in Float(rng.uniform(-3, 3)) }
            var x = (0..<n).map { _ in Float(rng.uniform(-1, 1)) }
            var m = (0..<n).map { _ in Float(rng.uniform(-0.5, 0.5)) }
            // Half the moments start at 0, as at the first step, where a rounding of g·g shows in v.
            var v = (0..<n).map { i in i % 2 == 0 ? 0 : Float(rng.uniform(0, 2)) }
            var (xr, mr, vr) = (x, m, v)
            let b1: Float = 0.9, b2: Float = 0.999, c1: Float = 1 - powf(0.9, 7), c2: Float = 1 - powf(0.999, 7)
            let eps: Float = 1e-8, lr: Float = 3e-3, decay: Float = 1e-2 * lr
            for i in 0..<n {
                mr[i] = b1 * mr[i] + (1 - b1) * g[i]
                vr[i] = b2 * vr[i] + (1 - b2) * g[i] * g[i]
                let update = (mr[i] / c1) / ((vr[i] / c2).squareRoot() + eps)
                xr[i] -= lr * update + decay * xr[i]
            }
            air_adam_update(&x, &m, &v, g, n, b1, b2, 1 - b1, 1 - b2, c1, c2, eps, lr, decay)
            XCTAssertEqual(x.map(\.bitPattern), xr.map(\.bitPattern), "x, n = \(n)")
            XCTAssertEqual(m.map(\.bitPattern), mr.map(\.bitPattern), "m, n = \(n)")
            XCTAssertEqual(v.map(\.bitPattern), vr.map(\.bitPattern), "v, n = \(n)")
        }
    }

    func testGroupsHaveTheirOwnLearningRatesAndSchedules() {
        let a = Tensor.parameter(shape: [1], values: [1]), b = Tensor.parameter(shape: [1], values: [1])
        let opt = SGD([ParameterGroup([("a", a)], learningRate: 0.1), ParameterGroup([("b", b)], learningRate: 1)],
                      schedule: .stepDecay(every: 1, factor: 0.5))
        let tape = Tape()
        for _ in 0..<2 {
            sum(tape.watch(a) + tape.watch(b)).backward()       // gradient 1 for both
            opt.step()
            tape.reset()
        }
        // step 1: factor 1, step 2: factor 0.5
        XCTAssertEqual(a.values[0], 1 - 0.1 - 0.05, accuracy: 1e-7)
        XCTAssertEqual(b.values[0], 1 - 1 - 0.5, accuracy: 1e-7)
        let cosine = Schedule.warmupCosine(warmup: 10, total: 110, floor: 0.1)
        XCTAssertEqual(cosine.factor(5), 0.5, accuracy: 1e-6)
        XCTAssertEqual(cosine.factor(10), 1, accuracy: 1e-6)
        XCTAssertEqual(cosine.factor(60), 0.55, accuracy: 1e-6)
        XCTAssertEqual(cosine.factor(110), 0.1, accuracy: 1e-6)
    }

    func testMomentumAndClipping() {
        let w = Tensor.parameter(shape: [2], values: [0, 0])
        let opt = SGD([ParameterGroup([("w", w)], learningRate: 1)], momentum: 0.5)
        let tape = Tape()
        for _ in 0..<2 {
            sum(tape.watch(w) * tape.constant(shape: [2], values: [3, 4])).backward()   // grad (3, 4), norm 5
            let norm = opt.clipGradNorm(1)
            XCTAssertEqual(norm, 5, accuracy: 1e-6)
            XCTAssertEqual(w.grad!, [0.6, 0.8], accuracy: 1e-6)
            opt.step()
            tape.reset()
        }
        // velocity g = (0.6, 0.8), then 0.5·g + g = 1.5·g → w = −(g + 1.5·g)
        XCTAssertEqual(w.values, [-1.5, -2.0], accuracy: 1e-6)
        // below the threshold nothing changes
        sum(tape.watch(w) * tape.constant(shape: [2], values: [0.3, 0.4])).backward()
        XCTAssertEqual(clipGradientNorm([w], maxNorm: 1), 0.5, accuracy: 1e-6)
        XCTAssertEqual(w.grad!, [0.3, 0.4], accuracy: 1e-7)
    }
}

final class GradientNormTests: XCTestCase {
    /// The eight-lane sum of squares against a Float64 sum, on ranges of every length mod 8 and
    /// offsets that do not start a vector; the scaling multiplies every element of its range
    /// and nothing outside it.
    func testSumOfSquaresAndScaleOverRanges() {
        var rng = SystemRandomNumberGenerator()
        let x = (0..<203).map { _ in Float.random(in: -3...3, using: &rng) }
        x.withUnsafeBufferPointer { p in
            for lower in [0, 1, 5, 8] {
                for upper in [lower, lower + 1, lower + 7, lower + 8, lower + 17, 203] where upper <= 203 {
                    let reference = x[lower..<upper].reduce(0.0) { $0 + Double($1) * Double($1) }
                    XCTAssertEqual(sumOfSquares(p.baseAddress!, lower..<upper), reference,
                                   accuracy: 1e-12 * max(reference, 1), "range \(lower)..<\(upper)")
                }
            }
        }
        var y = x
        y.withUnsafeMutableBufferPointer { scaleInPlace($0.baseAddress!, 3..<200, by: 0.5) }
        for i in x.indices { XCTAssertEqual(y[i], (3..<200).contains(i) ? x[i] * 0.5 : x[i], "element \(i)") }
    }
}

final class ParameterBlockTests: XCTestCase {
    /// After the move into a block, the parameters hold the same values and gradients, laid end
    /// to end; backward passes accumulate into the block, a lazily cleared gradient reads as
    /// zeros there, and training steps go on exactly as they would have without the block.
    func testParametersLiveEndToEndAndTrainAsBefore() {
        func make() -> (Tensor, Tensor, Adam) {
            let a = Tensor.parameter(shape: [2], values: [1, -2]), b = Tensor.parameter(shape: [3], values: [0.5, 0.25, -1])
            return (a, b, Adam([ParameterGroup([("a", a), ("b", b)], learningRate: 0.1)]))
        }
        func step(_ a: Tensor, _ b: Tensor, _ opt: Adam, _ tape: Tape) {
            let t = tape.watch(a), u = tape.watch(b)
            (sum(square(t)) * 3 + sum(u * u * u)).backward()
            opt.step()
            tape.reset()
        }
        let (a, b, opt) = make()
        let (a2, b2, opt2) = make()
        let tape = Tape()
        step(a, b, opt, tape)
        step(a2, b2, opt2, tape)
        let tape2 = Tape()
        sum(tape2.watch(b2)).backward()              // a gradient waiting in b2 when it moves
        let block = ParameterBlock([a2, b2])
        XCTAssertEqual(block.count, 5)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: block.valuePointer, count: 5)), a.values + b.values)
        XCTAssertEqual(b2.grad!, [1, 1, 1])
        b2.zeroGrad()
        sum(tape2.watch(a2) * 2).backward()
        XCTAssertEqual(Array(UnsafeBufferPointer(start: block.gradientPointer(), count: 5)), [2, 2, 0, 0, 0])
        a2.zeroGrad()
        for _ in 0..<3 {
            step(a, b, opt, tape)
            step(a2, b2, opt2, tape)
        }
        XCTAssertEqual(a2.values + b2.values, a.values + b.values)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: block.valuePointer, count: 5)), a.values + b.values)
    }
}
