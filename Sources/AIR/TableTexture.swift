import Scenes

/// A table that is not one colour: wood grain, a printed mat. The spec's table is uniform, and
/// against it the grain is noise the likelihood cannot explain; a pale block on it then carries
/// too little evidence to be found. Under a set-up's fixed camera the grain is the same in every
/// image, so the images themselves say what it is: at each pixel, most images show bare table.
/// The texture is the per-pixel ratio of what they show to the bare table the renderer draws,
/// and a model that has one divides it out of every image it reads (`SceneReader.fit`), so that
/// the table it sees is the spec's. A block's own pixels are divided too: its colour picks up
/// the grain's inverse, a few tenths of what the table had.
public enum TableTexture {
    /// The texture is kept when the RMS of its departure from 1 is above this: a uniform table
    /// under the model's fitted colour departs by the images' noise alone.
    public static let smallestDeparture = 0.03

    /// At each pixel and channel, the median over `images` of the image's value over `bare`'s
    /// (the empty table rendered in the model's world), each channel then divided by its own
    /// median: the texture is how the table varies across the image, while its overall colour
    /// and brightness stay the table colour's and the light's. Blocks and shadows cover a pixel
    /// in few of the images; the median passes over them.
    public static func estimate(images: [Image], bare: Image) -> [Float] {
        precondition(!images.isEmpty && images.allSatisfy { $0.pixels.count == bare.pixels.count }, "TableTexture: sizes")
        var column = [Float](repeating: 0, count: images.count)
        var ratio = bare.pixels.indices.map { i -> Float in
            for (k, image) in images.enumerated() { column[k] = image.pixels[i] }
            return max(median(&column), 1e-3) / max(bare.pixels[i], 1e-3)
        }
        for c in 0..<3 {
            var channel = stride(from: c, to: ratio.count, by: 3).map { ratio[$0] }
            let m = median(&channel)
            for i in stride(from: c, to: ratio.count, by: 3) { ratio[i] /= m }
        }
        return ratio
    }

    static func median(_ values: inout [Float]) -> Float {
        values.sort()
        let n = values.count
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2
    }

    /// The RMS of `texture − 1`.
    public static func departure(_ texture: [Float]) -> Double {
        guard !texture.isEmpty else { return 0 }
        return (texture.reduce(0.0) { $0 + Double(($1 - 1) * ($1 - 1)) } / Double(texture.count)).squareRoot()
    }

    /// `image` divided by `texture`, clamped to [0, 1].
    public static func flattened(_ image: Image, by texture: [Float]) -> Image {
        precondition(texture.count == image.pixels.count, "TableTexture: sizes")
        var out = image
        for i in out.pixels.indices { out.pixels[i] = min(max(image.pixels[i] / texture[i], 0), 1) }
        return out
    }
}
