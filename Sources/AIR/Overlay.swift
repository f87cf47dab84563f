import Scenes

/// A picture for people: the input, the reconstruction (the inferred scene rendered), side by
/// side and magnified, with each attended glimpse drawn as a box in the inferred colour and
/// labelled with its step number and shape initial.
public enum Overlay {
    public static func draw(input: Image, reconstruction: Image, inferred: InferredScene, scale: Int = 4) -> Image {
        let w = input.width * scale, h = input.height * scale, gap = 2 * scale
        var out = Image(width: 2 * w + gap, height: h)
        for i in out.pixels.indices { out.pixels[i] = 1 }
        blit(input, into: &out, x0: 0, scale: scale)
        blit(reconstruction, into: &out, x0: w + gap, scale: scale)
        for (step, o) in inferred.objects.enumerated() {
            let rgb = SIMD3<Float>(Float(o.object.color.rgb.x), Float(o.object.color.rgb.y), Float(o.object.color.rgb.z))
            let half = o.glimpseSide / 2
            for panel in [0, w + gap] {
                let x0 = Int(((o.glimpseCenter.x - half) * Double(scale)).rounded()) + panel
                let y0 = Int(((o.glimpseCenter.y - half) * Double(scale)).rounded())
                let side = Int((o.glimpseSide * Double(scale)).rounded())
                rectangle(&out, x0: x0, y0: y0, x1: x0 + side, y1: y0 + side, color: rgb, clipX: panel..<(panel + w))
                let label = "\(step + 1)" + String(o.object.shape.name.prefix(1)).uppercased()
                text(&out, label, x: x0 + 2, y: y0 + 2, scale: max(1, scale / 2), color: rgb, clipX: panel..<(panel + w))
            }
        }
        return out
    }

    static func blit(_ src: Image, into dst: inout Image, x0: Int, scale: Int) {
        for y in 0..<(src.height * scale) {
            for x in 0..<(src.width * scale) {
                let s = ((y / scale) * src.width + x / scale) * 3
                let d = (y * dst.width + x0 + x) * 3
                dst.pixels[d] = src.pixels[s]; dst.pixels[d + 1] = src.pixels[s + 1]; dst.pixels[d + 2] = src.pixels[s + 2]
            }
        }
    }

    static func put(_ img: inout Image, _ x: Int, _ y: Int, _ c: SIMD3<Float>, clipX: Range<Int>) {
        guard clipX.contains(x), x >= 0, x < img.width, y >= 0, y < img.height else { return }
        let d = (y * img.width + x) * 3
        img.pixels[d] = c.x; img.pixels[d + 1] = c.y; img.pixels[d + 2] = c.z
    }

    /// A two-pixel frame: the colour inside, black outside, so it shows on any background.
    static func rectangle(_ img: inout Image, x0: Int, y0: Int, x1: Int, y1: Int, color: SIMD3<Float>, clipX: Range<Int>) {
        for (inset, c) in [(0, SIMD3<Float>(0, 0, 0)), (1, color)] {
            let a = x0 + inset, b = x1 - inset, t = y0 + inset, u = y1 - inset
            for x in a...max(a, b) { put(&img, x, t, c, clipX: clipX); put(&img, x, u, c, clipX: clipX) }
            for y in t...max(t, u) { put(&img, a, y, c, clipX: clipX); put(&img, b, y, c, clipX: clipX) }
        }
    }

    /// 3×5 glyphs for the characters labels use.
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7],
        "4": [5, 5, 7, 1, 1], "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1],
        "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        "B": [6, 5, 6, 5, 6], "C": [7, 4, 4, 4, 7], "P": [7, 5, 7, 4, 4], "W": [5, 5, 5, 7, 5],
    ]

    static func text(_ img: inout Image, _ s: String, x: Int, y: Int, scale: Int, color: SIMD3<Float>, clipX: Range<Int>) {
        var cx = x
        for ch in s {
            if let rows = glyphs[ch] {
                for (r, bits) in rows.enumerated() {
                    for col in 0..<3 where bits & (4 >> col) != 0 {
                        for dy in 0..<scale {
                            for dx in 0..<scale { put(&img, cx + col * scale + dx, y + r * scale + dy, color, clipX: clipX) }
                        }
                    }
                }
            }
            cx += 4 * scale
        }
    }
}
