import XCTest
import Foundation
import Random
@testable import Engine

final class DistributionTests: XCTestCase {
    func testNormalClosedForms() {
        let tape = Tape()
        let mu: [Float] = [0.3, -1.2, 2], sd: [Float] = [0.5, 1.7, 0.1]
        let mu2: [Float] = [0, 0.4, 1.8], sd2: [Float] = [1, 0.6, 0.3]
        let q = Normal(mean: tape.constant(shape: [3], values: mu), std: tape.constant(shape: [3], values: sd))
        let p = Normal(mean: tape.constant(shape: [3], values: mu2), logStd: tape.constant(shape: [3], values: sd2.map { Foundation.log($0) }))
        let x: [Float] = [0.1, 0.0, 2.05]
        let lp = q.logProb(tape.constant(shape: [3], values: x)).values
        let ent = q.entropy().values, kl = q.kl(to: p).values
        for i in 0..<3 {
            let m = Double(mu[i]), s = Double(sd[i]), m2 = Double(mu2[i]), s2 = Double(sd2[i]), xv = Double(x[i])
            let refLp = -0.5 * pow((xv - m) / s, 2) - Foundation.log(s) - 0.5 * Foundation.log(2 * Double.pi)
            let refEnt = 0.5 * Foundation.log(2 * Double.pi * M_E * s * s)
            let refKl = Foundation.log(s2 / s) + (s * s + (m - m2) * (m - m2)) / (2 * s2 * s2) - 0.5
            XCTAssertEqual(Double(lp[i]), refLp, accuracy: 1e-5 * max(1, abs(refLp)))
            XCTAssertEqual(Double(ent[i]), refEnt, accuracy: 1e-5)
            XCTAssertEqual(Double(kl[i]), refKl, accuracy: 1e-5 * max(1, abs(refKl)))
        }
        XCTAssertEqual(q.kl(to: q).values, [0, 0, 0], accuracy: 1e-6)
    }

    func testNormalRsampleStatisticsAndGradients() {
        var rng = RNG(seed: 1)
        let tape = Tape()
        let n = Normal(mean: tape.full([20000], 1.5), std: tape.full([20000], 0.5))
        let s = n.rsample(rng: &rng).values.map(Double.init)
        let m = s.reduce(0, +) / Double(s.count)
        let v = s.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(s.count)
        XCTAssertEqual(m, 1.5, accuracy: 0.02)
        XCTAssertEqual(v.squareRoot(), 0.5, accuracy: 0.01)
        // reparameterisation: d sample / d mean = 1, d sample / d logStd = std · ε
        checkGradients("rsample", inputs: [input([5], seed: 2), input([5], seed: 3)]) { _, t in
            var r = RNG(seed: 9)
            return Normal(mean: t[0], logStd: t[1]).rsample(rng: &r)
        }
        checkGradients("normal logProb/kl/entropy", inputs: [input([4], seed: 4), input([4], seed: 5), input([4], seed: 6)]) { tape, t in
            let q = Normal(mean: t[0], logStd: t[1])
            let p = Normal(mean: tape.zeros([4]), std: tape.full([4], 0.7))
            return concat([q.logProb(t[2]), q.kl(to: p), q.entropy(), p.kl(to: q)], axis: 0)
        }
    }

    func testBernoulliClosedForms() {
        let tape = Tape()
        let l: [Float] = [-3, -0.2, 0, 1.5, 40, -40]
        let l2: [Float] = [0.5, 0.5, -1, 2, -2, 3]
        let q = Bernoulli(logits: tape.constant(shape: [6], values: l))
        let p = Bernoulli(logits: tape.constant(shape: [6], values: l2))
        let ones = q.logProb(tape.full([6], 1)).values, zeros = q.logProb(tape.zeros([6])).values
        let ent = q.entropy().values, kl = q.kl(to: p).values
        for i in 0..<6 {
            let pq = 1 / (1 + Foundation.exp(-Double(l[i]))), pp = 1 / (1 + Foundation.exp(-Double(l2[i])))
            let lq1 = -Foundation.log1p(Foundation.exp(-Double(l[i]))), lq0 = -Foundation.log1p(Foundation.exp(Double(l[i])))
            XCTAssertEqual(Double(ones[i]), lq1, accuracy: 1e-5 * max(1, abs(lq1)))
            XCTAssertEqual(Double(zeros[i]), lq0, accuracy: 1e-5 * max(1, abs(lq0)))
            let refEnt = -(pq * lq1 + (1 - pq) * lq0)
            XCTAssertEqual(Double(ent[i]), refEnt, accuracy: 1e-5)
            let refKl = pq * (lq1 + Foundation.log1p(Foundation.exp(-Double(l2[i]))))
                + (1 - pq) * (lq0 + Foundation.log1p(Foundation.exp(Double(l2[i]))))
            XCTAssertEqual(Double(kl[i]), refKl, accuracy: 1e-5 * max(1, abs(refKl)))
            _ = pp
        }
        checkGradients("bernoulli", inputs: [input([4], seed: 7, -3, 3), input([4], seed: 8, -3, 3)]) { tape, t in
            let q = Bernoulli(logits: t[0]), p = Bernoulli(logits: t[1])
            return concat([q.logProb(tape.constant(shape: [4], values: [1, 0, 1, 0])), q.entropy(), q.kl(to: p)], axis: 0)
        }
        // sampling frequency
        var rng = RNG(seed: 10)
        let b = Bernoulli(logits: tape.full([20000], Float(Foundation.log(0.3 / 0.7))))
        let freq = b.sample(rng: &rng).values.reduce(0, +) / 20000
        XCTAssertEqual(freq, 0.3, accuracy: 0.01)
    }

    func testCategoricalClosedForms() {
        let tape = Tape()
        let l: [Float] = [1, 2, 0.5, -1, 10, 10.5, 9, -30]
        let l2: [Float] = [0, 0, 0, 0, 1, 2, 3, 4]
        let q = Categorical(logits: tape.constant(shape: [2, 4], values: l))
        let p = Categorical(logits: tape.constant(shape: [2, 4], values: l2))
        func probs(_ v: ArraySlice<Float>) -> [Double] {
            let e = v.map { Foundation.exp(Double($0)) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        let lp = q.logProb([2, 1]).values, ent = q.entropy().values, kl = q.kl(to: p).values
        for r in 0..<2 {
            let pq = probs(l[(r * 4)..<(r * 4 + 4)]), pp = probs(l2[(r * 4)..<(r * 4 + 4)])
            XCTAssertEqual(Double(lp[r]), Foundation.log(pq[r == 0 ? 2 : 1]), accuracy: 1e-5)
            let refEnt = -pq.map { $0 > 0 ? $0 * Foundation.log($0) : 0 }.reduce(0, +)
            XCTAssertEqual(Double(ent[r]), refEnt, accuracy: 1e-5)
            let refKl = zip(pq, pp).map { $0 > 0 ? $0 * Foundation.log($0 / $1) : 0 }.reduce(0, +)
            XCTAssertEqual(Double(kl[r]), refKl, accuracy: 1e-5)
        }
        checkGradients("categorical", inputs: [input([2, 3], seed: 11, -2, 2), input([2, 3], seed: 12, -2, 2)]) { _, t in
            let q = Categorical(logits: t[0]), p = Categorical(logits: t[1])
            return concat([q.logProb([2, 0]), q.entropy(), q.kl(to: p)], axis: 0)
        }
        var rng = RNG(seed: 13)
        let c = Categorical(logits: tape.constant(shape: [1, 3], values: [0, Float(Foundation.log(2.0)), Float(Foundation.log(7.0))]))
        var counts = [0, 0, 0]
        for _ in 0..<10000 { counts[c.sample(rng: &rng)[0]] += 1 }
        XCTAssertEqual(Double(counts[0]) / 10000, 0.1, accuracy: 0.015)
        XCTAssertEqual(Double(counts[1]) / 10000, 0.2, accuracy: 0.015)
        XCTAssertEqual(Double(counts[2]) / 10000, 0.7, accuracy: 0.015)
    }
}
