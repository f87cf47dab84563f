import AIR
import ArgumentParser
import Foundation
import Scenes

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit the model's confidence calibration on fresh scenes and write the calibrated model.",
        discussion: """
        Draws COUNT scenes from the spec (default: scenes/varied.json's twin, the training prior \
        with its light, shadows and camera effects), reads them amortized and refined, and fits \
        for each a logistic map from the network's presence probability and the pixels' \
        evidence to the probability that a reported object is real (matched to a true object \
        within 0.3 units). Writes the model with the calibration in its configuration to OUT.
        """
    )

    @Option(help: "Model file (default: the bundled model, as for air infer).")
    var model: String?

    @Option(help: "Where to write the calibrated model (not the input model).")
    var out: String

    @Option(help: "Batch spec of the calibration scenes.")
    var spec: String?

    @Option(parsing: .unconditional, help: "Number of scenes.")
    var count: Int = 2000

    @Option(parsing: .unconditional, help: "Seed of the scenes (use one that neither training nor your test sets use).")
    var seed: UInt64 = 4242

    @Flag(help: "Fit only the look-again's births' map, on COUNT scenes of the spec's blocks seen in the model's world (its camera, table and, when it knows it, light; no camera effects), every birth proposed, held to the refined map: what air adapt does on clean images.")
    var births = false

    func validate() throws {
        if count < 10 { throw ValidationError("--count must be >= 10") }
    }

    func run() throws {
        try SceneCommandExit.run {
            let model = try self.model ?? BundledModel.locate()
            try FileIO.checkOutputs([out], inputs: [model] + (spec.map { [$0] } ?? []))
            let (network, metadata) = try ModelFile.load(model)
            var batch = BatchSpec.varied
            if let spec { batch = try BatchSpec.read(FileIO.readText(spec), file: spec) }
            if births {
                guard var c = network.config.calibration else { throw ValidationError("\(model) carries no calibration: run air calibrate without --births first") }
                let fit = try ConfidenceCalibration.fitBirths(network: network, spec: ConfidenceCalibration.twin(of: batch, config: network.config),
                                                              count: count, seed: seed) { done in
                    if isatty(2) != 0 { FileHandle.standardError.write(Data("\rread \(done)/\(count)".utf8)) }
                }
                if isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }
                c.births = fit.weights
                network.setCalibration(c)
                try ModelFile.save(network, to: out, extra: metadata.filter { !["format", "version", "config"].contains($0.key) })
                print("births: \(fit.births) in \(count) scenes, \(fit.real) real; wrote \(out)")
                return
            }
            let (c, raw, fitted) = try ConfidenceCalibration.fit(network: network, spec: batch, count: count, seed: seed) { done in
                if isatty(2) != 0 { FileHandle.standardError.write(Data("\rread \(done)/\(2 * count)".utf8)) }
            }
            if isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }
            network.setCalibration(c)
            try ModelFile.save(network, to: out, extra: metadata.filter { !["format", "version", "config"].contains($0.key) })
            print(String(format: "amortized: expected calibration error %.4f raw presence, %.4f calibrated (fitting set, %d objects)",
                         raw.expectedCalibrationError, fitted.expectedCalibrationError, fitted.objects))
            print("wrote \(out)")
        }
    }
}
