import XCTest
import Random
@testable import Engine

/// Central-difference gradient check.
///
/// `f` builds the op under test on a fresh tape from parameters holding `inputs`; the scalar
/// checked is L = Σ wᵢ·outᵢ with fixed random weights w (so every output element matters),
/// accumulated in Double. The analytic gradient of every input is compared with
/// (L(x + h) − L(x − h)) / 2h at each coordinate (or a random subset of `maxCoords`).
func checkGradients(_ name: String, inputs: [(shape: [Int], values: [Float])],
                    h: Float = 1e-2, rtol: Double = 5e-3, atol: Double = 1e-3, maxCoords: Int = 60,
                    seed: UInt64 = 7,
                    file: StaticString = #filePath, line: UInt = #line,
                    _ f: (Tape, [Tensor]) -> Tensor) {
    let params = inputs.map { Tensor.parameter(shape: $0.shape, values: $0.values) }
    var rng = RNG(seed: seed)
    let tape = Tape()
    let out0 = f(tape, params.map { tape.watch($0) })
    let weights = (0..<out0.count).map { _ in Float(rng.uniform(-1, 1)) }
    tape.backward([(out0, weights)])
    let analytic = params.map { $0.grad ?? [Float](repeating: 0, count: $0.count) }

    func loss() -> Double {
        tape.reset()
        let out = f(tape, params.map { tape.watch($0) })
        var s = 0.0
        for i in 0..<out.count { s += Double(weights[i]) * Double(out.data[i]) }
        return s
    }
    var worst = 0.0
    for (pi, p) in params.enumerated() {
        var coords = Array(0..<p.count)
        if coords.count > maxCoords {
            for i in 0..<maxCoords { coords.swapAt(i, i + rng.int(below: coords.count - i)) }
            coords = Array(coords.prefix(maxCoords))
        }
        for i in coords {
            let old = p.data[i]
            p.data[i] = old + h
            let lp = loss()
            p.data[i] = old - h
            let lm = loss()
            p.data[i] = old
            let numeric = (lp - lm) / (2 * Double(h))
            let a = Double(analytic[pi][i])
            let err = abs(a - numeric)
            worst = max(worst, err / (atol + rtol * abs(numeric)))
            if err > atol + rtol * abs(numeric) {
                XCTFail("\(name): input \(pi) coord \(i): analytic \(a) vs numeric \(numeric)", file: file, line: line)
                return
            }
        }
    }
}

/// Random values in [lo, hi).
func randomValues(_ n: Int, _ lo: Float = -1, _ hi: Float = 1, seed: UInt64) -> [Float] {
    var rng = RNG(seed: seed)
    return (0..<n).map { _ in lo + (hi - lo) * rng.uniformFloat() }
}

/// Random values in [lo, hi) with |v| ≥ gap, to stay off kinks (relu, clamp, max).
func randomAwayFromZero(_ n: Int, gap: Float = 0.05, seed: UInt64) -> [Float] {
    randomValues(n, seed: seed).map { $0 >= 0 ? $0 + gap : $0 - gap }
}

func input(_ shape: [Int], seed: UInt64, _ lo: Float = -1, _ hi: Float = 1) -> (shape: [Int], values: [Float]) {
    (shape, randomValues(shape.reduce(1, *), lo, hi, seed: seed))
}
