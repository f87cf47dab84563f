import Engine

/// One recurrent step of the guide, in two halves around the choice of where to look:
/// `read` (the whole input → LSTM → presence and where), then `look` (a glimpse there → what).
/// Training and inference both run these; they differ only in where the glimpse goes and in
/// what is fed back.
extension GuideNetwork {
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
        read(half: input.half, previous: previous, state: state)
    }

    /// The same from the half-resolution input alone (all that the encoder reads).
    func read(half: Tensor, previous: Tensor, state: (h: Tensor, c: Tensor)) -> Read {
        let e = encoder(half)
        let s = lstm(concat([e, previous], axis: 1), state)
        let pw = presWhere(s.h)
        let b = half.shape[0]
        return Read(state: s,
                    presLogit: slice(pw, axis: 1, 0..<1).reshaped([b]),
                    whereMean: slice(pw, axis: 1, 1..<3),
                    whereLogStd: clamp(slice(pw, axis: 1, 3..<5), min: -6, max: 2),
                    features: e)
    }

    /// The what-outputs [B, `WhatHeads.Layout.width`] from a glimpse of `input` through θ [B, 2, 3] and the state h.
    func look(_ input: StepInput, theta: Tensor, h: Tensor) -> Tensor {
        look(full: input.full, theta: theta, h: h)
    }

    /// The same from the full-resolution input alone: inference builds it only for the rows that
    /// take a glimpse (the encoder after the glimpse costs far more than the glimpse).
    func look(full: Tensor, theta: Tensor, h: Tensor) -> Tensor {
        let g = glimpse(full, theta: theta, height: config.glimpseSize, width: config.glimpseSize)
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
    return StepInput(full: fullInput(observed: observed, rendered: rendered, rows: rows, table: table,
                                     height: height, width: width, tape: tape),
                     half: halfInput(observed: observed, rendered: rendered, rows: rows, table: table,
                                     height: height, width: width, tape: tape))
}

/// Sets the first `pixels` RGB pixels of `buffer` to the table colour: the rendering of an
/// empty scene, what every step's difference input starts from.
func fillWithTable(_ buffer: inout [Float], pixels: Int, table: SIMD3<Float>) {
    precondition(buffer.count >= pixels * 3)
    buffer.withUnsafeMutableBufferPointer { r in
        var p = r.baseAddress!
        for _ in 0..<pixels { p[0] = table.x; p[1] = table.y; p[2] = table.z; p += 3 }
    }
}

/// The full-resolution part of a step's input, [rows.count, H, W, 6].
func fullInput(observed: [Float], rendered: [Float], rows: [Int], table: SIMD3<Float>,
               height: Int, width: Int, tape: Tape) -> Tensor {
    let plane = height * width
    let full = tape.uninitialized([rows.count, height, width, 6])
    let d = full.data
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
            }
        }
    }
    return full
}

/// The 2×2 average of the full input, [rows.count, H/2, W/2, 6], read straight from the images
/// (so that inference need not build the full input of rows that take no glimpse). Each tap's
/// difference is rounded as in the full input, and summed in the same order, so it equals
/// averaging `fullInput` bit for bit.
func halfInput(observed: [Float], rendered: [Float], rows: [Int], table: SIMD3<Float>,
               height: Int, width: Int, tape: Tape) -> Tensor {
    let plane = height * width, h2 = height / 2, w2 = width / 2
    let half = tape.uninitialized([rows.count, h2, w2, 6])
    let q = half.data
    observed.withUnsafeBufferPointer { o in
        rendered.withUnsafeBufferPointer { r in
            for (k, row) in rows.enumerated() {
                let src = o.baseAddress! + row * plane * 3, ren = r.baseAddress! + row * plane * 3
                var out = q + k * h2 * w2 * 6
                for y in 0..<h2 {
                    for x in 0..<w2 {
                        // Taps: pixels (2x, 2y), (2x + 1, 2y), (2x, 2y + 1), (2x + 1, 2y + 1).
                        let p0 = ((2 * y) * width + 2 * x) * 3, p1 = p0 + 3, p2 = p0 + width * 3, p3 = p2 + 3
                        for c in 0..<3 {
                            let a0 = src[p0 + c], a1 = src[p1 + c], b0 = src[p2 + c], b1 = src[p3 + c]
                            let tc = table[c]
                            out[c] = 0.25 * (((a0 - tc) + (a1 - tc)) + ((b0 - tc) + (b1 - tc)))
                            out[c + 3] = 0.25 * (((a0 - ren[p0 + c]) + (a1 - ren[p1 + c]))
                                                 + ((b0 - ren[p2 + c]) + (b1 - ren[p3 + c])))
                        }
                        out += 6
                    }
                }
            }
        }
    }
    return half
}
