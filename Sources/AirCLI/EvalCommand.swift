import AIR
import ArgumentParser
import Dispatch
import Foundation
import Scenes

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model on a labelled dataset: counts, shapes, colours, positions, rotations.",
        discussion: """
        Objects are matched to the truth by the Hungarian method on position. Rotation errors \
        are taken modulo each true shape's symmetry (cylinders left out). Prints a summary; \
        --json writes the full report (stable snake_case keys, overall and per true count). \
        With --pred, scores readings made by anything else instead (one JSON line per \
        dataset scene, in order, with "objects" and optionally "image"; `air infer --json` \
        writes this format). With a model, the report also has the reliability of the \
        reported confidences (expected calibration error over 10 bins; an object is real when \
        matched within 0.3 units). --refine scores refined readings.
        """
    )

    @OptionGroup var reading: ReadingFlags

    @Option(help: "Score these readings (JSON lines) instead of running a model.")
    var pred: String?

    @Option(help: "Score these BOP-format estimates (CSV: scene_id,im_id,obj_id,score,R,t,time; mm; image ids = dataset indices) instead of running a model.")
    var predBop: String?

    @Option(help: "Write BOP's per-object errors (MSSD, MSPD, VSD) to this CSV file.")
    var perObject: String?

    @Option(help: "Dataset folder (meta.json, scenes.jsonl, images/).")
    var data: String

    @Option(help: "Write the report as JSON to this file (atomically).")
    var json: String?

    @Option(parsing: .unconditional, help: "Evaluate only the first N scenes.")
    var limit: Int?

    @Option(parsing: .unconditional, help: "With --json and a model: keep this many worst-read images with overlays (for air report).")
    var worst: Int = 12

    func validate() throws {
        if [reading.model != nil, pred != nil, predBop != nil].filter({ $0 }).count > 1 { throw ValidationError("give one of --model, --pred and --pred-bop") }
        if let limit, limit < 1 { throw ValidationError("--limit must be >= 1") }
        if reading.refine && (pred != nil || predBop != nil) { throw ValidationError("--refine needs a model, not --pred") }
        if !(0...1000).contains(worst) { throw ValidationError("--worst must be in 0...1000") }
    }

    func run() throws {
        try SceneCommandExit.run {
            let dataset = try Dataset(folder: data)
            let model = pred == nil && predBop == nil ? try reading.modelPath() : nil
            try FileIO.checkOutputs([json, perObject].compactMap { $0 }, inputs: dataset.files + [model, pred, predBop].compactMap { $0 })
            let n = min(limit ?? dataset.entries.count, dataset.entries.count)
            let truth = dataset.entries.prefix(n).map(\.scene.objects)
            var report: EvaluationReport
            var predicted: [[SceneObject]]
            var poses: [[PoseErrors.Pose]]? = nil
            if let pred {
                (report, predicted) = try scoreReadings(pred, dataset: dataset, count: n)
            } else if let predBop {
                let estimates = try BOPEstimates.readPoses(predBop, dataset: dataset, count: n)
                predicted = estimates.map { $0.map(\.object) }
                poses = estimates.map { $0.map(\.pose) }
                var e = Evaluation()
                for (t, p) in zip(truth, predicted) { e.add(truth: t, predicted: p) }
                report = e.report()
            } else {
                let reader = try reading.reader()
                let names = dataset.entries.prefix(n).map { data + "/" + $0.image }
                let images = try fitImages(try (0..<n).map { try dataset.image($0) }, names: names, config: reader.network.config)
                (report, predicted) = try evaluate(reader: reader, images: images, truth: truth, batchSize: reading.batchSize,
                                                   names: dataset.entries.prefix(n).map(\.image), worst: json == nil ? 0 : worst)
            }
            var bop = BOPScores()
            for k in 0..<n { try bop.add(image: k, truth: dataset.entries[k].scene, predicted: predicted[k], poses: poses?[k]) }
            report.bop = bop.report()
            if let perObject { try FileIO.writeAtomically(perObject, text: bop.csv) }
            print(report.summary)
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try FileIO.writeAtomically(json, text: String(decoding: try encoder.encode(report), as: UTF8.self) + "\n")
            }
        }
    }
}

/// Scores a readings file line by line against the dataset's first `count` scenes.
func scoreReadings(_ path: String, dataset: Dataset, count: Int) throws -> (EvaluationReport, [[SceneObject]]) {
    let lines = try SceneLines.read(path)
    guard lines.count >= count else {
        throw InputError(file: path, line: lines.last?.line ?? 1, field: "", message: "\(lines.count) readings for \(count) dataset scenes")
    }
    var evaluation = Evaluation()
    for (i, l) in lines.prefix(count).enumerated() {
        let expected = dataset.entries[i].image
        if let image = l.image, (image as NSString).lastPathComponent != (expected as NSString).lastPathComponent {
            throw InputError(file: path, line: l.line, field: "image", message: "\(image) is not dataset scene \(i) (\(expected))")
        }
        evaluation.add(truth: dataset.entries[i].scene.objects, predicted: l.objects)
    }
    return (evaluation.report(), lines.prefix(count).map(\.objects))
}

/// Reads every image (timed: reading, with refinement and confidences), renders each reading
/// for the reconstruction error, and scores it and its confidences against the truth.
/// With `worst` > 0 the report keeps that many worst-read images (by `WorstImage.badness`) with
/// their overlays.
func evaluate(reader: SceneReader, images: [Image], truth: [[SceneObject]], batchSize: Int,
              names: [String] = [], worst: Int = 0) throws -> (EvaluationReport, [[SceneObject]]) {
    let started = DispatchTime.now().uptimeNanoseconds
    let readings = try reader.read(images, batchSize: batchSize)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    var evaluation = Evaluation()
    for (k, r) in readings.enumerated() {
        let recon = try reader.inferrer.renderer.render(r.scene, samplesPerPixel: reader.network.config.samplesPerPixel)
        evaluation.add(truth: truth[k], predicted: r.scene.objects, confidences: r.objects.map(\.confidence),
                       observed: images[k], reconstruction: recon)
    }
    var report = evaluation.report(seconds: seconds)
    if worst > 0 {
        let ranked = evaluation.images.indices.sorted {
            WorstImage.badness(evaluation.images[$0]) > WorstImage.badness(evaluation.images[$1])
        }
        report.worst = try ranked.prefix(worst).filter { WorstImage.badness(evaluation.images[$0]) > 0 }.map { k in
            let recon = try reader.inferrer.renderer.render(readings[k].scene, samplesPerPixel: reader.network.config.samplesPerPixel)
            let picture = Overlay.draw(input: images[k], reconstruction: recon, inferred: readings[k].inferred)
            let s = evaluation.images[k]
            return WorstImage(image: k < names.count ? names[k] : "image \(k)", trueCount: s.trueCount, predictedCount: s.predictedCount,
                              badness: WorstImage.badness(s), overlayPNG: Data(try PNG.encode(picture)).base64EncodedString())
        }
    }
    return (report, readings.map(\.scene.objects))
}
