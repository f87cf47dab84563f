import Collective
import Dispatch
import Engine
import Random
import Scenes

/// Which learning signal trains the guide.
public enum Objective: String, Codable, CaseIterable, Sendable {
    /// Simulation-based: maximise log q(z | x) on scenes drawn from the prior (wake-sleep's sleep phase).
    case sleep
    /// The ELBO on the observed images: finite differences through the renderer for the
    /// continuous latents, REINFORCE with learned baselines for presence and shape.
    case elbo
    /// Sleep first, then sleep and ELBO steps interleaved (see `TrainingOptions.hybridSleepFraction`).
    case hybrid
    /// Reweighted wake-sleep's wake phase alone (no prior samples, no labels): the guide learns
    /// log q(z* | x) of its own readings of the observed images improved by the
    /// render-and-compare search (`WakeObjective`), or, with `TrainingOptions.wakeParticles`,
    /// of K particles drawn from itself, importance-weighted (`WakeParticles`).
    case rws
}

/// How to train. Stored in the run's state so that a resumed run continues the same schedule.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var objective: Objective = .hybrid
    public var steps = 20_000
    public var batchSize = 32
    public var learningRate: Float = 1e-3
    /// Learning rate falls by a cosine to this fraction at the last step.
    public var finalLearningRateFraction: Float = 0.05
    public var warmup = 200
    public var clipNorm: Float = 20
    public var seed: UInt64 = 1
    public var threads = 2
    public var logEvery = 50
    public var evalEvery = 500
    public var evalImages = 256
    /// With `hybrid`: the fraction of steps spent in the sleep phase before ELBO steps are
    /// interleaved with sleep steps (every other step).
    public var hybridSleepFraction = 0.9
    /// Standard deviation of the ELBO's per-pixel Gaussian likelihood.
    public var sigma = 0.05
    /// The baselines learn this many times faster than the guide.
    public var baselineLearningRateFactor: Float = 10
    /// With `rws`: the search's budget of renders per image.
    public var wakeSearchRenders = 600
    /// With `rws`: every this-many-th step is a sleep step on the prior (0: none).
    public var sleepEvery = 0
    /// With `rws`: K > 0 draws K importance-weighted particles per image from the guide
    /// instead of searching (0: the search).
    public var wakeParticles = 0
    /// The chance that an object of a teacher-forced prefix is rendered as a misreading
    /// (`BatchBuilder.prefixSlip`).
    public var prefixSlip = 0.0
    /// The chance that a scene's prefixes also render an object that is not there
    /// (`BatchBuilder.phantomSlip`).
    public var phantomSlip = 0.0
    /// Objects whose centres project within this many pixels of each other's height may be
    /// found in either order (`BatchBuilder.orderBand`; 0: the canonical order only).
    public var orderBand = 0.0
    /// Each step may find any remaining object within this many pixels of the nearest one's
    /// height (`SleepObjective.stepBand`; 0: the canonical next only).
    public var stepBand = 0.0
    /// The yaw loss of a shape of symmetry period P is weighed by (P / 90°)^yawBalance
    /// (`SleepObjective.yawBalance`; 0: every shape alike).
    public var yawBalance = 0.0
    /// The chance that a sleep scene is taught along the network's own readings of its image
    /// (`BatchBuilder.ownReadings`, `OwnRun`; 0: teacher forcing only).
    public var ownReadings = 0.0
    /// Wake targets keep the colour the guide read for each object it read
    /// (`WakeObjective.keepsGuideColors`); false: the search's colour.
    public var wakeKeepsGuideColors = false
    /// Wake targets take the matte colour (`WakeObjective.matteColors`).
    public var wakeMatteColors = false
    /// The wake search may refit the light (`RefinementOptions.lightMoves`); false: the targets
    /// keep the light the guide read.
    public var wakeLightMoves = true
    public init() {}

    enum CodingKeys: String, CodingKey {
        case objective, steps, batchSize, learningRate, finalLearningRateFraction, warmup, clipNorm, seed, threads,
             logEvery, evalEvery, evalImages, hybridSleepFraction, sigma, baselineLearningRateFactor,
             wakeSearchRenders, sleepEvery, wakeParticles, prefixSlip, phantomSlip, orderBand, stepBand, yawBalance, ownReadings,
             wakeKeepsGuideColors, wakeMatteColors, wakeLightMoves
    }

    /// Runs saved before a field existed get its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingOptions()
        func get<T: Decodable>(_ k: CodingKeys, _ fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? fallback }
        objective = try get(.objective, d.objective)
        steps = try get(.steps, d.steps)
        batchSize = try get(.batchSize, d.batchSize)
        learningRate = try get(.learningRate, d.learningRate)
        finalLearningRateFraction = try get(.finalLearningRateFraction, d.finalLearningRateFraction)
        warmup = try get(.warmup, d.warmup)
        clipNorm = try get(.clipNorm, d.clipNorm)
        seed = try get(.seed, d.seed)
        threads = try get(.threads, d.threads)
        logEvery = try get(.logEvery, d.logEvery)
        evalEvery = try get(.evalEvery, d.evalEvery)
        evalImages = try get(.evalImages, d.evalImages)
        hybridSleepFraction = try get(.hybridSleepFraction, d.hybridSleepFraction)
        sigma = try get(.sigma, d.sigma)
        baselineLearningRateFactor = try get(.baselineLearningRateFactor, d.baselineLearningRateFactor)
        wakeSearchRenders = try get(.wakeSearchRenders, d.wakeSearchRenders)
        sleepEvery = try get(.sleepEvery, d.sleepEvery)
        wakeParticles = try get(.wakeParticles, d.wakeParticles)
        prefixSlip = try get(.prefixSlip, d.prefixSlip)
        phantomSlip = try get(.phantomSlip, d.phantomSlip)
        orderBand = try get(.orderBand, d.orderBand)
        stepBand = try get(.stepBand, d.stepBand)
        yawBalance = try get(.yawBalance, d.yawBalance)
        ownReadings = try get(.ownReadings, d.ownReadings)
        wakeKeepsGuideColors = try get(.wakeKeepsGuideColors, d.wakeKeepsGuideColors)
        wakeMatteColors = try get(.wakeMatteColors, d.wakeMatteColors)
        wakeLightMoves = try get(.wakeLightMoves, d.wakeLightMoves)
    }
}

/// One line of the metrics log.
public struct TrainingMetrics: Codable, Sendable {
    public var step: Int
    public var objective: String
    public var loss: Double
    public var presence: Double?
    public var position: Double?
    public var shape: Double?
    public var color: Double?
    public var yaw: Double?
    public var refine: Double?
    public var light: Double?
    public var presenceAccuracy: Double?
    /// ELBO estimate per image (elbo steps).
    public var elbo: Double?
    /// rws steps: the search's mean gain in log p(x | z) over the guide's reading, and the
    /// targets' mean object count.
    public var searchGain: Double?
    public var targetCount: Double?
    /// rws steps with particles: the mean effective number of particles (1 / Σ w̃²) and the
    /// K-sample bound on log p(x) per image.
    public var effectiveParticles: Double?
    public var importanceBound: Double?
    public var gradientNorm: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
    /// Count accuracy of full inference on the held-out scenes (at evaluation steps).
    public var heldOutCountAccuracy: Double?
    public var heldOutPositionErrorMedian: Double?
    public var heldOutShapeAccuracy: Double?
    public var heldOutYawErrorMedian: Double?
    /// Unlabelled held-out images: mean squared error of the amortised reading's rendering, and
    /// the mean number of objects read.
    public var heldOutReconstructionMSE: Double?
    public var heldOutMeanCount: Double?
    /// Unlabelled held-out images: the ELBO per image, one sampled reading each.
    public var heldOutElbo: Double?
    /// Wall time since the run began (summed over resumed sessions), at logged steps.
    public var elapsedSeconds: Double?
}

/// The guide and the baselines under one name space, for the optimiser and checkpoints.
public final class Learner: Module {
    public let guide: GuideNetwork
    public let baselines: Baselines
    init(guide: GuideNetwork, baselines: Baselines) { self.guide = guide; self.baselines = baselines }
}

/// Trains the guide: draws batches (with more than one thread, the next one is rendered on
/// another core while this one trains), steps Adam, guards against non-finite values, evaluates
/// on held-out scenes. Everything a step uses is a function of (seed, step) and the saved
/// state, so a resumed run continues bit for bit. Over the ranks of a `Collective` it trains
/// data-parallel (`DataParallel.swift`): each rank draws and learns from its share of every
/// batch, and all ranks take the same steps.
public final class Trainer {
    public let network: GuideNetwork
    public let options: TrainingOptions
    /// p(z) p(x | z): the sleep phase's prior, the ELBO's densities, the wake search's renderer.
    public let model: GenerativeModel
    public let builder: BatchBuilder
    public let optimizer: Adam
    public var sleep: SleepObjective
    public var elbo: ElboObjective
    public let wake: WakeObjective
    /// Everything the optimiser updates: the guide ("guide.…") and the ELBO's baselines ("baselines.…").
    public let learner: Learner
    /// The root of the examples' random streams: example i of step s draws from
    /// `rng.split(s).split(i)` (`exampleStreams`), whichever rank holds it.
    public var rng: RNG
    public internal(set) var step = 0
    /// The ranks training together (a `SingleProcess` when alone).
    public let collective: any Collective
    /// This rank's examples of every batch.
    public let share: BatchShare
    private let tape = Tape()
    /// The wake particles' forward passes (no gradient is taken through them).
    private let particleTape = Tape()
    /// Reads the scenes taught along the network's own readings (`TrainingOptions.ownReadings`).
    private var ownInferrer: Inferrer?
    /// With more than one rank: every parameter's values and gradient laid end to end, so
    /// that the ranks exchange them in place.
    private let parameterBlock: ParameterBlock?
    /// Wall time spent summing the gradients and sharing the updated parameters so far (for
    /// benchmarks: what the ranks spend talking rather than computing).
    public private(set) var allReduceSeconds = 0.0
    /// Held-out images and, for a labelled source, their scenes (rank 0's alone: it evaluates).
    private let heldOut: (images: [Image], truth: [[SceneObject]]?)
    /// With `rws` and `sleepEvery`: the prior's scenes for the interleaved sleep steps.
    public let sleepBuilder: BatchBuilder?
    private var prefetched: (step: Int, group: DispatchGroup, result: ResultBox)?
    private let prefetchQueue = DispatchQueue(label: "air.prefetch")

    final class ResultBox: @unchecked Sendable { var value: Result<TrainingBatch, Error>? }

    /// `sleepSource`: with `rws` and `options.sleepEvery` > 0, where the sleep steps' scenes come
    /// from (the model's prior); `source` may then be unlabelled images. `model`: by default the
    /// prior of the spec that draws the sleep scenes (the default spec's for datasets and
    /// image folders without one), the C renderer and a Gaussian likelihood of σ `options.sigma`.
    /// `collective`: the ranks that train together, each calling every method but the
    /// evaluations in step.
    public init(network: GuideNetwork, source: any SceneSource, heldOutSource: any SceneSource, options: TrainingOptions,
                sleepSource: (any SceneSource)? = nil, model: GenerativeModel? = nil,
                collective: any Collective = SingleProcess()) throws {
        self.network = network
        self.options = options
        self.collective = collective
        guard options.batchSize >= collective.size else {
            throw TrainingError.unsupported("a batch of \(options.batchSize) cannot be shared by \(collective.size) ranks; give --batch-size \(collective.size) or more")
        }
        share = BatchShare(batch: options.batchSize, rank: collective.rank, ranks: collective.size)
        let spec = ((sleepSource ?? source) as? SpecSource)?.spec ?? .default
        self.model = model ?? GenerativeModel(spec: spec, config: network.config, sigma: options.sigma)
        if !source.labelled && ![.rws, .elbo].contains(options.objective) {
            throw TrainingError.unsupported("the \(options.objective.rawValue) objective needs scenes; unlabelled images train with rws or elbo")
        }
        if options.sleepEvery > 0 && sleepSource == nil && !source.labelled {
            throw TrainingError.unsupported("sleep steps need a prior to draw scenes from")
        }
        builder = try BatchBuilder(source: source, config: network.config, threads: max(1, options.threads - 1))
        sleepBuilder = try (options.sleepEvery > 0 ? sleepSource ?? source : nil).map {
            try BatchBuilder(source: $0, config: network.config, threads: max(1, options.threads - 1))
        }
        builder.prefixSlip = options.prefixSlip
        sleepBuilder?.prefixSlip = options.prefixSlip
        builder.phantomSlip = options.phantomSlip
        sleepBuilder?.phantomSlip = options.phantomSlip
        // Orders are a sleep-phase matter: the wake phase's targets come in the guide's own order.
        (sleepBuilder ?? builder).orderBand = options.orderBand
        (sleepBuilder ?? builder).ownReadings = options.ownReadings
        var initRNG = RNG(seed: options.seed).split(0xBA5E)
        let baselines = Baselines(config: network.config, rng: &initRNG)
        learner = Learner(guide: network, baselines: baselines)
        optimizer = Adam([ParameterGroup(network, prefix: "guide", learningRate: options.learningRate),
                          ParameterGroup(baselines, prefix: "baselines",
                                         learningRate: options.learningRate * options.baselineLearningRateFactor)],
                         schedule: .warmupCosine(warmup: options.warmup, total: options.steps,
                                                 floor: options.finalLearningRateFraction))
        // Before anything reads the parameters: their memory moves into the block.
        parameterBlock = collective.size > 1 ? ParameterBlock(optimizer.allParameters) : nil
        var sleep = SleepObjective(network: network)
        sleep.yawBalance = options.yawBalance
        sleep.stepBand = options.stepBand
        self.sleep = sleep
        elbo = ElboObjective(network: network, baselines: baselines, model: self.model)
        var search = RefinementOptions()
        search.maxRenders = options.wakeSearchRenders
        search.lightMoves = options.wakeLightMoves && network.config.worldLight == nil
        wake = try WakeObjective(network: network, model: self.model, refinement: search, threads: options.threads)
        wake.keepsGuideColors = options.wakeKeepsGuideColors
        wake.matteColors = options.wakeMatteColors
        rng = RNG(seed: options.seed).split(0x7261_696E)
        let r = Rasterizer(threads: 1)   // SceneSource draws through the spec's sampler, which needs masks
        var images: [Image] = [], truth: [[SceneObject]] = []
        let heldOutCount = (heldOutSource as? ImageFolderSource).map { min($0.count, options.evalImages) } ?? options.evalImages
        for i in 0..<(collective.isRoot ? heldOutCount : 0) {
            let s = try heldOutSource.scene(i, renderer: r)
            let img = try s.image ?? r.render(s.scene, samplesPerPixel: network.config.samplesPerPixel)
            images.append(PNG.quantized(img))
            truth.append(s.scene.objects)
        }
        heldOut = (images, heldOutSource.labelled ? truth : nil)
    }

    /// Whether held-out monitoring has labels (else it reports reconstruction errors only).
    public var heldOutIsLabelled: Bool { heldOut.truth != nil }

    /// The objective in force at a step.
    public func objective(at step: Int) -> Objective {
        switch options.objective {
        case .hybrid:
            // The interleaved sleep steps keep the discrete heads anchored to the truth while the
            // ELBO steps fit the continuous latents to the pixels.
            if Double(step) < options.hybridSleepFraction * Double(options.steps) { return .sleep }
            return step % 2 == 0 ? .elbo : .sleep
        case .rws where options.sleepEvery > 0:
            // Sleep steps on the prior keep what the guide knows while the wake steps fit it to
            // the images.
            return step % options.sleepEvery == 0 ? .sleep : .rws
        case let o: return o
        }
    }

    /// This rank's share of the batch of `step`.
    private func batch(for step: Int) throws -> TrainingBatch {
        let b = options.batchSize, share = self.share
        let build = { [builder, sleepBuilder, options, unowned self] (s: Int) in
            let sleeping = self.objective(at: s) == .sleep
            return try (sleeping ? sleepBuilder ?? builder : builder)
                .batch(first: s * b + share.range.lowerBound, count: share.count, noiseSeed: options.seed ^ 0x5EED, prefixes: sleeping)
        }
        let current: TrainingBatch
        if let p = prefetched, p.step == step {
            p.group.wait()
            current = try p.result.value!.get()
        } else {
            current = try build(step)
        }
        prefetched = nil
        // One thread (a rank of an MPI job, say) renders in turn; more render ahead.
        if step + 1 < options.steps && options.threads > 1 {
            let group = DispatchGroup(), box = ResultBox()
            prefetchQueue.async(group: group) { box.value = Result { try build(step + 1) } }
            prefetched = (step + 1, group, box)
        }
        return current
    }

    /// Runs one optimisation step and returns its metrics (the whole batch's, on every rank).
    /// Throws, leaving the parameters untouched, if the loss or the gradient is not finite.
    public func trainStep() throws -> TrainingMetrics {
        let started = DispatchTime.now().uptimeNanoseconds
        var batch = try batch(for: step)
        defer { tape.reset() }
        if !batch.ownPending.isEmpty { try readAlong(&batch) }
        learner.zeroGrad()
        let objective = self.objective(at: step)
        var rows = exampleStreams(root: rng, step: step, examples: share.range)
        var m = TrainingMetrics(step: step + 1, objective: objective.rawValue, loss: 0, gradientNorm: 0, learningRate: 0, imagesPerSecond: 0)
        switch objective {
        case .sleep, .hybrid:
            let terms = try sleepStep(batch, rows: &rows, metrics: &m)
            if network.light != nil { m.light = terms.light }
            m.presenceAccuracy = terms.presenceAccuracy
        case .elbo:
            let e = try elbo.estimate(observed: batch.observed, batch: batch.size, total: share.total, table: builder.tableColor,
                                      tape: tape, rows: &rows, collective: collective)
            let sums = try collective.sumInRankOrder([Double(e.surrogate.item), e.elbo])
            m.loss = sums[0]
            m.elbo = sums[1]
            guard m.loss.isFinite, sums[1].isFinite else { throw TrainingError.nonFinite(step: step + 1, what: "the ELBO estimate") }
            tape.backward(e.seeds + [(e.surrogate, [1])])
        case .rws where options.wakeParticles > 0:
            try particleWakeStep(batch, rows: rows, metrics: &m)
        case .rws:
            let t = try wake.targets((0..<batch.size).map { batch.observedImage($0, config: network.config) })
            let taught = try builder.teacherForced(targets: t.scenes, observed: batch.observed,
                                                   first: step * options.batchSize + share.range.lowerBound,
                                                   noiseSeed: options.seed ^ 0x5EED)
            _ = try sleepStep(taught, rows: &rows, metrics: &m)
            let n = Double(t.scenes.count)
            let sums = try collective.sumInRankOrder([t.searchGain * n, t.meanCount * n])
            m.searchGain = sums[0] / Double(share.total)
            m.targetCount = sums[1] / Double(share.total)
        }
        // Data-parallel, each rank clips and updates its chunk of the summed gradient
        // (`DataParallel.swift`); alone, all of it.
        let parameters = optimizer.allParameters
        let chunk = collective.size > 1 ? chunkRanges(parameters, over: collective) : nil
        let norm: Float
        if let chunk, let parameterBlock {
            let reduceStarted = DispatchTime.now().uptimeNanoseconds
            try reduceGradientChunks(parameterBlock, over: collective)
            allReduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - reduceStarted) / 1e9
            norm = try clipGradientChunks(parameters, ranges: chunk, maxNorm: options.clipNorm, over: collective)
        } else {
            norm = clipGradientNorm(parameters, maxNorm: options.clipNorm)
        }
        guard norm.isFinite else {
            learner.zeroGrad()
            throw TrainingError.nonFinite(step: step + 1, what: "the gradient norm")
        }
        m.gradientNorm = Double(norm)
        m.learningRate = Double(optimizer.currentLearningRate(group: 0))
        optimizer.step(only: chunk)
        if let parameterBlock {
            let shareStarted = DispatchTime.now().uptimeNanoseconds
            try shareParameterChunks(parameterBlock, over: collective)
            allReduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - shareStarted) / 1e9
        }
        step += 1
        m.imagesPerSecond = Double(options.batchSize) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        return m
    }

    /// The batch's pending scenes read by the network as it stands (`OwnRun`), their prefixes
    /// rendered from its readings. Here, not when the batch is built ahead: the parameters
    /// change with every step.
    private func readAlong(_ batch: inout TrainingBatch) throws {
        let images = batch.ownPending.map { batch.observedImage($0, config: network.config) }
        if ownInferrer == nil {
            ownInferrer = try Inferrer(network: network, renderer: model.makeRenderer())
            ownInferrer!.checksReadings = false   // what the network reads, copies and all
        }
        let readings = try ownInferrer!.infer(images, batchSize: max(1, images.count))
        try (sleepBuilder ?? builder).readAlong(&batch, readings: readings)
    }

    /// The wake phase with K particles per image from the guide, importance-weighted: the
    /// sleep loss on every particle, weighted. Each rank holds its images' particles whole.
    private func particleWakeStep(_ batch: TrainingBatch, rows: [RNG], metrics m: inout TrainingMetrics) throws {
        let K = options.wakeParticles
        let draw = try WakeParticles.draw(elbo: elbo, observed: batch.observed, batch: batch.size, particles: K,
                                          table: builder.tableColor, tape: particleTape, rows: rows.map { $0.split(0x9A27) })
        particleTape.reset()
        var taught = try builder.teacherForced(targets: draw.scenes, observed: draw.observed,
                                               first: (step * options.batchSize + share.range.lowerBound) * K,
                                               noiseSeed: options.seed ^ 0x5EED)
        taught.weights = draw.weights
        taught.teachesLight = false
        var particleRows = (0..<batch.size * K).map { rows[$0 / K].split(0x6C00 + UInt64($0 % K)) }
        _ = try sleepStep(taught, rows: &particleRows, metrics: &m)
        let n = Double(batch.size)
        let sums = try collective.sumInRankOrder([draw.effectiveParticles * n, draw.meanCount * n, draw.logMarginal * n])
        m.effectiveParticles = sums[0] / Double(share.total)
        m.targetCount = sums[1] / Double(share.total)
        m.importanceBound = sums[2] / Double(share.total)
    }

    /// Label-free monitoring: the amortised reading of each held-out image rendered and compared
    /// with it (mean squared error per pixel value), and the mean number of objects read.
    public func evaluateUnlabelled() throws -> (reconstructionMSE: Double, meanCount: Double, elbo: Double, images: Int) {
        let inferrer = try monitoringInferrer()
        let predicted = try inferrer.infer(heldOut.images)
        let r = model.makeRenderer()
        var mse = 0.0, count = 0
        for (image, p) in zip(heldOut.images, predicted) {
            let img = try r.render(p.scene, samplesPerPixel: network.config.samplesPerPixel)
            mse += Refiner.sse(image, img) / Double(image.pixels.count)
            count += p.objects.count
        }
        let n = Double(max(1, heldOut.images.count))
        return (mse / n, Double(count) / n, try heldOutElbo() / n, heldOut.images.count)
    }

    /// The summed ELBO of the held-out images (`ElboObjective.evaluate`). Each image keeps its
    /// random stream from evaluation to evaluation, so that two evaluations differ by what the
    /// network learnt, not by the draws.
    private func heldOutElbo() throws -> Double {
        var total = 0.0
        for start in stride(from: 0, to: heldOut.images.count, by: 32) {
            let images = heldOut.images[start..<min(start + 32, heldOut.images.count)]
            var rows = images.indices.map { RNG(seed: options.seed).split(0xE1B0_0000 + UInt64($0)) }
            total += try elbo.evaluate(observed: images.flatMap(\.pixels), batch: images.count, table: builder.tableColor, rows: &rows).reduce(0, +)
        }
        return total
    }

    /// −log q(z | x) on a batch of given latents (prior draws, or the wake phase's targets):
    /// the loss, its backward pass and the per-term metrics.
    /// The terms are the whole batch's (summed over the ranks before the loss is checked, so
    /// that every rank stops at the same step).
    private func sleepStep(_ batch: TrainingBatch, rows: inout [RNG], metrics m: inout TrainingMetrics) throws -> SleepObjective.Terms {
        // Other orders of a scene glimpse with their own streams.
        rows += batch.alternativeOf.enumerated().map { rows[$0.element].split(0x0DE5 + UInt64($0.offset)) }
        var terms = sleep.loss(batch, table: builder.tableColor, tape: tape, rows: &rows, total: share.total)
        let sums = try collective.sumInRankOrder([Double(terms.loss.item), terms.presence, terms.position, terms.shape, terms.color,
                                                  terms.yaw, terms.refine, terms.light,
                                                  Double(terms.presenceCorrect), Double(terms.presenceSteps)])
        m.loss = sums[0]
        guard m.loss.isFinite else { throw TrainingError.nonFinite(step: step + 1, what: "the loss") }
        terms.loss.backward()
        (m.presence, m.position, m.shape, m.color, m.yaw, m.refine) = (sums[1], sums[2], sums[3], sums[4], sums[5], sums[6])
        terms.light = sums[7]
        (terms.presenceCorrect, terms.presenceSteps) = (Int(sums[8]), Int(sums[9]))
        return terms
    }

    /// Held-out monitoring reads with the network alone: the check of each reading against the
    /// image (`Inferrer.checksReadings`) would hide what the network has yet to learn (an
    /// untrained network's readings, checked, count one-block scenes at 0.9).
    private func monitoringInferrer() throws -> Inferrer {
        let inferrer = try Inferrer(network: network, renderer: model.makeRenderer())
        inferrer.checksReadings = false
        return inferrer
    }

    /// Full inference on the held-out scenes, scored (they must be labelled).
    public func evaluateHeldOut() throws -> EvaluationReport {
        guard let truth = heldOut.truth else { throw TrainingError.unsupported("the held-out images have no labels") }
        let inferrer = try monitoringInferrer()
        let started = DispatchTime.now().uptimeNanoseconds
        let predicted = try inferrer.infer(heldOut.images)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var e = Evaluation()
        for (t, p) in zip(truth, predicted) { e.add(truth: t, predicted: p.scene.objects) }
        return e.report(seconds: seconds)
    }
}
