import AIR
import ArgumentParser
import Dispatch
import Foundation
import Random
import Scenes

struct BenchInfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Inference throughput of a model on fresh scenes (default: the default scenes), one JSON line.",
        discussion: """
        Times --repeats passes over the images (after a warm-up batch) and reports the fastest \
        as images_per_second (the machines are shared: the fastest pass is the least disturbed), \
        with the median beside it.
        """
    )

    @Option(help: "Timed passes over the images.")
    var repeats: Int = 5

    @Option(help: "Model file.")
    var model: String = defaultModelPath

    @Option(help: "Batch spec of the scenes (its camera and size must be the model's; default: the default scenes).")
    var spec: String?

    @Option(help: "Images per batch.")
    var batchSize: Int = Inferrer.defaultBatchSize

    @Option(help: "Images to time.")
    var images: Int = 1024

    @Option(help: "Glimpses taken again where the network says the object lies off their centre, at most this many times a step (0: one glimpse a step).")
    var recentring: Int = 4

    @Flag(inversion: .prefixedNo, help: "Keep a reading only when rendering it brings the canvas closer to the image; a step whose reading does not looks once more where the most is left unexplained.")
    var checkReadings = true

    func run() throws {
        try SceneCommandExit.run {
            let (network, _) = try ModelFile.load(model)
            let renderer = Rasterizer(threads: 1)
            var batch = BatchSpec.default
            if let spec { batch = try BatchSpec.read(FileIO.readText(spec), file: spec) }
            let inputs = try batch.observedScenes(count: images, seed: 99, renderer: renderer).images
            let inferrer = try Inferrer(network: network)
            inferrer.recentring = max(0, recentring)
            inferrer.checksReadings = checkReadings
            _ = try inferrer.infer(Array(inputs.prefix(batchSize)), batchSize: batchSize)   // warm-up
            var rates: [Double] = []
            for _ in 0..<max(1, repeats) {
                let started = DispatchTime.now().uptimeNanoseconds
                _ = try inferrer.infer(inputs, batchSize: batchSize)
                rates.append(Double(images) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
            }
            rates.sort()
            let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init) ?? 1
            print(String(format: "{\"bench\": \"infer\", \"size\": \"%dx%d\", \"max_objects\": %d, \"threads\": %d, \"batch\": %d, \"images\": %d, \"repeats\": %d, \"images_per_second\": %.1f, \"median_images_per_second\": %.1f}",
                         network.config.width, network.config.height, network.config.maxObjects, threads, batchSize, images, rates.count, rates.last!, rates[rates.count / 2]))
        }
    }
}
