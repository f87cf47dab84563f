// Ops that move values without arithmetic. Reshape and leading-axis slices are views (no copy,
// gradient shared with the source); the others copy forward and scatter-add backward.

extension Tensor {
    /// The same values under a new shape (a view). One dimension may be -1 (inferred).
    public func reshaped(_ shape: [Int]) -> Tensor {
        var s = shape
        if let i = s.firstIndex(of: -1) {
            let rest = s.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            s[i] = rest == 0 ? 0 : count / rest
        }
        precondition(elementCount(s) == count, "reshape: \(self.shape) has \(count) elements, not \(elementCount(s)) for \(shape)")
        return view(shape: s, offset: 0, on: tape)
    }

    /// Flattens all but the first axis: [B, ...] → [B, rest].
    public func flattened() -> Tensor { reshaped([shape[0], -1]) }
}

/// Rows `range` of axis `axis`. A view when every axis before `axis` has size 1 (e.g. axis 0).
public func slice(_ x: Tensor, axis: Int, _ range: Range<Int>) -> Tensor {
    let ax = normalizedAxis(axis, rank: x.rank)
    precondition(range.lowerBound >= 0 && range.upperBound <= x.shape[ax],
                 "slice: range \(range) out of bounds for axis \(ax) of \(x.shape)")
    var outShape = x.shape
    outShape[ax] = range.count
    let inner = x.shape[(ax + 1)...].reduce(1, *)
    let outer = x.shape[..<ax].reduce(1, *)
    if outer == 1 {
        return x.view(shape: outShape, offset: range.lowerBound * inner, on: x.tape)
    }
    let tape = tapeOf(x, op: "slice")
    let grad = needsGrad(tape, x)
    let y = tape.result(outShape, requiresGrad: grad)
    let rowIn = x.shape[ax] * inner, rowOut = range.count * inner, start = range.lowerBound * inner
    for o in 0..<outer { (y.data + o * rowOut).update(from: x.data + o * rowIn + start, count: rowOut) }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gx = x.gradBuffer()
            for o in 0..<outer {
                let d = gx + o * rowIn + start, s = gy + o * rowOut
                for i in 0..<rowOut { d[i] += s[i] }
            }
        }
    }
    return y
}

/// Concatenation along `axis` (all other dims equal).
public func concat(_ xs: [Tensor], axis: Int) -> Tensor {
    precondition(!xs.isEmpty, "concat: no tensors")
    let ax = normalizedAxis(axis, rank: xs[0].rank)
    var outShape = xs[0].shape
    outShape[ax] = 0
    for x in xs {
        var s = x.shape
        s[ax] = 0
        precondition(x.rank == xs[0].rank && s == { var t = xs[0].shape; t[ax] = 0; return t }(),
                     "concat: shape \(x.shape) does not match \(xs[0].shape) off axis \(ax)")
        outShape[ax] += x.shape[ax]
    }
    guard let tape = xs.lazy.compactMap(\.tape).first else {
        preconditionFailure("concat: no input is on a tape; use tape.watch")
    }
    let grad = tape.recording && xs.contains { $0.requiresGrad }
    let y = tape.result(outShape, requiresGrad: grad)
    let inner = outShape[(ax + 1)...].reduce(1, *)
    let outer = outShape[..<ax].reduce(1, *)
    let rowOut = outShape[ax] * inner
    var start = 0
    var starts: [Int] = []
    for x in xs {
        starts.append(start)
        let rowIn = x.shape[ax] * inner
        for o in 0..<outer { (y.data + o * rowOut + start).update(from: x.data + o * rowIn, count: rowIn) }
        start += rowIn
    }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            for (x, s0) in zip(xs, starts) where x.requiresGrad {
                let gx = x.gradBuffer()
                let rowIn = x.shape[ax] * inner
                for o in 0..<outer {
                    let d = gx + o * rowIn, s = gy + o * rowOut + s0
                    for i in 0..<rowIn { d[i] += s[i] }
                }
            }
        }
    }
    return y
}

/// Stacks equally shaped tensors along a new axis `axis` (e.g. per-step outputs into [B, steps, ...]).
public func stack(_ xs: [Tensor], axis: Int) -> Tensor {
    precondition(!xs.isEmpty, "stack: no tensors")
    let rank = xs[0].rank + 1
    let ax = normalizedAxis(axis, rank: rank)
    return concat(xs.map { x in
        var s = x.shape
        s.insert(1, at: ax)
        return x.reshaped(s)
    }, axis: ax)
}

/// Axis permutation: output axis i is input axis `perm[i]` (copies).
public func permute(_ x: Tensor, _ perm: [Int]) -> Tensor {
    precondition(perm.sorted() == Array(0..<x.rank), "permute: \(perm) is not a permutation of \(x.rank) axes")
    let tape = tapeOf(x, op: "permute")
    let grad = needsGrad(tape, x)
    let outShape = perm.map { x.shape[$0] }
    let y = tape.result(outShape, requiresGrad: grad)
    var inStrides = [Int](repeating: 1, count: x.rank)
    for i in stride(from: x.rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * x.shape[i + 1] }
    let strides = perm.map { inStrides[$0] }     // input stride of each output axis
    // Visits output elements in order; `f(outIndex, inIndex)`.
    let walk = { (f: (Int, Int) -> Void) in
        let rank = outShape.count
        if y.count == 0 { return }
        var idx = [Int](repeating: 0, count: rank)
        var src = 0
        for o in 0..<y.count {
            f(o, src)
            var k = rank - 1
            while k >= 0 {
                idx[k] += 1; src += strides[k]
                if idx[k] < outShape[k] { break }
                src -= strides[k] * outShape[k]; idx[k] = 0; k -= 1
            }
        }
    }
    let px = x.data, py = y.data
    walk { o, i in py[o] = px[i] }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gx = x.gradBuffer()
            walk { o, i in gx[i] += gy[o] }
        }
    }
    return y
}

/// Swaps the last two axes.
public func transpose(_ x: Tensor) -> Tensor {
    precondition(x.rank >= 2, "transpose: needs rank ≥ 2, got \(x.shape)")
    var p = Array(0..<x.rank)
    p.swapAt(x.rank - 1, x.rank - 2)
    return permute(x, p)
}

/// Selects entries `indices` along `axis` (index_select); indices may repeat.
public func gather(_ x: Tensor, indices: [Int], axis: Int) -> Tensor {
    let ax = normalizedAxis(axis, rank: x.rank)
    for i in indices { precondition(i >= 0 && i < x.shape[ax], "gather: index \(i) out of range 0..<\(x.shape[ax])") }
    let tape = tapeOf(x, op: "gather")
    let grad = needsGrad(tape, x)
    var outShape = x.shape
    outShape[ax] = indices.count
    let y = tape.result(outShape, requiresGrad: grad)
    let inner = x.shape[(ax + 1)...].reduce(1, *), outer = x.shape[..<ax].reduce(1, *)
    let rowIn = x.shape[ax] * inner, rowOut = indices.count * inner
    for o in 0..<outer {
        for (j, i) in indices.enumerated() {
            (y.data + o * rowOut + j * inner).update(from: x.data + o * rowIn + i * inner, count: inner)
        }
    }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gx = x.gradBuffer()
            for o in 0..<outer {
                for (j, i) in indices.enumerated() {
                    let d = gx + o * rowIn + i * inner, s = gy + o * rowOut + j * inner
                    for t in 0..<inner { d[t] += s[t] }
                }
            }
        }
    }
    return y
}

/// Per-row pick along the last axis: x [..., C], one index per row → [...]
/// (e.g. the log-probability of each row's chosen class).
public func pick(_ x: Tensor, _ indices: [Int]) -> Tensor {
    let c = x.shape.last ?? 1, rows = x.count / max(c, 1)
    precondition(indices.count == rows, "pick: \(indices.count) indices for \(rows) rows of \(x.shape)")
    for i in indices { precondition(i >= 0 && i < c, "pick: index \(i) out of range 0..<\(c)") }
    let tape = tapeOf(x, op: "pick")
    let grad = needsGrad(tape, x)
    let y = tape.result(Array(x.shape.dropLast()), requiresGrad: grad)
    for r in 0..<rows { y.data[r] = x.data[r * c + indices[r]] }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gx = x.gradBuffer()
            for r in 0..<rows { gx[r * c + indices[r]] += gy[r] }
        }
    }
    return y
}
