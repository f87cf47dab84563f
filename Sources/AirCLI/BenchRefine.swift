import AIR
import ArgumentParser
import Dispatch
import Foundation
import Scenes

struct BenchRefine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refine",
        abstract: "Refined reading throughput (network + render-and-compare refinement + confidences), one JSON line.",
        discussion: """
        Reads fresh scenes of the spec (default: scenes/default.json's twin, the spec-default \
        light) with --refine on one thread, --repeats times; reports the fastest pass as \
        images_per_second with the median, and the mean renders per image.
        """
    )

    @Option(help: "Timed passes over the images.")
    var repeats: Int = 3

    @Option(help: "Model file.")
    var model: String = defaultModelPath

    @Option(help: "Batch spec of the scenes.")
    var spec: String?

    @Option(help: "Images to time.")
    var images: Int = 256

    func run() throws {
        try SceneCommandExit.run {
            let (network, _) = try ModelFile.load(model)
            var batch = BatchSpec.default
            if let spec { batch = try BatchSpec.read(FileIO.readText(spec), file: spec) }
            let inputs = try batch.observedScenes(count: images, seed: 99, renderer: Rasterizer(threads: 1)).images
            let reader = try SceneReader(network: network, refine: true)
            _ = try reader.read(Array(inputs.prefix(16)))   // warm-up
            var rates: [Double] = []
            var renders = 0.0
            for _ in 0..<max(1, repeats) {
                let started = DispatchTime.now().uptimeNanoseconds
                let readings = try reader.read(inputs)
                rates.append(Double(images) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
                renders = Double(readings.compactMap(\.refinement?.renders).reduce(0, +)) / Double(images)
            }
            rates.sort()
            print(String(format: "{\"bench\": \"refine\", \"images\": %d, \"repeats\": %d, \"images_per_second\": %.1f, \"median_images_per_second\": %.1f, \"renders_per_image\": %.0f}",
                         images, rates.count, rates.last!, rates[rates.count / 2], renders))
        }
    }
}
