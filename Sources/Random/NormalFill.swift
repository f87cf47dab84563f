// Gaussian noise for whole images. One libm logarithm and cosine in Double per value made the
// noise effect about a sixth of a training step; here each 64-bit word gives two normals
// (Box–Muller on its two 32-bit halves, both outputs kept), computed eight pairs at a time in
// Float with polynomials accurate to a few units in the last place.

typealias Float8 = SIMD8<Float>

extension RNG {
    /// Fills `out` with independent standard normal draws, consuming eight `next()` per block of
    /// 16 values, a partial last block included (so a shorter buffer's draws are a prefix of a
    /// longer one's). Each word gives u1 = (hi + 1)·2⁻³² ∈ (0, 1] and
    /// u2 = lo·2⁻³², so no value lies beyond √(−2 ln 2⁻³²) ≈ 6.66 (P(|z| > 6.66) ≈ 3·10⁻¹¹).
    public mutating func fillNormal(_ out: UnsafeMutableBufferPointer<Float>) {
        guard let base = out.baseAddress else { return }
        let n = out.count
        var i = 0
        while i < n {
            var hi = Float8(), lo = Float8()
            for k in 0..<8 {
                let w = next()
                hi[k] = Float(UInt32(truncatingIfNeeded: w >> 32))
                lo[k] = Float(UInt32(truncatingIfNeeded: w))
            }
            let u1 = (hi + 1) * 0x1p-32, u2 = lo * 0x1p-32
            let r = (-2 * logUnit8(u1)).squareRoot()
            let (c, s) = sinCosTurns8(u2)
            let z0 = r * c, z1 = r * s
            if i + 16 <= n {
                for k in 0..<8 { base[i + k] = z0[k]; base[i + 8 + k] = z1[k] }
            } else {
                for k in 0..<min(8, n - i) { base[i + k] = z0[k] }
                for k in 0..<max(0, n - i - 8) { base[i + 8 + k] = z1[k] }
            }
            i += 16
        }
    }
}

/// ln x for x in (0, 1] (normal floats): x = m·2ᵉ with m in [√½, √2), ln m = 2 atanh(s) with
/// s = (m − 1)/(m + 1), |s| ≤ 0.172, summed to s⁹ (the next term is below 10⁻⁹ of ln m).
@inline(__always)
func logUnit8(_ x: Float8) -> Float8 {
    let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
    // The exponent field k as a float without an integer conversion: 2²³ + k, less 2²³ + 127.
    var e = unsafeBitCast((bits &>> 23) | 0x4B00_0000, to: Float8.self) - Float8(repeating: 8_388_608 + 127)
    var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: Float8.self)
    let big = m .> Float8(repeating: 1.414_213_6)
    m.replace(with: m * 0.5, where: big)
    e.replace(with: e + 1, where: big)
    let one = Float8(repeating: 1)
    let s: Float8 = (m - one) / (m + one), s2: Float8 = s * s
    var series: Float8 = s2 * Float8(repeating: 1.0 / 9) + Float8(repeating: 1.0 / 7)
    series = series * s2 + Float8(repeating: 1.0 / 5)
    series = series * s2 + Float8(repeating: 1.0 / 3)
    series = series * s2 + one
    return e * Float8(repeating: 0.693_147_18) + (s + s) * series
}

/// (cos 2πt, sin 2πt) for t in [0, 1]: t in quarter turns is split into the nearest quarter q
/// and a remainder of at most an eighth of a turn, whose sine and cosine are Taylor sums to
/// r⁹ and r¹⁰ (error below 2·10⁻⁹; `sr` and `cr` nest the ratios of successive terms), then
/// turned by q quarters.
@inline(__always)
func sinCosTurns8(_ t: Float8) -> (cos: Float8, sin: Float8) {
    let quarters = t * 4
    let q = quarters.rounded(.toNearestOrEven)
    let r: Float8 = (quarters - q) * Float8(repeating: Float.pi / 2), r2: Float8 = r * r
    let one = Float8(repeating: 1)
    var sr: Float8 = one - r2 * Float8(repeating: 1.0 / 72)
    sr = one - r2 * Float8(repeating: 1.0 / 42) * sr
    sr = one - r2 * Float8(repeating: 1.0 / 20) * sr
    sr = one - r2 * Float8(repeating: 1.0 / 6) * sr
    sr = r * sr
    var cr: Float8 = one - r2 * Float8(repeating: 1.0 / 90)
    cr = one - r2 * Float8(repeating: 1.0 / 56) * cr
    cr = one - r2 * Float8(repeating: 1.0 / 30) * cr
    cr = one - r2 * Float8(repeating: 1.0 / 12) * cr
    cr = one - r2 * Float8(repeating: 1.0 / 2) * cr
    // q mod 4 in floats (q is 0…4): a SIMD float-to-integer conversion is a slow generic path.
    let quadrant = q - Float8(repeating: 4) * (q * 0.25).rounded(.down)
    let q1 = quadrant .== Float8(repeating: 1), q2 = quadrant .== Float8(repeating: 2), q3 = quadrant .== Float8(repeating: 3)
    var c = cr, s = sr
    c.replace(with: -sr, where: q1); s.replace(with: cr, where: q1)
    c.replace(with: -cr, where: q2); s.replace(with: -sr, where: q2)
    c.replace(with: sr, where: q3); s.replace(with: -cr, where: q3)
    return (c, s)
}
