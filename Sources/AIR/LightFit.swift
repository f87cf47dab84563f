import Scenes

/// The one light that best explains a set of images, for a user whose set-up has a fixed lamp.
///
/// The network reads each image's light from that image alone; with few blocks in view it can
/// be 10–20° off, and a pale block then fits no pose as well as it fits bare table (a white
/// wedge under the default light: 600–1,600 nats of evidence under the true light, below zero
/// under one read 12–18° off). A folder from one set-up holds the answer many times over.
///
/// Given each image's reading (objects, and the light refinement fitted to it), the common
/// direction is searched from the readings' mean, coarse to fine (every direction a step away,
/// `Search.around`), each candidate scored with the levels shared by all images solved by least
/// squares (the images weighed by their noise, 1/σ²); shadows as most readings say. The light
/// is constant when it costs the median image at most `largestMedianLoss` nats against the
/// light fitted to that image alone; under lights that vary (the training prior's) the median
/// image loses thousands.
public enum LightFit {
    /// Above this median loss per image (nats) the images do not share one light.
    public static let largestMedianLoss = 100.0

    public struct Fit: Sendable {
        /// The common light.
        public var light: Light
        /// Per image: log-likelihood lost under the common light against its own (nats).
        public var losses: [Double]
        public var medianLoss: Double { losses.isEmpty ? 0 : losses.sorted()[losses.count / 2] }
        /// Whether the images share this light (`largestMedianLoss`).
        public var isShared: Bool { medianLoss <= LightFit.largestMedianLoss }
    }

    public static func fit(images: [Image], scenes: [Scene], samplesPerPixel spp: Int,
                           minimumSigma: Double = RefinementOptions().minimumSigma) throws -> Fit {
        guard !images.isEmpty, images.count == scenes.count else {
            throw TrainingError.unsupported("no images to fit the light on")
        }
        let renderer = Rasterizer(threads: 1)
        let shadows = 2 * scenes.filter(\.light.shadows).count > scenes.count
        // The ambient part does not depend on the direction (shadows take only the diffuse):
        // one render per image, and one per image and candidate direction.
        var ownSSE: [Double] = [], weights: [Double] = [], ambient: [Image] = []
        for (image, scene) in zip(images, scenes) {
            let rendered = try renderer.render(scene, samplesPerPixel: spp)
            let sigma = Refiner.robustSigma(image, rendered, floor: minimumSigma)
            ownSSE.append(Refiner.sse(image, rendered))
            weights.append(1 / (sigma * sigma))
            var s = scene
            s.light = Light(direction: s.light.direction, ambient: 1, diffuse: 0, shadows: shadows)
            ambient.append(try renderer.render(s, samplesPerPixel: spp))
        }
        let ambientSums = zip(images, ambient).map { Search.ambientSums($0, ambientOnly: $1) }
        var mean = SIMD3<Double>(0, 0, 0)
        for s in scenes { mean += s.light.unitDirection }
        if !(mean.z > 1e-6) { mean = Light().unitDirection }

        /// Every image's squared error under `direction` with the shared levels, and the levels.
        func score(_ direction: SIMD3<Double>) throws -> (light: Light, sse: [Double])? {
            var sums: [Search.LevelSums] = []
            for (i, scene) in scenes.enumerated() {
                var s = scene
                s.light = Light(direction: direction, ambient: 0, diffuse: 1, shadows: shadows)
                let d = try renderer.render(s, samplesPerPixel: spp)
                let (aa, ax, xx) = ambientSums[i]
                let (ad, dd, dx) = Search.dots(d, ambient[i], images[i])
                sums.append(Search.LevelSums(aa: aa, ax: ax, xx: xx, ad: ad, dd: dd, dx: dx))
            }
            // The levels shared by all images: their sums weighed by 1/σ².
            var t = Search.LevelSums()
            for (w, u) in zip(weights, sums) {
                t.aa += w * u.aa; t.ax += w * u.ax; t.ad += w * u.ad; t.dd += w * u.dd; t.dx += w * u.dx
            }
            guard let (a0, b0) = t.solved() else { return nil }
            let a = Light.rounded(a0), b = Light.rounded(b0)
            return (Light(direction: direction, ambient: a, diffuse: b, shadows: shadows), sums.map { $0.sse(ambient: a, diffuse: b) })
        }
        func loss(_ sse: [Double]) -> Double { zip(sse, weights).map { $0 * $1 }.reduce(0, +) }

        let start = mean / (mean * mean).sum().squareRoot()
        guard var best = try score(start.rounded) else { throw TrainingError.unsupported("the light cannot be fitted: the images show nothing lit") }
        var bestLoss = loss(best.sse)
        for step in [16.0, 8, 4, 2, 1, 0.5] {
            var moved = true
            while moved {
                moved = false
                for c in Search.around(best.light, by: step, diagonals: true) {
                    guard let s = try score(c.direction), loss(s.sse) < bestLoss else { continue }
                    (best, bestLoss, moved) = (s, loss(s.sse), true)
                }
            }
        }
        let losses = zip(zip(best.sse, ownSSE), weights).map { p, w in (p.0 - p.1) * w / 2 }
        return Fit(light: best.light, losses: losses)
    }
}

private extension SIMD3<Double> {
    /// Components rounded as `Light.rounded` (the shortest JSON text reads back the same).
    var rounded: SIMD3<Double> { SIMD3(Light.rounded(x), Light.rounded(y), Light.rounded(z)) }
}
