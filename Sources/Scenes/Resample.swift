/// Area resampling: each output pixel is the mean of the input over the rectangle it covers
/// (fractional coverage at the edges), the right filter for shrinking photographs and exact
/// for whole-number factors; enlarging repeats pixels bilinearly-free (nearest area).
extension Image {
    /// Whether `self` has the aspect ratio of a width × height image (exactly, in whole pixels).
    public func hasAspect(width: Int, height: Int) -> Bool { self.width * height == self.height * width }

    public func areaResampled(width w: Int, height h: Int) -> Image {
        if w == width && h == height { return self }
        let sx = Double(width) / Double(w), sy = Double(height) / Double(h)
        // Per output column: the input columns it covers and their weights (shared by every row).
        func spans(_ n: Int, _ scale: Double, _ limit: Int) -> [[(Int, Double)]] {
            (0..<n).map { o in
                let a = Double(o) * scale, b = Double(o + 1) * scale
                var s: [(Int, Double)] = []
                var i = Int(a)
                while Double(i) < b && i < limit {
                    let cover = min(b, Double(i + 1)) - max(a, Double(i))
                    if cover > 0 { s.append((i, cover / scale)) }
                    i += 1
                }
                return s
            }
        }
        let xs = spans(w, sx, width), ys = spans(h, sy, height)
        var out = [Float](repeating: 0, count: w * h * 3)
        for (oy, ry) in ys.enumerated() {
            for (ox, rx) in xs.enumerated() {
                var acc = SIMD3<Double>(0, 0, 0)
                for (iy, wy) in ry {
                    for (ix, wx) in rx {
                        let p = (iy * width + ix) * 3
                        acc += SIMD3(Double(pixels[p]), Double(pixels[p + 1]), Double(pixels[p + 2])) * (wx * wy)
                    }
                }
                let q = (oy * w + ox) * 3
                out[q] = Float(acc.x); out[q + 1] = Float(acc.y); out[q + 2] = Float(acc.z)
            }
        }
        return Image(width: w, height: h, pixels: out)
    }
}
