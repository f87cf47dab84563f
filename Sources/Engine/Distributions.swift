import Random

// Distributions over tensors, built from differentiable ops (so every density, entropy and KL
// has gradients to its parameters). All results are elementwise (per latent); sum them as needed.
// Samples draw from a caller-owned `RNG`.

private let halfLog2Pi: Float = 0.9189385332046727

/// Diagonal Normal N(mean, std²).
public struct Normal {
    public let mean: Tensor
    public let logStd: Tensor

    /// From a log standard deviation (the stable parameterisation for a network head).
    public init(mean: Tensor, logStd: Tensor) { self.mean = mean; self.logStd = logStd }

    /// From a positive standard deviation (e.g. softplus(head) + ε, or a constant prior).
    public init(mean: Tensor, std: Tensor) { self.mean = mean; self.logStd = log(std) }

    public var std: Tensor { exp(logStd) }

    /// Reparameterised sample mean + std ⊙ ε, ε ~ N(0, 1) drawn from `rng`: gradients reach both parameters.
    public func rsample(rng: inout RNG) -> Tensor {
        let tape = tapeOf(mean, logStd, op: "Normal.rsample")
        return mean + std * tape.randn(mean.shape, rng: &rng)
    }

    /// A sample without gradient.
    public func sample(rng: inout RNG) -> Tensor { rsample(rng: &rng).detached() }

    /// log N(x | mean, std²) elementwise.
    public func logProb(_ x: Tensor) -> Tensor {
        let z = (x - mean) * exp(-logStd)
        return affine(square(z), scale: -0.5, shift: -halfLog2Pi) - logStd
    }

    /// Entropy ½ log(2πe σ²) elementwise.
    public func entropy() -> Tensor { logStd + (0.5 + halfLog2Pi) }

    /// KL(self ‖ other) elementwise: log(σₚ/σ_q) + (σ_q² + (μ_q − μₚ)²) / (2σₚ²) − ½.
    public func kl(to other: Normal) -> Tensor {
        let ratio = exp((logStd - other.logStd) * 2)                          // σ_q² / σₚ²
        let d = (mean - other.mean) * exp(-other.logStd)
        return (other.logStd - logStd) + affine(ratio + square(d), scale: 0.5, shift: -0.5)
    }
}

/// Bernoulli over {0, 1} with P(1) = σ(logits).
public struct Bernoulli {
    public let logits: Tensor

    public init(logits: Tensor) { self.logits = logits }

    public var probs: Tensor { sigmoid(logits) }

    /// Draws 0/1 values (a constant on the logits' tape).
    public func sample(rng: inout RNG) -> Tensor {
        let tape = tapeOf(logits, op: "Bernoulli.sample")
        let s = tape.zeros(logits.shape)
        for i in 0..<logits.count { s.data[i] = rng.uniformFloat() < sigmoidf(logits.data[i]) ? 1 : 0 }
        return s
    }

    /// log P(x) = x·l − softplus(l) elementwise (x in {0, 1}; stable for any logit).
    public func logProb(_ x: Tensor) -> Tensor { x * logits - softplus(logits) }

    /// Entropy softplus(l) − l·σ(l) elementwise.
    public func entropy() -> Tensor { softplus(logits) - logits * sigmoid(logits) }

    /// KL(self ‖ other) = p (log σ(l_q) − log σ(l_p)) + (1 − p)(log σ(−l_q) − log σ(−l_p)), p = σ(l_q).
    public func kl(to other: Bernoulli) -> Tensor {
        let p = sigmoid(logits)
        return p * (logSigmoid(logits) - logSigmoid(other.logits))
            + (1 - p) * (logSigmoid(-logits) - logSigmoid(-other.logits))
    }
}

/// Categorical over the last axis with probabilities softmax(logits): logits [..., K] → events [...].
public struct Categorical {
    public let logits: Tensor
    /// log-probabilities (normalised logits), [..., K].
    public let logProbs: Tensor

    public init(logits: Tensor) {
        self.logits = logits
        logProbs = logSoftmax(logits)
    }

    public var probs: Tensor { exp(logProbs) }
    public var classes: Int { logits.shape.last ?? 1 }

    /// One class index per row.
    public func sample(rng: inout RNG) -> [Int] {
        (0..<(logits.count / classes)).map { draw(row: $0, u: rng.uniformFloat()) }
    }

    /// The class of row r at uniform draw u: the inverse of its cumulative distribution.
    func draw(row r: Int, u: Float) -> Int {
        let k = classes
        var u = u
        for j in 0..<k {
            let p = expf(logProbs.data[r * k + j])
            if u < p { return j }
            u -= p
        }
        return k - 1
    }

    /// log P(class) per row.
    public func logProb(_ classes: [Int]) -> Tensor { pick(logProbs, classes) }

    /// Entropy −Σ p log p per row.
    public func entropy() -> Tensor { -sum(exp(logProbs) * logProbs, axes: [-1]) }

    /// KL(self ‖ other) = Σ p_q (log p_q − log p_p) per row.
    public func kl(to other: Categorical) -> Tensor {
        sum(exp(logProbs) * (logProbs - other.logProbs), axes: [-1])
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
