import Scenes

/// The table's albedo that best explains a set of images, for a user whose table is not the
/// model's: given each image's reading (objects and light), every pixel the reading leaves bare
/// (rendered exactly as an empty table under that light) is albedo ⊙ shade, with the shade the
/// empty table's under a white table; the albedo is the least-squares fit per channel over all
/// of them. Light levels and albedo trade off, so the readings must come from a model that knows
/// the table roughly: `air adapt --fit-table` alternates reading and fitting.
public enum TableFit {
    public static func albedo(images: [Image], scenes: [Scene], samplesPerPixel spp: Int) throws -> SIMD3<Double> {
        let renderer = Rasterizer(threads: 1)
        var xs = SIMD3<Double>(0, 0, 0), ss = 0.0
        for (image, scene) in zip(images, scenes) {
            let rendered = try renderer.render(scene, samplesPerPixel: spp)
            var bare = scene
            bare.objects = []
            let empty = try renderer.render(bare, samplesPerPixel: spp)
            bare.tableColor = SIMD3(1, 1, 1)
            let shade = try renderer.render(bare, samplesPerPixel: spp)
            for p in 0..<(image.width * image.height) {
                let i = 3 * p
                guard rendered.pixels[i] == empty.pixels[i], rendered.pixels[i + 1] == empty.pixels[i + 1],
                      rendered.pixels[i + 2] == empty.pixels[i + 2] else { continue }
                let s = SIMD3(Double(shade.pixels[i]), Double(shade.pixels[i + 1]), Double(shade.pixels[i + 2]))
                let x = SIMD3(Double(image.pixels[i]), Double(image.pixels[i + 1]), Double(image.pixels[i + 2]))
                xs += x * s
                ss += s.x * s.x   // a white table's shade is grey: one value per pixel
            }
        }
        guard ss > 0 else { throw TrainingError.unsupported("no bare table pixels to fit the table's colour on") }
        let a = xs / ss
        return SIMD3(min(max(a.x, 0), 1), min(max(a.y, 0), 1), min(max(a.z, 0), 1))
    }
}
