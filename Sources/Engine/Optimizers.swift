#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import OptimizerKernels

/// Learning-rate multiplier as a function of the step number (1-based, counted by the optimiser).
public struct Schedule {
    public let factor: (Int) -> Float

    public init(_ factor: @escaping (Int) -> Float) { self.factor = factor }

    public static let constant = Schedule { _ in 1 }

    /// Multiplies by `factor` every `every` steps.
    public static func stepDecay(every: Int, factor: Float) -> Schedule {
        Schedule { step in powf(factor, Float((step - 1) / every)) }
    }

    /// Linear warm-up over `warmup` steps, then cosine decay to `floor` at step `total`.
    public static func warmupCosine(warmup: Int, total: Int, floor: Float = 0) -> Schedule {
        Schedule { step in
            if step <= warmup { return Float(step) / Float(max(warmup, 1)) }
            let t = min(Float(step - warmup) / Float(max(total - warmup, 1)), 1)
            return floor + (1 - floor) * 0.5 * (1 + cosf(Float.pi * t))
        }
    }
}

/// Named parameters sharing a learning rate (e.g. the guide and the baseline network).
public struct ParameterGroup {
    public var parameters: [(name: String, tensor: Tensor)]
    public var learningRate: Float

    public init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Float) {
        self.parameters = parameters
        self.learningRate = learningRate
    }

    /// All parameters of `module`, named with an optional prefix ("baseline.layers.0.weight").
    public init(_ module: Module, prefix: String = "", learningRate: Float) {
        self.init(module.namedParameters().map { (prefix.isEmpty ? $0.name : prefix + "." + $0.name, $0.tensor) },
                  learningRate: learningRate)
    }
}

/// Σ x[i]² over `range`, in Float64. Eight partial sums (lane j takes the elements i ≡ j mod 8,
/// added in order; the lanes are added pairwise at the end) instead of one: a single running
/// sum waits on every addition, and over a model's millions of gradients that wait was 4 % of
/// a training step. Deterministic: the same order for the same range.
public func sumOfSquares(_ x: UnsafePointer<Float>, _ range: Range<Int>) -> Double {
    var lo = SIMD4<Double>(repeating: 0), hi = SIMD4<Double>(repeating: 0)
    var i = range.lowerBound
    while i + 8 <= range.upperBound {
        let v = load8(x, i)
        let a = SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]))
        let b = SIMD4<Double>(Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
        lo += a * a
        hi += b * b
        i += 8
    }
    var tail = 0.0
    while i < range.upperBound { tail += Double(x[i]) * Double(x[i]); i += 1 }
    let s = lo + hi
    return ((s[0] + s[1]) + (s[2] + s[3])) + tail
}

/// g[i] *= s over `range`.
public func scaleInPlace(_ g: UnsafeMutablePointer<Float>, _ range: Range<Int>, by s: Float) {
    var i = range.lowerBound
    let s8 = SIMD8<Float>(repeating: s)
    while i + 8 <= range.upperBound { store8(load8(g, i) * s8, g, i); i += 8 }
    while i < range.upperBound { g[i] *= s; i += 1 }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total = 0.0
    for p in parameters {
        guard let g = p.currentGrad else { continue }
        total += sumOfSquares(g, 0..<p.count)
    }
    let norm = Float(total.squareRoot())
    if norm > maxNorm && norm > 0 {
        let s = maxNorm / norm
        for p in parameters {
            guard let g = p.currentGrad else { continue }
            scaleInPlace(g, 0..<p.count, by: s)
        }
    }
    return norm
}

/// Common optimiser surface: parameter groups, a step counter, a schedule, and named state
/// buffers (saved by checkpoints so that training resumes bit-exactly).
public protocol Optimizer: AnyObject {
    var groups: [ParameterGroup] { get set }
    /// Steps taken so far.
    var stepCount: Int { get set }
    var schedule: Schedule { get set }
    /// Applies one update from the accumulated gradients, then zeroes them.
    func step()
    /// Internal state by name (e.g. "adam.m.encoder.weight"), for checkpoints.
    var state: [String: [Float]] { get set }
}

extension Optimizer {
    public var allParameters: [Tensor] { groups.flatMap { $0.parameters.map(\.tensor) } }

    /// Global-norm clipping over every parameter of every group; returns the norm before clipping.
    @discardableResult
    public func clipGradNorm(_ maxNorm: Float) -> Float { clipGradientNorm(allParameters, maxNorm: maxNorm) }

    public func zeroGrad() { for p in allParameters { p.zeroGrad() } }

    /// The learning rate of group `i` at the next step.
    public func currentLearningRate(group i: Int) -> Float { groups[i].learningRate * schedule.factor(stepCount + 1) }
}

/// Adam (Kingma & Ba) with bias correction and optional decoupled weight decay (AdamW).
public final class Adam: Optimizer {
    public var groups: [ParameterGroup]
    public var stepCount = 0
    public var schedule: Schedule
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public var state: [String: [Float]] = [:]

    public init(_ groups: [ParameterGroup], beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, schedule: Schedule = .constant) {
        self.groups = groups
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        self.schedule = schedule
        for g in groups {
            for (name, p) in g.parameters {
                precondition(state["m." + name] == nil, "Adam: parameter name \(name) appears twice")
                state["m." + name] = [Float](repeating: 0, count: p.count)
                state["v." + name] = [Float](repeating: 0, count: p.count)
            }
        }
    }

    /// One group for a whole module.
    public convenience init(_ module: Module, learningRate: Float, schedule: Schedule = .constant) {
        self.init([ParameterGroup(module, learningRate: learningRate)], schedule: schedule)
    }

    public func step() { step(only: nil) }

    /// A step that updates (values and moments) only the elements `ranges[k]` of the k-th
    /// parameter (`allParameters` order), and zeroes every gradient: the share of a data-parallel
    /// rank that updates one chunk of the parameters. Nil: every element, `step()`.
    public func step(only ranges: [Range<Int>]?) {
        precondition(ranges == nil || ranges!.count == allParameters.count, "Adam.step: one range per parameter")
        stepCount += 1
        let f = schedule.factor(stepCount)
        let c1 = 1 - powf(beta1, Float(stepCount)), c2 = 1 - powf(beta2, Float(stepCount))
        var k = -1
        for g in groups {
            let lr = g.learningRate * f
            for (name, p) in g.parameters {
                k += 1
                guard let grad = p.currentGrad else { continue }
                let elements = ranges?[k] ?? 0..<p.count
                let b1 = beta1, b2 = beta2, eps = epsilon, decay = weightDecay * lr
                let x = p.data
                // Moved out of the dictionary while updated (no copy, no overlapping access).
                var mBuf = state.removeValue(forKey: "m." + name)!, vBuf = state.removeValue(forKey: "v." + name)!
                mBuf.withUnsafeMutableBufferPointer { mb in
                    vBuf.withUnsafeMutableBufferPointer { vb in
                        let lo = elements.lowerBound
                        air_adam_update(x + lo, mb.baseAddress! + lo, vb.baseAddress! + lo, grad + lo, elements.count,
                                        b1, b2, 1 - b1, 1 - b2, c1, c2, eps, lr, decay)
                    }
                }
                state["m." + name] = mBuf
                state["v." + name] = vBuf
                p.zeroGrad()
            }
        }
    }
}

/// Stochastic gradient descent with optional (heavy-ball) momentum.
public final class SGD: Optimizer {
    public var groups: [ParameterGroup]
    public var stepCount = 0
    public var schedule: Schedule
    public let momentum: Float
    public var state: [String: [Float]] = [:]

    public init(_ groups: [ParameterGroup], momentum: Float = 0, schedule: Schedule = .constant) {
        self.groups = groups
        self.momentum = momentum
        self.schedule = schedule
        if momentum != 0 {
            for g in groups { for (name, p) in g.parameters { state["momentum." + name] = [Float](repeating: 0, count: p.count) } }
        }
    }

    public convenience init(_ module: Module, learningRate: Float, momentum: Float = 0) {
        self.init([ParameterGroup(module, learningRate: learningRate)], momentum: momentum)
    }

    public func step() {
        stepCount += 1
        let f = schedule.factor(stepCount)
        for g in groups {
            let lr = g.learningRate * f
            for (name, p) in g.parameters {
                guard let grad = p.currentGrad else { continue }
                let x = p.data
                if momentum == 0 {
                    for i in 0..<p.count { x[i] -= lr * grad[i] }
                } else {
                    let mu = momentum
                    state["momentum." + name]!.withUnsafeMutableBufferPointer { buf in
                        for i in 0..<p.count {
                            buf[i] = mu * buf[i] + grad[i]
                            x[i] -= lr * buf[i]
                        }
                    }
                }
                p.zeroGrad()
            }
        }
    }
}
