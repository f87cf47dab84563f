// The four taps of a bilinear sample, shared by `gridSample` and by samplers that compute their
// image on the fly (AIR's glimpses of the difference input), so that both weigh the same pixels
// by the same weights, bit for bit.

/// Where a sample at normalised (x, y) of a `width`×`height` image reads: pixel centres at
/// (2j + 1)/W − 1 (align_corners = false). Taps are pixel indices y·W + x, −1 outside the image.
public struct BilinearTaps {
    public var p00, p01, p10, p11: Int
    /// The sample's fractional position past the top-left tap.
    public var fx, fy: Float

    @inlinable @inline(__always)
    public init(x gx: Float, y gy: Float, width: Int, height: Int) {
        let fw = Float(width), fh = Float(height)
        let u = ((gx + 1) * fw - 1) / 2, v = ((gy + 1) * fh - 1) / 2
        // Far outside the image every tap is out of bounds (whatever the weights); clamp before
        // converting to Int. Flooring the clamped value by truncation spares a call to floorf per
        // coordinate, and equals floorf wherever a tap can be inside.
        let uc = max(min(u, fw + 1), -2), vc = max(min(v, fh + 1), -2)
        let xt = Int(uc), yt = Int(vc)
        let x0 = Float(xt) > uc ? xt - 1 : xt, y0 = Float(yt) > vc ? yt - 1 : yt
        @inline(__always) func at(_ yy: Int, _ xx: Int) -> Int {
            (xx >= 0 && xx < width && yy >= 0 && yy < height) ? yy * width + xx : -1
        }
        p00 = at(y0, x0); p01 = at(y0, x0 + 1); p10 = at(y0 + 1, x0); p11 = at(y0 + 1, x0 + 1)
        fx = u - Float(x0); fy = v - Float(y0)
    }

    /// All four taps inside the image (the common case).
    @inlinable public var inside: Bool { p00 >= 0 && p11 >= 0 }

    /// The weights of the taps 00, 01, 10, 11.
    @inlinable public var weights: (Float, Float, Float, Float) {
        ((1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy)
    }
}
