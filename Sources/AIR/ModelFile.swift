import Engine
import Foundation
import Random

/// A trained guide on disk: its parameters as safetensors (readable by Python's `safetensors`)
/// and its `ModelConfig` as JSON in the file's metadata, so the file alone rebuilds the network.
public enum ModelFile {
    public static let format = "air-model"

    public static func save(_ network: GuideNetwork, to path: String, extra: [String: String] = [:]) throws {
        var tensors: [String: StoredTensor] = [:]
        for (name, p) in network.namedParameters() {
            tensors[name] = StoredTensor(shape: p.shape, values: p.values)
        }
        var metadata = extra
        metadata["format"] = format
        metadata["version"] = "1"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        metadata["config"] = String(decoding: try encoder.encode(network.config), as: UTF8.self)
        try SafeTensors.write(tensors, metadata: metadata, to: path)
    }

    /// Rebuilds the network a file describes; a missing, mistyped or misshapen tensor is an
    /// error naming the file and the tensor.
    public static func load(_ path: String) throws -> (network: GuideNetwork, metadata: [String: String]) {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        guard metadata["format"] == format else {
            throw TrainingError.badModel(path: path, message: "not an air model (metadata format is \(metadata["format"] ?? "missing"))")
        }
        guard let text = metadata["config"], let config = try? JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8)) else {
            throw TrainingError.badModel(path: path, message: "metadata.config is missing or not a model configuration")
        }
        var rng = RNG(seed: 0)
        let network = GuideNetwork(config: config, rng: &rng)
        try assign(tensors, to: network, path: path)
        return (network, metadata)
    }

    /// Copies stored values into the module's parameters, checking names and shapes.
    public static func assign(_ tensors: [String: StoredTensor], to module: Module, path: String) throws {
        for (name, p) in module.namedParameters() {
            guard let t = tensors[name] else {
                throw TrainingError.badModel(path: path, message: "\(name): tensor missing")
            }
            guard t.shape == p.shape else {
                throw TrainingError.badModel(path: path, message: "\(name): shape \(t.shape), the network needs \(p.shape)")
            }
            guard t.values.allSatisfy(\.isFinite) else {
                throw TrainingError.badModel(path: path, message: "\(name): holds non-finite values")
            }
            p.assign(t.values)
        }
    }
}
