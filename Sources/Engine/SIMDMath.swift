// Vectorised exp, sigmoid and tanh (Cephes single-precision polynomials, ≤ 2 ulp in tests against
// libm). libm's scalar expf/tanhf dominated the LSTM step; these run 8 lanes per instruction.

typealias F8 = SIMD8<Float>

/// e^x for each lane; inputs are clamped to [−87.3, 88] (inside the finite range of Float).
@inline(__always)
func exp8(_ x0: F8) -> F8 {
    let x = x0.clamped(lowerBound: F8(repeating: -87.33654), upperBound: F8(repeating: 88.0))
    // x = n·ln2 + r, |r| ≤ ln2/2; ln2 split in two for an exact n·ln2_hi.
    // Round to nearest with the 1.5·2²³ trick: adding it leaves the integer in the low mantissa bits.
    let shifted = x * 1.44269504088896341 + 12582912
    let n = shifted - 12582912
    var r = x - n * 0.693359375
    r = r - n * -2.12194440e-4
    let z = r * r
    var p = F8(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * z + r + 1
    // 2^n from the exponent field: the low bits of `shifted` + 127 are n + 127; the shift by 23
    // moves them into place and drops the 1.5·2²³ bits.
    let bits = unsafeBitCast(shifted + 127, to: SIMD8<Int32>.self) &<< 23
    return p * unsafeBitCast(bits, to: F8.self)
}

/// 1 / (1 + e^−x).
@inline(__always)
func sigmoid8(_ x: F8) -> F8 { 1 / (1 + exp8(-x)) }

/// tanh: an odd polynomial near 0 (no cancellation), (1 − e^−2|x|) / (1 + e^−2|x|) elsewhere.
@inline(__always)
func tanh8(_ x: F8) -> F8 {
    let a = x.replacing(with: -x, where: x .< 0)
    let e = exp8(-2 * a)
    var big = (1 - e) / (1 + e)
    big.replace(with: -big, where: x .< 0)
    let z = x * x
    var p = F8(repeating: -5.70498872745e-3)
    p = p * z + 2.06390887954e-2
    p = p * z - 5.37397155531e-2
    p = p * z + 1.33314422036e-1
    p = p * z - 3.33332819422e-1
    let small = x + x * z * p
    return small.replacing(with: big, where: a .>= 0.625)
}

/// Applies a lane-wise function over whole vectors and the scalar tail (padded into one vector),
/// so every element goes through the same formula.
@inline(__always)
func mapAll8(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ f: (F8) -> F8) {
    var i = 0
    while i + 8 <= n { store8(f(load8(x, i)), y, i); i += 8 }
    if i < n {
        var v = F8(repeating: 0)
        for k in 0..<(n - i) { v[k] = x[i + k] }
        let r = f(v)
        for k in 0..<(n - i) { y[i + k] = r[k] }
    }
}
