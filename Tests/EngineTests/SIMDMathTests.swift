import XCTest
import Foundation
@testable import Engine

/// The vectorised transcendental functions against Double-precision references over a wide sweep.
final class SIMDMathTests: XCTestCase {
    func sweep() -> [Float] {
        var v: [Float] = [0, -0, 1e-8, -1e-8, 0.6249, 0.625, -0.625, 87, -87, 100, -100]
        var x: Float = -30
        while x <= 30 { v.append(x); x += 0.01237 }
        return v
    }

    func check(_ name: String, _ f: (F8) -> F8, _ ref: (Double) -> Double, ulps: Float) {
        let xs = sweep()
        var worst: Float = 0
        for start in stride(from: 0, to: xs.count, by: 8) {
            var v = F8(repeating: 0)
            for k in 0..<8 where start + k < xs.count { v[k] = xs[start + k] }
            let r = f(v)
            for k in 0..<8 where start + k < xs.count {
                let expected = Float(ref(Double(xs[start + k])))
                let err = abs(r[k] - expected) / max(expected.ulp, Float.leastNormalMagnitude)
                worst = max(worst, err)
                if !(err <= ulps) {
                    XCTFail("\(name)(\(xs[start + k])) = \(r[k]), expected \(expected) (\(err) ulp)")
                    return
                }
            }
        }
    }

    func testExp() { check("exp", exp8, { Foundation.exp(min(max($0, -87.33654), 88.0)) }, ulps: 3) }
    func testSigmoid() { check("sigmoid", sigmoid8, { 1 / (1 + Foundation.exp(-$0)) }, ulps: 4) }
    func testTanh() {
        // absolute error near zero crossing is what matters there: compare in ulps of max(|tanh|, 1e-3)
        let xs = sweep()
        for x in xs {
            let r = tanh8(F8(repeating: x))[0]
            let e = Float(Foundation.tanh(Double(x)))
            XCTAssertLessThanOrEqual(abs(r - e), 4 * max(abs(e), 1e-3).ulp, "tanh(\(x))")
        }
    }
}
