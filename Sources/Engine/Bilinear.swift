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
        self.init(x: Self.axis(gx, size: width), y: Self.axis(gy, size: height), width: width, height: height)
    }

    /// The taps from each axis's `axis` (a separable grid computes each column's and row's once).
    @inlinable @inline(__always)
    public init(x: (first: Int, fraction: Float), y: (first: Int, fraction: Float), width: Int, height: Int) {
        @inline(__always) func at(_ yy: Int, _ xx: Int) -> Int {
            (xx >= 0 && xx < width && yy >= 0 && yy < height) ? yy * width + xx : -1
        }
        p00 = at(y.first, x.first); p01 = at(y.first, x.first + 1); p10 = at(y.first + 1, x.first); p11 = at(y.first + 1, x.first + 1)
        fx = x.fraction; fy = y.fraction
    }

    /// One axis: the first tap's pixel (left or top) and the sample's fractional position past
    /// it, for normalised coordinate `g` on an axis of `size` pixels.
    @inlinable @inline(__always)
    public static func axis(_ g: Float, size: Int) -> (first: Int, fraction: Float) {
        let fs = Float(size)
        let u = ((g + 1) * fs - 1) / 2
        // Far outside the image every tap is out of bounds (whatever the weights); clamp before
        // converting to Int. Flooring the clamped value by truncation spares a call to floorf,
        // and equals floorf wherever a tap can be inside.
        let uc = max(min(u, fs + 1), -2)
        let t = Int(uc)
        let first = Float(t) > uc ? t - 1 : t
        return (first, u - Float(first))
    }

    /// All four taps inside the image (the common case).
    @inlinable public var inside: Bool { p00 >= 0 && p11 >= 0 }

    /// The weights of the taps 00, 01, 10, 11.
    @inlinable public var weights: (Float, Float, Float, Float) {
        ((1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy)
    }
}
