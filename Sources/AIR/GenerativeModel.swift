#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Scenes

/// The prior p(z) of a scene's objects, read off the batch spec that also draws the sleep
/// phase's scenes, so that every objective agrees on it:
/// - count: the spec's count weights, cut at the model's `maxObjects` and renormalised;
/// - shape: the spec's shape weights;
///   (both mixed with `floor` of a uniform, so that a reading the spec never draws — one object
///   too many, a shape it leaves out — gets a steep but finite learning signal, not −∞);
/// - position: uniform on the spec's x and y ranges, with Gaussian edges of width `edge`
///   outside (normalised exactly): almost no mass off the area, yet a slope back towards it
///   wherever a guess lands;
/// - colour: uniform on [0, 1]³ for `uniform_rgb`; for a palette, a mixture of narrow
///   isotropic Gaussians (σ `paletteSpread`) at the palette's colours with the spec's weights,
///   so that the guide's continuous colour has a density that peaks where the prior's mass is;
/// - yaw and light: uniform / taken as given (constants, left out).
/// Sweeps and grids are not priors: they get the default random spec's.
public struct ScenePrior: Sendable {
    /// log p(n) for n = 0…maxObjects (−∞ where the weight is zero).
    public let countLogProbs: [Double]
    /// log p(shape), in `Shape` order.
    public let shapeLogProbs: [Double]
    public let x: ClosedRange<Double>
    public let y: ClosedRange<Double>
    /// (log weight, colour) per palette component; nil for uniform RGB.
    public let palette: [(logWeight: Double, rgb: SIMD3<Double>)]?
    public static let paletteSpread = 0.03
    public static let edge = 0.05
    public static let floor = 1e-4

    public init(spec: BatchSpec, maxObjects: Int) {
        var kind = BatchSpec.default.kind
        if case .random = spec.kind { kind = spec.kind }
        guard case .random(let r) = kind else { preconditionFailure("the default spec is random") }
        func logNormalised(_ w: [Double], floor: Double) -> [Double] {
            let total = w.reduce(0, +)
            return w.map { log((1 - floor) * (total > 0 ? $0 / total : 1 / Double(w.count)) + floor / Double(w.count)) }
        }
        let counts = (0...max(0, maxObjects)).map { $0 < r.countWeights.count ? r.countWeights[$0] : 0 }
        countLogProbs = logNormalised(counts, floor: ScenePrior.floor)
        shapeLogProbs = logNormalised(r.shapeWeights, floor: ScenePrior.floor)
        x = r.x
        y = r.y
        switch r.colors {
        case .uniformRGB: palette = nil
        case .palette(let w):
            palette = zip(logNormalised(w, floor: 0), Palette.entries).filter { $0.0 > -.infinity }.map { ($0.0, $0.1.rgb) }
        }
    }

    public func logProb(count n: Int) -> Double { countLogProbs.indices.contains(n) ? countLogProbs[n] : -.infinity }

    /// log p(shape) + log p(position) + log p(colour) of one object.
    public func logProb(_ o: SceneObject) -> Double {
        shapeLogProbs[o.shape.rawValue] + positionLogProb(o.position) + colorLogProb(o.color.rgb)
    }

    public func positionLogProb(_ p: SIMD2<Double>) -> Double { positionLogProbAndGradient(p).value }

    /// The density is 1/Z inside the area and exp(−d²/2e²)/Z at distance d outside it, where
    /// Z = area + perimeter · e · √(π/2) + 2πe² (the sides' half-Gaussian strips and the four
    /// corners' quarter Gaussians).
    public func positionLogProbAndGradient(_ p: SIMD2<Double>) -> (value: Double, gradient: SIMD2<Double>) {
        let e = ScenePrior.edge
        let w = x.upperBound - x.lowerBound, h = y.upperBound - y.lowerBound
        let z = w * h + 2 * (w + h) * e * (Double.pi / 2).squareRoot() + 2 * Double.pi * e * e
        let d = SIMD2(p.x < x.lowerBound ? p.x - x.lowerBound : (p.x > x.upperBound ? p.x - x.upperBound : 0),
                      p.y < y.lowerBound ? p.y - y.lowerBound : (p.y > y.upperBound ? p.y - y.upperBound : 0))
        return (-log(z) - (d * d).sum() / (2 * e * e), -d / (e * e))
    }

    /// log p(colour) and its gradient by the colour (zero for uniform RGB).
    public func colorLogProb(_ c: SIMD3<Double>) -> Double { colorLogProbAndGradient(c).value }

    public func colorLogProbAndGradient(_ c: SIMD3<Double>) -> (value: Double, gradient: SIMD3<Double>) {
        guard let palette else { return (0, .zero) }
        let s2 = ScenePrior.paletteSpread * ScenePrior.paletteSpread
        let norm = -1.5 * log(2 * Double.pi * s2)
        // log Σ_k w_k N(c; μ_k, s²) by log-sum-exp; the gradient is Σ_k r_k (μ_k − c) / s².
        let terms = palette.map { $0.logWeight + norm - ((c - $0.rgb) * (c - $0.rgb)).sum() / (2 * s2) }
        let m = terms.max()!
        let e = terms.map { exp($0 - m) }
        let total = e.reduce(0, +)
        var g = SIMD3<Double>.zero
        for (k, p) in palette.enumerated() { g += (p.rgb - c) * (e[k] / total) / s2 }
        return (m + log(total), g)
    }
}

/// The generative model p(z) p(x | z) that sleep, the ELBO, the wake phase (rws), refinement
/// and evaluation share: the prior of every latent, the renderer that turns a scene into an
/// image and the likelihood that scores an image against a rendering. The renderer and the
/// likelihood are injected: any `ShadingRenderer` (exact colour gradients; the refiner's
/// colour move) and any `ImageLikelihood` plug in.
public struct GenerativeModel {
    /// The spec the sleep phase draws (z, x) from; the prior's densities are read off it.
    public let spec: BatchSpec
    public let prior: ScenePrior
    /// A fresh renderer per worker (a renderer serves one thread at a time).
    public let makeRenderer: @Sendable () -> any ShadingRenderer
    public let likelihood: any ImageLikelihood

    public init(spec: BatchSpec, config: ModelConfig, sigma: Double = 0.05,
                likelihood: (any ImageLikelihood)? = nil,
                makeRenderer: @escaping @Sendable () -> any ShadingRenderer = { Rasterizer(threads: 1) }) {
        self.spec = spec
        prior = ScenePrior(spec: spec, maxObjects: config.maxObjects)
        self.likelihood = likelihood ?? GaussianLikelihood(sigma: sigma)
        self.makeRenderer = makeRenderer
    }

    /// log p(z): the count's prior and every object's.
    public func logPrior(_ objects: [SceneObject]) -> Double {
        objects.reduce(prior.logProb(count: objects.count)) { $0 + prior.logProb($1) }
    }

    /// log p(x | z) of an observed image under the scene's rendering.
    public func logLikelihood(_ observed: Image, scene: Scene, renderer: any SceneRenderer, samplesPerPixel: Int) throws -> Double {
        likelihood.logLikelihood(observed: observed, rendered: try renderer.render(scene, samplesPerPixel: samplesPerPixel))
    }
}
