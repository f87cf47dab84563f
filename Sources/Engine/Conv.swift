// Convolution and pooling on NHWC images ([batch, height, width, channels]).
//
// NHWC because im2col then copies runs of C contiguous channels, the whole batch becomes one GEMM
// (rows = B·OH·OW output pixels, columns = output channels) whose result is already NHWC, and the
// spatial transformer reads all channels of a pixel from one cache line.

struct ConvGeometry {
    let batch, height, width, channels, kernelH, kernelW, stride, padding, outH, outW: Int
    var rows: Int { batch * outH * outW }
    var patch: Int { kernelH * kernelW * channels }

    /// Output pixels per block: the block's im2col rows (about 512 KB) stay in cache from the
    /// copy through the GEMMs that read them, which is what keeps the GEMMs near their in-cache
    /// speed (the whole im2col matrix of a batch is tens of MB).
    var blockRows: Int { max(16, min(rows, 131_072 / max(patch, 1))) }

    /// Walks the im2col rows of output pixels `pixels` in runs: for each output pixel and kernel
    /// row, the in-bounds taps are one contiguous run of the NHWC image (kx₁ − kx₀ pixels × C
    /// channels), reported as `inside(colOffset, imageOffset, length)`; taps in the zero padding
    /// as `outside(colOffset, length)`. Column offsets count from the range's first row.
    @inline(__always)
    func forEachRun(_ pixels: Range<Int>, _ inside: (Int, Int, Int) -> Void, outside: (Int, Int) -> Void = { _, _ in }) {
        let rowLength = kernelW * channels
        let plane = outH * outW
        guard !pixels.isEmpty else { return }
        // The output pixel (b, oy, ox) of row r, stepped along rather than divided out per row.
        var b = pixels.lowerBound / plane, oy = (pixels.lowerBound % plane) / outW, ox = pixels.lowerBound % outW
        for r in pixels {
            defer {
                ox += 1
                if ox == outW { ox = 0; oy += 1; if oy == outH { oy = 0; b += 1 } }
            }
            let row = (r - pixels.lowerBound) * patch
            let x0 = ox * stride - padding
            let kx0 = max(0, -x0), kx1 = min(kernelW, width - x0)
            for ky in 0..<kernelH {
                let iy = oy * stride - padding + ky
                let col = row + ky * rowLength
                if iy < 0 || iy >= height || kx0 >= kx1 { outside(col, rowLength); continue }
                if kx0 > 0 { outside(col, kx0 * channels) }
                inside(col + kx0 * channels, ((b * height + iy) * width + x0 + kx0) * channels, (kx1 - kx0) * channels)
                if kx1 < kernelW { outside(col + kx1 * channels, (kernelW - kx1) * channels) }
            }
        }
    }

    /// The im2col rows of `pixels` into `cols`, output row by output row: for each kernel row
    /// the input row is fixed, and the output pixels copy one kernel row of C channels each from
    /// a constant stride — a tight loop of short copies (a dozen floats in the first layers),
    /// where walking run by run (`forEachRun`) spent more on the walk than on the copy. Only the
    /// columns at the image's left and right edges copy part of a kernel row and zero the rest.
    func im2col(_ pixels: Range<Int>, from image: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>) {
        let rowLength = kernelW * channels, plane = outH * outW, step = stride * channels
        // Output columns whose whole kernel row lies inside the image: ox·s − p ≥ 0 and ox·s − p + kW ≤ W.
        let firstInside = (padding + stride - 1) / stride
        let endInside = width + padding - kernelW >= 0 ? min(outW, (width + padding - kernelW) / stride + 1) : 0
        var r = pixels.lowerBound
        while r < pixels.upperBound {
            let b = r / plane, oy = (r % plane) / outW, ox0 = r % outW
            let ox1 = min(outW, ox0 + (pixels.upperBound - r))
            let base = cols + (r - pixels.lowerBound) * patch
            let lo = min(max(ox0, firstInside), ox1), hi = max(lo, min(ox1, endInside))
            for ky in 0..<kernelH {
                let iy = oy * stride - padding + ky
                let first = base + ky * rowLength
                if iy < 0 || iy >= height {
                    for i in 0..<(ox1 - ox0) { (first + i * patch).update(repeating: 0, count: rowLength) }
                    continue
                }
                let inputRow = image + (b * height + iy) * width * channels
                // A column at the edge: the taps kx0 ..< kx1 inside, zeros on either side.
                func edge(_ ox: Int) {
                    let dst = first + (ox - ox0) * patch, x0 = ox * stride - padding
                    let kx0 = min(kernelW, max(0, -x0)), kx1 = max(kx0, min(kernelW, width - x0))
                    dst.update(repeating: 0, count: kx0 * channels)
                    if kx1 > kx0 { map8(inputRow + (x0 + kx0) * channels, dst + kx0 * channels, (kx1 - kx0) * channels, { $0 }, { $0 }) }
                    (dst + kx1 * channels).update(repeating: 0, count: (kernelW - kx1) * channels)
                }
                for ox in ox0..<lo { edge(ox) }
                var dst = first + (lo - ox0) * patch, src = inputRow + (lo * stride - padding) * channels
                if rowLength % 4 == 0 {
                    for _ in lo..<hi {
                        var i = 0
                        while i < rowLength {
                            UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                            i += 4
                        }
                        dst += patch; src += step
                    }
                } else {
                    for _ in lo..<hi { map8(src, dst, rowLength, { $0 }, { $0 }); dst += patch; src += step }
                }
                for ox in hi..<ox1 { edge(ox) }
            }
            r += ox1 - ox0
        }
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
/// than reading a batch-sized matrix back from memory.
public func conv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: Int = 1, padding: Int = 0, relu: Bool = false) -> Tensor {
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

    // A 1×1 stride-1 unpadded conv's input is already its im2col matrix.
    let direct = kh == 1 && kw == 1 && stride == 1 && padding == 0
    let step = direct ? max(g.rows, 1) : g.blockRows
    let blocks = Swift.stride(from: 0, to: g.rows, by: step).map { $0..<min($0 + step, g.rows) }
    let cols = direct ? x.data : tape.scratch(min(g.blockRows, g.rows) * g.patch)
    /// The im2col rows of a block (a view of x when direct).
    func im2col(_ pixels: Range<Int>) -> UnsafeMutablePointer<Float> {
        if direct { return x.data + pixels.lowerBound * g.patch }
        g.im2col(pixels, from: x.data, into: cols)
        return cols
    }

    for pixels in blocks {
        let out = y.data + pixels.lowerBound * o, n = pixels.count
        sgemm(false, true, n, o, g.patch, 1, im2col(pixels), weight.data, 0, out)
        addBiasAndActivate(out, bias: bias?.data, rows: n, cols: o, relu: relu)
    }

    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            // Through the ReLU: the gradient where the output is positive.
            var dy = UnsafePointer(gy)
            if relu {
                let masked = tape.scratch(y.count)
                reluGradient(y.data, gy, into: masked, y.count, overwrite: true)
                dy = UnsafePointer(masked)
            }
            if let bias, bias.requiresGrad { addColumnSums(dy, rows: g.rows, cols: o, into: bias.gradBuffer()) }
            let wantW = weight.requiresGrad, wantX = x.requiresGrad
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
                    g.forEachRun(pixels) { col, img, len in accumulate(dcols + col, into: gx + img, len) }
                } else {
                    sgemm(false, false, n, g.patch, o, 1, dyBlock, weight.data, 1, gx + pixels.lowerBound * g.patch)
                }
            }
        }
    }
    return y
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
