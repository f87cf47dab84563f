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

    /// input: the step's images (observed − table colour, observed − rendering so far);
    /// previous: [B, LatentCode.size], the code of the object found at the previous step.
    func read(_ input: StepInput, previous: Tensor, state: (h: Tensor, c: Tensor)) -> Read {
        let e = encoder(input.half)
        let s = lstm(concat([e, previous], axis: 1), state)
        let pw = presWhere(s.h)
        let b = input.full.shape[0]
        return Read(state: s,
                    presLogit: slice(pw, axis: 1, 0..<1).reshaped([b]),
                    whereMean: slice(pw, axis: 1, 1..<3),
                    whereLogStd: clamp(slice(pw, axis: 1, 3..<5), min: -6, max: 2),
                    features: e)
    }

    /// The what-outputs [B, 25] from a glimpse of `input` through θ [B, 2, 3] and the state h;
    /// with `rows`, only for those rows of the batch (the others' glimpses are dropped before
    /// the encoder, which costs far more than the glimpse).
    func look(_ input: StepInput, theta: Tensor, h: Tensor, rows: [Int]? = nil) -> Tensor {
        var g = glimpse(input.full, theta: theta, height: config.glimpseSize, width: config.glimpseSize)
        var h = h
        if let rows {
            g = gather(g, indices: rows, axis: 0)
            h = gather(h, indices: rows, axis: 0)
        }
        return what(concat([glimpseEncoder(g), h], axis: 1))
    }
}

/// A step's input on the tape: the full-resolution 6-channel image the glimpse reads, and its
/// 2×2 average the encoder reads (made here, not by a pooling op: the input needs no gradient).
struct StepInput {
    var full: Tensor   // [B, H, W, 6]
    var half: Tensor   // [B, H/2, W/2, 6]
}

/// Builds the input of the images `rows` (all when nil) from the observed images and the
/// renderings of the objects found so far (both [N·H·W·3], values in [0, 1]). Channels:
/// observed − table colour, observed − rendering.
func stepInput(observed: [Float], rendered: [Float], rows: [Int]? = nil, table: SIMD3<Float>,
               batch: Int, height: Int, width: Int, tape: Tape) -> StepInput {
    let rows = rows ?? Array(0..<batch)
    let b = rows.count, plane = height * width
    let full = tape.uninitialized([b, height, width, 6])
    let h2 = height / 2, w2 = width / 2
    let half = tape.uninitialized([b, h2, w2, 6])
    let d = full.data, q = half.data
    let t0 = table.x, t1 = table.y, t2 = table.z
    observed.withUnsafeBufferPointer { o in
        rendered.withUnsafeBufferPointer { r in
            for (k, row) in rows.enumerated() {
                var src = o.baseAddress! + row * plane * 3, ren = r.baseAddress! + row * plane * 3
                var dst = d + k * plane * 6
                for _ in 0..<plane {
                    let v0 = src[0], v1 = src[1], v2 = src[2]
                    dst[0] = v0 - t0; dst[1] = v1 - t1; dst[2] = v2 - t2
                    dst[3] = v0 - ren[0]; dst[4] = v1 - ren[1]; dst[5] = v2 - ren[2]
                    src += 3; ren += 3; dst += 6
                }
                let base = d + k * plane * 6, out = q + k * h2 * w2 * 6
                for y in 0..<h2 {
                    let a = base + (2 * y) * width * 6, bb = a + width * 6
                    let t = out + y * w2 * 6
                    for i in 0..<(w2 * 6) {
                        // Pixel x = i / 6, channel i % 6: taps at 12x + c and 12x + c + 6.
                        let j = (i / 6) * 12 + i % 6
                        t[i] = 0.25 * ((a[j] + a[j + 6]) + (bb[j] + bb[j + 6]))
                    }
                }
            }
        }
    }
    return StepInput(full: full, half: half)
}
