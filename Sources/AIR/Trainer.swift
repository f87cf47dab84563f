import Dispatch
import Engine
import Random
import Scenes

/// How to train.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var steps = 20_000
    public var batchSize = 32
    public var learningRate: Float = 1e-3
    /// Learning rate falls by a cosine to this fraction at the last step.
    public var finalLearningRateFraction: Float = 0.05
    public var warmup = 200
    public var clipNorm: Float = 20
    public var seed: UInt64 = 1
    public var threads = 2
    public var checkpointEvery = 500
    public var evalEvery = 250
    public var evalImages = 256
    public init() {}
}

/// One line of the metrics log.
public struct TrainingMetrics: Codable, Sendable {
    public var step: Int
    public var loss: Double
    public var presence: Double
    public var position: Double
    public var shape: Double
    public var color: Double
    public var yaw: Double
    public var refine: Double
    public var presenceAccuracy: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
    /// Count accuracy of full inference on the held-out batch (at evaluation steps).
    public var heldOutCountAccuracy: Double?
    public var heldOutPositionErrorMedian: Double?
}

/// Sleep-phase training of the guide: draws batches, steps Adam, evaluates on held-out scenes.
public final class Trainer {
    public let network: GuideNetwork
    public let options: TrainingOptions
    public let builder: BatchBuilder
    public let optimizer: Adam
    public var objective: SleepObjective
    public var rng: RNG
    public private(set) var step = 0
    private let tape = Tape()
    private let heldOut: (images: [Image], truth: [[SceneObject]])

    public init(network: GuideNetwork, source: any SceneSource, heldOutSource: any SceneSource, options: TrainingOptions) throws {
        self.network = network
        self.options = options
        builder = try BatchBuilder(source: source, config: network.config, threads: options.threads)
        let total = options.steps, warm = options.warmup, floor = options.finalLearningRateFraction
        optimizer = Adam([ParameterGroup(network, learningRate: options.learningRate)],
                         schedule: .warmupCosine(warmup: warm, total: total, floor: floor))
        objective = SleepObjective(network: network)
        rng = RNG(seed: options.seed).split(0x7261_696E)   // "rain"
        // Held-out scenes: a different stream of the same source.
        let r = Rasterizer(threads: 1)
        var images: [Image] = [], truth: [[SceneObject]] = []
        for i in 0..<options.evalImages {
            let s = try heldOutSource.scene(i, renderer: r)
            let img = try s.image ?? r.render(Scene(camera: network.config.camera, objects: s.objects), samplesPerPixel: network.config.samplesPerPixel)
            images.append(quantised(img))
            truth.append(s.objects)
        }
        heldOut = (images, truth)
    }

    /// Restores the step counter after a resume (the optimiser and RNG are restored by the caller).
    public func resume(at step: Int) { self.step = step }

    /// Runs one optimisation step and returns its metrics.
    public func trainStep() throws -> TrainingMetrics {
        let started = DispatchTime.now().uptimeNanoseconds
        let b = options.batchSize
        let batch = try builder.batch(first: step * b, count: b, noiseSeed: options.seed ^ 0x5EED)
        defer { tape.reset() }
        network.zeroGrad()
        let terms = objective.loss(batch, table: builder.tableColor, tape: tape, rng: &rng)
        let loss = Double(terms.loss.item)
        guard loss.isFinite else { throw TrainingError.nonFinite(step: step + 1, what: "the loss") }
        terms.loss.backward()
        let norm = optimizer.clipGradNorm(options.clipNorm)
        guard norm.isFinite else { throw TrainingError.nonFinite(step: step + 1, what: "the gradient norm") }
        let lr = Double(optimizer.currentLearningRate(group: 0))
        optimizer.step()
        step += 1
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return TrainingMetrics(step: step, loss: loss, presence: terms.presence, position: terms.position,
                               shape: terms.shape, color: terms.color, yaw: terms.yaw, refine: terms.refine,
                               presenceAccuracy: terms.presenceAccuracy, learningRate: lr,
                               imagesPerSecond: Double(b) / seconds)
    }

    /// Full inference on the held-out scenes, scored.
    public func evaluateHeldOut() throws -> EvaluationReport {
        let inferrer = try Inferrer(network: network)
        let started = DispatchTime.now().uptimeNanoseconds
        let predicted = try inferrer.infer(heldOut.images)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var e = Evaluation()
        for (t, p) in zip(heldOut.truth, predicted) { e.add(truth: t, predicted: p.scene.objects) }
        return e.report(seconds: seconds)
    }
}

/// The image as an 8-bit PNG would hold it.
func quantised(_ image: Image) -> Image {
    var q = image
    for i in q.pixels.indices { q.pixels[i] = (q.pixels[i] * 255 + 0.5).rounded(.down) / 255 }
    return q
}
