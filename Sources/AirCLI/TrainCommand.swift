import AIR
import ArgumentParser
import Dispatch
import Foundation
import Random
import Scenes

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the AIR inference network to invert the renderer.",
        discussion: """
        Scenes come from a batch spec (fresh draws from the prior, the default) or a dataset.
        Writes OUT/model.safetensors (the model), OUT/metrics.jsonl (one JSON line per logged
        step), and periodic checkpoints from which --resume continues exactly.
        """
    )

    @Option(help: "Batch spec JSON to draw training scenes from (default: scenes/default.json's built-in twin).")
    var spec: String?

    @Option(help: "Dataset folder to train on instead of a spec.")
    var data: String?

    @Option(help: "Objective: sleep (simulation-based).")
    var objective: String = "sleep"

    @Option(help: "Optimisation steps.")
    var steps: Int = 20_000

    @Option(help: "Scenes per step.")
    var batchSize: Int = 32

    @Option(help: "Adam learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Seed for initialisation, scene draws and noise.")
    var seed: UInt64 = 1

    @Option(help: "Threads for rendering batches.")
    var threads: Int = 2

    @Option(help: "Largest number of objects (recurrent steps).")
    var maxObjects: Int = 3

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Log every N steps.")
    var logEvery: Int = 50

    func run() throws {
        try SceneCommandExit.run {
            var batch = BatchSpec.default
            if let spec { batch = try BatchSpec.read(FileIO.readText(spec), file: spec) }
            let source: any SceneSource
            let heldOut: any SceneSource
            if let data {
                let ds = try Dataset(folder: data)
                source = DatasetSource(dataset: ds)
                heldOut = DatasetSource(dataset: ds)
            } else {
                source = SpecSource(spec: batch, seed: seed)
                heldOut = SpecSource(spec: batch, seed: seed ^ 0xEEEE_EEEE)
            }
            let config = ModelConfig(camera: source.camera, samplesPerPixel: source.samplesPerPixel, maxObjects: maxObjects)
            var rng = RNG(seed: seed)
            let network = GuideNetwork(config: config, rng: &rng)
            var options = TrainingOptions()
            options.steps = steps
            options.batchSize = batchSize
            options.learningRate = learningRate
            options.seed = seed
            options.threads = threads
            let trainer = try Trainer(network: network, source: source, heldOutSource: heldOut, options: options)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            while trainer.step < steps {
                var m = try trainer.trainStep()
                if trainer.step % logEvery == 0 || trainer.step == steps {
                    if trainer.step % options.evalEvery == 0 || trainer.step == steps {
                        let r = try trainer.evaluateHeldOut()
                        m.heldOutCountAccuracy = r.overall.countAccuracy
                        m.heldOutPositionErrorMedian = r.overall.positionErrorMedian
                    }
                    print(String(decoding: try encoder.encode(m), as: UTF8.self))
                    fflush(stdout)
                }
            }
        }
    }
}
