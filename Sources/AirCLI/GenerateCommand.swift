import ArgumentParser
import Collective
import MPI
import Dispatch
import Scenes
#if canImport(Glibc)
import Glibc
#endif

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a labelled dataset of rendered scenes from a batch spec.",
        discussion: """
        Writes DIR/meta.json, scenes.jsonl, images/NNNNNN.png, masks/NNNNNN.png (and \
        images.npy with --npy). Scene i depends only on (seed, i): the bytes are the same \
        for any --threads, and --resume after an interruption (Ctrl-C) finishes the very \
        same dataset. meta.json appears only when the dataset is complete.

        Exit codes: 0 success, 1 bad input or a refusal to overwrite, 2 I/O failure.
        """
    )

    @Option(help: "Batch spec JSON (see scenes/*.json); default: the built-in scenes/default.json.")
    var spec: String?

    @Option(parsing: .unconditional, help: "Number of scenes (default: the spec's count, or the sweep's length).")
    var count: Int?

    @Option(parsing: .unconditional, help: "Seed (default: the spec's seed).")
    var seed: UInt64?

    @Option(help: "Output folder.")
    var out: String

    @Option(parsing: .unconditional, help: "Worker threads (default: one per core).")
    var threads: Int?

    @Flag(help: "Replace an existing dataset in DIR.")
    var force = false

    @Flag(help: "Continue an interrupted generation (same spec, count, seed and --npy).")
    var resume = false

    @Flag(help: "Also write images.npy (N x H x W x 3 uint8).")
    var npy = false

    @Flag(help: "Also write each scene's depth at the pixel centres: depth/NNNNNN.png (16-bit, units of 0.001 scene units, 0 = nothing) and depth/NNNNNN.npy (float32, scene units).")
    var depth = false

    @Flag(help: "Also write each scene's world surface normals: normals/NNNNNN.npy (float32 H x W x 3).")
    var normals = false

    @Flag(help: "Also write each object's amodal (full, unoccluded) mask: amodal/NNNNNN_KKK.png.")
    var amodalMasks = false

    @Flag(help: "No progress bar.")
    var quiet = false

    @Option(help: .hidden)
    var abortAfter: Int?

    @Option(help: .hidden)
    var abortRank: Int = 1

    func validate() throws {
        if let count, count < 0 { throw ValidationError("--count must be >= 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1") }
        if force && resume { throw ValidationError("give --force or --resume, not both") }
    }

    func run() throws {
        try SceneCommandExit.run {
            var batch = BatchSpec.default
            batch.json = .obj([("kind", .str("random"))])
            if let spec { batch = try BatchSpec.read(FileIO.readText(spec), file: spec) }
            guard let n = count ?? batch.count else {
                throw ValidationError("give --count (the spec sets no count)")
            }
            // A sweep has as many scenes as steps: asking for more would read past its end.
            if let length = batch.sweepLength, n > length {
                throw ValidationError("--count \(n): the spec's sweep has only \(length) scenes")
            }
            var g = DatasetGenerator(spec: batch, count: n, seed: seed ?? batch.seed, folder: out)
            // Under mpirun every rank renders its share (one thread each unless told).
            let world = try MPIWorld.start()
            g.collective = world
            g.threads = threads ?? (world.size > 1 ? 1 : defaultThreads())
            g.force = force
            g.resume = resume
            g.npy = npy
            g.depth = depth
            g.normals = normals
            g.amodal = amodalMasks
            g.inputs = spec.map { [$0] } ?? []
            // Tests: rank `abortRank` exits (code 3) before the chunk that starts at or past
            // `abortAfter`, as a killed rank would.
            if let abortAfter {
                let rank = world.rank, target = abortRank
                g.beforeChunk = { lo in if rank == target && lo >= abortAfter { Glibc._exit(3) } }
            }
            let bar = ProgressBar(total: n, enabled: !quiet && world.isRoot)
            g.progress = { done, total in bar.update(done) }
            let report = try g.run()
            bar.finish()
            if !quiet && world.isRoot {
                let what = report.resumedFrom > 0 ? " (resumed after \(report.resumedFrom))" : ""
                fputs("wrote \(report.generated) scenes\(what) to \(out)\n", stderr)
            }
        }
    }
}

func defaultThreads() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// A one-line progress bar on stderr, redrawn at most ten times a second.
final class ProgressBar {
    let total: Int
    let enabled: Bool
    let start = DispatchTime.now().uptimeNanoseconds
    var lastDraw: UInt64 = 0
    var first: Int?

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func update(_ done: Int) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if first == nil { first = done }
        guard now - lastDraw > 100_000_000 || done == total else { return }
        lastDraw = now
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(done - (first ?? 0)) / seconds : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let left = rate > 0 ? Double(total - done) / rate : 0
        let eta = left >= 60 ? "\(Int(left / 60))m\(String(format: "%02d", Int(left) % 60))s" : "\(Int(left))s"
        fputs("\r[\(bar)] \(done)/\(total)  \(Int(rate)) scenes/s  \(eta) left ", stderr)
    }

    func finish() {
        if enabled { fputs("\n", stderr) }
    }
}
