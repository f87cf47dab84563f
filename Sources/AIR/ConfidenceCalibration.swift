import Scenes

/// Calibrated confidence that a reported object is real.
///
/// What inference knows about an object: the network's presence probability (none for an
/// object that refinement added) and the evidence of the pixels — the log-likelihood ratio of
/// the scene with and without it (`Refiner.evidence`). A logistic map of these, fitted on fresh
/// scenes of the training prior and its shifts where "real" means matched to a true object
/// within `ConfidenceCalibration.matchDistance`, turns them into a probability (`air calibrate`).
/// Amortized and refined readings have maps of their own (their features are distributed
/// differently).
public struct ConfidenceCalibration: Codable, Equatable, Sendable {
    /// Weights of `features` followed by the bias.
    public var amortized: [Double]
    public var refined: [Double]
    /// The look-again's births in the model's own world (`air adapt` fits them on the world's
    /// twin when the images are clean, `fitBirths`); nil: births take the refined map.
    public var births: [Double]?

    /// A reported object is real when the Hungarian matching on position pairs it with a true
    /// object at most this far away (scene units).
    public static let matchDistance = 0.3

    public init(amortized: [Double], refined: [Double]) {
        self.amortized = amortized
        self.refined = refined
    }

    /// The network's presence logit, the evidence (signed log), whether refinement added the
    /// object, the image's noise level (the same evidence means less in a noisy image) and its
    /// product with the evidence, and the logit's negative part (doubt weighs more than certainty).
    public static func features(presence: Double?, evidence: Double, noise: Double) -> [Double] {
        let p = min(max(presence ?? 0.5, 1e-6), 1 - 1e-6)
        let logit = log(p / (1 - p))
        let e = evidence >= 0 ? log1p(evidence) : -log1p(-evidence)
        let n = log(max(noise, 1e-3) / 0.02)
        return [logit / 4, e / 4, presence == nil ? 1 : 0, n, e / 4 * n, min(logit, 0) / 4]
    }

    public static let featureCount = 6

    public func confidence(_ features: [Double], refined isRefined: Bool) -> Double {
        Self.logistic(isRefined ? refined : amortized, features)
    }

    /// A look-again birth's features: those of an object refinement added, then how many pixels
    /// it changes (`SceneReader.changedPixels`; log, per hundred). A block seen whole changes a
    /// hundred or more, faint or not; the phantoms a reading leaves (a sliver beside a block read
    /// a little off) change a few.
    public static func birthFeatures(evidence: Double, noise: Double, pixels: Int) -> [Double] {
        features(presence: nil, evidence: evidence, noise: noise) + [log(Double(max(pixels, 1)) / 100)]
    }

    /// Weights in a births' map that weighs the pixels a birth changes (`birthFeatures`); one
    /// fewer: a map fitted before it did, which weighs the refined map's features only.
    public static let birthWeightCount = featureCount + 2

    /// A look-again birth's confidence: the births' map, else the refined one.
    public func birthConfidence(evidence: Double, noise: Double, pixels: Int) -> Double {
        let w = births ?? refined
        return Self.logistic(w, w.count == Self.birthWeightCount ? Self.birthFeatures(evidence: evidence, noise: noise, pixels: pixels)
                                                                 : Self.features(presence: nil, evidence: evidence, noise: noise))
    }

    static func logistic(_ w: [Double], _ x: [Double]) -> Double {
        1 / (1 + exp(-logit(w, x)))
    }

    /// The weights' linear score of `x` (the last weight is the bias).
    static func logit(_ w: [Double], _ x: [Double]) -> Double {
        var z = w.last ?? 0
        for (a, b) in zip(w, x) { z += a * b }
        return z
    }

    /// Logistic regression by Newton's method: the weights and bias maximising
    /// Σ log p(label | features) − ridge/2 · |w − towards|² (a small ridge towards zero for
    /// separable data; towards a map already fitted when the samples are few).
    public static func fit(_ samples: [(features: [Double], real: Bool)], iterations: Int = 50, ridge: Double = 1e-3,
                           towards prior: [Double]? = nil) -> [Double] {
        guard let d = samples.first?.features.count else { return prior ?? [Double](repeating: 0, count: featureCount + 1) }
        let n = d + 1
        let w0 = prior ?? [Double](repeating: 0, count: n)
        var w = w0
        for _ in 0..<iterations {
            var g = [Double](repeating: 0, count: n)
            var h = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for s in samples {
                let x = s.features + [1]
                let p = logistic(w, s.features)
                let y = s.real ? 1.0 : 0.0
                for i in 0..<n {
                    g[i] += (y - p) * x[i]
                    for j in 0..<n { h[i][j] += p * (1 - p) * x[i] * x[j] }
                }
            }
            for i in 0..<n { g[i] -= ridge * (w[i] - w0[i]); h[i][i] += ridge }
            // Newton's step, halved until the objective does not fall: from a start far from the
            // optimum (a map fitted elsewhere) the full step can overshoot without end.
            var step = solve(h, g)
            let current = objective(w)
            for _ in 0..<40 {
                let trial = zip(w, step).map { $0 + $1 }
                if objective(trial) >= current { break }
                step = step.map { $0 / 2 }
            }
            var largest = 0.0
            for i in 0..<n { w[i] += step[i]; largest = max(largest, abs(step[i])) }
            if largest < 1e-9 { break }
        }
        return w

        /// Σ log p(label | features) − ridge/2 · |w − w0|², log p in a form that does not overflow.
        func objective(_ w: [Double]) -> Double {
            var total = 0.0
            for s in samples {
                let z = logit(w, s.features), margin = s.real ? z : -z
                total -= margin > 0 ? log1p(exp(-margin)) : -margin + log1p(exp(margin))
            }
            for i in 0..<n { total -= ridge / 2 * (w[i] - w0[i]) * (w[i] - w0[i]) }
            return total
        }
    }

    /// Gaussian elimination with partial pivoting (tiny systems).
    static func solve(_ a0: [[Double]], _ b0: [Double]) -> [Double] {
        var a = a0, b = b0
        let n = b.count
        for c in 0..<n {
            let p = (c..<n).max { abs(a[$0][c]) < abs(a[$1][c]) }!
            a.swapAt(c, p); b.swapAt(c, p)
            guard abs(a[c][c]) > 1e-12 else { continue }
            for r in (c + 1)..<n {
                let f = a[r][c] / a[c][c]
                for k in c..<n { a[r][k] -= f * a[c][k] }
                b[r] -= f * b[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for k in (r + 1)..<n { s -= a[r][k] * x[k] }
            x[r] = abs(a[r][r]) > 1e-12 ? s / a[r][r] : 0
        }
        return x
    }
}

/// How well confidences match reality: the reliability table over 10 equal bins of confidence
/// and the expected calibration error Σ_bins (n_bin / n) · |accuracy − mean confidence|.
public struct CalibrationReport: Codable, Equatable, Sendable {
    public struct Bin: Codable, Equatable, Sendable {
        public var low: Double
        public var high: Double
        public var objects: Int
        public var meanConfidence: Double?
        /// Fraction of the bin's objects that are real.
        public var accuracy: Double?
    }
    public var objects: Int
    public var expectedCalibrationError: Double
    public var bins: [Bin]

    public init(_ samples: [(confidence: Double, real: Bool)], bins count: Int = 10) {
        objects = samples.count
        var ece = 0.0
        bins = (0..<count).map { b in
            let lo = Double(b) / Double(count), hi = Double(b + 1) / Double(count)
            let inBin = samples.filter { b == count - 1 ? $0.confidence >= lo : ($0.confidence >= lo && $0.confidence < hi) }
            guard !inBin.isEmpty else { return Bin(low: lo, high: hi, objects: 0) }
            let conf = inBin.map(\.confidence).reduce(0, +) / Double(inBin.count)
            let acc = Double(inBin.filter(\.real).count) / Double(inBin.count)
            ece += Double(inBin.count) / Double(max(samples.count, 1)) * abs(acc - conf)
            return Bin(low: lo, high: hi, objects: inBin.count, meanConfidence: conf, accuracy: acc)
        }
        expectedCalibrationError = ece
    }

    enum CodingKeys: String, CodingKey {
        case objects, bins
        case expectedCalibrationError = "expected_calibration_error"
    }
}

extension CalibrationReport.Bin {
    enum CodingKeys: String, CodingKey {
        case low, high, objects, accuracy
        case meanConfidence = "mean_confidence"
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

extension ConfidenceCalibration {
    /// Fits both maps on `count` fresh scenes of `spec` (seeded), read by `network` amortized and
    /// refined. Returns the calibration and the fitting set's reliability before (raw presence)
    /// and after.
    public static func fit(network: GuideNetwork, spec: BatchSpec, count: Int, seed: UInt64,
                           refinement: RefinementOptions = RefinementOptions(),
                           progress: (Int) -> Void = { _ in }) throws -> (calibration: ConfidenceCalibration, raw: CalibrationReport, fitted: CalibrationReport) {
        let (scenes, images) = try spec.observedScenes(count: count, seed: seed, renderer: Rasterizer(threads: 1))
        let truths = scenes.map(\.objects)
        var samples: [Bool: [(features: [Double], real: Bool)]] = [false: [], true: []]
        var raw: [(confidence: Double, real: Bool)] = []
        for refine in [false, true] {
            let reader = try SceneReader(network: network, refine: refine, refinement: refinement)
            var start = 0
            while start < count {
                let end = min(start + 64, count)
                let readings = try reader.read(Array(images[start..<end]))
                for (k, r) in readings.enumerated() {
                    // A doubtful step's object is a sample of the amortized map too: the map
                    // decides whether it is reported.
                    let doubtful = refine || r.objects.contains { $0.object == r.doubtful?.object } ? nil : r.doubtful
                    let objects = r.objects + (doubtful.map { [$0] } ?? [])
                    let score = ImageScore(truth: truths[start + k], predicted: objects.map(\.object))
                    for (j, o) in objects.enumerated() {
                        let real = score.pairs.contains { $0.predictedIndex == j && $0.positionError <= matchDistance }
                        samples[refine]!.append((features(presence: o.presence, evidence: o.evidence, noise: o.noise), real))
                        if !refine { raw.append((o.presence ?? 0.5, real)) }
                    }
                }
                start = end
                progress((refine ? count : 0) + end)
            }
        }
        let c = ConfidenceCalibration(amortized: fit(samples[false]!), refined: fit(samples[true]!))
        let fitted = samples[false]!.map { (c.confidence($0.features, refined: false), $0.real) }
        return (c, CalibrationReport(raw), CalibrationReport(fitted))
    }
}

extension ConfidenceCalibration {
    /// How strongly the births' map is held to the refined one (per weight, in units of the
    /// log-likelihood): the twin yields about one birth in a hundred scenes.
    public static let birthsRidge = 1.0

    /// The births' map of `network` in its own world: `count` scenes of `spec` (the world's
    /// twin, `twin(of:config:)`), read with the look-again, every birth it proposes kept whatever
    /// its confidence (`SceneReader.birthConfidenceFloor` 0; no relook, which at that floor
    /// would decide otherwise than the reading) and real when matched to a true
    /// block within `matchDistance`; logistic in `birthFeatures`, held to the refined map (no
    /// weight on pixels) by `birthsRidge`.
    /// Returns the weights and how many births were seen and real.
    public static func fitBirths(network: GuideNetwork, spec: BatchSpec, count: Int, seed: UInt64,
                                 progress: (Int) -> Void = { _ in }) throws -> (weights: [Double], births: Int, real: Int) {
        guard let calibration = network.config.calibration else {
            throw TrainingError.unsupported("the model carries no calibration to start the births' map from (air calibrate)")
        }
        let renderer = Rasterizer(threads: 1)
        let reader = try SceneReader(network: network, refine: false)
        reader.lookAgainRenders = 400
        reader.birthConfidenceFloor = 0
        reader.relooks = false
        var samples: [(features: [Double], real: Bool)] = []
        var start = 0
        while start < count {
            let end = min(start + 256, count)
            let (scenes, images) = try spec.observedScenes(start..<end, seed: seed, renderer: renderer)
            for (k, r) in try reader.read(images).enumerated() {
                let score = ImageScore(truth: scenes[k].objects, predicted: r.objects.map(\.object))
                for (j, o) in r.objects.enumerated() where o.presence == nil {
                    let real = score.pairs.contains { $0.predictedIndex == j && $0.positionError <= matchDistance }
                    samples.append((birthFeatures(evidence: o.evidence, noise: o.noise, pixels: o.pixels ?? 0), real))
                }
            }
            start = end
            progress(end)
        }
        // The refined map does not weigh pixels: the births' map starts with no weight on them.
        let w = fit(samples, ridge: birthsRidge, towards: calibration.refined.dropLast() + [0, calibration.refined.last ?? 0])
        return (w, samples.count, samples.filter(\.real).count)
    }

    /// Images whose readings leave a median residual noise (`Refiner.robustSigma`, unfloored)
    /// at most this are clean: the twin without camera effects is theirs.
    public static let cleanNoise = 0.01

    /// The median over `images` of the residual's noise level under their readings `scenes`.
    public static func noiseLevel(images: [Image], scenes: [Scene], samplesPerPixel spp: Int) throws -> Double {
        let renderer = Rasterizer(threads: 1)
        let sigmas = try zip(images, scenes).map { Refiner.robustSigma($0, try renderer.render($1, samplesPerPixel: spp), floor: 0) }.sorted()
        return sigmas.isEmpty ? .infinity : sigmas[sigmas.count / 2]
    }

    /// `spec`'s blocks seen in `config`'s world: its camera, table and (when the model knows it)
    /// light, and no camera effects (a twin of clean images; the prior's effects make phantoms
    /// such images do not have). No scene is seen plain.
    public static func twin(of spec: BatchSpec, config: ModelConfig) -> BatchSpec {
        var t = spec
        t.camera = config.camera
        t.tableColor = config.table
        t.plainProbability = 0
        t.effects = nil
        if let l = config.worldLight?.light {
            var p = LightPrior()
            p.direction = l.direction
            p.ambient = .fixed(l.ambient)
            p.diffuse = .fixed(l.diffuse)
            p.shadowProbability = l.shadows ? 1 : 0
            t.light = p
        }
        return t
    }
}
