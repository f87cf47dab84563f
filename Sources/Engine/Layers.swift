import Random

/// Uniform bound giving variance gain² / fanIn.
@inline(__always) func initBound(fanIn: Int, gain: Float) -> Float { gain * (3 / Float(fanIn)).squareRoot() }

/// y = x · weightᵀ + bias, weight [out, in] (PyTorch layout), bias [out].
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?

    /// Weights uniform with variance gain² / in (gain 1: LeCun; √2 suits ReLU); bias zero.
    public init(_ inputs: Int, _ outputs: Int, bias: Bool = true, gain: Float = 1, rng: inout RNG) {
        weight = .uniformParameter(shape: [outputs, inputs], bound: initBound(fanIn: inputs, gain: gain), rng: &rng)
        self.bias = bias ? .constantParameter(shape: [outputs], value: 0) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight, bias) }
}

/// A stack of Linear layers with an activation between them (none after the last).
public final class MLP: Module {
    public let layers: [Linear]
    public let activation: (Tensor) -> Tensor

    /// `sizes` = [in, hidden..., out].
    public init(_ sizes: [Int], activation: @escaping (Tensor) -> Tensor = relu, gain: Float = 1.4142135, rng: inout RNG) {
        precondition(sizes.count >= 2, "MLP: needs at least input and output sizes")
        var ls: [Linear] = []
        for i in 0..<(sizes.count - 1) {
            ls.append(Linear(sizes[i], sizes[i + 1], gain: i == sizes.count - 2 ? 1 : gain, rng: &rng))
        }
        layers = ls
        self.activation = activation
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (i, l) in layers.enumerated() {
            h = l(h)
            if i < layers.count - 1 { h = activation(h) }
        }
        return h
    }
}

/// 2-D convolution on NHWC images: weight [out, kh, kw, in] (OHWI), bias [out].
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, gain: Float = 1.4142135, rng: inout RNG) {
        let fanIn = kernel * kernel * inChannels
        weight = .uniformParameter(shape: [outChannels, kernel, kernel, inChannels],
                                   bound: initBound(fanIn: fanIn, gain: gain), rng: &rng)
        self.bias = bias ? .constantParameter(shape: [outChannels], value: 0) : nil
        self.stride = stride
        self.padding = padding
    }

    /// With `relu`, max(0, ·) fused into the convolution.
    public func callAsFunction(_ x: Tensor, relu: Bool = false) -> Tensor {
        conv2d(x, weight, bias, stride: stride, padding: padding, relu: relu)
    }
}

/// LSTM cell with fused gates: one GEMM of [x, h] by weight [4·hidden, in + hidden] per step.
/// Gate order in the weight's rows: input, forget, cell candidate, output.
public final class LSTMCell: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let inputSize: Int
    public let hiddenSize: Int

    /// Weights uniform ±1/√hidden (as is customary); forget-gate bias 1 so memory is kept early on.
    public init(_ inputSize: Int, _ hiddenSize: Int, rng: inout RNG) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        weight = .uniformParameter(shape: [4 * hiddenSize, inputSize + hiddenSize],
                                   bound: 1 / Float(hiddenSize).squareRoot(), rng: &rng)
        var b = [Float](repeating: 0, count: 4 * hiddenSize)
        for i in hiddenSize..<(2 * hiddenSize) { b[i] = 1 }
        bias = .parameter(shape: [4 * hiddenSize], values: b)
    }

    /// Zero state (h, c) for a batch, on `tape`.
    public func zeroState(batch: Int, on tape: Tape) -> (h: Tensor, c: Tensor) {
        (tape.zeros([batch, hiddenSize]), tape.zeros([batch, hiddenSize]))
    }

    /// One step: x [B, in], state (h, c) each [B, hidden] → new (h, c).
    public func callAsFunction(_ x: Tensor, _ state: (h: Tensor, c: Tensor)) -> (h: Tensor, c: Tensor) {
        precondition(x.rank == 2 && x.shape[1] == inputSize, "LSTMCell: input \(x.shape), expected [B, \(inputSize)]")
        let z = linear(concat([x, state.h], axis: 1), weight, bias)
        return lstmGates(z, state.c)
    }
}
