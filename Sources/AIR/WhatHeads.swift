import Engine
import Scenes

/// A glimpse's reading of one object, decoded into the guide's distributions (the heads decode
/// themselves, as in Pyro's AIR). The layout of `GuideNetwork.look`'s output lives here alone,
/// sized from `Shape.allCases`.
struct WhatHeads {
    static let shapeCount = Shape.allCases.count

    /// Columns of `look`'s output.
    enum Layout {
        static let shape = 0..<shapeCount
        static let colorMean = shape.upperBound..<(shape.upperBound + 3)
        static let colorLogStd = colorMean.upperBound..<(colorMean.upperBound + 3)
        /// One yaw point (2 values) per shape class.
        static let yaw = colorLogStd.upperBound..<(colorLogStd.upperBound + 2 * shapeCount)
        static let refineMean = yaw.upperBound..<(yaw.upperBound + 2)
        static let refineLogStd = refineMean.upperBound..<(refineMean.upperBound + 2)
        static let width = refineLogStd.upperBound
    }

    /// q(shape): over `Shape.allCases`.
    let shape: Categorical
    /// q(albedo): per channel, the mean in (0, 1).
    let color: Normal
    /// q(position refinement), in units of `GuideNetwork.refineScale`, around the glimpse's centre.
    let refine: Normal
    /// The yaw point of every shape class, [B, 2 · shapes]: the yaw is read for the chosen shape.
    let yawPoints: Tensor

    init(_ out: Tensor) {
        shape = Categorical(logits: slice(out, axis: 1, Layout.shape))
        color = Normal(mean: sigmoid(slice(out, axis: 1, Layout.colorMean)),
                       logStd: clamp(slice(out, axis: 1, Layout.colorLogStd), min: -6, max: 1))
        refine = Normal(mean: slice(out, axis: 1, Layout.refineMean),
                        logStd: clamp(slice(out, axis: 1, Layout.refineLogStd), min: -6, max: 2))
        yawPoints = slice(out, axis: 1, Layout.yaw)
    }

    /// 1 on the two yaw columns of each row's shape (rows with nil: none), [B · 2 · shapes].
    static func yawMask(_ shapes: [Int?]) -> [Float] {
        let w = Layout.yaw.count
        var mask = [Float](repeating: 0, count: shapes.count * w)
        for (k, s) in shapes.enumerated() { if let s { mask[w * k + 2 * s] = 1; mask[w * k + 2 * s + 1] = 1 } }
        return mask
    }

    /// The yaw point of each row's shape, [B, 2].
    func yawPoint(of shapes: [Int], tape: Tape) -> Tensor {
        let b = shapes.count
        return sum(maskedMultiply(yawPoints, tape.constant(shape: [b, Layout.yaw.count], values: WhatHeads.yawMask(shapes)))
            .reshaped([b, WhatHeads.shapeCount, 2]), axes: [1])
    }
}
