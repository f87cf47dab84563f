import ArgumentParser
import Dispatch
import Scenes
#if canImport(Glibc)
import Glibc
#endif

struct BenchExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export speed: generates a dataset (default spec) in a scratch folder, then times `air export` to COCO and to the BOP layout; one JSON line each."
    )

    @Option(help: "Scenes in the dataset.")
    var count: Int = 20000

    @Option(help: "Scratch folder prefix (removed afterwards); default under /dev/shm when it exists.")
    var scratch: String = FileIO.isDirectory("/dev/shm") ? "/dev/shm/air-bench-export" : "/tmp/air-bench-export"

    func run() throws {
        try SceneCommandExit.run {
            let folder = scratch + "-\(getpid())"
            defer {
                unlink(folder + "/coco.json")
                BenchGenerate().removeTree(folder)
                removeAll(folder + "-bop")
            }
            var g = DatasetGenerator(spec: BatchSpec.default, count: count, seed: 1, folder: folder)
            g.threads = defaultThreads()
            g.force = true
            _ = try g.run()
            let t0 = DispatchTime.now().uptimeNanoseconds
            let written = try COCOExport(folder: folder).write(to: folder + "/coco.json")
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let line: JSONValue = .obj([
                ("bench", .str("export")), ("format", .str("coco")), ("images", .int(written.images)),
                ("annotations", .int(written.annotations)), ("threads", .int(1)), ("seconds", .num((seconds * 1000).rounded() / 1000)),
                ("images_per_second", .num((Double(count) / seconds).rounded())),
            ])
            print(JSONWriter.compact(line))
            let t1 = DispatchTime.now().uptimeNanoseconds
            let bop = try BOPExport(folder: folder).write(to: folder + "-bop", threads: defaultThreads())
            let bopSeconds = Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9
            print(JSONWriter.compact(.obj([
                ("bench", .str("export")), ("format", .str("bop")), ("images", .int(bop.images)), ("objects", .int(bop.objects)),
                ("threads", .int(defaultThreads())), ("seconds", .num((bopSeconds * 1000).rounded() / 1000)),
                ("images_per_second", .num((Double(count) / bopSeconds).rounded())),
            ])))
        }
    }

    /// Removes a folder tree of the benchmark's own making.
    func removeAll(_ path: String) {
        if FileIO.isDirectory(path) {
            for name in (try? FileIO.list(path)) ?? [] { removeAll(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
