// Convolution and pooling on NHWC images ([batch, height, width, channels]).
//
// NHWC because im2col then copies runs of C contiguous channels, the whole batch becomes one GEMM
// (rows = B·OH·OW output pixels, columns = output channels) whose result is already NHWC, and the
// spatial transformer reads all channels of a pixel from one cache line.

struct ConvGeometry {
    let batch, height, width, channels, kernelH, kernelW, stride, padding, outH, outW: Int
    var rows: Int { batch * outH * outW }
    var patch: Int { kernelH * kernelW * channels }

    /// Walks the im2col matrix in runs: for each output pixel and kernel row, the in-bounds taps
    /// are one contiguous run of the NHWC image (kx₁ − kx₀ pixels × C channels), reported as
    /// `inside(colOffset, imageOffset, length)`; taps in the zero padding as `outside(colOffset, length)`.
    @inline(__always)
    func forEachRun(_ inside: (Int, Int, Int) -> Void, outside: (Int, Int) -> Void = { _, _ in }) {
        let rowLength = kernelW * channels
        for b in 0..<batch {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    let row = ((b * outH + oy) * outW + ox) * patch
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
        }
    }
}

/// Convolution: x [B, H, W, C], weight [O, KH, KW, C] (OHWI), bias [O] → [B, OH, OW, O],
/// OH = (H + 2·padding − KH) / stride + 1. Zero padding. Each output channel's filter is one
/// contiguous row matching an im2col row, so forward is cols · Wᵀ and dW = dYᵀ · cols.
public func conv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
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

    // im2col: [rows, patch]; a 1×1 stride-1 unpadded conv is already in this layout.
    let direct = kh == 1 && kw == 1 && stride == 1 && padding == 0
    let cols: UnsafeMutablePointer<Float>
    if direct {
        cols = x.data
    } else {
        cols = tape.scratch(g.rows * g.patch)
        let px = x.data
        g.forEachRun({ col, img, n in (cols + col).update(from: px + img, count: n) },
                     outside: { col, n in (cols + col).update(repeating: 0, count: n) })
    }
    if let bias { fillRows(y.data, with: bias.data, rows: g.rows, cols: o) }
    sgemm(false, true, g.rows, o, g.patch, 1, cols, weight.data, bias == nil ? 0 : 1, y.data)

    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            if weight.requiresGrad {
                let (gw, fresh) = weight.gradForWrite()
                sgemm(true, false, o, g.patch, g.rows, 1, gy, cols, fresh ? 0 : 1, gw)
            }
            if let bias, bias.requiresGrad { addColumnSums(gy, rows: g.rows, cols: o, into: bias.gradBuffer()) }
            if x.requiresGrad {
                if direct {
                    let (gx, fresh) = x.gradForWrite()
                    sgemm(false, false, g.rows, g.patch, o, 1, gy, weight.data, fresh ? 0 : 1, gx)
                } else {
                    let gx = x.gradBuffer()    // col2im: dcols = dY · Wᵀ, scattered back onto the image
                    let dcols = tape.scratch(g.rows * g.patch)
                    sgemm(false, false, g.rows, g.patch, o, 1, gy, weight.data, 0, dcols)
                    g.forEachRun { col, img, n in accumulate(dcols + col, into: gx + img, n) }
                }
            }
        }
    }
    return y
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
