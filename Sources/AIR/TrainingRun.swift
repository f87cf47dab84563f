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
    /// A folder of unlabelled images (`air adapt`), with the prior of its sleep steps: a batch
    /// spec's text, or nil for the built-in one that matches the model (`BatchSpec.variedPlain`,
    /// the bundled model's last stages' prior, for a model that reads the light, else
    /// `BatchSpec.default`). Adapting with the plain quarter missed fewer blocks than with
    /// `BatchSpec.varied` (2,000 fresh images, two seeds each: strong highlights 14 and 19 count
    /// errors against 18 and 22, camera 1 10 and 9 against 14 and 12).
    case images(folder: String, prior: String?)

    /// The training scenes, the held-out ones and (for unlabelled images) the prior's scenes.
    public func sources(seed: UInt64, evalImages: Int, config: ModelConfig?) throws
        -> (train: any SceneSource, heldOut: any SceneSource, prior: (any SceneSource)?) {
        func spec(_ s: BatchSpec) -> (any SceneSource, any SceneSource, (any SceneSource)?) {
            (SpecSource(spec: s, seed: seed), SpecSource(spec: s, seed: seed ^ 0xEEEE_EEEE_EEEE), nil)
        }
        switch self {
        case let .spec(text, file): return spec(try BatchSpec.read(text, file: file))
        case .defaultSpec: return spec(BatchSpec.default)
        case let .data(folder):
            // The last scenes are held out for evaluation when the dataset is large enough.
            let ds = try Dataset(folder: folder)
            guard !ds.entries.isEmpty else { throw TrainingError.unsupported("\(folder) holds no scenes") }
            try ds.checkImageSizes()
            let n = ds.entries.count, held = min(evalImages, n / 4)
            if held == 0 { return (DatasetSource(dataset: ds), DatasetSource(dataset: ds), nil) }
            return (DatasetSource(dataset: ds, entries: 0..<(n - held)), DatasetSource(dataset: ds, entries: (n - held)..<n), nil)
        case let .images(folder, prior):
            guard let config else { throw TrainingError.unsupported("unlabelled images need a model to adapt") }
            let (train, held) = try ImageFolderSource.split(folder: folder, config: config, heldOut: evalImages)
            let priorSpec = try prior.map { try BatchSpec.read($0, file: folder + " (prior)") }
                ?? (config.inferLight ? BatchSpec.variedPlain : BatchSpec.default)
            let t = config.tableColor
            return (train, held ?? train, SpecSource(spec: priorSpec, seed: seed ^ 0x51EE_9000, table: SIMD3(t[0], t[1], t[2]), camera: config.camera))
        }
    }
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

    /// Refuses a run whose files would replace one of its inputs. The starting model of a
    /// fine-tuning run may be this run's model.safetensors (it is read before the run starts and
    /// replaced by the first checkpoint), but not its state or metrics.
    public func checkOutputs(inputs: [String], startingModel: String?) throws {
        try FileIO.checkOutputs([statePath, modelPath, metricsPath], inputs: inputs)
        try FileIO.checkOutputs([statePath, metricsPath], inputs: startingModel.map { [$0] } ?? [])
    }

    /// Removes an old run's files before a new run replaces it (`--force`), except the new
    /// run's starting model: already read, it stays until the first checkpoint replaces it,
    /// so a run that fails early loses nothing.
    public func removeForReplacement(keeping startingModel: String?) throws {
        let keep = startingModel.flatMap(FileIO.identity)
        for p in [statePath, modelPath, metricsPath] where FileIO.exists(p) && (keep == nil || FileIO.identity(p) != keep) {
            try FileIO.remove(p)
        }
    }

    public func save(_ trainer: Trainer, source: TrainingSourceDescription) throws {
        try FileIO.makeDirectories(folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func json<T: Encodable>(_ v: T) throws -> String { String(decoding: try encoder.encode(v), as: UTF8.self) }
        let metadata: [String: String] = [
            "format": Self.stateFormat,
            "version": "1",
            "step": String(trainer.step),
            "options": try json(trainer.options),
            "config": try json(trainer.network.config),
            "source": try json(source),
            "signal_normalizer": try json(trainer.elbo.signalNormalizer),
            "advantage_normalizer": try json(trainer.elbo.advantageNormalizer),
        ]
        try Checkpoint.saveTrainingState(module: trainer.learner, optimizer: trainer.optimizer,
                                         rngs: ["train": trainer.rng], to: statePath, metadata: metadata)
        try ModelFile.save(trainer.network, to: modelPath, extra: ["step": String(trainer.step),
                                                                   "objective": trainer.options.objective.rawValue])
    }

    /// The saved run's settings, to rebuild the trainer before `restore`.
    public func settings() throws -> (options: TrainingOptions, config: ModelConfig, source: TrainingSourceDescription) {
        let (_, metadata) = try SafeTensors.read(path: statePath)
        guard metadata["format"] == Self.stateFormat else {
            throw TrainingError.badRun(path: statePath, message: "not an air training state (format \(metadata["format"].map { Echo.quoted($0) } ?? "missing"))")
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

    /// Loads parameters, optimiser moments, step, RNG and signal statistics into a trainer built
    /// from `settings()`.
    public func restore(into trainer: Trainer) throws {
        let (_, metadata) = try SafeTensors.read(path: statePath)
        func decode<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let text = metadata[key], let v = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw TrainingError.badRun(path: statePath, message: "metadata.\(key) is missing or malformed")
            }
            return v
        }
        guard let step = metadata["step"].flatMap(Int.init), step >= 0 else {
            throw TrainingError.badRun(path: statePath, message: "metadata.step is missing or malformed")
        }
        let signal = try decode("signal_normalizer", SignalNormalizer.self)
        let advantage = try decode("advantage_normalizer", SignalNormalizer.self)
        let (rngs, _) = try Checkpoint.loadTrainingState(module: trainer.learner, optimizer: trainer.optimizer, from: statePath)
        guard let rng = rngs["train"] else {
            throw TrainingError.badRun(path: statePath, message: "metadata.rng.train is missing")
        }
        trainer.rng = rng
        trainer.step = step
        trainer.elbo.signalNormalizer = signal
        trainer.elbo.advantageNormalizer = advantage
    }

    /// Appends metrics lines; on resume, drops lines logged after the restored step so the log
    /// reads as one uninterrupted run.
    public func appendMetrics(_ lines: [String]) throws {
        guard !lines.isEmpty else { return }
        try FileIO.makeDirectories(folder)
        let old = FileIO.exists(metricsPath) ? try FileIO.readText(metricsPath) : ""
        try FileIO.writeAtomically(metricsPath, text: old + lines.map { $0 + "\n" }.joined())
    }

    /// The wall time the run had trained for at its last logged line (0 for a new run).
    public func loggedSeconds() -> Double {
        guard let text = try? FileIO.readText(metricsPath),
              let line = text.split(separator: "\n").last, let data = line.data(using: .utf8),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return 0 }
        return obj["elapsed_seconds"] as? Double ?? 0
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

/// When a training run writes its checkpoint (state, model and the metrics logged so far):
/// every `interval` seconds, and also after the first logged step, so that a run killed early
/// can already be resumed (the caller saves at the end too). By time rather than by steps, so
/// that what a kill loses is bounded in minutes whatever a step costs. Checkpoints may fall on
/// any step: a run resumed from one continues bit for bit.
public struct CheckpointCadence: Sendable {
    public let interval: Double
    private var lastSave: Double
    private var savedAtALog = false

    /// `start`: the time training starts, in seconds on any monotonic clock.
    public init(interval: Double, start: Double) {
        self.interval = interval
        lastSave = start
    }

    /// Whether to save after a step that ended at `now`; `logged`: it wrote a metrics line.
    public func isDue(logged: Bool, now: Double) -> Bool {
        (logged && !savedAtALog) || now - lastSave >= interval
    }

    public mutating func saved(at now: Double, logged: Bool) {
        lastSave = now
        if logged { savedAtALog = true }
    }
}
