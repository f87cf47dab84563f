#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

// Reductions. A sum over axes is the adjoint of broadcasting: the forward walks the input as rows
// broadcast against the kept shape and accumulates; the backward broadcasts the gradient back.

/// Sum over `axes` (all axes when nil). Without `keepDims` the reduced axes are removed
/// (a full reduction gives a scalar of shape []).
public func sum(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    scaledSum(x, axes: axes, keepDims: keepDims, mean: false)
}

/// Mean over `axes` (all axes when nil).
public func mean(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    scaledSum(x, axes: axes, keepDims: keepDims, mean: true)
}

func scaledSum(_ x: Tensor, axes: [Int]?, keepDims: Bool, mean: Bool) -> Tensor {
    let tape = tapeOf(x, op: "sum")
    let grad = needsGrad(tape, x)
    let reduced = Set((axes ?? Array(0..<x.rank)).map { normalizedAxis($0, rank: x.rank) })
    var kept = x.shape
    for a in reduced { kept[a] = 1 }
    let outShape = keepDims ? kept : x.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
    let y = tape.result(outShape, requiresGrad: grad)
    let scale: Float = mean ? Float(elementCount(kept)) / Float(max(x.count, 1)) : 1
    let bc = Broadcast(x.shape, kept)
    let n = bc.inner, sb = bc.strideB
    let px = x.data, py = y.data
    py.initialize(repeating: 0, count: y.count)
    bc.forEachRow { o, _, ib in
        if sb == 0 {
            var s: Float = 0
            for i in 0..<n { s += px[o + i] }
            py[ib] += s
        } else {
            for i in 0..<n { py[ib + i] += px[o + i] }
        }
    }
    if scale != 1 { for i in 0..<y.count { py[i] *= scale } }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gx = x.gradBuffer()
            bc.forEachRow { o, _, ib in
                for i in 0..<n { gx[o + i] += gy[ib + i * sb] * scale }
            }
        }
    }
    return y
}

/// Softmax along the last axis.
public func softmax(_ x: Tensor) -> Tensor {
    let tape = tapeOf(x, op: "softmax")
    let grad = needsGrad(tape, x)
    let y = tape.result(x.shape, requiresGrad: grad)
    let n = x.shape.last ?? 1, rows = x.count / max(n, 1)
    for r in 0..<rows {
        let xr = x.data + r * n, yr = y.data + r * n
        var m = -Float.infinity
        for i in 0..<n { m = max(m, xr[i]) }
        var s: Float = 0
        for i in 0..<n { yr[i] = expf(xr[i] - m); s += yr[i] }
        let inv = 1 / s
        for i in 0..<n { yr[i] *= inv }
    }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gx = x.gradBuffer()
            for r in 0..<rows {       // dx = y ⊙ (g − Σ g ⊙ y)
                let yr = y.data + r * n, gr = gy + r * n, gxr = gx + r * n
                var dot: Float = 0
                for i in 0..<n { dot += gr[i] * yr[i] }
                for i in 0..<n { gxr[i] += yr[i] * (gr[i] - dot) }
            }
        }
    }
    return y
}

/// Log-softmax along the last axis (stable: x − max − log Σ e^(x − max)).
public func logSoftmax(_ x: Tensor) -> Tensor {
    let tape = tapeOf(x, op: "logSoftmax")
    let grad = needsGrad(tape, x)
    let y = tape.result(x.shape, requiresGrad: grad)
    let n = x.shape.last ?? 1, rows = x.count / max(n, 1)
    for r in 0..<rows {
        let xr = x.data + r * n, yr = y.data + r * n
        var m = -Float.infinity
        for i in 0..<n { m = max(m, xr[i]) }
        var s: Float = 0
        for i in 0..<n { s += expf(xr[i] - m) }
        let ls = logf(s)
        for i in 0..<n { yr[i] = (xr[i] - m) - ls }
    }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gx = x.gradBuffer()
            for r in 0..<rows {       // dx = g − softmax · Σ g
                let yr = y.data + r * n, gr = gy + r * n, gxr = gx + r * n
                var s: Float = 0
                for i in 0..<n { s += gr[i] }
                for i in 0..<n { gxr[i] += gr[i] - expf(yr[i]) * s }
            }
        }
    }
    return y
}

/// log Σ exp along the last axis (stable), removing that axis.
public func logSumExp(_ x: Tensor) -> Tensor {
    let tape = tapeOf(x, op: "logSumExp")
    let grad = needsGrad(tape, x)
    let y = tape.result(Array(x.shape.dropLast()), requiresGrad: grad)
    let n = x.shape.last ?? 1, rows = x.count / max(n, 1)
    for r in 0..<rows {
        let xr = x.data + r * n
        var m = -Float.infinity
        for i in 0..<n { m = max(m, xr[i]) }
        var s: Float = 0
        for i in 0..<n { s += expf(xr[i] - m) }
        y.data[r] = m + logf(s)
    }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gx = x.gradBuffer()
            for r in 0..<rows {       // dx = g · softmax(x)
                let xr = x.data + r * n, gxr = gx + r * n, lse = y.data[r]
                for i in 0..<n { gxr[i] += gy[r] * expf(xr[i] - lse) }
            }
        }
    }
    return y
}
