#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The LSTM cell's pointwise part, fused: from pre-activations z [B, 4H] (input, forget, candidate,
/// output gates) and the cell c [B, H], returns h' = o ⊙ tanh(c'), c' = f ⊙ c + i ⊙ g.
/// One op instead of ten keeps the tape short and the memory traffic to one pass each way.
public func lstmGates(_ z: Tensor, _ c: Tensor) -> (h: Tensor, c: Tensor) {
    let hidden = c.shape[c.rank - 1], batch = c.count / hidden
    precondition(z.count == batch * 4 * hidden && z.shape.last == 4 * hidden,
                 "lstmGates: pre-activations \(z.shape) do not match cell \(c.shape)")
    let tape = tapeOf(z, c, op: "lstmGates")
    let grad = needsGrad(tape, z, c)
    let hOut = tape.result(c.shape, requiresGrad: grad)
    let cOut = tape.result(c.shape, requiresGrad: grad)
    let gates = tape.scratch(z.count)            // activated gates, kept for the backward pass
    let tanhC = tape.scratch(c.count)
    let vectorEnd = hidden - hidden % 8
    for b in 0..<batch {
        let zr = z.data + b * 4 * hidden, a = gates + b * 4 * hidden
        let cr = c.data + b * hidden, ho = hOut.data + b * hidden, co = cOut.data + b * hidden, tc = tanhC + b * hidden
        var j = 0
        while j < vectorEnd {
            let i = sigmoid8(load8(zr, j)), f = sigmoid8(load8(zr, hidden + j))
            let g = tanh8(load8(zr, 2 * hidden + j)), o = sigmoid8(load8(zr, 3 * hidden + j))
            store8(i, a, j); store8(f, a, hidden + j); store8(g, a, 2 * hidden + j); store8(o, a, 3 * hidden + j)
            let cn = f * load8(cr, j) + i * g
            let t = tanh8(cn)
            store8(cn, co, j); store8(t, tc, j); store8(o * t, ho, j)
            j += 8
        }
        while j < hidden {
            let i = sigmoidf(zr[j]), f = sigmoidf(zr[hidden + j])
            let g = tanhf(zr[2 * hidden + j]), o = sigmoidf(zr[3 * hidden + j])
            a[j] = i; a[hidden + j] = f; a[2 * hidden + j] = g; a[3 * hidden + j] = o
            let cn = f * cr[j] + i * g
            co[j] = cn
            tc[j] = tanhf(cn)
            ho[j] = o * tc[j]
            j += 1
        }
    }
    if grad {
        tape.record {
            let gh = hOut.currentGrad, gc = cOut.currentGrad
            if gh == nil && gc == nil { return }
            let zGrad = z.requiresGrad ? z.gradForWrite() : nil
            let cGrad = c.requiresGrad ? c.gradForWrite() : nil
            let zero = F8(repeating: 0)
            for b in 0..<batch {
                let a = gates + b * 4 * hidden, cr = c.data + b * hidden, tc = tanhC + b * hidden
                let off = b * hidden
                var j = 0
                while j < vectorEnd {
                    let i = load8(a, j), f = load8(a, hidden + j), g = load8(a, 2 * hidden + j), o = load8(a, 3 * hidden + j)
                    let t = load8(tc, j)
                    let dh = gh.map { load8($0, off + j) } ?? zero
                    let dc = (gc.map { load8($0, off + j) } ?? zero) + dh * o * (1 - t * t)
                    if let (gz, overwrite) = zGrad {
                        let r = gz + b * 4 * hidden
                        let di = dc * g * i * (1 - i), df = dc * load8(cr, j) * f * (1 - f)
                        let dg = dc * i * (1 - g * g), dout = dh * t * o * (1 - o)
                        if overwrite {
                            store8(di, r, j); store8(df, r, hidden + j); store8(dg, r, 2 * hidden + j); store8(dout, r, 3 * hidden + j)
                        } else {
                            store8(load8(r, j) + di, r, j); store8(load8(r, hidden + j) + df, r, hidden + j)
                            store8(load8(r, 2 * hidden + j) + dg, r, 2 * hidden + j)
                            store8(load8(r, 3 * hidden + j) + dout, r, 3 * hidden + j)
                        }
                    }
                    if let (gcIn, overwrite) = cGrad {
                        store8(overwrite ? dc * f : load8(gcIn, off + j) + dc * f, gcIn, off + j)
                    }
                    j += 8
                }
                while j < hidden {
                    let i = a[j], f = a[hidden + j], g = a[2 * hidden + j], o = a[3 * hidden + j]
                    let dh = gh?[off + j] ?? 0
                    let dc = (gc?[off + j] ?? 0) + dh * o * (1 - tc[j] * tc[j])
                    if let (gz, overwrite) = zGrad {
                        let r = gz + b * 4 * hidden
                        let d = (dc * g * i * (1 - i), dc * cr[j] * f * (1 - f), dc * i * (1 - g * g), dh * tc[j] * o * (1 - o))
                        if overwrite {
                            r[j] = d.0; r[hidden + j] = d.1; r[2 * hidden + j] = d.2; r[3 * hidden + j] = d.3
                        } else {
                            r[j] += d.0; r[hidden + j] += d.1; r[2 * hidden + j] += d.2; r[3 * hidden + j] += d.3
                        }
                    }
                    if let (gcIn, overwrite) = cGrad { gcIn[off + j] = overwrite ? dc * f : gcIn[off + j] + dc * f }
                    j += 1
                }
            }
        }
    }
    return (hOut, cOut)
}
