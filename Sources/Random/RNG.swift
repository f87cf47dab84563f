/// A small, splittable, seeded random number generator (SplitMix64).
///
/// Its whole state is one `UInt64`, so it can be saved in a checkpoint and
/// restored bit-exactly. `split(_:)` derives an independent stream from a key
/// without advancing the parent: scene *i* of a batch uses `RNG(seed: s).split(i)`,
/// so it depends only on (seed, i), whatever order or thread renders it.
public struct RNG: RandomNumberGenerator, Sendable, Equatable, Codable {
    public var state: UInt64

    public init(seed: UInt64) {
        state = RNG.mix(seed &+ 0x6A09_E667_F3BC_C909)
    }

    public init(state: UInt64) { self.state = state }

    /// An independent stream for `key`; the parent is not advanced.
    public func split(_ key: UInt64) -> RNG {
        RNG(state: RNG.mix(state ^ RNG.mix(key &+ 0x9E37_79B9_7F4A_7C15)))
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return RNG.mix(state)
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits (every value exactly representable in Float).
    @inline(__always)
    public mutating func uniformFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * uniformDouble()
    }

    /// Standard normal (Box-Muller; one draw per call, so the stream position is predictable).
    public mutating func normal() -> Double {
        let u1 = 1.0 - uniformDouble() // (0, 1]
        let u2 = uniformDouble()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    public mutating func bernoulli(_ p: Double) -> Bool { uniformDouble() < p }

    /// Index drawn with probability proportional to `weights` (non-negative, not all zero).
    public mutating func categorical(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var u = uniformDouble() * total
        for (i, w) in weights.enumerated() {
            if u < w { return i }
            u -= w
        }
        return weights.lastIndex(where: { $0 > 0 }) ?? 0
    }

    /// Uniform integer in 0 ..< n (n > 0), without modulo bias.
    public mutating func int(below n: Int) -> Int {
        Int(truncatingIfNeeded: next(upperBound: UInt64(n)))
    }
}

@inline(__always) private func _log(_ x: Double) -> Double {
    #if canImport(Glibc)
    return Glibc.log(x)
    #else
    return Foundation.log(x)
    #endif
}

@inline(__always) private func _cos(_ x: Double) -> Double {
    #if canImport(Glibc)
    return Glibc.cos(x)
    #else
    return Foundation.cos(x)
    #endif
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
