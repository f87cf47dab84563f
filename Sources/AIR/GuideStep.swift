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

/// Sets `pixels` RGB pixels of `buffer` from pixel `first` on to the table colour: the
/// rendering of an empty scene, what every step's difference input starts from.
func fillWithTable(_ buffer: inout [Float], from first: Int = 0, pixels: Int, table: SIMD3<Float>) {
    precondition(first >= 0 && buffer.count >= (first + pixels) * 3)
    buffer.withUnsafeMutableBufferPointer { r in
        var p = r.baseAddress! + 3 * first
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
    observed.withUnsafeBufferPointer { o in
        rendered.withUnsafeBufferPointer { r in
            var g = UnsafePointer(grid.data), d = out.data
            var columns = [(first: Int, fraction: Float)](repeating: (0, 0), count: size)
            var lines = columns
            for (n, row) in rows.enumerated() {
                let src = o.baseAddress! + row * plane * 3, ren = r.baseAddress! + renderedOffset + row * plane * 3
                // An axis-aligned θ (every window the attention makes) gives a separable grid: each
                // column's x and each row's y, and so their taps, are the same all along it (the
                // other axis enters as a product with 0), and are worked out once.
                let t = theta.data + 6 * n
                let separable = t[1] == 0 && t[3] == 0
                if separable {
                    for j in 0..<size { columns[j] = BilinearTaps.axis(g[2 * j], size: width) }
                    for i in 0..<size { lines[i] = BilinearTaps.axis(g[2 * i * size + 1], size: height) }
                }
                for p in 0..<(size * size) {
                    let taps = separable ? BilinearTaps(x: columns[p % size], y: lines[p / size], width: width, height: height)
                        : BilinearTaps(x: g[0], y: g[1], width: width, height: height)
                    let (w00, w01, w10, w11) = taps.weights
                    if taps.inside {
                        // The common case, written out per tap and channel: the same sums in the
                        // same order as the edge case below.
                        let a = src + 3 * taps.p00, b = src + 3 * taps.p01, c = src + 3 * taps.p10, e = src + 3 * taps.p11
                        let ra = ren + 3 * taps.p00, rb = ren + 3 * taps.p01, rc = ren + 3 * taps.p10, re = ren + 3 * taps.p11
                        for ch in 0..<3 {
                            let t = table[ch]
                            d[ch] = w00 * (a[ch] - t) + w01 * (b[ch] - t) + w10 * (c[ch] - t) + w11 * (e[ch] - t)
                            d[ch + 3] = w00 * (a[ch] - ra[ch]) + w01 * (b[ch] - rb[ch]) + w10 * (c[ch] - rc[ch]) + w11 * (e[ch] - re[ch])
                        }
                    } else {
                        /// Channel c of the input at pixel p.
                        @inline(__always) func value(_ p: Int, _ c: Int) -> Float {
                            c < 3 ? src[3 * p + c] - table[c] : src[3 * p + c - 3] - ren[3 * p + c - 3]
                        }
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

/// Half-resolution rows `rows` of one image's input, into `out` (the image's [H/2, W/2, 6] block):
/// the pixels of `columns` (nil: all), and some around them where a vector spans them (written
/// with what they hold already, if their input did not change). Inference rewrites only the box
/// a new object changed.
func writeHalfInput(observed src: UnsafePointer<Float>, rendered ren: UnsafePointer<Float>, table: SIMD3<Float>,
                    width: Int, rows: Range<Int>, columns: Range<Int>? = nil, into block: UnsafeMutablePointer<Float>) {
    // Output float i of a row (pixel i / 6, channel i % 6) reads input floats i and i + 3 of
    // the row pair (channels 0–2: observed − table) or i − 3 and i (channels 3–5: observed −
    // rendering), so the output row lines up with the input rows float for float and eight
    // outputs are one vector sum; the pattern of channels repeats every 24 floats.
    let rowFloats = width * 3
    // Phase k of the pattern (floats 8k ..< 8k + 8 of every 24): its table values and which of
    // its lanes are rendering channels. Built lane by lane: this runs for every new object.
    func phase(_ k: Int) -> (table: SIMD8<Float>, rendered: SIMDMask<SIMD8<Int32>>) {
        var t = SIMD8<Float>(), m = SIMDMask<SIMD8<Int32>>()
        for l in 0..<8 { t[l] = table[(8 * k + l) % 3]; m[l] = (8 * k + l) % 6 >= 3 }
        return (t, m)
    }
    let phases = (phase(0), phase(1), phase(2))
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    for y in rows {
        let a = src + 2 * y * rowFloats, b = a + rowFloats, ra = ren + 2 * y * rowFloats, rb = ra + rowFloats
        let out = block + y * rowFloats
        /// Output float i, one at a time (the row's ends, where a vector would read outside it).
        @inline(__always) func one(_ i: Int) {
            if i % 6 < 3 {
                let t = table[i % 3]
                out[i] = 0.25 * (((a[i] - t) + (a[i + 3] - t)) + ((b[i] - t) + (b[i + 3] - t)))
            } else {
                out[i] = 0.25 * (((a[i - 3] - ra[i - 3]) + (a[i] - ra[i])) + ((b[i - 3] - rb[i - 3]) + (b[i] - rb[i])))
            }
        }
        let end = min(rowFloats, 6 * (columns?.upperBound ?? width / 2))
        var i = 6 * (columns?.lowerBound ?? 0)
        while i < end && (i < 8 || i % 8 != 0) { one(i); i += 1 }
        while i < end && i + 11 <= rowFloats {
            let k = (i / 8) % 3
            let (t, rendered) = k == 0 ? phases.0 : k == 1 ? phases.1 : phases.2
            let a0 = load(a + i), b0 = load(b + i)
            let observedPart = ((a0 - t) + (load(a + i + 3) - t)) + ((b0 - t) + (load(b + i + 3) - t))
            let renderedPart = ((load(a + i - 3) - load(ra + i - 3)) + (a0 - load(ra + i)))
                + ((load(b + i - 3) - load(rb + i - 3)) + (b0 - load(rb + i)))
            UnsafeMutableRawPointer(out + i).storeBytes(of: 0.25 * observedPart.replacing(with: renderedPart, where: rendered),
                                                        as: SIMD8<Float>.self)
            i += 8
        }
        while i < end { one(i); i += 1 }
    }
}
