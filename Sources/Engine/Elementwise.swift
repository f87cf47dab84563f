#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

// Elementwise ops. Each op gives its forward loop and, beside it, the loop that accumulates the
// input gradient `gx += gy * dy/dx` (it may use the input x and the output y).

typealias UnaryForward = (_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) -> Void
typealias UnaryBackward = (_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                           _ gx: UnsafeMutablePointer<Float>, _ n: Int) -> Void

/// A unary op computed 8 lanes at a time: `forward` maps x to y; `derivative(x, y)` is dy/dx.
@inline(__always)
func unary8(_ x: Tensor, _ op: StaticString, _ forward: (F8) -> F8, _ derivative: @escaping (F8, F8) -> F8) -> Tensor {
    let tape = tapeOf(x, op: op)
    let grad = needsGrad(tape, x)
    let y = tape.result(x.shape, requiresGrad: grad)
    let n = x.count
    mapAll8(x.data, y.data, n, forward)
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let (gx, overwrite) = x.gradForWrite()
            let px = x.data, py = y.data
            var i = 0
            while i + 8 <= n {
                let d = load8(gy, i) * derivative(load8(px, i), load8(py, i))
                store8(overwrite ? d : load8(gx, i) + d, gx, i)
                i += 8
            }
            while i < n {
                let d = gy[i] * derivative(F8(repeating: px[i]), F8(repeating: py[i]))[0]
                gx[i] = overwrite ? d : gx[i] + d
                i += 1
            }
        }
    }
    return y
}

@inline(__always)
func unary(_ x: Tensor, _ op: StaticString, _ forward: UnaryForward, _ backward: @escaping UnaryBackward) -> Tensor {
    let tape = tapeOf(x, op: op)
    let grad = needsGrad(tape, x)
    let y = tape.result(x.shape, requiresGrad: grad)
    let n = x.count
    forward(x.data, y.data, n)
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            backward(x.data, y.data, gy, x.gradBuffer(), n)
        }
    }
    return y
}

/// Numerically stable logistic function.
@inline(__always) func sigmoidf(_ v: Float) -> Float {
    if v >= 0 { return 1 / (1 + expf(-v)) }
    let e = expf(v)
    return e / (1 + e)
}

/// Numerically stable log(1 + e^v).
@inline(__always) func softplusf(_ v: Float) -> Float { max(v, 0) + log1pf(expf(-abs(v))) }

/// e^x (arguments clamped to [−87.3, 88], inside the finite range of Float).
public func exp(_ x: Tensor) -> Tensor {
    unary8(x, "exp", exp8, { _, y in y })
}

public func log(_ x: Tensor) -> Tensor {
    unary(x, "log",
          { x, y, n in for i in 0..<n { y[i] = logf(x[i]) } },
          { x, _, gy, gx, n in for i in 0..<n { gx[i] += gy[i] / x[i] } })
}

public func sqrt(_ x: Tensor) -> Tensor {
    unary(x, "sqrt",
          { x, y, n in for i in 0..<n { y[i] = sqrtf(x[i]) } },
          { _, y, gy, gx, n in for i in 0..<n { gx[i] += gy[i] * 0.5 / y[i] } })
}

public func square(_ x: Tensor) -> Tensor {
    unary(x, "square",
          { x, y, n in for i in 0..<n { y[i] = x[i] * x[i] } },
          { x, _, gy, gx, n in for i in 0..<n { gx[i] += gy[i] * 2 * x[i] } })
}

/// max(x, 0). Written out with SIMD kernels: it follows every conv and dense layer.
public func relu(_ x: Tensor) -> Tensor {
    let tape = tapeOf(x, op: "relu")
    let grad = needsGrad(tape, x)
    let y = tape.result(x.shape, requiresGrad: grad)
    let n = x.count
    map8(x.data, y.data, n, { $0.replacing(with: 0, where: $0 .< 0) }, { max($0, 0) })
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let (gx, overwrite) = x.gradForWrite()
            reluGradient(x.data, gy, into: gx, n, overwrite: overwrite)
        }
    }
    return y
}

/// g (+)= gy where v > 0, else 0: ReLU's backward, from its input or (the same sign) its output.
@inline(__always)
func reluGradient(_ v: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>, _ n: Int, overwrite: Bool) {
    zipInto8(v, gy, g, n, overwrite: overwrite,
             { v, g in g.replacing(with: 0, where: v .<= 0) }, { v, g in v > 0 ? g : 0 })
}

/// ELU with α = 1: x for x > 0, e^x − 1 otherwise.
public func elu(_ x: Tensor) -> Tensor {
    unary(x, "elu",
          { x, y, n in for i in 0..<n { y[i] = x[i] > 0 ? x[i] : expm1f(x[i]) } },
          { x, y, gy, gx, n in for i in 0..<n { gx[i] += x[i] > 0 ? gy[i] : gy[i] * (y[i] + 1) } })
}

public func sigmoid(_ x: Tensor) -> Tensor {
    unary8(x, "sigmoid", sigmoid8, { _, y in y * (1 - y) })
}

public func tanh(_ x: Tensor) -> Tensor {
    unary8(x, "tanh", tanh8, { _, y in 1 - y * y })
}

/// log(1 + e^x), stable for large |x|.
public func softplus(_ x: Tensor) -> Tensor {
    unary(x, "softplus",
          { x, y, n in for i in 0..<n { y[i] = softplusf(x[i]) } },
          { x, _, gy, gx, n in for i in 0..<n { gx[i] += gy[i] * sigmoidf(x[i]) } })
}

/// log σ(x) = −softplus(−x), stable for large |x|.
public func logSigmoid(_ x: Tensor) -> Tensor {
    unary(x, "logSigmoid",
          { x, y, n in for i in 0..<n { y[i] = -softplusf(-x[i]) } },
          { x, _, gy, gx, n in for i in 0..<n { gx[i] += gy[i] * sigmoidf(-x[i]) } })
}

public func sin(_ x: Tensor) -> Tensor {
    unary(x, "sin",
          { x, y, n in for i in 0..<n { y[i] = sinf(x[i]) } },
          { x, _, gy, gx, n in for i in 0..<n { gx[i] += gy[i] * cosf(x[i]) } })
}

public func cos(_ x: Tensor) -> Tensor {
    unary(x, "cos",
          { x, y, n in for i in 0..<n { y[i] = cosf(x[i]) } },
          { x, _, gy, gx, n in for i in 0..<n { gx[i] -= gy[i] * sinf(x[i]) } })
}

/// |x| (gradient sign(x), 0 at 0).
public func abs(_ x: Tensor) -> Tensor {
    unary(x, "abs",
          { x, y, n in for i in 0..<n { y[i] = Swift.abs(x[i]) } },
          { x, _, gy, gx, n in for i in 0..<n { gx[i] += x[i] > 0 ? gy[i] : (x[i] < 0 ? -gy[i] : 0) } })
}

/// Clamps into [lo, hi]; the gradient passes only where the input is strictly inside.
public func clamp(_ x: Tensor, min lo: Float, max hi: Float) -> Tensor {
    unary(x, "clamp",
          { x, y, n in for i in 0..<n { y[i] = min(max(x[i], lo), hi) } },
          { x, _, gy, gx, n in for i in 0..<n where x[i] > lo && x[i] < hi { gx[i] += gy[i] } })
}

public prefix func - (x: Tensor) -> Tensor {
    unary(x, "neg",
          { x, y, n in for i in 0..<n { y[i] = -x[i] } },
          { _, _, gy, gx, n in for i in 0..<n { gx[i] -= gy[i] } })
}

/// x · s + t with scalars s, t (scalar affine; the building block of the scalar operators).
public func affine(_ x: Tensor, scale s: Float, shift t: Float) -> Tensor {
    unary(x, "affine",
          { x, y, n in for i in 0..<n { y[i] = x[i] * s + t } },
          { _, _, gy, gx, n in for i in 0..<n { gx[i] += gy[i] * s } })
}

/// x^p for a scalar exponent (x > 0 unless p is an integer).
public func pow(_ x: Tensor, _ p: Float) -> Tensor {
    unary(x, "pow",
          { x, y, n in for i in 0..<n { y[i] = powf(x[i], p) } },
          { x, _, gy, gx, n in for i in 0..<n { gx[i] += gy[i] * p * powf(x[i], p - 1) } })
}

public func + (x: Tensor, s: Float) -> Tensor { affine(x, scale: 1, shift: s) }
public func + (s: Float, x: Tensor) -> Tensor { affine(x, scale: 1, shift: s) }
public func - (x: Tensor, s: Float) -> Tensor { affine(x, scale: 1, shift: -s) }
public func - (s: Float, x: Tensor) -> Tensor { affine(x, scale: -1, shift: s) }
public func * (x: Tensor, s: Float) -> Tensor { affine(x, scale: s, shift: 0) }
public func * (s: Float, x: Tensor) -> Tensor { affine(x, scale: s, shift: 0) }
public func / (x: Tensor, s: Float) -> Tensor { affine(x, scale: 1 / s, shift: 0) }

// MARK: Binary ops with broadcasting

/// Row kernels see `n` output elements; operand i advances by `sa` / `sb` (0 or 1).
typealias BinaryForward = (_ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>, _ sb: Int,
                           _ y: UnsafeMutablePointer<Float>, _ n: Int) -> Void
typealias BinaryBackward = (_ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>, _ sb: Int,
                            _ y: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                            _ g: UnsafeMutablePointer<Float>, _ n: Int) -> Void

@inline(__always)
func binary(_ a: Tensor, _ b: Tensor, _ op: StaticString, _ forward: BinaryForward,
            gradA: @escaping BinaryBackward, gradB: @escaping BinaryBackward) -> Tensor {
    let tape = tapeOf(a, b, op: op)
    let grad = needsGrad(tape, a, b)
    let bc = Broadcast(a.shape, b.shape, op: op)
    let y = tape.result(bc.outShape, requiresGrad: grad)
    let n = bc.inner, sa = bc.strideA, sb = bc.strideB
    let pa = a.data, pb = b.data, py = y.data
    bc.forEachRow { o, ia, ib in forward(pa + ia, sa, pb + ib, sb, py + o, n) }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            if a.requiresGrad {
                let ga = a.gradBuffer()
                bc.forEachRow { o, ia, ib in gradA(pa + ia, sa, pb + ib, sb, py + o, gy + o, ga + ia, n) }
            }
            if b.requiresGrad {
                let gb = b.gradBuffer()
                bc.forEachRow { o, ia, ib in gradB(pa + ia, sa, pb + ib, sb, py + o, gy + o, gb + ib, n) }
            }
        }
    }
    return y
}

public func + (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, "add",
           { a, sa, b, sb, y, n in for i in 0..<n { y[i] = a[i * sa] + b[i * sb] } },
           gradA: { _, sa, _, _, _, gy, g, n in for i in 0..<n { g[i * sa] += gy[i] } },
           gradB: { _, _, _, sb, _, gy, g, n in for i in 0..<n { g[i * sb] += gy[i] } })
}

public func - (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, "sub",
           { a, sa, b, sb, y, n in for i in 0..<n { y[i] = a[i * sa] - b[i * sb] } },
           gradA: { _, sa, _, _, _, gy, g, n in for i in 0..<n { g[i * sa] += gy[i] } },
           gradB: { _, _, _, sb, _, gy, g, n in for i in 0..<n { g[i * sb] -= gy[i] } })
}

public func * (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, "mul",
           { a, sa, b, sb, y, n in for i in 0..<n { y[i] = a[i * sa] * b[i * sb] } },
           gradA: { _, sa, b, sb, _, gy, g, n in for i in 0..<n { g[i * sa] += gy[i] * b[i * sb] } },
           gradB: { a, sa, _, sb, _, gy, g, n in for i in 0..<n { g[i * sb] += gy[i] * a[i * sa] } })
}

public func / (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, "div",
           { a, sa, b, sb, y, n in for i in 0..<n { y[i] = a[i * sa] / b[i * sb] } },
           gradA: { _, sa, b, sb, _, gy, g, n in for i in 0..<n { g[i * sa] += gy[i] / b[i * sb] } },
           gradB: { _, _, b, sb, y, gy, g, n in for i in 0..<n { g[i * sb] -= gy[i] * y[i] / b[i * sb] } })
}

/// Multiplies by a mask (or any weights) that receives no gradient: `x * mask.detached()`.
/// Used to zero the terms of absent steps.
public func maskedMultiply(_ x: Tensor, _ mask: Tensor) -> Tensor { x * mask.detached() }

/// Elementwise min of two tensors (gradient to the smaller; ties to `a`).
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { -maximum(-a, -b) }

/// Elementwise max of two tensors (gradient to the larger; ties to `a`).
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    binary(a, b, "maximum",
           { a, sa, b, sb, y, n in for i in 0..<n { y[i] = max(a[i * sa], b[i * sb]) } },
           gradA: { a, sa, b, sb, _, gy, g, n in for i in 0..<n where a[i * sa] >= b[i * sb] { g[i * sa] += gy[i] } },
           gradB: { a, sa, b, sb, _, gy, g, n in for i in 0..<n where a[i * sa] < b[i * sb] { g[i * sb] += gy[i] } })
}
