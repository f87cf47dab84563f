import AIR
import ArgumentParser
import Collective
import Dispatch
import MPI
import Random
import Scenes

struct BenchAllReduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time of one gradient all-reduce (the sum over ranks of every parameter's gradient) under mpirun; one JSON line.",
        discussion: """
        `mpirun -np N air bench allreduce`: --repetitions sums of --floats values (default: the \
        gradient of the default model and the ELBO's baselines) after two untimed ones; prints \
        the mean milliseconds per all-reduce on rank 0. Run alone it times the single \
        process's (no-op) reduction.
        """
    )

    @Option(help: "Values per all-reduce (default: the default model's gradient size).")
    var floats: Int?

    @Option(help: "Timed all-reduces.")
    var repetitions: Int = 50

    func validate() throws {
        if let floats, floats < 1 { throw ValidationError("--floats must be >= 1") }
        if repetitions < 1 { throw ValidationError("--repetitions must be >= 1") }
    }

    func run() throws {
        let world = try MPIWorld.start()
        try exitingTogether(world) {
            try SceneCommandExit.run(in: world) {
                let count = floats ?? gradientSize()
                var rng = RNG(seed: UInt64(world.rank + 1))
                let values = (0..<count).map { _ in rng.uniformFloat() }
                // The same buffer every time, as training's gradient vector (the sums grow, but
                // stay far from overflow in 50 doublings).
                var buffer = values
                for _ in 0..<2 { try world.allReduceSum(&buffer) }
                try world.barrier()
                let t0 = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<repetitions { try world.allReduceSum(&buffer) }
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 / Double(repetitions)
                guard world.isRoot else { return }
                print(JSONWriter.compact(.obj([
                    ("bench", .str("allreduce")), ("ranks", .int(world.size)), ("floats", .int(count)),
                    ("megabytes", .num((Double(4 * count) / 1e5).rounded() / 10)), ("repetitions", .int(repetitions)),
                    ("ms_per_allreduce", .num((ms * 1000).rounded() / 1000)),
                ])))
            }
        }
    }

    /// Parameters of the default model (camera and table of the default spec) and of the ELBO's
    /// baselines: what `air train` sums every step.
    func gradientSize() -> Int {
        var rng = RNG(seed: 1)
        let config = trainingConfig(source: SpecSource(spec: .default, seed: 1), maxObjects: 3)
        let network = GuideNetwork(config: config, rng: &rng)
        let baselines = Baselines(config: config, rng: &rng)
        return (network.namedParameters() + baselines.namedParameters()).reduce(0) { $0 + $1.tensor.count }
    }
}
