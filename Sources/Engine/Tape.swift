import Random

/// A bump allocator for one step's tensors and gradients. `reset()` recycles everything; after the
/// first step it holds a single chunk large enough for a whole step, so steady-state steps allocate
/// no buffers.
final class Arena {
    private var chunks: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    private var chunk = 0
    private var used = 0
    private let minimumChunk = 1 << 18

    /// Total floats held (for diagnostics).
    var capacity: Int { chunks.reduce(0) { $0 + $1.capacity } }

    func allocate(_ count: Int, zeroed: Bool) -> UnsafeMutablePointer<Float> {
        let n = (max(count, 1) + 15) & ~15            // 64-byte alignment for every buffer
        while true {
            if chunk < chunks.count {
                if used + n <= chunks[chunk].capacity {
                    let p = chunks[chunk].pointer + used
                    used += n
                    if zeroed { p.initialize(repeating: 0, count: count) }
                    return p
                }
                chunk += 1
                used = 0
            } else {
                let cap = max(n, minimumChunk, capacity)
                let raw = UnsafeMutableRawPointer.allocate(byteCount: cap * 4, alignment: 64)
                chunks.append((raw.bindMemory(to: Float.self, capacity: cap), cap))
            }
        }
    }

    func reset() {
        if chunks.count > 1 {
            let total = capacity
            for c in chunks { UnsafeMutableRawPointer(c.pointer).deallocate() }
            let raw = UnsafeMutableRawPointer.allocate(byteCount: total * 4, alignment: 64)
            chunks = [(raw.bindMemory(to: Float.self, capacity: total), total)]
        }
        chunk = 0
        used = 0
    }

    deinit { for c in chunks { UnsafeMutableRawPointer(c.pointer).deallocate() } }
}

/// Records a forward pass so that `backward` can run it in reverse.
///
/// Usage per training step: run the forward pass on tensors of this tape (`tape.constant`,
/// `tape.watch`, or any op whose inputs come from it), call `backward`, step the optimiser, then
/// `reset()` — which invalidates every tensor produced on the tape and recycles their memory.
///
/// Each op appends one closure (its backward) when any input requires a gradient; `backward` runs
/// them newest first, so the recording order is a valid topological order.
public final class Tape {
    let arena = Arena()
    private var nodes: [() -> Void] = []
    /// Incremented by every backward pass; gradients of tape tensors from older passes are stale.
    private(set) var pass = 0
    /// When false, ops compute values only (inference): nothing is recorded, results need no gradient.
    public var recording: Bool

    public init(recording: Bool = true) { self.recording = recording }

    /// Number of recorded backward closures (for tests and diagnostics).
    public var nodeCount: Int { nodes.count }

    /// Recycles all tensor memory and forgets the recorded ops. Tensors from this tape become invalid.
    public func reset() {
        nodes.removeAll(keepingCapacity: true)
        arena.reset()
        pass += 1
    }

    /// Runs `body` without recording (no-grad mode).
    public func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
        let was = recording
        recording = false
        defer { recording = was }
        return try body()
    }

    // MARK: Creating tensors on the tape

    /// A constant (no gradient) on the tape holding `values`.
    public func constant(shape: [Int], values: [Float]) -> Tensor {
        let n = elementCount(shape)
        precondition(values.count == n, "constant: \(values.count) values for shape \(shape)")
        let p = arena.allocate(n, zeroed: false)
        copyValues(values, to: p)
        return Tensor(shape: shape, data: p, requiresGrad: false, tape: self)
    }

    /// A constant copied from raw memory.
    public func constant(shape: [Int], copying source: UnsafePointer<Float>) -> Tensor {
        let n = elementCount(shape)
        let p = arena.allocate(n, zeroed: false)
        p.update(from: source, count: n)
        return Tensor(shape: shape, data: p, requiresGrad: false, tape: self)
    }

    /// A constant filled with `value`.
    public func full(_ shape: [Int], _ value: Float) -> Tensor {
        let n = elementCount(shape)
        let p = arena.allocate(n, zeroed: value == 0)
        if value != 0 { p.initialize(repeating: value, count: n) }
        return Tensor(shape: shape, data: p, requiresGrad: false, tape: self)
    }

    public func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }

    /// A constant whose memory is not initialised: for inputs the caller fills completely
    /// (saves the zeroing pass of `zeros`).
    public func uninitialized(_ shape: [Int]) -> Tensor { result(shape, requiresGrad: false) }

    /// A constant of i.i.d. standard normal draws from `rng` (e.g. the ε of a reparameterised sample).
    public func randn(_ shape: [Int], rng: inout RNG) -> Tensor {
        let t = full(shape, 0)
        for i in 0..<t.count { t.data[i] = Float(rng.normal()) }
        return t
    }

    /// A constant of i.i.d. uniform [0, 1) draws from `rng`.
    public func rand(_ shape: [Int], rng: inout RNG) -> Tensor {
        let t = full(shape, 0)
        for i in 0..<t.count { t.data[i] = rng.uniformFloat() }
        return t
    }

    /// Brings a parameter (or any tensor) onto this tape as a zero-copy view whose gradient flows
    /// into the original. Needed only for ops whose inputs are all parameters (e.g. a learned initial
    /// state); layers do it implicitly through their input's tape.
    public func watch(_ t: Tensor) -> Tensor { t.view(shape: t.shape, offset: 0, on: self) }

    // MARK: Op plumbing

    /// Uninitialised result memory on this tape.
    func result(_ shape: [Int], requiresGrad: Bool) -> Tensor {
        let p = arena.allocate(elementCount(shape), zeroed: false)
        return Tensor(shape: shape, data: p, requiresGrad: requiresGrad, tape: self)
    }

    /// Scratch memory valid until `reset()` (e.g. im2col buffers kept for the backward pass).
    func scratch(_ count: Int, zeroed: Bool = false) -> UnsafeMutablePointer<Float> {
        arena.allocate(count, zeroed: zeroed)
    }

    func record(_ backward: @escaping () -> Void) { nodes.append(backward) }

    // MARK: Backward

    /// Reverse pass from several outputs with given upstream gradients (each `count` floats, same
    /// layout as the output). Parameter gradients accumulate; tape tensors' gradients are replaced.
    public func backward(_ seeds: [(Tensor, [Float])]) {
        pass += 1
        for (t, g) in seeds {
            precondition(t.tape === self || t.tape == nil, "backward: seed tensor from another tape")
            precondition(g.count == t.count, "backward: gradient of \(g.count) values for shape \(t.shape)")
            guard t.requiresGrad else { continue }
            let d = t.gradBuffer()
            for i in 0..<t.count { d[i] += g[i] }
        }
        for node in nodes.reversed() { node() }
    }

    /// Reverse pass from several outputs; a scalar seed is broadcast (e.g. `(loss, 1)`).
    public func backward(_ seeds: [(Tensor, Float)]) {
        backward(seeds.map { ($0.0, [Float](repeating: $0.1, count: $0.0.count)) })
    }
}

extension Tensor {
    /// Backward from this scalar (seed 1) through its tape.
    public func backward() {
        precondition(count == 1, "backward(): tensor of shape \(shape) is not a scalar; use tape.backward with seeds")
        guard let tape else { preconditionFailure("backward(): tensor is not on a tape") }
        tape.backward([(self, Float(1))])
    }
}

/// The tape an op records on: the first input's tape. Ops on parameters only need `tape.watch`.
@inline(__always) func tapeOf(_ a: Tensor, _ b: Tensor? = nil, _ c: Tensor? = nil, op: StaticString) -> Tape {
    if let t = a.tape { return t }
    if let t = b?.tape { return t }
    if let t = c?.tape { return t }
    preconditionFailure("\(op): no input is on a tape; create inputs with tape.constant or tape.watch(parameter)")
}

/// Whether a result needs a gradient (and its op a backward closure).
@inline(__always) func needsGrad(_ tape: Tape, _ a: Tensor, _ b: Tensor? = nil, _ c: Tensor? = nil) -> Bool {
    tape.recording && (a.requiresGrad || (b?.requiresGrad ?? false) || (c?.requiresGrad ?? false))
}
