// Convolution of chosen bands of output rows, off the tape: for inference that keeps a layer's
// output from one call to the next and computes again only the rows whose input changed.

/// Output rows `rows`, columns `columns` (nil: all) of image `image` of a batch.
public struct ConvBand: Equatable, Sendable {
    public var image: Int
    public var rows: Range<Int>
    public var columns: Range<Int>?
    public init(image: Int, rows: Range<Int>, columns: Range<Int>? = nil) { self.image = image; self.rows = rows; self.columns = columns }
}

extension Conv2d {
    public var kernel: Int { weight.shape[1] }
    public var outChannels: Int { weight.shape[0] }

    /// Output height (or width) for an input of `size` rows (columns).
    public func outputSize(_ size: Int) -> Int { (size + 2 * padding - kernel) / stride + 1 }

    /// The output rows (or columns) that read any of input rows (columns) `changed`, within the
    /// output's `size`.
    public func outputRange(reading changed: Range<Int>, size: Int) -> Range<Int> {
        // Output row y reads input rows y·s − p … y·s − p + k − 1.
        let first = changed.lowerBound + padding - kernel + 1
        let lo = min(size, first <= 0 ? 0 : (first + stride - 1) / stride)
        let hi = min(size, (changed.upperBound - 1 + padding) / stride + 1)
        return lo < hi ? lo..<hi : lo..<lo
    }

    /// Writes the outputs of `bands` into `output` ([images, OH, OW, O], NHWC, the layer's
    /// activation applied), reading `input` ([images, H, W, C]); other rows of `output` are left
    /// as they are. Each output is computed as `callAsFunction` computes it: its im2col row times
    /// the filters, plus the bias, through the ReLU. The bands of all images go through one GEMM
    /// per block of about 512 KB of im2col rows, so a batch of small bands still makes long GEMMs.
    public func forward(bands: [ConvBand], input: UnsafePointer<Float>, height: Int, width: Int,
                        output: UnsafeMutablePointer<Float>, relu: Bool, scratch: inout [Float]) {
        let images = (bands.map(\.image).max() ?? -1) + 1
        let g = ConvGeometry(batch: images, height: height, width: width, channels: weight.shape[3],
                             kernelH: kernel, kernelW: kernel, stride: stride, padding: padding,
                             outH: outputSize(height), outW: outputSize(width))
        let o = outChannels, plane = g.outH * g.outW, block = g.blockRows
        // Output pixels (flattened over the batch) of every band, cut into pieces of at most one block.
        var pieces: [Range<Int>] = []
        func add(_ start: Int, _ end: Int) {
            for s in Swift.stride(from: start, to: end, by: block) { pieces.append(s..<min(s + block, end)) }
        }
        for band in bands where !band.rows.isEmpty {
            let columns = band.columns ?? 0..<g.outW
            precondition(band.rows.lowerBound >= 0 && band.rows.upperBound <= g.outH && columns.lowerBound >= 0 && columns.upperBound <= g.outW,
                         "Conv2d.forward(bands:): rows \(band.rows), columns \(columns) of \(g.outH)×\(g.outW)")
            let first = band.image * plane + band.rows.lowerBound * g.outW
            if columns.count == g.outW {
                add(first, first + band.rows.count * g.outW)   // whole rows are one run of pixels
            } else if !columns.isEmpty {
                for y in 0..<band.rows.count { add(first + y * g.outW + columns.lowerBound, first + y * g.outW + columns.upperBound) }
            }
        }
        if ImplicitConv.chosen != 0 {
            let kernels = ImplicitConv(geometry: g, outChannels: o, isa: ImplicitConv.chosen)
            if kernels.takesForward {
                if scratch.count < kernels.forwardScratch { scratch = [Float](repeating: 0, count: kernels.forwardScratch) }
                scratch.withUnsafeMutableBufferPointer { buffer in
                    kernels.forward(x: input, weight: weight.data, bias: bias?.data, relu: relu, pieces: pieces, into: output,
                                    scratch: buffer.baseAddress!)
                }
                return
            }
        }
        let need = block * (g.patch + o)
        if scratch.count < need { scratch = [Float](repeating: 0, count: need) }
        scratch.withUnsafeMutableBufferPointer { buffer in
            let cols = buffer.baseAddress!, result = cols + block * g.patch
            var next = 0
            while next < pieces.count {
                // As many pieces as fill one block.
                var rows = 0, end = next
                while end < pieces.count && rows + pieces[end].count <= block { rows += pieces[end].count; end += 1 }
                var at = 0
                for piece in pieces[next..<end] {
                    g.im2col(piece, from: input, into: cols + at * g.patch)
                    at += piece.count
                }
                sgemm(false, true, rows, o, g.patch, 1, cols, weight.data, 0, result)
                addBiasAndActivate(result, bias: bias?.data, rows: rows, cols: o, relu: relu)
                at = 0
                for piece in pieces[next..<end] {
                    (output + piece.lowerBound * o).update(from: result + at * o, count: piece.count * o)
                    at += piece.count
                }
                next = end
            }
        }
    }
}
