/// Normalised weights of log-weights — each exp(ℓᵢ) / Σ exp(ℓⱼ), computed from the largest so
/// that nothing overflows — and log Σ exp(ℓⱼ). The responsibilities of alternatives (orders,
/// candidates) whose log-likelihoods are `logWeights`, and the log-likelihood of "any of them".
func responsibilities(_ logWeights: [Double]) -> (weights: [Double], logSum: Double) {
    let top = logWeights.max()!
    let e = logWeights.map { exp($0 - top) }
    let z = e.reduce(0, +)
    return (e.map { $0 / z }, top + log(z))
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
