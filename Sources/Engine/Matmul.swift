import CBLAS

/// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major and contiguous.
@inline(__always)
func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
           _ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
           _ beta: Float, _ c: UnsafeMutablePointer<Float>) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(transA ? m : k), b, Int32(transB ? k : n), beta, c, Int32(n))
}

/// Matrix product `a · b` of a [..., K] by b [K, N] → [..., N] (leading dims of `a` are flattened
/// into rows), or batched: a [B, M, K] by b [B, K, N] → [B, M, N].
/// `transposeB` takes b as [N, K] (or [B, N, K]).
public func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 1 && (b.rank == 2 || (b.rank == 3 && a.rank == 3)),
                 "matmul: unsupported shapes \(a.shape) · \(b.shape)")
    let tape = tapeOf(a, b, op: "matmul")
    let grad = needsGrad(tape, a, b)
    let batched = b.rank == 3
    let batch = batched ? b.shape[0] : 1
    let k = a.shape[a.rank - 1]
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    precondition(k == (transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]) && (!batched || a.shape[0] == batch),
                 "matmul: shapes \(a.shape) · \(b.shape)\(transposeB ? "ᵀ" : "") do not match")
    let m = a.count / k / batch
    let y = tape.result(Array(a.shape.dropLast()) + [n], requiresGrad: grad)
    let sa = m * k, sb = k * n, sy = m * n
    for i in 0..<batch {
        sgemm(false, transposeB, m, n, k, 1, a.data + i * sa, b.data + i * sb, 0, y.data + i * sy)
    }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            if a.requiresGrad {      // dA = dY · Bᵀ
                let (ga, fresh) = a.gradForWrite()
                for i in 0..<batch {
                    sgemm(false, !transposeB, m, k, n, 1, gy + i * sy, b.data + i * sb, fresh ? 0 : 1, ga + i * sa)
                }
            }
            if b.requiresGrad {      // dB = Aᵀ · dY  (or dBᵀ = dYᵀ · A)
                let (gb, fresh) = b.gradForWrite()
                for i in 0..<batch {
                    if transposeB {
                        sgemm(true, false, n, k, m, 1, gy + i * sy, a.data + i * sa, fresh ? 0 : 1, gb + i * sb)
                    } else {
                        sgemm(true, false, k, n, m, 1, a.data + i * sa, gy + i * sy, fresh ? 0 : 1, gb + i * sb)
                    }
                }
            }
        }
    }
    return y
}

/// Fused affine map `x · wᵀ + bias` for x [..., K], w [N, K] (out × in, as PyTorch), bias [N]:
/// one GEMM forward, two backward. The out-major weight makes dW = dYᵀ · X, which OpenBLAS runs
/// faster than Xᵀ · dY for batch-sized inner dimensions (measured ~10-20 % on the bench shapes).
public func linear(_ x: Tensor, _ w: Tensor, _ bias: Tensor?) -> Tensor {
    precondition(w.rank == 2 && x.rank >= 1 && x.shape[x.rank - 1] == w.shape[1],
                 "linear: input \(x.shape) does not match weight \(w.shape) ([out, in])")
    let tape = tapeOf(x, w, bias, op: "linear")
    let grad = needsGrad(tape, x, w, bias)
    let n = w.shape[0], k = w.shape[1], m = x.count / k
    if let bias { precondition(bias.count == n, "linear: bias \(bias.shape) for \(n) outputs") }
    let y = tape.result(Array(x.shape.dropLast()) + [n], requiresGrad: grad)
    if let bias { fillRows(y.data, with: bias.data, rows: m, cols: n) }
    sgemm(false, true, m, n, k, 1, x.data, w.data, bias == nil ? 0 : 1, y.data)
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            if x.requiresGrad {      // dX = dY · W
                let (gx, fresh) = x.gradForWrite()
                sgemm(false, false, m, k, n, 1, gy, w.data, fresh ? 0 : 1, gx)
            }
            if w.requiresGrad {      // dW = dYᵀ · X
                let (gw, fresh) = w.gradForWrite()
                sgemm(true, false, n, k, m, 1, gy, x.data, fresh ? 0 : 1, gw)
            }
            if let bias, bias.requiresGrad { addColumnSums(gy, rows: m, cols: n, into: bias.gradBuffer()) }
        }
    }
    return y
}

/// Every row of y [rows, cols] = row: copies doubling blocks, so log₂(rows) memcpy calls.
@inline(__always)
func fillRows(_ y: UnsafeMutablePointer<Float>, with row: UnsafePointer<Float>, rows: Int, cols: Int) {
    guard rows > 0 else { return }
    y.update(from: row, count: cols)
    var done = 1
    while done < rows {
        let n = min(done, rows - done)
        (y + done * cols).update(from: y, count: n * cols)
        done += n
    }
}

/// g[j] += Σ_r m[r, j].
@inline(__always)
func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into g: UnsafeMutablePointer<Float>) {
    for r in 0..<rows { accumulate(m + r * cols, into: g, cols) }
}

/// OpenBLAS threading. Results are bit-identical for a fixed thread count, but 1 and 2 threads
/// differ in the last bits (OpenBLAS splits some reductions): pin the count (1) for training runs
/// that must reproduce across machines.
public enum BLAS {
    /// Sets the number of OpenBLAS threads (overrides OPENBLAS_NUM_THREADS).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(n, 1))) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
