/// The values of a list of parameters in one block of memory, end to end in order, and their
/// gradients in another, so that a collective sends the whole gradient and receives the whole
/// parameter vector in place (no gathering into a buffer and scattering back, megabytes a step).
/// Made once, before any forward pass: the parameters keep their identity, only their memory
/// moves (views and packed copies made earlier would point at the old memory).
public final class ParameterBlock {
    public let count: Int
    private let values: Storage
    private let grads: Storage
    private let parameters: [Tensor]

    public init(_ parameters: [Tensor]) {
        self.parameters = parameters
        count = parameters.reduce(0) { $0 + $1.count }
        values = Storage(count: count, zeroed: false)
        grads = Storage(count: count, zeroed: true)
        var offset = 0
        for p in parameters {
            p.rebind(values: values, at: offset, grads: grads)
            offset += p.count
        }
    }

    /// The values, end to end.
    public var valuePointer: UnsafeMutablePointer<Float> { values.pointer }

    /// The gradients, end to end, every one settled (a gradient cleared lazily by `zeroGrad` is
    /// zeroed now), so the block holds the current gradient of every parameter.
    public func gradientPointer() -> UnsafeMutablePointer<Float> {
        for p in parameters { _ = p.currentGrad }
        return grads.pointer
    }
}
