import Dispatch
import Scenes

/// The wake phase of reweighted wake-sleep for the guide (wake-φ; Le et al. 2019), which learns
/// from observed images alone, through the renderer:
///
///     ∇φ KL(p(z | x) ‖ q(z | x)) ≈ −∇φ log q(z* | x),   z* a draw from (an approximation of) p(z | x).
///
/// The guide is not good enough to propose z* itself early on (from scratch it proposes noise,
/// and importance weights among noise pick the empty scene), so the proposal is improved by the
/// render-and-compare search before it becomes the target: the guide's reading is the search's
/// start, and the search keeps only moves that raise log p(x | z) + log p(z) — amortised MCMC
/// (Li, Turner & Liu 2017) with a greedy kernel. The guide then learns to jump to where the
/// search ends, so later starts are better and the search cheaper. No label is ever read.
public final class WakeObjective {
    public let network: GuideNetwork
    /// One search per thread (each owns its renderer); the images are shared out among them.
    private let refiners: [Refiner]
    private let inferrer: Inferrer
    /// Each target object the guide read (matched within `ConfidenceCalibration.matchDistance`)
    /// keeps the guide's colour, not the search's; objects the search added keep the search's.
    /// The least-squares colour takes in whatever the renderer cannot draw — a white highlight
    /// whitens a red block, a tinted light tints a white one — and adapting a model on glossy
    /// blocks taught it those colours (colour names 97.6 → 84.4 %); with this on, the sleep
    /// steps' labels teach colour instead (98.9 %), but fewer highlighted blocks pass the
    /// readings' check against the image (strong highlights: 21 count errors, 12 without), so
    /// `air adapt` leaves it off unless asked. Off for learning from scratch, where the guide's
    /// colours are noise.
    public var keepsGuideColors = false
    /// Each target object takes the colour a matte block would need (`MatteColor`: a low
    /// quantile of its pixels' grey levels, the chroma of the darker half), so that white
    /// highlights whiten the colours the guide is taught less. `keepsGuideColors`, when on too,
    /// comes first.
    public var matteColors = false

    /// Whether the search refits the light (`RefinementOptions.lightMoves`).
    public var searchesLight: Bool { refiners[0].options.lightMoves }

    /// The search runs under `model` (its renderer, its count prior).
    public init(network: GuideNetwork, model: GenerativeModel, refinement: RefinementOptions, threads: Int = 1) throws {
        self.network = network
        refiners = (0..<max(1, threads)).map { _ in Refiner(model: model, config: network.config, options: refinement) }
        inferrer = try Inferrer(network: network, renderer: model.makeRenderer())
    }

    /// What the search made of a batch.
    public struct Targets {
        public var scenes: [Scene]
        /// Mean gain in log p(x | z) of the search over the guide's reading (nats per image).
        public var searchGain: Double
        /// Mean number of objects in the targets.
        public var meanCount: Double
    }

    /// The targets z* for observed images (each the model's size).
    public func targets(_ images: [Image]) throws -> Targets {
        let readings = try inferrer.infer(images)
        // The search is deterministic and each image's is independent: the result does not
        // depend on the number of threads.
        var results = [Result<(Scene, RefinementReport), Error>?](repeating: nil, count: images.count)
        let workers = min(refiners.count, images.count)
        results.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for k in stride(from: w, to: images.count, by: workers) {
                    out[k] = Result { try refiners[w].refine(images[k], start: readings[k].scene) }
                }
            }
        }
        var scenes: [Scene] = [], gain = 0.0, count = 0
        for (k, r) in results.enumerated() {
            var (scene, report) = try r!.get()
            if keepsGuideColors { WakeObjective.keepColors(of: readings[k].scene.objects, in: &scene.objects) }
            else if matteColors {
                let matte = try MatteColor.albedos(of: scene, in: images[k], renderer: refiners[0].renderer,
                                                   samplesPerPixel: refiners[0].spp)
                for (j, rgb) in matte.enumerated() {
                    guard let rgb else { continue }
                    let c = Refiner.albedo(rgb)
                    scene.objects[j].color = Color(rgb: c, name: Palette.exactName(for: c))
                }
            }
            gain += report.logLikelihoodAfter - report.logLikelihoodBefore
            count += scene.objects.count
            scenes.append(scene)
        }
        let n = Double(max(1, images.count))
        return Targets(scenes: scenes, searchGain: gain / n, meanCount: Double(count) / n)
    }

    /// Gives each of `objects` matched to one of `read` (`Matching.partners`, within
    /// `ConfidenceCalibration.matchDistance`) that one's colour.
    static func keepColors(of read: [SceneObject], in objects: inout [SceneObject]) {
        let partners = Matching.partners(of: objects.map(\.position), among: read.map(\.position),
                                         within: ConfidenceCalibration.matchDistance)
        for (k, j) in partners.enumerated() { if let j { objects[k].color = read[j].color } }
    }
}
