import Engine

/// The encoder's convolution outputs for every image of a batch, kept from one inference step to
/// the next. A new object changes a band of rows of its image's step input (the difference
/// channels where it was drawn); only the outputs whose receptive field meets that band are
/// computed again, layer after layer, and the linear layer on top reads them all. At 128×128 the
/// encoder is about 60 % of a step's arithmetic and its convolutions two thirds of that; a block
/// changes a fifth to a third of the rows of each layer.
final class EncoderCache {
    let encoder: ConvEncoder
    /// Input size of each convolution, then the last one's output size.
    private let sizes: [(h: Int, w: Int, c: Int)]
    /// Each convolution's output, [batch, h, w, c] (NHWC), after its ReLU.
    private var outputs: [[Float]]
    /// Per image: the step-input rows and columns changed since its features were last computed
    /// (the bounding box of the changes).
    private var dirty: [(rows: Range<Int>, columns: Range<Int>)?] = []
    private var scratch: [Float] = []

    init(encoder: ConvEncoder, height: Int, width: Int, channels: Int) {
        self.encoder = encoder
        var s = [(h: height, w: width, c: channels)]
        for conv in encoder.convs { s.append((conv.outputSize(s.last!.h), conv.outputSize(s.last!.w), conv.outChannels)) }
        sizes = s
        outputs = Array(repeating: [], count: encoder.convs.count)
    }

    /// A new batch of `batch` images: every row of every image is new.
    func start(batch: Int) {
        for (l, size) in sizes.dropFirst().enumerated() where outputs[l].count < batch * size.h * size.w * size.c {
            outputs[l] = [Float](repeating: 0, count: batch * size.h * size.w * size.c)
        }
        dirty = Array(repeating: (0..<sizes[0].h, 0..<sizes[0].w), count: batch)
    }

    /// Rows `rows`, columns `columns` of image `image`'s step input have changed.
    func changed(_ image: Int, rows: Range<Int>, columns: Range<Int>) {
        guard !rows.isEmpty && !columns.isEmpty else { return }
        func union(_ a: Range<Int>, _ b: Range<Int>) -> Range<Int> { min(a.lowerBound, b.lowerBound)..<max(a.upperBound, b.upperBound) }
        if let d = dirty[image] {
            dirty[image] = (union(d.rows, rows), union(d.columns, columns))
        } else {
            dirty[image] = (rows, columns)
        }
    }

    /// The encoder's features [images.count, features] of `images`, whose step inputs are
    /// `input` ([batch, H, W, C]): equal to `encoder` of those inputs up to float rounding (the
    /// GEMMs group the rows differently).
    func features(input: UnsafePointer<Float>, images: [Int], tape: Tape) -> Tensor {
        var bands = images.compactMap { k in dirty[k].map { ConvBand(image: k, rows: $0.rows, columns: $0.columns) } }
        for k in images { dirty[k] = nil }
        for (l, conv) in encoder.convs.enumerated() {
            let inSize = sizes[l], out = sizes[l + 1]
            bands = bands.map {
                ConvBand(image: $0.image, rows: conv.outputRange(reading: $0.rows, size: out.h),
                         columns: conv.outputRange(reading: $0.columns!, size: out.w))
            }
            // Taken out of `outputs` while written, so that the layer below can be read meanwhile.
            var buffer = outputs[l]
            outputs[l] = []
            buffer.withUnsafeMutableBufferPointer { o in
                if l == 0 {
                    conv.forward(bands: bands, input: input, height: inSize.h, width: inSize.w, output: o.baseAddress!, relu: true, scratch: &scratch)
                } else {
                    outputs[l - 1].withUnsafeBufferPointer { below in
                        conv.forward(bands: bands, input: below.baseAddress!, height: inSize.h, width: inSize.w,
                                     output: o.baseAddress!, relu: true, scratch: &scratch)
                    }
                }
            }
            outputs[l] = buffer
        }
        let last = sizes.last!, flat = last.h * last.w * last.c
        let x = tape.uninitialized([images.count, flat])
        outputs[encoder.convs.count - 1].withUnsafeBufferPointer { o in
            for (j, k) in images.enumerated() { (x.data + j * flat).update(from: o.baseAddress! + k * flat, count: flat) }
        }
        return encoder.top(x)
    }
}
