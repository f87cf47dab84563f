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
    for b in 0..<batch {
        let zr = z.data + b * 4 * hidden, a = gates + b * 4 * hidden
        let cr = c.data + b * hidden, ho = hOut.data + b * hidden, co = cOut.data + b * hidden, tc = tanhC + b * hidden
        for j in 0..<hidden {
            let i = sigmoidf(zr[j]), f = sigmoidf(zr[hidden + j])
            let g = tanhf(zr[2 * hidden + j]), o = sigmoidf(zr[3 * hidden + j])
            a[j] = i; a[hidden + j] = f; a[2 * hidden + j] = g; a[3 * hidden + j] = o
            let cn = f * cr[j] + i * g
            co[j] = cn
            tc[j] = tanhf(cn)
            ho[j] = o * tc[j]
        }
    }
    if grad {
        tape.record {
            let gh = hOut.currentGrad, gc = cOut.currentGrad
            if gh == nil && gc == nil { return }
            let gz = z.requiresGrad ? z.gradBuffer() : nil
            let gcIn = c.requiresGrad ? c.gradBuffer() : nil
            for b in 0..<batch {
                let a = gates + b * 4 * hidden, cr = c.data + b * hidden, tc = tanhC + b * hidden
                for j in 0..<hidden {
                    let i = a[j], f = a[hidden + j], g = a[2 * hidden + j], o = a[3 * hidden + j]
                    let dh = gh?[b * hidden + j] ?? 0
                    let dc = (gc?[b * hidden + j] ?? 0) + dh * o * (1 - tc[j] * tc[j])
                    if let gz {
                        let r = gz + b * 4 * hidden
                        r[j] += dc * g * i * (1 - i)
                        r[hidden + j] += dc * cr[j] * f * (1 - f)
                        r[2 * hidden + j] += dc * i * (1 - g * g)
                        r[3 * hidden + j] += dh * tc[j] * o * (1 - o)
                    }
                    if let gcIn { gcIn[b * hidden + j] += dc * f }
                }
            }
        }
    }
    return (hOut, cOut)
}
