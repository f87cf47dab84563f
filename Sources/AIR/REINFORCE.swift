#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bookkeeping for the score-function (REINFORCE) estimator of the discrete choices'
/// gradients (AIR-NOTES §2): ∇φ L ∋ E[(r_i − b_i) ∇φ log q(d_i | ·)].
public enum ScoreFunction {
    /// The learning signal r_i of every step i of one sampled scene: the terms step i's
    /// choices can influence, i.e. f(z) + log p(n) + Σ_{j ≥ i} (log p_j − log q_j).
    /// Earlier steps' terms are constants for d_i and would only add variance.
    ///
    /// - Parameters:
    ///   - likelihood: f(z) = log p(x | render(z)) of the sampled scene.
    ///   - countLogPrior: log p(n), which every presence choice influences.
    ///   - stepLogPrior: per step (in order, for every step that sampled a choice, including the
    ///     final "absent" step when n < N): log p(s_i) + log p(c_i) (0 for an absent step).
    ///   - stepLogGuide: per step: log q(z_pres^i) + log q(s_i) + log q(c_i).
    public static func learningSignals(likelihood: Double, countLogPrior: Double,
                                       stepLogPrior: [Double], stepLogGuide: [Double]) -> [Double] {
        precondition(stepLogPrior.count == stepLogGuide.count, "one prior and one guide term per step")
        var signals = [Double](repeating: 0, count: stepLogPrior.count)
        var suffix = 0.0
        for i in stepLogPrior.indices.reversed() {
            suffix += stepLogPrior[i] - stepLogGuide[i]
            signals[i] = likelihood + countLogPrior + suffix
        }
        return signals
    }

    /// ∂ log Bernoulli(sample | sigmoid(logit)) / ∂ logit = sample − sigmoid(logit).
    public static func bernoulliScore(logit: Double, sample: Bool) -> Double {
        (sample ? 1 : 0) - sigmoid(logit)
    }

    /// ∂ log softmax(logits)[sample] / ∂ logits = onehot(sample) − softmax(logits).
    public static func categoricalScore(logits: [Double], sample: Int) -> [Double] {
        precondition(logits.indices.contains(sample), "sample \(sample) outside \(logits.count) classes")
        let m = logits.max()!
        let e = logits.map { exp($0 - m) }
        let total = e.reduce(0, +)
        return e.indices.map { (($0 == sample) ? 1 : 0) - e[$0] / total }
    }

    public static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }
}

/// NVIL's signal normalisation (Mnih & Gregor 2014): running estimates of the mean and
/// variance of the centred signals r − b, so the guide sees (r − b − mean) / max(floor, std),
/// of order one whatever the likelihood's scale (AIR-NOTES, "baselines whose targets are
/// orders of magnitude larger than their outputs").
///
/// Each `update` folds in one batch: mean ← α·mean + (1 − α)·batch mean and variance ←
/// α·variance + (1 − α)·batch variance (population variance within the batch). The first
/// batch sets both directly, so early signals are not scaled by a prior guess of 0.
public struct SignalNormalizer: Codable, Equatable, Sendable {
    /// α, the weight of the past; NVIL uses 0.8.
    public var decay: Double
    /// The scale never drops below this, so near-constant signals are not blown up.
    public var minimumScale: Double
    public private(set) var mean: Double = 0
    public private(set) var variance: Double = 0
    public private(set) var updates: Int = 0

    public init(decay: Double = 0.8, minimumScale: Double = 1) {
        precondition((0..<1).contains(decay), "decay must be in [0, 1)")
        precondition(minimumScale > 0, "minimumScale must be positive")
        self.decay = decay
        self.minimumScale = minimumScale
    }

    public var scale: Double { max(minimumScale, variance.squareRoot()) }

    /// Folds in a batch of centred signals; an empty batch changes nothing.
    public mutating func update(_ values: [Double]) {
        guard !values.isEmpty else { return }
        let n = Double(values.count)
        let m = values.reduce(0, +) / n
        let v = values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / n
        if updates == 0 {
            mean = m
            variance = v
        } else {
            mean = decay * mean + (1 - decay) * m
            variance = decay * variance + (1 - decay) * v
        }
        updates += 1
    }

    /// (value − mean) / scale with the current estimates.
    public func normalize(_ value: Double) -> Double { (value - mean) / scale }

    /// Normalises a batch with the estimates of earlier batches — so no signal scales itself —
    /// then folds it in. The very first batch is folded in first, having no history.
    public mutating func normalizeThenUpdate(_ values: [Double]) -> [Double] {
        if updates == 0 {
            update(values)
            return values.map(normalize)
        }
        let out = values.map(normalize)
        update(values)
        return out
    }
}
