import ArgumentParser
import Dispatch
import Scenes
#if canImport(Glibc)
import Glibc
#endif

struct BenchExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "COCO export speed: generates a dataset (default spec) in a scratch folder, then times `air export --format coco` on it; one JSON line."
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
        }
    }
}
