import AIR
import ArgumentParser
import Dispatch
import Foundation
import Scenes

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model on a labelled dataset: counts, shapes, colours, positions, rotations.",
        discussion: """
        Objects are matched to the truth by the Hungarian method on position. Rotation errors
        are taken modulo each true shape's symmetry (cylinders left out). Prints a summary;
        --json writes the full report (stable snake_case keys, overall and per true count).
        """
    )

    @Option(help: "Model file.")
    var model: String = defaultModelPath

    @Option(help: "Dataset folder (meta.json, scenes.jsonl, images/).")
    var data: String

    @Option(help: "Write the report as JSON to this file (atomically).")
    var json: String?

    @Option(help: "Evaluate only the first N scenes.")
    var limit: Int?

    @Option(help: "Images per batch.")
    var batchSize: Int = 64

    func run() throws {
        try SceneCommandExit.run {
            let (network, _) = try ModelFile.load(model)
            let dataset = try Dataset(folder: data)
            let n = min(limit ?? dataset.entries.count, dataset.entries.count)
            let images = try (0..<n).map { try dataset.image($0) }
            let report = try evaluate(network: network, images: images,
                                      truth: dataset.entries.prefix(n).map(\.scene.objects), batchSize: batchSize)
            print(report.summary)
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try FileIO.writeAtomically(json, text: String(decoding: try encoder.encode(report), as: UTF8.self) + "\n")
            }
        }
    }
}

/// Infers every image (timed: inference only), renders each reading for the reconstruction
/// error, and scores it against the truth.
func evaluate(network: GuideNetwork, images: [Image], truth: [[SceneObject]], batchSize: Int) throws -> EvaluationReport {
    let inferrer = try Inferrer(network: network)
    let started = DispatchTime.now().uptimeNanoseconds
    let scenes = try inferrer.infer(images, batchSize: batchSize)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    var evaluation = Evaluation()
    for (k, s) in scenes.enumerated() {
        let recon = try inferrer.renderer.render(s.scene, samplesPerPixel: network.config.samplesPerPixel)
        evaluation.add(truth: truth[k], predicted: s.scene.objects, observed: images[k], reconstruction: recon)
    }
    return evaluation.report(seconds: seconds)
}
