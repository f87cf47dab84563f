import AIR
import ArgumentParser
import Dispatch
import Foundation
import Random
import Scenes

struct BenchInfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Inference throughput of a model on fresh default scenes, one JSON line.",
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

    @Option(help: "Images per batch.")
    var batchSize: Int = 64

    @Option(help: "Images to time.")
    var images: Int = 1024

    func run() throws {
        try SceneCommandExit.run {
            let (network, _) = try ModelFile.load(model)
            let renderer = Rasterizer(threads: 1)
            let batch = BatchSpec.default
            let inputs = try (0..<images).map { i in
                PNG.quantized(try renderer.render(batch.sample(index: i, seed: 99, renderer: renderer).scene,
                                                  samplesPerPixel: batch.samplesPerPixel))
            }
            let inferrer = try Inferrer(network: network)
            _ = try inferrer.infer(Array(inputs.prefix(batchSize)), batchSize: batchSize)   // warm-up
            var rates: [Double] = []
            for _ in 0..<max(1, repeats) {
                let started = DispatchTime.now().uptimeNanoseconds
                _ = try inferrer.infer(inputs, batchSize: batchSize)
                rates.append(Double(images) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
            }
            rates.sort()
            let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init) ?? 1
            print(String(format: "{\"bench\": \"infer\", \"threads\": %d, \"batch\": %d, \"images\": %d, \"repeats\": %d, \"images_per_second\": %.1f, \"median_images_per_second\": %.1f}",
                         threads, batchSize, images, rates.count, rates.last!, rates[rates.count / 2]))
        }
    }
}
