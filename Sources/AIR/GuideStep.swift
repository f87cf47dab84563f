import Engine

/// One recurrent step of the guide, in two halves around the choice of where to look:
/// `read` (the whole input → LSTM → presence and where), then `look` (a glimpse there → what).
/// Training and inference both run these; they differ only in where the glimpse goes and in
/// what is fed back.
extension GuideNetwork {
    /// Column layout of `look`'s output.
    enum What {
        static let shape = 0..<5
        static let colorMean = 5..<8
        static let colorLogStd = 8..<11
        static let yaw = 11..<21
        static let refineMean = 21..<23
        static let refineLogStd = 23..<25
    }

    /// Scale of the position refinement's output in scene units.
    static let refineScale: Double = 0.25

    struct Read {
        var state: (h: Tensor, c: Tensor)
        var presLogit: Tensor      // [B]
        var whereMean: Tensor      // [B, 2], normalised table units
        var whereLogStd: Tensor    // [B, 2]
        var features: Tensor       // [B, encoderFeatures], the encoder's reading of the input
    }

    /// input: [B, H, W, 6] (observed − table colour, observed − rendering so far);
    /// previous: [B, LatentCode.size], the code of the object found at the previous step.
    func read(_ input: Tensor, previous: Tensor, state: (h: Tensor, c: Tensor)) -> Read {
        let e = encoder(avgPool2d(input, kernel: 2))
        let s = lstm(concat([e, previous], axis: 1), state)
        let pw = presWhere(s.h)
        let b = input.shape[0]
        return Read(state: s,
                    presLogit: slice(pw, axis: 1, 0..<1).reshaped([b]),
                    whereMean: slice(pw, axis: 1, 1..<3),
                    whereLogStd: clamp(slice(pw, axis: 1, 3..<5), min: -6, max: 2),
                    features: e)
    }

    /// The what-outputs [B, 25] from a glimpse of `input` through θ [B, 2, 3] and the state h.
    func look(_ input: Tensor, theta: Tensor, h: Tensor) -> Tensor {
        let g = glimpse(input, theta: theta, height: config.glimpseSize, width: config.glimpseSize)
        return what(concat([glimpseEncoder(g), h], axis: 1))
    }
}

/// Builds a step's 6-channel input [B, H, W, 6] on `tape` from the observed images and the
/// renderings of the objects found so far (both [B·H·W·3], values in [0, 1]).
func stepInput(observed: [Float], rendered: [Float], table: SIMD3<Float>, batch: Int, height: Int, width: Int, tape: Tape) -> Tensor {
    let pixels = batch * height * width
    let t = tape.zeros([batch, height, width, 6])
    let d = t.data
    observed.withUnsafeBufferPointer { o in
        rendered.withUnsafeBufferPointer { r in
            for p in 0..<pixels {
                for c in 0..<3 {
                    let v = o[p * 3 + c]
                    d[p * 6 + c] = v - table[c]
                    d[p * 6 + 3 + c] = v - r[p * 3 + c]
                }
            }
        }
    }
    return t
}
