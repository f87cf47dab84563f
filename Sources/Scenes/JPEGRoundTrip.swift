/// The loss of a baseline JPEG encode and decode, without the (lossless) entropy coding:
/// 8-bit RGB → YCbCr (JFIF), chroma averaged over 2×2 (4:2:0), 8×8 DCT per block, quantised
/// with the standard luminance and chrominance tables scaled by quality as libjpeg does, then
/// back (chroma replicated). Artefacts match a real codec's in kind and size.
enum JPEGRoundTrip {
    static let luma: [Int] = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                              14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
                              49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
    static let chroma: [Int] = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
                                47, 66, 99, 99, 99, 99, 99, 99] + [Int](repeating: 99, count: 32)

    /// libjpeg's quality scaling of a base table.
    static func table(_ base: [Int], quality: Int) -> [Double] {
        let q = min(max(quality, 1), 100)
        let scale = q < 50 ? 5000 / q : 200 - 2 * q
        return base.map { Double(min(max(($0 * scale + 50) / 100, 1), 255)) }
    }

    static let cosines: [Double] = (0..<64).map { k in
        let u = k / 8, x = k % 8
        return cos(Double((2 * x + 1) * u) * Double.pi / 16) * (u == 0 ? (0.5).squareRoot() : 1) / 2
    }

    /// The 8-point DCT (or its inverse) of every row (or column) of an 8×8 block, into `out`.
    static func transform(_ b: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, cosines: UnsafePointer<Double>,
                          alongRows: Bool, inverse: Bool) {
        for line in 0..<8 {
            for k in 0..<8 {
                var s = 0.0
                for i in 0..<8 {
                    let c = inverse ? cosines[i * 8 + k] : cosines[k * 8 + i]
                    s += c * (alongRows ? b[line * 8 + i] : b[i * 8 + line])
                }
                if alongRows { out[line * 8 + k] = s } else { out[k * 8 + line] = s }
            }
        }
    }

    /// DCT, quantise, dequantise, inverse DCT of one 8×8 block in place (`scratch`: 64 values).
    static func roundTrip(_ block: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>, _ q: UnsafePointer<Double>,
                          cosines: UnsafePointer<Double>) {
        transform(block, into: scratch, cosines: cosines, alongRows: true, inverse: false)
        transform(scratch, into: block, cosines: cosines, alongRows: false, inverse: false)
        for i in 0..<64 { block[i] = (block[i] / q[i]).rounded() * q[i] }
        transform(block, into: scratch, cosines: cosines, alongRows: false, inverse: true)
        transform(scratch, into: block, cosines: cosines, alongRows: true, inverse: true)
    }

    /// One plane (w × h, values 0...255) through blocks of 8, edges padded by replication.
    static func plane(_ p: [Double], width w: Int, height h: Int, table: [Double]) -> [Double] {
        var out = p
        var block = [Double](repeating: 0, count: 64), scratch = block
        block.withUnsafeMutableBufferPointer { bk in
            scratch.withUnsafeMutableBufferPointer { sc in
                table.withUnsafeBufferPointer { q in
                    cosines.withUnsafeBufferPointer { cs in
                        let block = bk.baseAddress!
                        for by in stride(from: 0, to: h, by: 8) {
                            for bx in stride(from: 0, to: w, by: 8) {
                                for y in 0..<8 { for x in 0..<8 { block[y * 8 + x] = p[min(by + y, h - 1) * w + min(bx + x, w - 1)] - 128 } }
                                roundTrip(block, scratch: sc.baseAddress!, q.baseAddress!, cosines: cs.baseAddress!)
                                for y in 0..<8 where by + y < h { for x in 0..<8 where bx + x < w { out[(by + y) * w + bx + x] = block[y * 8 + x] + 128 } }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    static func apply(_ rgb: [Float], width w: Int, height h: Int, quality: Int) -> [Float] {
        let n = w * h
        var Y = [Double](repeating: 0, count: n), cb = Y, cr = Y
        for i in 0..<n {
            let r = (Double(rgb[3 * i]) * 255).rounded(), g = (Double(rgb[3 * i + 1]) * 255).rounded(), b = (Double(rgb[3 * i + 2]) * 255).rounded()
            Y[i] = 0.299 * r + 0.587 * g + 0.114 * b
            cb[i] = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
            cr[i] = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
        }
        let cw = (w + 1) / 2, ch = (h + 1) / 2
        func down(_ p: [Double]) -> [Double] {
            var o = [Double](repeating: 0, count: cw * ch)
            for y in 0..<ch { for x in 0..<cw {
                var s = 0.0
                for dy in 0..<2 { for dx in 0..<2 { s += p[min(2 * y + dy, h - 1) * w + min(2 * x + dx, w - 1)] } }
                o[y * cw + x] = s / 4
            } }
            return o
        }
        let yq = plane(Y, width: w, height: h, table: table(luma, quality: quality))
        let cq = table(chroma, quality: quality)
        let cbq = plane(down(cb), width: cw, height: ch, table: cq), crq = plane(down(cr), width: cw, height: ch, table: cq)
        var out = [Float](repeating: 0, count: 3 * n)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x, c = (y / 2) * cw + x / 2
                let yy = yq[i], b = cbq[c] - 128, r = crq[c] - 128
                let red = yy + 1.402 * r, green = yy - 0.344136 * b - 0.714136 * r, blue = yy + 1.772 * b
                out[3 * i] = Float(min(max(red.rounded(), 0), 255) / 255)
                out[3 * i + 1] = Float(min(max(green.rounded(), 0), 255) / 255)
                out[3 * i + 2] = Float(min(max(blue.rounded(), 0), 255) / 255)
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
