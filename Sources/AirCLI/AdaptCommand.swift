import AIR
import ArgumentParser
import Engine
import Foundation
import Random
import Scenes

struct Adapt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a model on a folder of your own unlabelled images.",
        discussion: """
        No labels are read: each step reads a batch of the images with the model, improves each \
        reading by render-and-compare search under the likelihood, and trains the network towards \
        the improved readings (the wake phase of reweighted wake-sleep, --objective rws; with \
        --particles K, towards K readings drawn from the model itself, importance-weighted). Every \
        --sleep-every-th step is a sleep step on scenes from the model's prior (default the \
        built-in twin of scenes/varied-plain.json, the prior of the bundled model's last training \
        stages), so that the network keeps what it knows while it fits your images. The last \
        --eval-images images are held back and scored without labels (reconstruction error of \
        the network's reading, and the ELBO). Before training the table's colour, the camera \
        (--fit-camera), the table's texture when it has one (grain the same in every image) and the light the images share, if they share one, are fitted and written \
        into the model; after it, on clean images, the look-again's births are calibrated in the \
        world's twin. OUT holds model.safetensors (the adapted model), \
        state.safetensors (for --resume) and metrics.jsonl.
        """
    )

    @Option(help: "Model to adapt (default: the bundled model).")
    var model: String?

    @Option(help: "Folder of PNG images (any size of the model's aspect ratio); not with --resume.")
    var images: String?

    @Option(help: "Output folder of the run.")
    var out: String

    @Option(parsing: .unconditional, help: "Optimisation steps.")
    var steps: Int = 2000

    @Option(parsing: .unconditional, help: "Images per step.")
    var batchSize: Int = 32

    @Option(parsing: .unconditional, help: "Adam learning rate (default 3e-4; with --fit-camera 1e-4: under a fitted camera the network needs a smaller change, and 3e-4 moved positions off again).")
    var learningRate: Float?

    @Option(parsing: .unconditional, help: "Every N-th step is a sleep step on the prior (0: none).")
    var sleepEvery: Int = 2

    @Option(help: "Batch spec of the prior's scenes for the sleep steps (default: scenes/varied-plain.json's built-in twin; scenes/default.json's for a model that does not read the light).")
    var spec: String?

    @Option(parsing: .unconditional, help: "Renders per image of the search that improves each reading.")
    var searchRenders: Int = TrainingOptions().wakeSearchRenders

    @Option(parsing: .unconditional, help: "K importance-weighted particles per image drawn from the model itself (reweighted wake-sleep) instead of the search (0: the search).")
    var particles: Int = 0

    @Option(parsing: .unconditional, help: "The chance that an object of a teacher-forced prefix is rendered as a misreading (`air train --prefix-slip`; the bundled model was trained with 0.15).")
    var prefixSlip: Double = 0.15

    @Option(parsing: .unconditional, help: "Sleep steps teach objects whose centres project within this many pixels of each other's height in either order (`air train --order-band`; the bundled model was trained with 4).")
    var orderBand: Double = 4

    @Option(parsing: .unconditional, help: "Sleep steps weigh the yaw loss of a shape of symmetry period P by (P / 90°)^B (`air train --yaw-balance`; the bundled model was trained with 2).")
    var yawBalance: Double = 2

    /// Where the wake targets' colours come from.
    enum WakeColors: String, ExpressibleByArgument, CaseIterable {
        case guide, search, matte
    }

    @Option(parsing: .unconditional, help: "Colours of the wake targets: 'search', the search's least-squares colour, which takes in what the renderer cannot draw (a highlight whitens a block); 'guide', the colour the model read for each object it read (the search's for objects the search added): fewer blocks counted on glossy blocks; 'matte', the colour a matte block would need (white highlights left out, MatteColor): truer colours on glossy blocks, as many counted.")
    var wakeColors: WakeColors = .search

    @Flag(inversion: .prefixedNo, help: "Let the wake search refit the light. --no-wake-light keeps the light the model read: the search's light then cannot take up a highlight, and under strong highlights with --wake-colors matte colour names stayed at 95.6 % (89.5 % with the light refitted), but 24 count errors against 17.")
    var wakeLight = true

    @Option(parsing: .unconditional, help: "Images held back for label-free monitoring.")
    var evalImages: Int = 200

    @Option(parsing: .unconditional, help: "Seed.")
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: "Threads (searches and batch rendering).")
    var threads: Int = 2

    @Option(parsing: .unconditional, help: "Write a checkpoint every this many minutes of training.")
    var checkpointMinutes: Double = 5

    @Flag(inversion: .prefixedNo, help: "Fit the table's colour to the images first, and its texture when it has one (a grain the same in every image, which images are then divided by); both written into the adapted model. On by default: under cool light over a darker table, adapting without the colour fit counted 89.4 %, with it 97.8 %; on grey wood with a strong grain the texture took the adapted count errors from 21 to 5 of 2,000; on the model's own table neither changes anything measurable.")
    var fitTable = true

    @Flag(help: "Fit the camera's pose and field of view to the images first, in rounds of reading and fitting until the camera settles (written into the adapted model).")
    var fitCamera = false

    @Flag(inversion: .prefixedNo, help: "Fit one light to the images after the table and the camera, and when they share it (a fixed lamp: the median image loses at most \(Int(LightFit.largestMedianLoss)) nats under it against its own light) write it into the adapted model: its readings then take that light instead of reading each image's.")
    var fitLight = true

    @Option(parsing: .unconditional, help: "With --fit-camera: images whose refined readings drive the camera search (more: a steadier fit, about 0.3 s each).")
    var cameraImages: Int = 384

    @Flag(help: "Continue the run in OUT from its last checkpoint.")
    var resume = false

    @Flag(help: "Replace an existing run in OUT.")
    var force = false

    @Flag(help: "No progress bar.")
    var quiet = false

    @Option(help: .hidden)
    var stopAfter: Int?

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be >= 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be >= 1") }
        if sleepEvery < 0 { throw ValidationError("--sleep-every must be >= 0") }
        if !(0...1).contains(prefixSlip) { throw ValidationError("--prefix-slip must be in [0, 1]") }
        if !(orderBand >= 0 && orderBand.isFinite) { throw ValidationError("--order-band must be a number of pixels >= 0") }
        if particles < 0 { throw ValidationError("--particles must be >= 0") }
        if searchRenders < 1 { throw ValidationError("--search-renders must be >= 1") }
        if threads < 1 { throw ValidationError("--threads must be >= 1") }
        if cameraImages < 1 { throw ValidationError("--camera-images must be >= 1") }
        if evalImages < 1 { throw ValidationError("--eval-images must be >= 1") }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) { throw ValidationError("--learning-rate must be a positive number") }
        if !(0...4).contains(yawBalance) { throw ValidationError("--yaw-balance must be in [0, 4]") }
        if resume && force { throw ValidationError("give --resume or --force, not both") }
        if resume == (images != nil) { throw ValidationError(resume ? "--resume continues with the run's stored images; drop --images" : "give --images FOLDER") }
        if !(checkpointMinutes > 0 && checkpointMinutes.isFinite) { throw ValidationError("--checkpoint-minutes must be a positive number") }
    }

    func run() throws {
        try SceneCommandExit.run {
            BLAS.setThreads(1)
            let run = TrainingRun(folder: out)
            let model = try self.model ?? BundledModel.locate()
            try run.checkOutputs(inputs: [model] + (spec.map { [$0] } ?? []), startingModel: nil)
            let network: GuideNetwork, options: TrainingOptions, source: TrainingSourceDescription
            if resume {
                guard run.exists else { throw ValidationError("no run to resume in \(out) (no state.safetensors)") }
                let settings = try run.settings()
                (options, source) = (settings.options, settings.source)
                var rng = RNG(seed: 0)
                network = GuideNetwork(config: settings.config, rng: &rng)
            } else {
                network = try ModelFile.load(model).network   // read before anything in OUT is replaced
                if run.exists || FileIO.exists(run.modelPath) {
                    guard force else { throw ValidationError("\(out) already holds a run; --resume continues it, --force replaces it") }
                    try run.removeForReplacement(keeping: nil)
                }
                var o = TrainingOptions()
                o.objective = .rws
                (o.steps, o.batchSize, o.learningRate, o.seed, o.threads) = (steps, batchSize, learningRate ?? (fitCamera ? 1e-4 : 3e-4), seed, threads)
                (o.sleepEvery, o.wakeSearchRenders, o.evalImages, o.warmup) = (sleepEvery, searchRenders, evalImages, min(100, steps / 10))
                o.wakeParticles = particles
                o.prefixSlip = prefixSlip
                o.orderBand = orderBand
                o.yawBalance = yawBalance
                o.wakeKeepsGuideColors = wakeColors == .guide
                o.wakeMatteColors = wakeColors == .matte
                o.wakeLightMoves = wakeLight
                options = o
                source = .images(folder: images!, prior: try spec.map { try FileIO.readText($0) })
                // What a model adapted before learnt of its world does not hold for these images:
                // its births' map always goes (refitted after training), its light when refitted.
                if var c = network.config.calibration, c.births != nil { c.births = nil; network.setCalibration(c) }
                if fitLight { network.setWorldLight(nil) }
                if fitTable {
                    network.setTableTexture(nil)
                    try fitTableColor(network, folder: images!)
                }
                if fitCamera { try fitCameraPose(network, folder: images!) }
                if fitTable { try fitTableTexture(network, folder: images!) }
                // A model without a light head reads every image under the spec's default light.
                if fitLight && network.config.inferLight { try fitWorldLight(network, folder: images!) }
            }
            let s = try source.sources(seed: options.seed, evalImages: options.evalImages, config: network.config)
            let trainer = try Trainer(network: network, source: s.train, heldOutSource: s.heldOut, options: options, sleepSource: s.prior)
            if resume {
                try run.restore(into: trainer)
                try run.truncateMetrics(after: trainer.step)
            }
            // The label-free before and after a user can trust: how well the network's readings of
            // the held-back images, rendered, explain them.
            if !resume { printHeldOut(try trainer.evaluateUnlabelled(), when: "before training") }
            let outcome = try runTrainingLoop(trainer: trainer, run: run, source: source, quiet: quiet,
                                              checkpointSeconds: 60 * checkpointMinutes, stopAfter: stopAfter)
            if case .interrupted = outcome {
                print("interrupted at step \(trainer.step); checkpoint saved. Continue with: air adapt --out \(out) --resume")
            } else {
                if trainer.network.config.calibration?.births == nil, try fitBirths(trainer.network, folder: source) {
                    try run.save(trainer, source: source)
                }
                printHeldOut(try trainer.evaluateUnlabelled(), when: "after training")
                print("adapted \(trainer.step) steps; model: \(run.modelPath)")
            }
        }
    }

    func printHeldOut(_ u: (reconstructionMSE: Double, meanCount: Double, elbo: Double, images: Int), when: String) {
        print("held-back images (\(u.images), no labels), \(when): "
              + String(format: "reconstruction MSE %.6f, %.2f objects read per image, ELBO %.1f nats per image",
                       u.reconstructionMSE, u.meanCount, u.elbo))
    }

    /// Rounds of reading and fitting (`CameraFitRounds`): each round's search on `cameraImages`
    /// refined readings, its centring on the amortised readings of up to 2,000 images.
    func fitCameraPose(_ network: GuideNetwork, folder images: String) throws {
        let all = try sampleImages(folder: images, config: network.config, count: 2000)
        var rounds = CameraFitRounds()
        rounds.searchImages = cameraImages
        var n = 0
        _ = try rounds.fit(network, images: all) { round in
            n += 1
            let c = round.camera
            print(String(format: "camera round %d: centring on %d objects: moved (%.3f, %.3f) along the table, turned %.2f degrees, eye's distance x %.4f",
                         n, round.objects, round.shift.x, round.shift.y, round.turn * 180 / .pi, round.dolly))
            print(String(format: "camera round %d: eye [%.3f, %.3f, %.3f], target [%.3f, %.3f, %.3f], fov_y %.2f; the table area's projection moved up to %.2f px",
                         n, c.eye.x, c.eye.y, c.eye.z, c.target.x, c.target.y, c.target.z, c.fovY, round.moved))
        }
        let camera = network.config.camera
        print(String(format: "fitted camera: eye [%.3f, %.3f, %.3f], target [%.3f, %.3f, %.3f], fov_y %.2f",
                     camera.eye.x, camera.eye.y, camera.eye.z, camera.target.x, camera.target.y, camera.target.z, camera.fovY))
    }

    /// On clean images (the refined readings of up to 200 leave a median noise of at most
    /// `ConfidenceCalibration.cleanNoise`), the look-again's births weighed in the world's twin:
    /// the training prior's blocks on the fitted table, through the fitted camera, under the
    /// fitted light when the images share one (else the prior's lights), without camera effects
    /// (`ConfidenceCalibration.fitBirths`). Whether it fitted them.
    func fitBirths(_ network: GuideNetwork, folder source: TrainingSourceDescription) throws -> Bool {
        guard var c = network.config.calibration, case let .images(folder, _) = source else { return false }
        let sample = try sampleImages(folder: folder, config: network.config, count: 200)
        let readings = try SceneReader(network: network, refine: true).read(sample)
        let noise = try ConfidenceCalibration.noiseLevel(images: sample, scenes: readings.map(\.scene), samplesPerPixel: network.config.samplesPerPixel)
        guard noise <= ConfidenceCalibration.cleanNoise else {
            print(String(format: "births keep the model's confidence: the images' noise is %.4f (clean: at most %.2f)", noise, ConfidenceCalibration.cleanNoise))
            return false
        }
        let twin = ConfidenceCalibration.twin(of: .varied, config: network.config)
        let fit = try ConfidenceCalibration.fitBirths(network: network, spec: twin, count: Self.birthScenes, seed: Self.birthSeed)
        c.births = fit.weights
        network.setCalibration(c)
        print(String(format: "births' confidence fitted in the world's twin (the images' noise %.4f): %d births in %d scenes, %d real",
                     noise, fit.births, Self.birthScenes, fit.real))
        return true
    }

    static let birthScenes = 20000
    static let birthSeed: UInt64 = 4243

    /// The refined readings of up to 200 of the images, and the one light that explains them.
    func fitWorldLight(_ network: GuideNetwork, folder images: String) throws {
        let sample = try sampleImages(folder: images, config: network.config, count: 200)
        let readings = try SceneReader(network: network, refine: true).read(sample)
        let fit = try LightFit.fit(images: sample, scenes: readings.map(\.scene), samplesPerPixel: network.config.samplesPerPixel)
        let l = fit.light, (elevation, azimuth) = l.elevationAzimuth
        let description = String(format: "elevation %.1f, azimuth %.1f degrees, ambient %.3f, diffuse %.3f, shadows %@",
                                 elevation, azimuth, l.ambient, l.diffuse, l.shadows ? "on" : "off")
        if fit.isShared {
            network.setWorldLight(l)
            print(String(format: "fitted light: %@ (the median image loses %.0f nats under it against its own)", description, fit.medianLoss))
        } else {
            print(String(format: "light not fixed: the images' lights differ (under the best single light, %@, the median image loses %.0f nats); each image's light is read", description, fit.medianLoss))
        }
    }

    func sampleImages(folder images: String, config: ModelConfig, count: Int) throws -> [Image] {
        let folder = try ImageFolderSource(folder: images, config: config)
        let r = Rasterizer(threads: 1)
        return try (0..<min(count, folder.count)).map { try folder.scene($0, renderer: r).image! }
    }

    /// The table's per-pixel texture (`TableTexture`) from up to 500 of the images, against the
    /// bare table under the fitted colour and camera; kept when it departs from uniform by more
    /// than `TableTexture.smallestDeparture`.
    func fitTableTexture(_ network: GuideNetwork, folder images: String) throws {
        let sample = try sampleImages(folder: images, config: network.config, count: 500)
        let bare = try Rasterizer(threads: 1).render(network.config.scene(objects: []), samplesPerPixel: network.config.samplesPerPixel)
        let texture = TableTexture.estimate(images: sample, bare: bare)
        let departure = TableTexture.departure(texture)
        if departure > TableTexture.smallestDeparture {
            network.setTableTexture(texture)
            print(String(format: "fitted table texture: the images' table departs from uniform by %.3f (RMS ratio); images are divided by it", departure))
        } else {
            print(String(format: "table uniform: it departs by %.3f (at most %.2f)", departure, TableTexture.smallestDeparture))
        }
    }

    /// Three rounds of reading (refined) and fitting, on up to 200 of the images.
    func fitTableColor(_ network: GuideNetwork, folder images: String) throws {
        let sample = try sampleImages(folder: images, config: network.config, count: 200)
        for _ in 0..<3 {
            let readings = try SceneReader(network: network, refine: true).read(sample)
            network.setTableColor(try TableFit.albedo(images: sample, scenes: readings.map(\.scene),
                                                      samplesPerPixel: network.config.samplesPerPixel))
        }
        let t = network.config.tableColor
        print(String(format: "fitted table colour: [%.3f, %.3f, %.3f]", t[0], t[1], t[2]))
    }
}
