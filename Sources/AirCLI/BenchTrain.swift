import AIR
import ArgumentParser
import Collective
import Dispatch
import Engine
import MPI
import Random
import Scenes

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training speed (images/s) of a fresh model on default scenes (or --spec's), for the ranks it runs under; one JSON line.",
        discussion: """
        Run it as `air bench train` and as `mpirun -np N air bench train` to compare rank counts: \
        every rank trains its share of each batch with one thread (--threads 2 renders the next \
        batch ahead, as a plain `air train` does). Times --steps steps after --warmup steps, \
        in wall time on rank 0 (each step waits for the slowest rank).
        """
    )

    @Option(help: "Timed steps.")
    var steps: Int = 20

    @Option(help: "Untimed steps first.")
    var warmup: Int = 2

    @Option(help: "Scenes per step (the whole batch, shared by the ranks).")
    var batchSize: Int = 32

    @Option(help: "Objective: sleep or elbo.")
    var objective: String = "sleep"

    @Option(help: "Threads per rank.")
    var threads: Int = 1

    @Option(help: "Batch spec of the training scenes (default: the default scenes); the model reads its most objects (at least 3).")
    var spec: String?

    func validate() throws {
        if steps < 1 || warmup < 0 { throw ValidationError("--steps must be >= 1 and --warmup >= 0") }
        if batchSize < 1 { throw ValidationError("--batch-size must be >= 1") }
        if threads < 1 { throw ValidationError("--threads must be >= 1") }
        if !["sleep", "elbo"].contains(objective) { throw ValidationError("--objective must be sleep or elbo") }
    }

    func run() throws {
        let world = try MPIWorld.start()
        try exitingTogether(world) {
            try SceneCommandExit.run(in: world) {
                BLAS.setThreads(1)
                var o = TrainingOptions()
                o.objective = Objective(rawValue: objective)!
                o.steps = warmup + steps
                o.batchSize = batchSize
                o.threads = threads
                o.evalImages = 1
                let spec = try self.spec.map { try BatchSpec.read(FileIO.readText($0), file: $0) } ?? BatchSpec.default
                let source = SpecSource(spec: spec, seed: o.seed)
                var rng = RNG(seed: o.seed)
                let most = max(3, specMaxObjects(source) ?? 3)
                let network = GuideNetwork(config: trainingConfig(source: source, maxObjects: most), rng: &rng)
                let trainer = try Trainer(network: network, source: source, heldOutSource: source, options: o, collective: world)
                for _ in 0..<warmup { _ = try trainer.trainStep() }
                try world.barrier()
                let t0 = DispatchTime.now().uptimeNanoseconds, reduced0 = trainer.allReduceSeconds
                for _ in 0..<steps { _ = try trainer.trainStep() }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                let reduceSeconds = trainer.allReduceSeconds - reduced0
                guard world.isRoot else { return }
                print(JSONWriter.compact(.obj([
                    ("bench", .str("train")), ("objective", .str(objective)), ("ranks", .int(world.size)),
                    ("threads_per_rank", .int(threads)), ("batch", .int(batchSize)), ("size", .str("\(spec.camera.width)x\(spec.camera.height)")),
                    ("spp", .int(spec.samplesPerPixel)), ("max_objects", .int(most)), ("steps", .int(steps)),
                    ("seconds_per_step", .num((seconds / Double(steps) * 1e4).rounded() / 1e4)),
                    // Rank 0's wait for the gradients' sum (the all-reduce and any slower rank).
                    ("allreduce_seconds_per_step", .num((reduceSeconds / Double(steps) * 1e4).rounded() / 1e4)),
                    ("images_per_second", .num((Double(steps * batchSize) / seconds * 10).rounded() / 10)),
                ])))
            }
        }
    }
}
