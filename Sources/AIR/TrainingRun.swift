import Engine
import Foundation
import Random
import Scenes

/// Where the training scenes came from, kept with the run so `--resume` needs no flags.
public enum TrainingSourceDescription: Codable, Equatable, Sendable {
    /// A batch spec's full text (so later edits of the file cannot change a resumed run).
    case spec(text: String, file: String)
    /// `BatchSpec.default`, the built-in twin of scenes/default.json.
    case defaultSpec
    case data(folder: String)
}

/// A training run's folder:
/// - `model.safetensors`: the latest model (what `infer`, `eval` and `demo` load);
/// - `state.safetensors`: parameters, Adam moments, step, RNG state, options, config and source,
///   self-contained so that `--resume` continues bit for bit;
/// - `metrics.jsonl`: one JSON line per logged step.
/// Every file is replaced atomically; the state is written before the model, so an interruption
/// between the two leaves a state at least as new as the model.
public struct TrainingRun {
    public let folder: String
    public init(folder: String) { self.folder = folder }

    public var modelPath: String { folder + "/model.safetensors" }
    public var statePath: String { folder + "/state.safetensors" }
    public var metricsPath: String { folder + "/metrics.jsonl" }
    public static let stateFormat = "air-training-state"

    public var exists: Bool { FileIO.exists(statePath) }

    public func save(_ trainer: Trainer, source: TrainingSourceDescription) throws {
        try FileIO.makeDirectories(folder)
        var tensors: [String: StoredTensor] = [:]
        for (name, p) in trainer.learner.namedParameters() {
            tensors["param." + name] = StoredTensor(shape: p.shape, values: p.values)
        }
        for (key, values) in trainer.optimizer.state {
            tensors["adam." + key] = StoredTensor(shape: [values.count], values: values)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let metadata: [String: String] = [
            "format": Self.stateFormat,
            "version": "1",
            "step": String(trainer.step),
            "adam_step": String(trainer.optimizer.stepCount),
            "rng_state": String(trainer.rng.state),
            "options": String(decoding: try encoder.encode(trainer.options), as: UTF8.self),
            "config": String(decoding: try encoder.encode(trainer.network.config), as: UTF8.self),
            "source": String(decoding: try encoder.encode(source), as: UTF8.self),
            "signal_normalizer": String(decoding: try encoder.encode(trainer.elbo.signalNormalizer), as: UTF8.self),
            "advantage_normalizer": String(decoding: try encoder.encode(trainer.elbo.advantageNormalizer), as: UTF8.self),
        ]
        try SafeTensors.write(tensors, metadata: metadata, to: statePath)
        try ModelFile.save(trainer.network, to: modelPath, extra: ["step": String(trainer.step),
                                                                   "objective": trainer.options.objective.rawValue])
    }

    /// The saved run's settings, to rebuild the trainer before `restore`.
    public func settings() throws -> (options: TrainingOptions, config: ModelConfig, source: TrainingSourceDescription) {
        let (_, metadata) = try SafeTensors.read(path: statePath)
        guard metadata["format"] == Self.stateFormat else {
            throw TrainingError.badRun(path: statePath, message: "not an air training state (format \(metadata["format"] ?? "missing"))")
        }
        func decode<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let text = metadata[key], let v = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw TrainingError.badRun(path: statePath, message: "metadata.\(key) is missing or malformed")
            }
            return v
        }
        return (try decode("options", TrainingOptions.self), try decode("config", ModelConfig.self),
                try decode("source", TrainingSourceDescription.self))
    }

    /// Loads parameters, optimiser moments, step and RNG into a trainer built from `settings()`.
    public func restore(into trainer: Trainer) throws {
        let (tensors, metadata) = try SafeTensors.read(path: statePath)
        guard let step = metadata["step"].flatMap(Int.init), let adamStep = metadata["adam_step"].flatMap(Int.init),
              let rngState = metadata["rng_state"].flatMap(UInt64.init) else {
            throw TrainingError.badRun(path: statePath, message: "metadata.step, adam_step or rng_state is missing or malformed")
        }
        var params: [String: StoredTensor] = [:]
        for (k, v) in tensors where k.hasPrefix("param.") { params[String(k.dropFirst(6))] = v }
        try ModelFile.assign(params, to: trainer.learner, path: statePath)
        for key in ["signal_normalizer", "advantage_normalizer"] {
            guard let text = metadata[key], let v = try? JSONDecoder().decode(SignalNormalizer.self, from: Data(text.utf8)) else {
                throw TrainingError.badRun(path: statePath, message: "metadata.\(key) is missing or malformed")
            }
            if key == "signal_normalizer" { trainer.elbo.signalNormalizer = v } else { trainer.elbo.advantageNormalizer = v }
        }
        for key in trainer.optimizer.state.keys {
            guard let t = tensors["adam." + key], t.values.count == trainer.optimizer.state[key]!.count else {
                throw TrainingError.badRun(path: statePath, message: "adam.\(key): missing or of the wrong size")
            }
            trainer.optimizer.state[key] = t.values
        }
        trainer.optimizer.stepCount = adamStep
        trainer.rng = RNG(state: rngState)
        trainer.step = step
    }

    /// Appends metrics lines; on resume, drops lines logged after the restored step so the log
    /// reads as one uninterrupted run.
    public func appendMetrics(_ lines: [String]) throws {
        guard !lines.isEmpty else { return }
        try FileIO.makeDirectories(folder)
        let old = FileIO.exists(metricsPath) ? try FileIO.readText(metricsPath) : ""
        try FileIO.writeAtomically(metricsPath, text: old + lines.map { $0 + "\n" }.joined())
    }

    public func truncateMetrics(after step: Int) throws {
        guard FileIO.exists(metricsPath) else { return }
        let kept = try FileIO.readText(metricsPath).split(separator: "\n").filter { line in
            guard let data = line.data(using: .utf8),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let s = obj["step"] as? Int else { return false }
            return s <= step
        }
        try FileIO.writeAtomically(metricsPath, text: kept.map { $0 + "\n" }.joined())
    }
}
