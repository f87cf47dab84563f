#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

// The spatial transformer (Jaderberg et al. 2015): an affine sampling grid and bilinear sampling,
// differentiable in both the image and the grid (hence in the affine parameters).
//
// Coordinates are normalised to [-1, 1] across the image with pixel centres at (2j + 1)/W − 1
// (PyTorch's align_corners = false): x runs along the width (left → right), y along the height
// (top → bottom). Samples outside the image read zeros.

/// Sampling grid for affine maps θ [B, 2, 3] (or [B, 6]): output pixel (i, j) with normalised
/// coordinates (xₜ, yₜ) samples the source at θ · (xₜ, yₜ, 1). Returns [B, height, width, 2] as (x, y).
public func affineGrid(_ theta: Tensor, height: Int, width: Int) -> Tensor {
    precondition(theta.count == theta.shape[0] * 6 && (theta.rank == 2 || theta.rank == 3),
                 "affineGrid: theta \(theta.shape) is not [B, 2, 3] or [B, 6]")
    let tape = tapeOf(theta, op: "affineGrid")
    let grad = needsGrad(tape, theta)
    let batch = theta.shape[0]
    let y = tape.result([batch, height, width, 2], requiresGrad: grad)
    @inline(__always) func xt(_ j: Int) -> Float { Float(2 * j + 1) / Float(width) - 1 }
    @inline(__always) func yt(_ i: Int) -> Float { Float(2 * i + 1) / Float(height) - 1 }
    for b in 0..<batch {
        let t = theta.data + 6 * b
        var o = y.data + b * height * width * 2
        for i in 0..<height {
            let v = yt(i)
            for j in 0..<width {
                let u = xt(j)
                o[0] = t[0] * u + t[1] * v + t[2]
                o[1] = t[3] * u + t[4] * v + t[5]
                o += 2
            }
        }
    }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gt = theta.gradBuffer()
            for b in 0..<batch {
                var g = gy + b * height * width * 2
                var acc = [Float](repeating: 0, count: 6)
                for i in 0..<height {
                    let v = yt(i)
                    for j in 0..<width {
                        let u = xt(j)
                        acc[0] += g[0] * u; acc[1] += g[0] * v; acc[2] += g[0]
                        acc[3] += g[1] * u; acc[4] += g[1] * v; acc[5] += g[1]
                        g += 2
                    }
                }
                for k in 0..<6 { gt[6 * b + k] += acc[k] }
            }
        }
    }
    return y
}

/// Bilinear sampling of image [B, H, W, C] at grid [B, h, w, 2] (normalised (x, y)) → [B, h, w, C].
public func gridSample(_ image: Tensor, _ grid: Tensor) -> Tensor {
    precondition(image.rank == 4 && grid.rank == 4 && grid.shape[3] == 2 && grid.shape[0] == image.shape[0],
                 "gridSample: image \(image.shape) (NHWC) and grid \(grid.shape) ([B, h, w, 2]) do not match")
    let tape = tapeOf(image, grid, op: "gridSample")
    let grad = needsGrad(tape, image, grid)
    let (batch, H, W, C) = (image.shape[0], image.shape[1], image.shape[2], image.shape[3])
    let (h, w) = (grid.shape[1], grid.shape[2])
    let y = tape.result([batch, h, w, C], requiresGrad: grad)
    let fw = Float(W), fh = Float(H)
    @inline(__always) func taps(_ gx: Float, _ gy: Float) -> BilinearTaps { BilinearTaps(x: gx, y: gy, width: W, height: H) }

    // Walks grid and output with pointers: this loop runs once per glimpse pixel at inference.
    var gp = UnsafePointer(grid.data), out = y.data
    for b in 0..<batch {
        let img = image.data + b * H * W * C
        for _ in 0..<(h * w) {
            let t = taps(gp[0], gp[1])
            gp += 2
            defer { out += C }
            let (w00, w01, w10, w11) = t.weights
            if t.inside {
                let a = img + t.p00 * C, bb = img + t.p01 * C, cc = img + t.p10 * C, d = img + t.p11 * C
                var c = 0
                while c < C { out[c] = w00 * a[c] + w01 * bb[c] + w10 * cc[c] + w11 * d[c]; c += 1 }
                continue
            }
            for c in 0..<C { out[c] = 0 }
            if t.p00 >= 0 { for c in 0..<C { out[c] += w00 * img[t.p00 * C + c] } }
            if t.p01 >= 0 { for c in 0..<C { out[c] += w01 * img[t.p01 * C + c] } }
            if t.p10 >= 0 { for c in 0..<C { out[c] += w10 * img[t.p10 * C + c] } }
            if t.p11 >= 0 { for c in 0..<C { out[c] += w11 * img[t.p11 * C + c] } }
        }
    }
    if grad {
        tape.record {
            guard let gy = y.currentGrad else { return }
            let gImg = image.requiresGrad ? image.gradBuffer() : nil
            let gGrid = grid.requiresGrad ? grid.gradBuffer() : nil
            for b in 0..<batch {
                let img = image.data + b * H * W * C
                let gImgB = gImg.map { $0 + b * H * W * C }
                for p in 0..<(h * w) {
                    let gp = grid.data + (b * h * w + p) * 2
                    let t = taps(gp[0], gp[1])
                    let o00 = t.p00 * C, o01 = t.p01 * C, o10 = t.p10 * C, o11 = t.p11 * C
                    let g = gy + (b * h * w + p) * C
                    if let gImg = gImgB {
                        let (w00, w01, w10, w11) = t.weights
                        if t.p00 >= 0 { for c in 0..<C { gImg[o00 + c] += w00 * g[c] } }
                        if t.p01 >= 0 { for c in 0..<C { gImg[o01 + c] += w01 * g[c] } }
                        if t.p10 >= 0 { for c in 0..<C { gImg[o10 + c] += w10 * g[c] } }
                        if t.p11 >= 0 { for c in 0..<C { gImg[o11 + c] += w11 * g[c] } }
                    }
                    if let gGrid {
                        // d out / du and d out / dv from the bilinear form, summed over channels.
                        var du: Float = 0, dv: Float = 0
                        for c in 0..<C {
                            let v00 = t.p00 >= 0 ? img[o00 + c] : 0, v01 = t.p01 >= 0 ? img[o01 + c] : 0
                            let v10 = t.p10 >= 0 ? img[o10 + c] : 0, v11 = t.p11 >= 0 ? img[o11 + c] : 0
                            du += g[c] * ((1 - t.fy) * (v01 - v00) + t.fy * (v11 - v10))
                            dv += g[c] * ((1 - t.fx) * (v10 - v00) + t.fx * (v11 - v01))
                        }
                        let gg = gGrid + (b * h * w + p) * 2
                        gg[0] += du * fw / 2
                        gg[1] += dv * fh / 2
                    }
                }
            }
        }
    }
    return y
}

/// Glimpse extraction: samples a `height`×`width` window of image [B, H, W, C] through the affine
/// maps θ [B, 2, 3] (e.g. θ = [[s, 0, x], [0, s, y]] zooms to scale s around centre (x, y)).
public func glimpse(_ image: Tensor, theta: Tensor, height: Int, width: Int) -> Tensor {
    gridSample(image, affineGrid(theta, height: height, width: width))
}
