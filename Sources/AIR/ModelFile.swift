import Engine
import Foundation
import Random
import Scenes

/// A trained guide on disk: its parameters as safetensors (readable by Python's `safetensors`)
/// and its `ModelConfig` as JSON in the file's metadata, so the file alone rebuilds the network.
public enum ModelFile {
    public static let format = "air-model"

    public static func save(_ network: GuideNetwork, to path: String, extra: [String: String] = [:]) throws {
        var metadata = extra
        metadata["format"] = format
        metadata["version"] = "1"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        metadata["config"] = String(decoding: try encoder.encode(network.config), as: UTF8.self)
        try Checkpoint.saveParameters(network, to: path, metadata: metadata)
    }

    /// Rebuilds the network a file describes; a missing, misshapen or non-finite tensor is an
    /// error naming the file and the tensor.
    public static func load(_ path: String) throws -> (network: GuideNetwork, metadata: [String: String]) {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        guard metadata["format"] == format else {
            throw TrainingError.badModel(path: path, message: "not an air model (metadata format is \(metadata["format"].map { Echo.quoted($0) } ?? "missing"))")
        }
        guard let text = metadata["config"], let config = try? JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8)) else {
            throw TrainingError.badModel(path: path, message: "metadata.config is missing or not a model configuration")
        }
        if let (field, message) = config.problem {
            throw TrainingError.badModel(path: path, message: "metadata.config.\(field): \(message)")
        }
        var rng = RNG(seed: 0)
        let network = GuideNetwork(config: config, rng: &rng)
        try Checkpoint.loadParameters(into: network, tensors: tensors, path: path)
        try checkFinite(network, path: path)
        return (network, metadata)
    }

    /// A model with NaN or infinite weights is refused (a diverged run's output).
    static func checkFinite(_ module: Module, path: String) throws {
        for (name, p) in module.namedParameters() where !p.values.allSatisfy(\.isFinite) {
            throw TrainingError.badModel(path: path, message: "\(name): holds non-finite values")
        }
    }
}
