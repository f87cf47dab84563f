import Random

/// Heap memory owned by parameters and free-standing constants (tape results live in the tape's arena).
final class Storage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, zeroed: Bool) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A Float32, row-major, contiguous, batch-first array that may take part in reverse-mode autodiff.
///
/// Three kinds exist:
/// - **parameters** (`Tensor.parameter`): own their values and a persistent gradient buffer that
///   accumulates over `backward` calls until an optimiser (or `zeroGrad()`) clears it;
/// - **constants** (`Tensor(shape:values:)`, `tape.constant`): never receive gradients;
/// - **results** of ops on a tape: their memory lives in the tape's arena and is valid only until
///   `tape.reset()` (or until the tape is released); their `grad` is the gradient of the last
///   backward pass. Copy `values` out to keep them.
///
/// Shapes are plain `[Int]`; `[]` is a scalar. Views (reshape, leading-axis slices, detach) share memory.
public final class Tensor {
    public let shape: [Int]
    public let count: Int
    /// The values (contiguous, `count` floats). Writable: ops and optimisers update in place.
    public internal(set) var data: UnsafeMutablePointer<Float>
    /// True when gradients flow to this tensor (parameters, and results of ops on them while recording).
    public let requiresGrad: Bool
    /// The tape this tensor was produced on; nil for parameters and free-standing constants.
    public private(set) unowned(unsafe) var tape: Tape?

    private var storage: Storage?
    private var gradStorage: Storage?
    /// For views: the tensor whose gradient buffer this one shares, and the element offset into it.
    let base: Tensor?
    let baseOffset: Int
    var gradPointer: UnsafeMutablePointer<Float>?
    var gradPass = -1
    /// Parameters only: the gradient is logically zero but its memory has not been cleared yet.
    var gradIsFresh = false

    init(shape: [Int], data: UnsafeMutablePointer<Float>, requiresGrad: Bool, tape: Tape?,
         storage: Storage? = nil, gradStorage: Storage? = nil, base: Tensor? = nil, baseOffset: Int = 0) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = data
        self.requiresGrad = requiresGrad
        self.tape = tape
        self.storage = storage
        self.gradStorage = gradStorage
        self.base = base
        self.baseOffset = baseOffset
        self.gradPointer = gradStorage?.pointer
    }

    /// A free-standing constant holding a copy of `values` (no gradient).
    public convenience init(shape: [Int], values: [Float]) {
        let n = shape.reduce(1, *)
        precondition(values.count == n, "Tensor: \(values.count) values for shape \(shape)")
        let s = Storage(count: n, zeroed: false)
        copyValues(values, to: s.pointer)
        self.init(shape: shape, data: s.pointer, requiresGrad: false, tape: nil, storage: s)
    }

    /// A free-standing constant scalar.
    public convenience init(_ value: Float) { self.init(shape: [], values: [value]) }

    /// A trainable parameter with its own gradient buffer (zeroed), initialised to `values`.
    public static func parameter(shape: [Int], values: [Float]) -> Tensor {
        let n = shape.reduce(1, *)
        precondition(values.count == n, "Tensor.parameter: \(values.count) values for shape \(shape)")
        let s = Storage(count: n, zeroed: false)
        copyValues(values, to: s.pointer)
        return Tensor(shape: shape, data: s.pointer, requiresGrad: true, tape: nil,
                      storage: s, gradStorage: Storage(count: n, zeroed: true))
    }

    /// A parameter drawn i.i.d. uniform in [-bound, bound) from `rng`.
    public static func uniformParameter(shape: [Int], bound: Float, rng: inout RNG) -> Tensor {
        let n = shape.reduce(1, *)
        var v = [Float](repeating: 0, count: n)
        for i in 0..<n { v[i] = (2 * rng.uniformFloat() - 1) * bound }
        return parameter(shape: shape, values: v)
    }

    /// A parameter drawn i.i.d. normal(0, std²) from `rng`.
    public static func normalParameter(shape: [Int], std: Float, rng: inout RNG) -> Tensor {
        let n = shape.reduce(1, *)
        var v = [Float](repeating: 0, count: n)
        for i in 0..<n { v[i] = Float(rng.normal()) * std }
        return parameter(shape: shape, values: v)
    }

    /// A parameter filled with `value`.
    public static func constantParameter(shape: [Int], value: Float) -> Tensor {
        parameter(shape: shape, values: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Moves a parameter's values and gradient into memory `values` and `grads` keep alive
    /// (`ParameterBlock`), copying both.
    func rebind(values: Storage, at offset: Int, grads: Storage) {
        precondition(isParameter, "rebind: only parameters own their memory")
        (values.pointer + offset).update(from: data, count: count)
        (grads.pointer + offset).update(from: gradPointer!, count: count)
        data = values.pointer + offset
        gradPointer = grads.pointer + offset
        storage = values
        gradStorage = grads
    }

    public var rank: Int { shape.count }
    public var isParameter: Bool { requiresGrad && tape == nil && base == nil }

    /// A copy of the values.
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements")
        return data[0]
    }

    /// A copy of the gradient: accumulated for parameters; of the last backward pass for tape results;
    /// nil when no gradient reached this tensor.
    public var grad: [Float]? {
        currentGrad.map { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// The gradient buffer if a gradient exists (see `grad`).
    public var currentGrad: UnsafeMutablePointer<Float>? {
        guard requiresGrad else { return nil }
        if let base { return base.currentGrad.map { $0 + baseOffset } }   // views share their base's gradient
        guard let tape else {                                            // parameters: persistent buffer
            if gradIsFresh { gradPointer!.update(repeating: 0, count: count); gradIsFresh = false }
            return gradPointer
        }
        return gradPass == tape.pass ? gradPointer : nil
    }

    /// The gradient buffer for accumulation (`+=`), zeroed on first use in this backward pass.
    func gradBuffer() -> UnsafeMutablePointer<Float> {
        if let base { return base.gradBuffer() + baseOffset }
        if let g = currentGrad { return g }
        guard let tape else { preconditionFailure("gradient requested for a constant") }
        let g = tape.arena.allocate(count, zeroed: true)
        gradPointer = g
        gradPass = tape.pass
        return g
    }

    /// The gradient buffer and whether the caller may overwrite it instead of accumulating
    /// (true when it holds no gradient yet; the caller must then write every element).
    /// Saves a memset and lets GEMMs run with beta = 0.
    func gradForWrite() -> (pointer: UnsafeMutablePointer<Float>, overwrite: Bool) {
        if base != nil { return (gradBuffer(), false) }
        guard let tape else {
            let fresh = gradIsFresh
            gradIsFresh = false
            return (gradPointer!, fresh)
        }
        if gradPass == tape.pass, let g = gradPointer { return (g, false) }
        let g = tape.arena.allocate(count, zeroed: false)
        gradPointer = g
        gradPass = tape.pass
        return (g, true)
    }

    /// Zeroes a parameter's accumulated gradient (lazily: the memory is cleared or overwritten on next use).
    public func zeroGrad() {
        if tape == nil && base == nil && gradPointer != nil { gradIsFresh = true }
    }

    /// The same values without gradient flow (a view; stop-gradient).
    public func detached() -> Tensor {
        Tensor(shape: shape, data: data, requiresGrad: false, tape: tape, base: self)
    }

    /// Overwrites the values (e.g. loading a checkpoint into a parameter).
    public func assign(_ values: [Float]) {
        precondition(values.count == count, "assign: \(values.count) values for shape \(shape)")
        copyValues(values, to: data)
    }

    /// A view sharing memory and gradient with `self` (reshape, leading-axis slice, tape.watch).
    func view(shape: [Int], offset: Int, on tape: Tape?) -> Tensor {
        Tensor(shape: shape, data: data + offset, requiresGrad: requiresGrad && (tape?.recording ?? true),
               tape: tape ?? self.tape, base: self, baseOffset: offset)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = values.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

/// The number of elements of a shape.
@inline(__always) func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

/// Normalises a possibly negative axis.
@inline(__always) func normalizedAxis(_ axis: Int, rank: Int) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
    return a
}

/// Copies an array into tensor memory (an empty array has no base address).
@inline(__always) func copyValues(_ values: [Float], to p: UnsafeMutablePointer<Float>) {
    values.withUnsafeBufferPointer { if let b = $0.baseAddress { p.update(from: b, count: $0.count) } }
}
