import XCTest
import Foundation
import Random
@testable import AIR

final class REINFORCETests: XCTestCase {
    func testLearningSignalsByHand() {
        // Per-step log p − log q: −1, +1, −0.25; f = −10, log p(n) = −1.
        let r = ScoreFunction.learningSignals(likelihood: -10, countLogPrior: -1,
                                              stepLogPrior: [-2, -3, -0.5], stepLogGuide: [-1, -4, -0.25])
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r[2], -11.25, accuracy: 1e-12)   // −10 − 1 − 0.25
        XCTAssertEqual(r[1], -10.25, accuracy: 1e-12)   // −10 − 1 + 1 − 0.25
        XCTAssertEqual(r[0], -11.25, accuracy: 1e-12)   // −10 − 1 − 1 + 1 − 0.25
        XCTAssertEqual(ScoreFunction.learningSignals(likelihood: 3, countLogPrior: 0, stepLogPrior: [], stepLogGuide: []), [])
    }

    func testScoresAreDerivativesOfLogProbabilities() {
        let h = 1e-6
        for logit in [-3.0, -0.2, 0, 1.7, 40] {
            for b in [false, true] {
                func logq(_ t: Double) -> Double {
                    let p = ScoreFunction.sigmoid(t)
                    return b ? log(p) : log(1 - p)
                }
                if logit == 40 && !b { continue }   // log(1 − p) underflows; the score is still −1 + tiny
                let fd = (logq(logit + h) - logq(logit - h)) / (2 * h)
                XCTAssertEqual(ScoreFunction.bernoulliScore(logit: logit, sample: b), fd, accuracy: 1e-6)
            }
        }
        let logits = [0.3, -1.2, 2.0, 0.0]
        for sample in 0..<4 {
            let score = ScoreFunction.categoricalScore(logits: logits, sample: sample)
            for j in 0..<4 {
                func logq(_ d: Double) -> Double {
                    var l = logits
                    l[j] += d
                    return l[sample] - log(l.map { exp($0) }.reduce(0, +))
                }
                XCTAssertEqual(score[j], (logq(h) - logq(-h)) / (2 * h), accuracy: 1e-6)
            }
            XCTAssertEqual(score.reduce(0, +), 0, accuracy: 1e-12)
        }
        XCTAssertEqual(ScoreFunction.sigmoid(-800), 0)
        XCTAssertEqual(ScoreFunction.sigmoid(800), 1)
    }

    func testNormalizerByHand() {
        var n = SignalNormalizer(decay: 0.5, minimumScale: 1)
        n.update([1, 3])                 // first batch: mean 2, variance 1
        XCTAssertEqual(n.mean, 2)
        XCTAssertEqual(n.variance, 1)
        n.update([5, 5])                 // mean 0.5·2 + 0.5·5, variance 0.5·1 + 0.5·0
        XCTAssertEqual(n.mean, 3.5)
        XCTAssertEqual(n.variance, 0.5)
        XCTAssertEqual(n.normalize(4.5), 1)                          // scale floored at 1
        var m = n
        m.minimumScale = 0.1
        XCTAssertEqual(m.normalize(4.5), 1 / 0.5.squareRoot(), accuracy: 1e-12)
        n.update([])
        XCTAssertEqual(n.updates, 2)

        var k = SignalNormalizer(decay: 0.5)
        XCTAssertEqual(k.normalizeThenUpdate([10, 14]), [-1, 1])     // first batch: its own mean 12, std 2
        // Second batch scored with the first's estimates, then folded in.
        XCTAssertEqual(k.normalizeThenUpdate([12, 16]), [0, 2])
        XCTAssertEqual(k.mean, 13)
        XCTAssertEqual(k.updates, 2)
        let data = try! JSONEncoder().encode(k)
        XCTAssertEqual(try! JSONDecoder().decode(SignalNormalizer.self, from: data), k)
    }

    private func meanAndStandardError(_ xs: [Double]) -> (Double, Double) {
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count - 1)
        return (mean, (variance / Double(xs.count)).squareRoot())
    }

    /// d/dθ E_{b ~ Bernoulli(σ(θ))}[g(b)] = σ'(θ) (g(1) − g(0)), estimated by (g(b) − baseline)(b − σ(θ)).
    func testBernoulliREINFORCEWithRunningBaselineIsUnbiased() {
        let theta = 0.3
        let g: (Bool) -> Double = { $0 ? 5 : 2 }
        let p = ScoreFunction.sigmoid(theta)
        let exact = p * (1 - p) * (g(true) - g(false))
        var rng = RNG(seed: 31)
        var baseline = SignalNormalizer(decay: 0.9)
        var withBaseline: [Double] = [], without: [Double] = []
        for _ in 0..<20_000 {
            let b = rng.bernoulli(p)
            let score = ScoreFunction.bernoulliScore(logit: theta, sample: b)
            // The baseline is the running mean of earlier signals: independent of this b.
            let bValue = baseline.updates == 0 ? 0 : baseline.mean
            withBaseline.append((g(b) - bValue) * score)
            without.append(g(b) * score)
            baseline.update([g(b)])
        }
        let (m1, se1) = meanAndStandardError(withBaseline)
        let (m0, se0) = meanAndStandardError(without)
        XCTAssertEqual(m1, exact, accuracy: 4.5 * se1)
        XCTAssertEqual(m0, exact, accuracy: 4.5 * se0)
        XCTAssertLessThan(se1, 0.5 * se0, "the baseline should cut the variance")
    }

    /// Two sequential choices: b1 ~ Bern(σ(θ1)), b2 ~ Bern(σ(θ2 + w·b1)). Objective
    /// f(b1, b2) + t1(b1) + t2(b1, b2). Each choice's signal from `learningSignals` keeps only
    /// the terms it can influence; the estimates stay unbiased, and dropping t1 from b2's
    /// signal lowers its variance.
    func testStepwiseLearningSignalsAreUnbiased() {
        let theta1 = -0.4, theta2 = 0.7, w = 1.5
        let f: (Bool, Bool) -> Double = { b1, b2 in (b1 ? 1 : 0) * 2 - (b2 ? 1 : 0) * 3 + (b1 && b2 ? 4 : 0) }
        let t1: (Bool) -> Double = { $0 ? 20 : -20 }
        let t2: (Bool, Bool) -> Double = { b1, b2 in b2 ? (b1 ? 1 : -1) : 0.5 }
        func p2(_ b1: Bool) -> Double { ScoreFunction.sigmoid(theta2 + (b1 ? w : 0)) }
        let p1 = ScoreFunction.sigmoid(theta1)
        // Exact gradients by enumeration: d/dθ of Σ P(b1) P(b2 | b1) · total.
        var exact1 = 0.0, exact2 = 0.0
        for b1 in [false, true] {
            for b2 in [false, true] {
                let total = f(b1, b2) + t1(b1) + t2(b1, b2)
                let q1 = b1 ? p1 : 1 - p1, q2 = b2 ? p2(b1) : 1 - p2(b1)
                exact1 += (b1 ? 1 : -1) * p1 * (1 - p1) * q2 * total
                exact2 += q1 * (b2 ? 1 : -1) * p2(b1) * (1 - p2(b1)) * total
            }
        }
        var rng = RNG(seed: 77)
        var g1: [Double] = [], g2: [Double] = [], g2Full: [Double] = []
        for _ in 0..<40_000 {
            let b1 = rng.bernoulli(p1)
            let b2 = rng.bernoulli(p2(b1))
            let r = ScoreFunction.learningSignals(likelihood: f(b1, b2), countLogPrior: 0,
                                                  stepLogPrior: [t1(b1), t2(b1, b2)], stepLogGuide: [0, 0])
            g1.append(r[0] * ScoreFunction.bernoulliScore(logit: theta1, sample: b1))
            g2.append(r[1] * ScoreFunction.bernoulliScore(logit: theta2 + (b1 ? w : 0), sample: b2))
            g2Full.append(r[0] * ScoreFunction.bernoulliScore(logit: theta2 + (b1 ? w : 0), sample: b2))
        }
        let (m1, se1) = meanAndStandardError(g1)
        let (m2, se2) = meanAndStandardError(g2)
        let (m2f, se2f) = meanAndStandardError(g2Full)
        XCTAssertEqual(m1, exact1, accuracy: 4.5 * se1)
        XCTAssertEqual(m2, exact2, accuracy: 4.5 * se2)
        XCTAssertEqual(m2f, exact2, accuracy: 4.5 * se2f)
        XCTAssertLessThan(se2, 0.5 * se2f)
    }
}
