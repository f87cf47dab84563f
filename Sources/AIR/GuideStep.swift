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
        recur(features: encoder(half), previous: previous, state: state)
    }

    /// The same from the encoder's features [B, encoderFeatures] of the input.
    func recur(features e: Tensor, previous: Tensor, state: (h: Tensor, c: Tensor)) -> Read {
        let s = lstm(concat([e, previous], axis: 1), state)
        let pw = presWhere(s.h)
        let b = e.shape[0]
        return Read(state: s,
                    presLogit: slice(pw, axis: 1, 0..<1).reshaped([b]),
                    whereMean: slice(pw, axis: 1, 1..<3),
                    whereLogStd: clamp(slice(pw, axis: 1, 3..<5), min: -6, max: 2),
                    features: e)
    }

    /// The what-outputs [B, `WhatHeads.Layout.width`] from a glimpse of `input` through θ [B, 2, 3] and the state h.
    func look(_ input: StepInput, theta: Tensor, h: Tensor) -> Tensor {
        look(glimpse: input.glimpses(theta: theta, size: config.glimpseSize), h: h)
    }

    /// The same from the glimpses [B, G, G, 6] themselves.
    func look(glimpse g: Tensor, h: Tensor) -> Tensor {
        what(concat([glimpseEncoder(g), h], axis: 1))
    }
}

/// A step's input: the 6-channel image (observed − table colour, observed − rendering) at half
/// resolution on the tape, which the encoder reads, and what its full-resolution version is made
/// of, which the glimpses read only where they look (`glimpseInput`). The input needs no
/// gradient, so neither is an op.
struct StepInput {
    var half: Tensor   // [B, H/2, W/2, 6]
    let observed: [Float], rendered: [Float], renderedOffset: Int, rows: [Int], table: SIMD3<Float>, height: Int, width: Int
    let tape: Tape

    /// The glimpses [B, size, size, 6] through θ [B, 2, 3].
    func glimpses(theta: Tensor, size: Int) -> Tensor {
        glimpseInput(observed: observed, rendered: rendered, renderedOffset: renderedOffset, rows: rows, table: table,
                     height: height, width: width, theta: theta, size: size, tape: tape)
    }
}

/// Builds the input of the images `rows` (all when nil) from the observed images and the
/// renderings of the objects found so far (both [N·H·W·3], values in [0, 1]). Channels:
/// observed − table colour, observed − rendering.
func stepInput(observed: [Float], rendered: [Float], renderedOffset: Int = 0, rows: [Int]? = nil, table: SIMD3<Float>,
               batch: Int, height: Int, width: Int, tape: Tape) -> StepInput {
    let rows = rows ?? Array(0..<batch)
    return StepInput(half: halfInput(observed: observed, rendered: rendered, renderedOffset: renderedOffset, rows: rows, table: table,
                                     height: height, width: width, tape: tape),
                     observed: observed, rendered: rendered, renderedOffset: renderedOffset, rows: rows, table: table, height: height, width: width, tape: tape)
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

/// Glimpses [rows.count, size, size, 6] of the full-resolution step input through θ [rows, 2, 3]:
/// equal bit for bit to `glimpse` of the whole 6-channel image, but each channel value is made
/// only at the taps a glimpse reads (a glimpse covers a few percent of a 128×128 image).
func glimpseInput(observed: [Float], rendered: [Float], renderedOffset: Int = 0, rows: [Int], table: SIMD3<Float>,
                  height: Int, width: Int, theta: Tensor, size: Int, tape: Tape) -> Tensor {
    precondition(theta.shape[0] == rows.count, "glimpseInput: θ \(theta.shape) for \(rows.count) rows")
    let grid = affineGrid(theta, height: size, width: size)
    let out = tape.uninitialized([rows.count, size, size, 6])
    let plane = height * width
    let t = [table.x, table.y, table.z]
    observed.withUnsafeBufferPointer { o in
        rendered.withUnsafeBufferPointer { r in
            var g = UnsafePointer(grid.data), d = out.data
            for row in rows {
                let src = o.baseAddress! + row * plane * 3, ren = r.baseAddress! + renderedOffset + row * plane * 3
                /// Channel c of the input at pixel p.
                @inline(__always) func value(_ p: Int, _ c: Int) -> Float {
                    c < 3 ? src[3 * p + c] - t[c] : src[3 * p + c - 3] - ren[3 * p + c - 3]
                }
                for _ in 0..<(size * size) {
                    let taps = BilinearTaps(x: g[0], y: g[1], width: width, height: height)
                    let (w00, w01, w10, w11) = taps.weights
                    if taps.inside {
                        for c in 0..<6 {
                            d[c] = w00 * value(taps.p00, c) + w01 * value(taps.p01, c)
                                + w10 * value(taps.p10, c) + w11 * value(taps.p11, c)
                        }
                    } else {
                        for c in 0..<6 { d[c] = 0 }
                        if taps.p00 >= 0 { for c in 0..<6 { d[c] += w00 * value(taps.p00, c) } }
                        if taps.p01 >= 0 { for c in 0..<6 { d[c] += w01 * value(taps.p01, c) } }
                        if taps.p10 >= 0 { for c in 0..<6 { d[c] += w10 * value(taps.p10, c) } }
                        if taps.p11 >= 0 { for c in 0..<6 { d[c] += w11 * value(taps.p11, c) } }
                    }
                    g += 2; d += 6
                }
            }
        }
    }
    return out
}

/// The 2×2 average of the full input, [rows.count, H/2, W/2, 6], read straight from the images
/// (so that nothing builds the full input). Each tap's difference is rounded as in the full
/// input, and summed in the same order, so it equals averaging the full input bit for bit.
func halfInput(observed: [Float], rendered: [Float], renderedOffset: Int = 0, rows: [Int], table: SIMD3<Float>,
               height: Int, width: Int, tape: Tape) -> Tensor {
    let plane = height * width, h2 = height / 2, w2 = width / 2
    let half = tape.uninitialized([rows.count, h2, w2, 6])
    observed.withUnsafeBufferPointer { o in
        rendered.withUnsafeBufferPointer { r in
            for (k, row) in rows.enumerated() {
                writeHalfInput(observed: o.baseAddress! + row * plane * 3, rendered: r.baseAddress! + renderedOffset + row * plane * 3,
                               table: table, width: width, rows: 0..<h2, into: half.data + k * h2 * w2 * 6)
            }
        }
    }
    return half
}

/// Half-resolution rows `rows` of one image's input, into `out` (the image's [H/2, W/2, 6] block).
/// Inference rewrites only the rows a new object changed.
func writeHalfInput(observed src: UnsafePointer<Float>, rendered ren: UnsafePointer<Float>, table: SIMD3<Float>,
                    width: Int, rows: Range<Int>, into block: UnsafeMutablePointer<Float>) {
    let w2 = width / 2
    for y in rows {
        var out = block + y * w2 * 6
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
