import Random

/// A checkpoint that cannot be used, naming the file, the tensor or field, and the problem.
public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let field: String
    public let message: String

    public var description: String { "\(path): \(field): \(message)" }
}

/// Saving and loading parameters and full training state as SafeTensors files (written atomically).
///
/// - Parameter files hold each parameter under its hierarchical name ("encoder.conv1.weight").
/// - Training-state files hold, in one file, the parameters ("param/<name>"), the optimiser's
///   state buffers ("optim/<key>", e.g. Adam moments), and in the metadata the optimiser step
///   ("optim.step"), named RNG states ("rng.<name>", decimal UInt64) and caller metadata. Loading
///   one into a freshly built model and optimiser resumes training bit-exactly.
///
/// Loading checks every name and shape before changing anything: a bad file leaves the model untouched.
public enum Checkpoint {
    // MARK: Parameters

    public static func saveParameters(_ module: Module, to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(stored(module.namedParameters(), prefix: ""), metadata: metadata, to: path)
    }

    /// Loads every parameter of `module` from `path`; returns the file's metadata.
    /// Extra tensors in the file are an error unless `allowExtra` (e.g. loading part of a model).
    @discardableResult
    public static func loadParameters(into module: Module, from path: String, allowExtra: Bool = false) throws -> [String: String] {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        try loadParameters(into: module, tensors: tensors, path: path, allowExtra: allowExtra)
        return metadata
    }

    /// The same from tensors already read (e.g. when the metadata decides which module to
    /// build); `path` names the file in errors.
    public static func loadParameters(into module: Module, tensors: [String: StoredTensor], path: String,
                                      allowExtra: Bool = false) throws {
        let params = module.namedParameters()
        try check(params, in: tensors, prefix: "", path: path)
        if !allowExtra, let extra = Set(tensors.keys).subtracting(params.map(\.name)).sorted().first {
            throw CheckpointError(path: path, field: extra, message: "tensor is not a parameter of the model")
        }
        assign(params, from: tensors, prefix: "")
    }

    // MARK: Training state

    public static func saveTrainingState(module: Module, optimizer: Optimizer, rngs: [String: RNG] = [:],
                                         to path: String, metadata: [String: String] = [:]) throws {
        var tensors = stored(module.namedParameters(), prefix: "param/")
        for (key, values) in optimizer.state { tensors["optim/" + key] = StoredTensor(shape: [values.count], values: values) }
        var meta = metadata
        meta["optim.step"] = String(optimizer.stepCount)
        for (name, rng) in rngs { meta["rng." + name] = String(rng.state) }
        try SafeTensors.write(tensors, metadata: meta, to: path)
    }

    /// Restores parameters, optimiser state and step; returns the saved RNGs and the metadata.
    public static func loadTrainingState(module: Module, optimizer: Optimizer, from path: String) throws
        -> (rngs: [String: RNG], metadata: [String: String]) {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        let params = module.namedParameters()
        try check(params, in: tensors, prefix: "param/", path: path)
        var state: [String: [Float]] = [:]
        for (key, current) in optimizer.state {
            // States written before the group prefixes lost their trailing dot name the same
            // moments "m.guide..encoder…" (a doubled dot after the group): read either spelling.
            let parts = key.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
            let legacy = parts.count == 3 ? "\(parts[0]).\(parts[1])..\(parts[2])" : nil
            guard let t = tensors["optim/" + key] ?? legacy.flatMap({ tensors["optim/" + $0] }) else {
                throw CheckpointError(path: path, field: "optim/" + key, message: "optimiser state missing")
            }
            guard t.values.count == current.count else {
                throw CheckpointError(path: path, field: "optim/" + key,
                                      message: "\(t.values.count) values, the optimiser has \(current.count)")
            }
            state[key] = t.values
        }
        guard let stepText = metadata["optim.step"], let step = Int(stepText), step >= 0 else {
            throw CheckpointError(path: path, field: "optim.step", message: "missing or not a non-negative integer")
        }
        var rngs: [String: RNG] = [:]
        for (key, value) in metadata where key.hasPrefix("rng.") {
            guard let s = UInt64(value) else {
                throw CheckpointError(path: path, field: key, message: "'\(value)' is not a UInt64 RNG state")
            }
            rngs[String(key.dropFirst(4))] = RNG(state: s)
        }
        // Everything checked: now change the model and the optimiser.
        assign(params, from: tensors, prefix: "param/")
        for p in params { p.tensor.zeroGrad() }
        optimizer.state = state
        optimizer.stepCount = step
        return (rngs, metadata)
    }

    // MARK: Helpers

    static func stored(_ params: [(name: String, tensor: Tensor)], prefix: String) -> [String: StoredTensor] {
        var out: [String: StoredTensor] = [:]
        for (name, t) in params {
            precondition(out[prefix + name] == nil, "checkpoint: duplicate parameter name \(name)")
            out[prefix + name] = StoredTensor(shape: t.shape, values: t.values)
        }
        return out
    }

    static func check(_ params: [(name: String, tensor: Tensor)], in tensors: [String: StoredTensor],
                      prefix: String, path: String) throws {
        for (name, t) in params {
            guard let s = tensors[prefix + name] else {
                throw CheckpointError(path: path, field: prefix + name, message: "parameter missing from the file")
            }
            guard s.shape == t.shape else {
                throw CheckpointError(path: path, field: prefix + name, message: "shape \(s.shape) in the file, the model has \(t.shape)")
            }
        }
    }

    static func assign(_ params: [(name: String, tensor: Tensor)], from tensors: [String: StoredTensor], prefix: String) {
        for (name, t) in params { t.assign(tensors[prefix + name]!.values) }
    }
}
