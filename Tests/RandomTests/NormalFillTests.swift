import XCTest
import Foundation
@testable import Random

final class NormalFillTests: XCTestCase {
    func testLogAndSinCosAgainstLibm() {
        var worstLog = 0.0
        var xs: [Float] = [1, 0x1p-32, 0.5, 0.70710677, 0.70710683, 0.99999994]
        for k in 0..<4000 { xs.append(Float(pow(10.0, -9.7 * Double(k) / 4000))) }
        for chunk in stride(from: 0, to: xs.count - 7, by: 8) {
            let v = Float8((0..<8).map { xs[chunk + $0] })
            let l = logUnit8(v)
            for k in 0..<8 {
                let exact = log(Double(v[k]))
                worstLog = max(worstLog, abs(Double(l[k]) - exact) / max(1, abs(exact)))
            }
        }
        XCTAssertLessThan(worstLog, 3e-7)
        var worstTrig = 0.0
        for chunk in 0..<1000 {
            let t = Float8((0..<8).map { Float(chunk * 8 + $0) / 7999 })
            let (c, s) = sinCosTurns8(t)
            for k in 0..<8 {
                let a = 2 * Double.pi * Double(t[k])
                worstTrig = max(worstTrig, abs(Double(c[k]) - cos(a)), abs(Double(s[k]) - sin(a)))
            }
        }
        XCTAssertLessThan(worstTrig, 3e-7)
    }

    func testFillNormalIsStandardNormal() {
        var rng = RNG(seed: 11)
        let n = 200_000
        var z = [Float](repeating: .nan, count: n)
        z.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        var s = 0.0, s2 = 0.0, within1 = 0, within2 = 0, below = 0, lag = 0.0
        for i in 0..<n {
            let v = Double(z[i])
            XCTAssert(v.isFinite && abs(v) < 6.7)
            s += v; s2 += v * v
            if abs(v) < 1 { within1 += 1 }
            if abs(v) < 2 { within2 += 1 }
            if v < -1.5 { below += 1 }
            // A word's two outputs sit 8 apart; the next pair 16 apart.
            if i + 8 < n { lag += v * Double(z[i + 8]) }
        }
        let dn = Double(n)
        XCTAssertEqual(s / dn, 0, accuracy: 0.01)
        XCTAssertEqual(s2 / dn, 1, accuracy: 0.012)
        XCTAssertEqual(Double(within1) / dn, 0.682_689, accuracy: 0.004)
        XCTAssertEqual(Double(within2) / dn, 0.954_500, accuracy: 0.002)
        XCTAssertEqual(Double(below) / dn, 0.066_807, accuracy: 0.002)
        XCTAssertEqual(lag / dn, 0, accuracy: 0.01)
    }

    func testFillNormalIsDeterministicAndAPrefixForShorterBuffers() {
        func draw(_ count: Int) -> [Float] {
            var rng = RNG(seed: 5)
            var z = [Float](repeating: .nan, count: count)
            z.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
            return z
        }
        let long = draw(48)
        XCTAssertEqual(draw(48), long)
        for count in [0, 1, 5, 8, 13, 16, 20, 47] {
            XCTAssertEqual(draw(count), Array(long.prefix(count)), "\(count)")
        }
        XCTAssertFalse(long.contains { $0.isNaN })
    }
}
