import Scenes

/// Each block's albedo as a matte block would need it, from an image that may hold what a
/// Lambertian renderer cannot draw on it: white highlights.
///
/// Every pixel p a block covers with shade s_p implies an albedo a_p = c + (x_p − r_p) / s_p
/// (c the block's rendered colour, x the image, r the rendering). A white highlight adds the
/// same amount to every channel, so it moves a_p along the grey axis only, until a channel
/// reaches 1. The grey level is therefore a low quantile of the pixels' grey levels
/// (`greyQuantile`), which no highlight on fewer than nine tenths of the block moves, and the
/// chroma (a_p less its grey level) the weighted mean over the darker half of the pixels, with
/// the colour move's weights s_p² (`Search.colorSweep`). On a block without highlights in a
/// clean image both are the least-squares colour; image noise lowers the grey level by about
/// 1.3 noise standard deviations over the shade.
enum MatteColor {
    /// Pixels shaded less than this fraction of the block's brightest pixel are left out: where
    /// the table shares a pixel at the block's edge, its noise and any error in the edge's place
    /// weigh 1 / s_p in a_p.
    static let edgeShade: Float = 0.25
    /// The grey level's quantile among the block's pixels (weighted by s²). A highlight only
    /// brightens, and a broad one (a Blinn-Phong exponent of 8) covers most of a block's top,
    /// so the median is not enough: under such highlights adapting with the median kept colour
    /// names at 71 %, with the tenth percentile 89 %.
    static let greyQuantile = 0.1

    /// The albedo of each of `scene`'s objects in `observed`, not yet clamped to [0, 1]
    /// (`Refiner.albedo`; nil: the object covers no pixel).
    static func albedos(of scene: Scene, in observed: Image, renderer: any ShadingRenderer, samplesPerPixel: Int) throws -> [SIMD3<Double>?] {
        let (rendered, shade) = try renderer.renderWithShading(scene, samplesPerPixel: samplesPerPixel)
        let plane = observed.width * observed.height
        return scene.objects.indices.map { k in
            let s = shade[(k * plane)..<((k + 1) * plane)]
            guard let top = s.max(), top > 0 else { return nil }
            let c = scene.objects[k].color.rgb
            var pixels: [(albedo: SIMD3<Double>, grey: Double, weight: Double)] = []
            for p in 0..<plane {
                let sp = s[k * plane + p]
                guard sp >= edgeShade * top else { continue }
                var a = c
                for ch in 0..<3 {
                    a[ch] += Double(observed.pixels[3 * p + ch] - rendered.pixels[3 * p + ch]) / Double(sp)
                }
                pixels.append((a, (a.x + a.y + a.z) / 3, Double(sp * sp)))
            }
            guard !pixels.isEmpty else { return nil }
            pixels.sort { $0.grey < $1.grey }
            let total = pixels.reduce(0) { $0 + $1.weight }
            // The grey level at `greyQuantile`; the chroma from the darker half, where a
            // highlight has not pushed a channel against 1.
            var below = 0.0, level: Double? = nil
            var chroma = SIMD3<Double>(0, 0, 0), chromaWeight = 0.0
            for q in pixels {
                if below >= total / 2 { break }
                below += q.weight
                if level == nil && below >= total * greyQuantile { level = q.grey }
                chroma += (q.albedo - SIMD3(repeating: q.grey)) * q.weight
                chromaWeight += q.weight
            }
            return chroma / chromaWeight + SIMD3(repeating: level ?? pixels[0].grey)
        }
    }
}
