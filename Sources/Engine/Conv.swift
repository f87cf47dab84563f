// Convolution and pooling on NHWC images ([batch, height, width, channels]).
//
// NHWC because im2col then copies runs of C contiguous channels, the whole batch becomes one GEMM
// (rows = B·OH·OW output pixels, columns = output channels) whose result is already NHWC, and the
// spatial transformer reads all channels of a pixel from one cache line.

struct ConvGeometry {
    let batch, height, width, channels, kernelH, kernelW, stride, padding, outH, outW: Int
    var rows: Int { batch * outH * outW }
    var patch: Int { kernelH * kernelW * channels }
    /// A 1×1 stride-1 unpadded conv, whose input is already its im2col matrix.
    var isDirect: Bool { kernelH == 1 && kernelW == 1 && stride == 1 && padding == 0 }

    /// Output pixels per block: the block's im2col rows (about 512 KB) stay in cache from the
    /// copy through the GEMMs that read them, which is what keeps the GEMMs near their in-cache
    /// speed (the whole im2col matrix of a batch is tens of MB).
    var blockRows: Int { max(16, min(rows, 131_072 / max(patch, 1))) }

    /// Walks the im2col rows of output pixels `pixels` kernel row by kernel row, output row by
    /// output row: for a kernel row the input row is fixed, so the output pixels whose taps all
    /// lie inside the image read one kernel row of C channels each at a constant stride
    /// (`interior(col, image, n)`: n pixels, the first one's column and image offsets; the next
    /// ones `patch` and `stride · C` further on). A pixel at the image's left or right edge reads
    /// taps kx₀ ..< kx₁ (`edge(col, image, kx₀, kx₁)`, the offsets of its kernel row's start and of
    /// tap kx₀), and pixels whose kernel row lies in the padding above or below read none
    /// (`outside(col, n)`). Column offsets count from the range's first row. Walking pixel by
    /// pixel instead spent more on the walk than on the copies (a dozen floats in the first layers).
    @inline(__always)
    func forEachKernelRow(_ pixels: Range<Int>, interior: (Int, Int, Int) -> Void, edge: (Int, Int, Int, Int) -> Void,
                          outside: (Int, Int) -> Void) {
        let rowLength = kernelW * channels, plane = outH * outW
        // Output columns whose whole kernel row lies inside the image: ox·s − p ≥ 0 and ox·s − p + kW ≤ W.
        let firstInside = (padding + stride - 1) / stride
        let endInside = width + padding - kernelW >= 0 ? min(outW, (width + padding - kernelW) / stride + 1) : 0
        var r = pixels.lowerBound
        while r < pixels.upperBound {
            let b = r / plane, oy = (r % plane) / outW, ox0 = r % outW
            let ox1 = min(outW, ox0 + (pixels.upperBound - r))
            let base = (r - pixels.lowerBound) * patch
            let lo = min(max(ox0, firstInside), ox1), hi = max(lo, min(ox1, endInside))
            for ky in 0..<kernelH {
                let iy = oy * stride - padding + ky
                let first = base + ky * rowLength
                if iy < 0 || iy >= height { outside(first, ox1 - ox0); continue }
                let inputRow = (b * height + iy) * width
                func atEdge(_ ox: Int) {
                    let x0 = ox * stride - padding
                    let kx0 = min(kernelW, max(0, -x0)), kx1 = max(kx0, min(kernelW, width - x0))
                    edge(first + (ox - ox0) * patch, (inputRow + x0 + kx0) * channels, kx0, kx1)
                }
                for ox in ox0..<lo { atEdge(ox) }
                if hi > lo { interior(first + (lo - ox0) * patch, (inputRow + lo * stride - padding) * channels, hi - lo) }
                for ox in hi..<ox1 { atEdge(ox) }
            }
            r += ox1 - ox0
        }
    }

    /// The im2col rows of `pixels` into `cols` (zeros for the taps in the padding).
    func im2col(_ pixels: Range<Int>, from image: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>) {
        let rowLength = kernelW * channels, step = stride * channels
        forEachKernelRow(pixels, interior: { col, img, n in
            var dst = cols + col, src = image + img
            if rowLength % 4 == 0 {
                for _ in 0..<n {
                    var i = 0
                    while i < rowLength {
                        UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                        i += 4
                    }
                    dst += patch; src += step
                }
            } else {
                for _ in 0..<n { map8(src, dst, rowLength, { $0 }, { $0 }); dst += patch; src += step }
            }
        }, edge: { col, img, kx0, kx1 in
            let dst = cols + col
            dst.update(repeating: 0, count: kx0 * channels)
            if kx1 > kx0 { map8(image + img, dst + kx0 * channels, (kx1 - kx0) * channels, { $0 }, { $0 }) }
            (dst + kx1 * channels).update(repeating: 0, count: (kernelW - kx1) * channels)
        }, outside: { col, n in
            for i in 0..<n { (cols + col + i * patch).update(repeating: 0, count: rowLength) }
        })
    }

    /// The adjoint of `im2col`: each im2col row of `pixels` in `cols` added onto the taps it was
    /// copied from (those in the padding are dropped).
    func col2im(_ pixels: Range<Int>, from cols: UnsafePointer<Float>, accumulatingInto image: UnsafeMutablePointer<Float>) {
        let rowLength = kernelW * channels, step = stride * channels
        forEachKernelRow(pixels, interior: { col, img, n in
            var src = cols + col, dst = image + img
            for _ in 0..<n { accumulate(src, into: dst, rowLength); src += patch; dst += step }
        }, edge: { col, img, kx0, kx1 in
            if kx1 > kx0 { accumulate(cols + col + kx0 * channels, into: image + img, (kx1 - kx0) * channels) }
        }, outside: { _, _ in })
    }
}

/// Convolution: x [B, H, W, C], weight [O, KH, KW, C] (OHWI), bias [O] → [B, OH, OW, O],
/// OH = (H + 2·padding − KH) / stride + 1. Zero padding. With `relu` the output is
/// max(0, ·) (fused: one pass over the output while it is in cache).
///
/// Each output channel's filter is one contiguous row matching an im2col row, so forward is
/// cols · Wᵀ, dW = dYᵀ · cols and dcols = dY · W (scattered back onto the image: col2im).
/// All three run block by block of output pixels (`ConvGeometry.blockRows`), the block's
/// im2col rows rebuilt in the backward pass instead of kept: copying them again costs less
/// than reading a batch-sized matrix back from memory. Where the CPU has AVX-512 or AVX2 and
/// OpenBLAS runs one thread, `ImplicitConv` does the same products without the im2col rows.
public func conv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: Int = 1, padding: Int = 0, relu: Bool = false) -> Tensor {
    conv2d(x, weight, bias, stride: stride, padding: padding, relu: relu, isa: ImplicitConv.chosen)
}

/// `conv2d`, choosing how: with an instruction set `isa` (and a shape the kernels take) the
/// implicit-GEMM kernels of `ImplicitConv`, with 0 im2col blocks through sgemm.
func conv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: Int, padding: Int, relu: Bool,
            isa: Int) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4 && x.shape[3] == weight.shape[3],
                 "conv2d: input \(x.shape) (NHWC) does not match weight \(weight.shape) (O, KH, KW, C)")
    precondition(stride >= 1 && padding >= 0, "conv2d: stride \(stride), padding \(padding)")
    let tape = tapeOf(x, weight, bias, op: "conv2d")
    let grad = needsGrad(tape, x, weight, bias)
    let o = weight.shape[0], kh = weight.shape[1], kw = weight.shape[2]
    let g = ConvGeometry(batch: x.shape[0], height: x.shape[1], width: x.shape[2], channels: x.shape[3],
                         kernelH: kh, kernelW: kw, stride: stride, padding: padding,
                         outH: (x.shape[1] + 2 * padding - kh) / stride + 1,
                         outW: (x.shape[2] + 2 * padding - kw) / stride + 1)
    precondition(g.outH > 0 && g.outW > 0, "conv2d: kernel \(kh)×\(kw) larger than padded input \(x.shape)")
    if let bias { precondition(bias.count == o, "conv2d: bias \(bias.shape) for \(o) channels") }
    let y = tape.result([g.batch, g.outH, g.outW, o], requiresGrad: grad)

    let direct = g.isDirect
    let step = direct ? max(g.rows, 1) : g.blockRows
    let blocks = Swift.stride(from: 0, to: g.rows, by: step).map { $0..<min($0 + step, g.rows) }
    // One block's im2col rows, taken from the arena only if the im2col path runs.
    var cols: UnsafeMutablePointer<Float>? = nil
    /// The im2col rows of a block (a view of x when direct).
    func im2col(_ pixels: Range<Int>) -> UnsafeMutablePointer<Float> {
        if direct { return x.data + pixels.lowerBound * g.patch }
        let block = cols ?? tape.scratch(min(g.blockRows, g.rows) * g.patch)
        cols = block
        g.im2col(pixels, from: x.data, into: block)
        return block
    }

    let kernels = isa != 0 ? ImplicitConv(geometry: g, outChannels: o, isa: isa) : nil
    // The padded input, kept for the filter gradient.
    var padded: UnsafeMutablePointer<Float>? = nil
    if let kernels, kernels.takesForward {
        let xp = tape.scratch(kernels.paddedCount)
        kernels.pad(x.data, into: xp)
        kernels.forward(padded: xp, weight: weight.data, bias: bias?.data, relu: relu, into: y.data, scratch: tape.scratch(weight.count))
        padded = xp
    } else {
        for pixels in blocks {
            let out = y.data + pixels.lowerBound * o, n = pixels.count
            sgemm(false, true, n, o, g.patch, 1, im2col(pixels), weight.data, 0, out)
            addBiasAndActivate(out, bias: bias?.data, rows: n, cols: o, relu: relu)
        }
    }

    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            // Through the ReLU: the gradient where the output is positive.
            var dy = UnsafePointer(gy)
            let biasGrad = bias.flatMap { $0.requiresGrad ? $0.gradBuffer() : nil }
            if relu {
                // Row by row, each masked row added to the bias gradient while it is in cache.
                let masked = tape.scratch(y.count)
                reluGradient(y.data, gy, into: masked, rows: g.rows, cols: o, columnSums: biasGrad)
                dy = UnsafePointer(masked)
            } else if let biasGrad {
                addColumnSums(dy, rows: g.rows, cols: o, into: biasGrad)
            }
            var wantW = weight.requiresGrad, wantX = x.requiresGrad
            if let kernels {
                if wantW, let padded {
                    kernels.filterGradient(padded: padded, dy: dy, into: weight.gradForWrite(), tape: tape)
                    wantW = false
                }
                if wantX && kernels.takesDataGradient {
                    kernels.dataGradient(dy: dy, weight: weight.data, into: x.gradBuffer())
                    wantX = false
                }
            }
            guard wantW || wantX else { return }
            let gw = wantW ? weight.gradForWrite() : nil
            let gx = wantX ? x.gradBuffer() : nil
            let dcols = wantX && !direct ? tape.scratch(min(g.blockRows, g.rows) * g.patch) : nil
            for (i, pixels) in blocks.enumerated() {
                let dyBlock = dy + pixels.lowerBound * o, n = pixels.count
                if let gw { sgemm(true, false, o, g.patch, n, 1, dyBlock, im2col(pixels), i == 0 && gw.overwrite ? 0 : 1, gw.pointer) }
                guard let gx else { continue }
                if let dcols {
                    sgemm(false, false, n, g.patch, o, 1, dyBlock, weight.data, 0, dcols)
                    g.col2im(pixels, from: dcols, accumulatingInto: gx)
                } else {
                    sgemm(false, false, n, g.patch, o, 1, dyBlock, weight.data, 1, gx + pixels.lowerBound * g.patch)
                }
            }
        }
    }
    return y
}

/// g = gy where y > 0, else 0 ([rows, cols]), each row of g added onto `columnSums` (if any)
/// while it is in cache: the ReLU's backward and the bias gradient in one pass.
func reluGradient(_ y: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>,
                  rows: Int, cols: Int, columnSums: UnsafeMutablePointer<Float>?) {
    for r in 0..<rows {
        let at = r * cols
        var j = 0
        while j + 8 <= cols {
            let v = load8(gy, at + j).replacing(with: 0, where: load8(y, at + j) .<= 0)
            store8(v, g, at + j)
            if let columnSums { store8(load8(columnSums, j) + v, columnSums, j) }
            j += 8
        }
        while j < cols {
            let v = y[at + j] > 0 ? gy[at + j] : 0
            g[at + j] = v
            columnSums?[j] += v
            j += 1
        }
    }
}

/// y[r, j] += bias[j], then max(0, ·) with `relu`, row by row.
@inline(__always)
func addBiasAndActivate(_ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, cols: Int, relu: Bool) {
    for r in 0..<rows {
        let row = y + r * cols
        var j = 0
        while j + 8 <= cols {
            var v = load8(row, j)
            if let bias { v += load8(bias, j) }
            if relu { v.replace(with: 0, where: v .< 0) }
            store8(v, row, j)
            j += 8
        }
        while j < cols {
            var v = row[j]
            if let bias { v += bias[j] }
            row[j] = relu ? max(v, 0) : v
            j += 1
        }
    }
}

/// Max pooling over `kernel`×`kernel` windows with `stride` (default = kernel), no padding.
/// The gradient goes to the first maximal element of each window.
public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int? = nil) -> Tensor {
    pool(x, kernel: kernel, stride: stride ?? kernel, max: true)
}

/// Average pooling over `kernel`×`kernel` windows with `stride` (default = kernel), no padding.
public func avgPool2d(_ x: Tensor, kernel: Int, stride: Int? = nil) -> Tensor {
    pool(x, kernel: kernel, stride: stride ?? kernel, max: false)
}

func pool(_ x: Tensor, kernel: Int, stride: Int, max isMax: Bool) -> Tensor {
    precondition(x.rank == 4, "pool: input \(x.shape) is not NHWC")
    let (b, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = (h - kernel) / stride + 1, ow = (w - kernel) / stride + 1
    precondition(oh > 0 && ow > 0, "pool: kernel \(kernel) larger than input \(x.shape)")
    let tape = tapeOf(x, op: "pool")
    let grad = needsGrad(tape, x)
    let y = tape.result([b, oh, ow, c], requiresGrad: grad)
    // For max pooling, the input offset of each output's winner (as Int32 bits in arena memory).
    let argmax = isMax ? UnsafeMutableRawPointer(tape.scratch(y.count)).bindMemory(to: Int32.self, capacity: y.count) : nil
    let scale = 1 / Float(kernel * kernel)
    for n in 0..<b {
        for oy in 0..<oh {
            for ox in 0..<ow {
                let out = ((n * oh + oy) * ow + ox) * c
                for ch in 0..<c {
                    var best = -Float.infinity, at = 0, s: Float = 0
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let i = ((n * h + oy * stride + ky) * w + ox * stride + kx) * c + ch
                            let v = x.data[i]
                            if v > best { best = v; at = i }
                            s += v
                        }
                    }
                    if let argmax { y.data[out + ch] = best; argmax[out + ch] = Int32(at) } else { y.data[out + ch] = s * scale }
                }
            }
        }
    }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gx = x.gradBuffer()
            if let argmax {
                for i in 0..<y.count { gx[Int(argmax[i])] += gy[i] }
                return
            }
            for n in 0..<b {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let out = ((n * oh + oy) * ow + ox) * c
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let i = ((n * h + oy * stride + ky) * w + ox * stride + kx) * c
                                for ch in 0..<c { gx[i + ch] += gy[out + ch] * scale }
                            }
                        }
                    }
                }
            }
        }
    }
    return y
}
