import AIR
import ArgumentParser
import Collective
import Dispatch
import Engine
import Foundation
import MPI
import Random
import Scenes

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the AIR inference network to invert the renderer.",
        discussion: """
        Scenes come from a batch spec (fresh draws from the prior; default: the built-in twin of \
        scenes/default.json) or from a dataset (--data). OUT receives model.safetensors (the \
        latest model), state.safetensors (everything --resume needs) and metrics.jsonl. \
        A checkpoint is written every --checkpoint-minutes and after the first logged step; \
        Ctrl-C (SIGUSR1 under mpirun) saves a checkpoint and stops; `air train --out OUT --resume` continues exactly. \
        A non-finite loss or gradient stops training with the last checkpoint intact. \
        The network's arithmetic runs on one thread (bit-exact runs); --threads renders batches.

        Under `mpirun -np N` (or `srun`) the ranks train data-parallel: each draws, renders and \
        learns from its share of every batch (one thread per rank unless --threads), the \
        gradients are summed, and all ranks take the same step; the result equals a single \
        process's with the same --batch-size up to float rounding. Rank 0 writes OUT. \
        --resume continues with any number of ranks.
        """
    )

    @Option(help: "Batch spec JSON to draw training scenes from.")
    var spec: String?

    @Option(help: "Dataset folder to train on instead of a spec.")
    var data: String?

    @Option(help: "Objective: \(Objective.allCases.map(\.rawValue).joined(separator: ", ")) (default hybrid).")
    var objective: String?

    @Option(parsing: .unconditional, help: "With --objective hybrid: the fraction of steps before ELBO steps are interleaved (default 0.9).")
    var hybridSleepFraction: Double?

    @Option(parsing: .unconditional, help: "With --objective rws: K importance-weighted particles per image drawn from the network itself (reweighted wake-sleep) instead of the render-and-compare search.")
    var particles: Int?

    @Option(parsing: .unconditional, help: "With --objective rws: every N-th step is a sleep step on the spec's scenes (reweighted wake-sleep's sleep phase; default 0: none).")
    var sleepEvery: Int?

    @Option(parsing: .unconditional, help: "The chance that an object of a teacher-forced prefix is rendered as a misreading (moved, turned, sometimes another shape), so the network learns not to read its own slips again (default 0).")
    var prefixSlip: Double?

    @Option(parsing: .unconditional, help: "The chance that a scene's teacher-forced prefixes, from a random step on, also show a block that is not in the image, so the network learns that a reading at a bare spot is no reason to read another there (default 0).")
    var phantomSlip: Double?

    @Option(parsing: .unconditional, help: "The chance that a sleep scene is taught along the network's own readings of its image (each step's canvas shows what the network itself read before it, and the step is taught the nearest true object none of them explains, or to stop), so that a copy or a phantom it reads is no reason to read another (default 0: teacher forcing only).")
    var ownReadings: Double?

    @Option(parsing: .unconditional, help: "Sleep steps teach objects whose centres project within this many pixels of each other's height in either order (the loss sums over the orders), instead of nearest first only (default 0: nearest first).")
    var orderBand: Double?

    @Option(parsing: .unconditional, help: "Sleep steps let each step find any remaining object whose centre projects within this many pixels of the nearest one's height (the where loss sums over them; for crowded scenes, where --order-band's whole-scene orders run out), instead of the nearest only (default 0).")
    var stepBand: Double?

    @Option(parsing: .unconditional, help: "Weigh the yaw loss of a shape of symmetry period P by (P / 90°)^B, so that a degree of a wedge (P = 360°) is not 16 times cheaper than a degree of a cube (default 0: unweighed; 2: every degree alike).")
    var yawBalance: Double?

    @Option(parsing: .unconditional, help: "Standard deviation of the ELBO's per-pixel Gaussian likelihood (default 0.05).")
    var sigma: Double?

    @Option(parsing: .unconditional, help: "Optimisation steps (default 20000).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Scenes per step (default 32).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Adam learning rate (default 0.001).")
    var learningRate: Float?

    @Option(parsing: .unconditional, help: "Seed for initialisation, scene draws and noise (default 1).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Threads (one computes, the others render the next batch; default 2, 1 per rank under mpirun).")
    var threads: Int?

    @Option(parsing: .unconditional, help: "Largest number of objects, the number of recurrent steps (default: the spec's most objects per scene, at least 3).")
    var maxObjects: Int?

    @Option(help: "Output folder of the run.")
    var out: String

    @Option(help: "Start from this model's weights (fine-tuning) instead of a fresh initialisation.")
    var initFrom: String?

    @Flag(help: "Continue the run in OUT from its last checkpoint (its stored settings apply).")
    var resume = false

    @Flag(help: "Replace an existing run in OUT.")
    var force = false

    @Option(parsing: .unconditional, help: "Held-out scenes scored at each evaluation (default 256).")
    var evalImages: Int?

    @Option(parsing: .unconditional, help: "Log a metrics line every N steps (default 50).")
    var logEvery: Int?

    @Option(parsing: .unconditional, help: "Write a checkpoint (state, model, metrics) every this many minutes of training.")
    var checkpointMinutes: Double = 5

    /// The checkpoint interval in seconds, instead of --checkpoint-minutes: for tests.
    @Option(help: .hidden)
    var checkpointSeconds: Double?

    @Flag(help: "No progress bar.")
    var quiet = false

    /// Exits at once, without a checkpoint, after this many steps of this invocation, as a kill
    /// would: for tests.
    @Option(help: .hidden)
    var abortAfter: Int?

    /// Under mpirun, only this rank aborts (--abort-after), as a killed rank would: for tests.
    @Option(help: .hidden)
    var abortRank: Int?

    /// Stops (with a checkpoint) after this many steps of this invocation, as Ctrl-C would: for tests.
    @Option(parsing: .unconditional, help: .hidden)
    var stopAfter: Int?

    func validate() throws {
        if spec != nil && data != nil { throw ValidationError("give --spec or --data, not both") }
        if resume && force { throw ValidationError("give --resume or --force, not both") }
        if let steps, steps < 1 { throw ValidationError("--steps must be >= 1") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be >= 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1") }
        if let evalImages, evalImages < 1 { throw ValidationError("--eval-images must be >= 1") }
        if let logEvery, logEvery < 1 { throw ValidationError("--log-every must be >= 1") }
        if !(checkpointMinutes > 0 && checkpointMinutes.isFinite) { throw ValidationError("--checkpoint-minutes must be a positive number") }
        if let f = hybridSleepFraction, !(0...1).contains(f) { throw ValidationError("--hybrid-sleep-fraction must be in [0, 1]") }
        if let sleepEvery {
            if sleepEvery < 0 { throw ValidationError("--sleep-every must be >= 0") }
            if !resume && objective != Objective.rws.rawValue { throw ValidationError("--sleep-every needs --objective rws") }
        }
        if let particles {
            if particles < 1 { throw ValidationError("--particles must be >= 1") }
            if !resume && objective != Objective.rws.rawValue { throw ValidationError("--particles needs --objective rws") }
        }
        if let prefixSlip, !(0...1).contains(prefixSlip) { throw ValidationError("--prefix-slip must be in [0, 1]") }
        if let phantomSlip, !(0...1).contains(phantomSlip) { throw ValidationError("--phantom-slip must be in [0, 1]") }
        if let ownReadings, !(0...1).contains(ownReadings) { throw ValidationError("--own-readings must be in [0, 1]") }
        if let orderBand, !(orderBand >= 0 && orderBand.isFinite) { throw ValidationError("--order-band must be a number of pixels >= 0") }
        if let stepBand, !(stepBand >= 0 && stepBand.isFinite) { throw ValidationError("--step-band must be a number of pixels >= 0") }
        if let stepBand, let orderBand, stepBand > 0, orderBand > 0 { throw ValidationError("--step-band and --order-band are alternatives; give one") }
        if let yawBalance, !(0...4).contains(yawBalance) { throw ValidationError("--yaw-balance must be in [0, 4]") }
        if let sigma, !(sigma > 0 && sigma.isFinite) { throw ValidationError("--sigma must be a positive number") }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) { throw ValidationError("--learning-rate must be a positive number") }
        if let maxObjects, !(1...ModelConfig.maxObjectsLimit).contains(maxObjects) {
            throw ValidationError("--max-objects must be in 1...\(ModelConfig.maxObjectsLimit)")
        }
        if let objective, Objective(rawValue: objective) == nil {
            throw ValidationError("--objective must be one of \(Objective.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if resume {
            let given = [("--spec", spec != nil), ("--data", data != nil), ("--objective", objective != nil),
                         ("--steps", steps != nil), ("--batch-size", batchSize != nil), ("--learning-rate", learningRate != nil),
                         ("--seed", seed != nil), ("--max-objects", maxObjects != nil), ("--log-every", logEvery != nil), ("--init-from", initFrom != nil),
                         ("--hybrid-sleep-fraction", hybridSleepFraction != nil), ("--sigma", sigma != nil), ("--particles", particles != nil), ("--prefix-slip", prefixSlip != nil), ("--phantom-slip", phantomSlip != nil), ("--own-readings", ownReadings != nil), ("--order-band", orderBand != nil), ("--step-band", stepBand != nil), ("--yaw-balance", yawBalance != nil), ("--sleep-every", sleepEvery != nil), ("--eval-images", evalImages != nil)].filter(\.1).map(\.0)
            if !given.isEmpty {
                throw ValidationError("--resume continues with the run's stored settings; drop \(given.joined(separator: ", "))")
            }
        }
    }

    func run() throws {
        let world = try MPIWorld.start()
        try exitingTogether(world) {
            try SceneCommandExit.run(in: world) { try train(world) }
        }
    }

    func train(_ world: any Collective) throws {
        BLAS.setThreads(1)
        let run = TrainingRun(folder: out)
        let options: TrainingOptions, config: ModelConfig, sourceDescription: TrainingSourceDescription
        // The inputs are read before anything in OUT is touched: --force must not remove
        // the model a run starts from (--init-from OUT/model.safetensors).
        let specText = try spec.map { try FileIO.readText($0) }
        let initial = try initFrom.map { try ModelFile.load($0).network }
        // Rank 0 alone checks and clears OUT; the other ranks stop with its refusal.
        try onRankZero(world) {
            try run.checkOutputs(inputs: spec.map { [$0] } ?? [], startingModel: initFrom)
            if resume {
                guard run.exists else { throw ValidationError("no run to resume in \(out) (no state.safetensors)") }
            } else if run.exists || FileIO.exists(run.modelPath) {
                guard force else { throw ValidationError("\(out) already holds a run; --resume continues it, --force replaces it") }
                try run.removeForReplacement(keeping: initFrom)
            }
        }
        // Under mpirun (even -np 1) the cores are the ranks': one thread each unless told.
        let ranked = world.size > 1 || MPIWorld.launched
        let defaultThreads = ranked ? 1 : TrainingOptions().threads
        if resume {
            var settings = try run.settings()
            settings.options.threads = threads ?? (ranked ? 1 : settings.options.threads)
            (options, config, sourceDescription) = settings
        } else {
            var o = TrainingOptions()
            if let objective { o.objective = Objective(rawValue: objective)! }
            if let steps { o.steps = steps }
            if let evalImages { o.evalImages = evalImages }
            if let hybridSleepFraction { o.hybridSleepFraction = hybridSleepFraction }
            if let sigma { o.sigma = sigma }
            if let particles { o.wakeParticles = particles }
            if let prefixSlip { o.prefixSlip = prefixSlip }
            if let phantomSlip { o.phantomSlip = phantomSlip }
            if let ownReadings { o.ownReadings = ownReadings }
            if let orderBand { o.orderBand = orderBand }
            if let stepBand { o.stepBand = stepBand }
            if let yawBalance { o.yawBalance = yawBalance }
            if let sleepEvery { o.sleepEvery = sleepEvery }
            if let batchSize { o.batchSize = batchSize }
            if let learningRate { o.learningRate = learningRate }
            if let seed { o.seed = seed }
            o.threads = threads ?? defaultThreads
            if let logEvery { o.logEvery = logEvery }
            o.evalEvery = max(o.logEvery, o.evalEvery / o.logEvery * o.logEvery)
            if let data {
                sourceDescription = .data(folder: data)
            } else if let spec, let specText {
                sourceDescription = .spec(text: specText, file: spec)
            } else {
                sourceDescription = .defaultSpec
            }
            let src = try sourceDescription.sources(seed: o.seed, evalImages: o.evalImages, config: nil).train
            let most = maxObjects ?? max(3, specMaxObjects(src) ?? 3)
            guard most <= ModelConfig.maxObjectsLimit else {
                throw ValidationError("the spec allows \(most) objects per scene, more than a model reads (\(ModelConfig.maxObjectsLimit)); pass --max-objects")
            }
            config = trainingConfig(source: src, maxObjects: most)
            options = o
        }
        let (source, heldOut, _) = try sourceDescription.sources(seed: options.seed, evalImages: options.evalImages, config: config)
        var rng = RNG(seed: options.seed)
        let network: GuideNetwork
        if let initFrom, let initial {
            // Training moves the presence probabilities: a calibrated model's calibration no
            // longer holds (run `air calibrate` again).
            initial.setCalibration(nil)
            network = initial
            guard network.config == config else {
                throw ValidationError("\(initFrom) was trained for another camera, image size or object count than the training scenes")
            }
        } else {
            network = GuideNetwork(config: config, rng: &rng)
        }
        let trainer = try Trainer(network: network, source: source, heldOutSource: heldOut, options: options, collective: world)
        if resume {
            try run.restore(into: trainer)
            if world.isRoot { try run.truncateMetrics(after: trainer.step) }
        }
        try trainer.checkRanksAgree()
        let outcome = try runTrainingLoop(trainer: trainer, run: run, source: sourceDescription, quiet: quiet,
                                          checkpointSeconds: checkpointSeconds ?? 60 * checkpointMinutes,
                                          stopAfter: stopAfter, abortAfter: abortAfter, abortRank: abortRank)
        guard world.isRoot else { return }
        if case .interrupted = outcome {
            print("interrupted at step \(trainer.step); checkpoint saved. Continue with: air train --out \(out) --resume")
        } else if case let .finished(last?) = outcome {
            print("trained \(trainer.step) steps (loss \(String(format: "%.3f", last.loss))); model: \(run.modelPath)")
        }
    }
}

/// The random scenes `source` draws from (nil: a dataset or a sweep).
func randomSpec(of source: any SceneSource) -> BatchSpec.Random? {
    guard let spec = (source as? SpecSource)?.spec, case .random(let r) = spec.kind else { return nil }
    return r
}

/// The most objects a scene of `source`'s spec can hold (nil: not a random spec).
func specMaxObjects(_ source: any SceneSource) -> Int? {
    randomSpec(of: source)?.countWeights.lastIndex { $0 > 0 }
}

/// A new model's configuration for training scenes from `source`.
func trainingConfig(source: any SceneSource, maxObjects: Int) -> ModelConfig {
    var c = ModelConfig(camera: source.camera, samplesPerPixel: source.samplesPerPixel, maxObjects: maxObjects)
    // Positions are read in units of the table area's half-width: the spec's area.
    if let r = randomSpec(of: source) {
        c.tableHalfWidth = [r.x.lowerBound, r.x.upperBound, r.y.lowerBound, r.y.upperBound].map(abs).max()!
        c.minVisiblePixels = r.minVisiblePixels
    }
    return c
}

/// Runs the shared training loop with Ctrl-C (a checkpoint, then stop) and a progress line on
/// stderr (metrics lines instead when quiet or not a terminal).
/// `abortAfter` (tests): exit with code 3, without a checkpoint, after that many steps, as a kill
/// would; under mpirun only rank `abortRank` if given. Rank 0 alone shows progress.
func runTrainingLoop(trainer: Trainer, run: TrainingRun, source: TrainingSourceDescription, quiet: Bool,
                     checkpointSeconds: Double, stopAfter: Int?, abortAfter: Int? = nil, abortRank: Int? = nil) throws -> TrainingLoop.Outcome {
    let stop = StopFlag()
    // SIGUSR1 too: mpirun kills its ranks on Ctrl-C but passes SIGUSR1 on (and Slurm sends it
    // before a time limit with --signal), so a job can still stop with a checkpoint.
    let signalSources = [SIGINT, SIGUSR1].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        signal(number, SIG_IGN)
        source.setEventHandler { stop.set() }
        source.resume()
        return source
    }
    defer { for (source, number) in zip(signalSources, [SIGINT, SIGUSR1]) { source.cancel(); signal(number, SIG_DFL) } }
    let root = trainer.collective.isRoot, ranks = trainer.collective.size, rank = trainer.collective.rank
    let progress = Progress(total: trainer.options.steps, enabled: root && !quiet && isatty(2) != 0)
    var loop = TrainingLoop(trainer: trainer, run: run, source: source, checkpointSeconds: checkpointSeconds)
    loop.shouldStop = { stop.isSet }
    if let abortAfter, abortRank.map({ $0 == rank }) ?? true {
        // A rank of a job exits without MPI_Finalize (which would wait for the others), as a kill would.
        loop.beforeStep = { if $0 >= abortAfter { if ranks > 1 { _exit(3) } else { Foundation.exit(3) } } }
    }
    loop.progress = { m, eval in progress.update(step: m.step, metrics: m, eval: eval) }
    if root && (quiet || isatty(2) == 0) { loop.logLine = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } }
    defer { progress.finish() }
    return try loop.train(stopAfter: stopAfter)
}

/// Set from the SIGINT and SIGUSR1 handlers' queue, read by the training loop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// A one-line progress bar on stderr.
final class Progress {
    let total: Int, enabled: Bool
    let started = Date()
    var lastDraw = Date.distantPast
    /// The step the run (re)started from: the rate and time left count only this session's steps.
    var firstStep: Int?
    init(total: Int, enabled: Bool) { self.total = total; self.enabled = enabled }

    func update(step: Int, metrics m: TrainingMetrics, eval: EvaluationReport?) {
        if firstStep == nil { firstStep = step - 1 }
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.2 || step == total else { return }
        lastDraw = Date()
        let frac = Double(step) / Double(max(total, 1))
        let width = 24, filled = Int(frac * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let elapsed = Date().timeIntervalSince(started), done = step - (firstStep ?? 0)
        let eta = done > 0 ? elapsed * Double(total - step) / Double(done) : 0
        var line = String(format: "\r%6d/%d %@ %@ loss %8.3f  %5.0f img/s  ETA %3.0fm", step, total, bar, m.objective, m.loss, m.imagesPerSecond, eta / 60)
        if let elbo = m.elbo { line += String(format: "  ELBO %.0f", elbo) }
        if let e = eval, let c = e.overall.countAccuracy {
            line += String(format: "  count %.1f%%", 100 * c)
            if let p = e.overall.positionErrorMedian { line += String(format: "  pos %.3f", p) }
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }
}
