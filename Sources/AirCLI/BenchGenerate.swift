import ArgumentParser
import Collective
import MPI
import Dispatch
import Scenes
#if canImport(Glibc)
import Glibc
#endif

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Dataset generation speed (PNG images and masks, default spec) for 1 thread and all threads; one JSON line each."
    )

    @Option(help: "Scenes per run.")
    var count: Int = 4000

    /// tmpfs by default: on a shared ext4 disk, file creation in the kernel (ext4 scans
    /// recently deleted inodes) dominates and measures the disk's history, not this code.
    @Option(help: "Scratch folder prefix (removed afterwards); default /dev/shm/air-bench-generate when /dev/shm exists.")
    var scratch: String = FileIO.isDirectory("/dev/shm") ? "/dev/shm/air-bench-generate" : "/tmp/air-bench-generate"

    func run() throws {
        try SceneCommandExit.run {
            let world = try MPIWorld.start()
            if world.size > 1 || MPIWorld.launched { return try runRanks(world) }
            let all = defaultThreads()
            var folders: [String] = []
            // Scratch folders are removed only at the end: ext4 scans recently deleted
            // inodes when it creates files, so deleting between runs slows the next one.
            defer { folders.forEach(removeTree) }
            for threads in Array(Set([1, all])).sorted() {
                let folder = scratch + "-\(getpid())-\(threads)"
                folders.append(folder)
                var g = DatasetGenerator(spec: BatchSpec.default, count: count, seed: 1, folder: folder)
                g.threads = threads
                g.force = true
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try g.run()
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                let line: JSONValue = .obj([
                    ("bench", .str("render")), ("mode", .str("generate")), ("objects", .str("0-3")),
                    ("threads", .int(threads)), ("size", .str("64x64")), ("spp", .int(4)), ("scenes", .int(count)), ("scratch", .str(scratch)),
                    ("images_per_second", .num((Double(count) / seconds).rounded())),
                ])
                print(JSONWriter.compact(line))
                fflush(stdout)
            }
        }
    }

    /// Under mpirun: one thread per rank, every rank generating its share; rank 0 prints.
    func runRanks(_ world: any Collective) throws {
        let folder = scratch + "-mpi"
        var g = DatasetGenerator(spec: BatchSpec.default, count: count, seed: 1, folder: folder)
        g.collective = world
        g.threads = 1
        g.force = true
        try world.barrier()
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = try g.run()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        guard world.isRoot else { return }
        defer { removeTree(folder) }
        print(JSONWriter.compact(.obj([
            ("bench", .str("render")), ("mode", .str("generate")), ("ranks", .int(world.size)), ("threads_per_rank", .int(1)),
            ("scenes", .int(count)), ("scratch", .str(scratch)), ("images_per_second", .num((Double(count) / seconds).rounded())),
        ])))
        fflush(stdout)
    }

    /// Removes the scratch dataset (only the files the generator writes).
    func removeTree(_ folder: String) {
        for sub in ["images", "masks"] {
            for name in (try? FileIO.list(folder + "/" + sub)) ?? [] { unlink(folder + "/" + sub + "/" + name) }
            rmdir(folder + "/" + sub)
        }
        for name in (try? FileIO.list(folder)) ?? [] { unlink(folder + "/" + name) }
        rmdir(folder)
    }
}
