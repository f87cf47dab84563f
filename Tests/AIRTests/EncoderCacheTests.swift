@testable import AIR
@testable import Engine
import Random
import XCTest

/// `EncoderCache` against the encoder run whole, and `Conv2d`'s banded forward against the conv.
final class EncoderCacheTests: XCTestCase {
    /// The output rows `outputRange` names are exactly those whose receptive field meets the
    /// changed input rows (brute force over every kernel, stride, padding and range).
    func testOutputRangeIsTheReceptiveFieldsThatMeetTheChange() {
        var rng = RNG(seed: 1)
        for (k, s) in [(3, 2), (4, 2), (3, 1), (1, 1)] {
            let conv = Conv2d(2, 2, kernel: k, stride: s, padding: (k - 1) / 2, rng: &rng)
            let size = 13, out = conv.outputSize(size)
            for lo in 0..<size {
                for hi in (lo + 1)...size {
                    let reads = (0..<out).filter { y in (0..<k).contains { t in (lo..<hi).contains(y * s - conv.padding + t) } }
                    let r = conv.outputRange(reading: lo..<hi, size: out)
                    XCTAssertEqual(Array(r), reads, "kernel \(k) stride \(s) rows \(lo)..<\(hi)")
                }
            }
        }
    }

    /// `forward(bands:)` writes the conv's own outputs in the bands, bit for bit, and nothing elsewhere.
    func testBandedForwardIsTheConvInsideTheBandsOnly() {
        var rng = RNG(seed: 2)
        let conv = Conv2d(6, 16, kernel: 3, stride: 2, padding: 1, rng: &rng)
        let b = 3, h = 20, w = 16
        // One OpenBLAS thread, so that both paths take the implicit kernels where the CPU has them.
        let threads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(threads) }
        let implicit = ImplicitConv.chosen != 0
        let x = (0..<(b * h * w * 6)).map { _ in Float(rng.normal()) }
        let tape = Tape(recording: false)
        let full = conv(tape.constant(shape: [b, h, w, 6], values: x), relu: true).values
        let oh = conv.outputSize(h), ow = conv.outputSize(w), o = 16
        var out = [Float](repeating: .nan, count: b * oh * ow * o)
        var scratch: [Float] = []
        let bands = [ConvBand(image: 0, rows: 2..<5, columns: 1..<4), ConvBand(image: 2, rows: 0..<oh)]
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                conv.forward(bands: bands, input: xp.baseAddress!, height: h, width: w, output: op.baseAddress!, relu: true, scratch: &scratch)
            }
        }
        for img in 0..<b {
            for y in 0..<oh {
                for xo in 0..<ow {
                    let inside = bands.contains { $0.image == img && $0.rows.contains(y) && ($0.columns ?? 0..<ow).contains(xo) }
                    for c in 0..<o {
                        let i = ((img * oh + y) * ow + xo) * o + c
                        if !inside {
                            XCTAssertTrue(out[i].isNaN)
                        } else if implicit {
                            // The same bits: each output sums its taps in one order on either path.
                            XCTAssertEqual(out[i].bitPattern, full[i].bitPattern)
                        } else {
                            // OpenBLAS blocks a band's shorter GEMM differently.
                            XCTAssertEqual(out[i], full[i], accuracy: 1e-5)
                        }
                    }
                }
            }
        }
    }

    /// After boxes of some images' inputs change, the cached features equal the encoder run on
    /// the whole new inputs; images whose input did not change keep theirs.
    func testCachedFeaturesFollowChangedBoxes() throws {
        var rng = RNG(seed: 3)
        let h = 32, w = 32, c = 6, b = 4
        let encoder = ConvEncoder(input: (h, w, c), layers: [(16, 3, 2), (32, 3, 2), (64, 3, 2)], features: 32, rng: &rng)
        let cache = EncoderCache(encoder: encoder, height: h, width: w, channels: c)
        var input = (0..<(b * h * w * c)).map { _ in Float(rng.normal()) }
        let tape = Tape(recording: false)
        func whole(_ images: [Int]) -> [Float] {
            let rows = images.flatMap { input[$0 * h * w * c..<($0 + 1) * h * w * c] }
            return encoder(tape.constant(shape: [images.count, h, w, c], values: rows)).values
        }
        func cached(_ images: [Int]) -> [Float] {
            input.withUnsafeBufferPointer { cache.features(input: $0.baseAddress!, images: images, tape: tape).values }
        }
        cache.start(batch: b)
        XCTAssertEqual(cached([0, 1, 2, 3]), whole([0, 1, 2, 3]), accuracy: 1e-4)
        // Image 1: a box in the middle; image 3: a box at the corner; image 0 unchanged.
        for (img, rows, cols) in [(1, 10..<15, 12..<20), (3, 27..<32, 0..<3)] {
            for y in rows { for x in cols { for ch in 0..<c { input[((img * h + y) * w + x) * c + ch] += 1 } } }
            cache.changed(img, rows: rows, columns: cols)
        }
        XCTAssertEqual(cached([0, 1, 3]), whole([0, 1, 3]), accuracy: 1e-4)
        // A change the cache is not told of is not seen: the cache reads only what it is told.
        input[((0 * h + 5) * w + 5) * c] += 10
        XCTAssertNotEqual(cached([0]), whole([0]))
    }

    /// `Inferrer.copyChanges` copies what differs and returns its bounding box (nil when nothing does).
    func testCopyChangesReturnsTheBoxOfTheDifferences() {
        let w = 10, h = 8
        var dest = [Float](repeating: 0.5, count: w * h * 3)
        var source = dest
        source[3 * (2 * w + 7) + 1] = 0.9    // pixel (7, 2)
        source[3 * (5 * w + 3) + 2] = 0.1    // pixel (3, 5)
        func copy() -> (rows: Range<Int>, columns: Range<Int>)? {
            dest.withUnsafeMutableBufferPointer { d in Inferrer.copyChanges(from: source, into: d.baseAddress!, width: w, height: h) }
        }
        let box = copy()
        XCTAssertEqual(box?.rows, 2..<6)
        XCTAssertEqual(box?.columns, 3..<8)
        XCTAssertEqual(dest, source)
        XCTAssertNil(copy())
        // Told to look at rows 0–2 only, it copies and reports the change in row 2 alone.
        source[3 * (2 * w + 1)] = 0.7
        source[3 * (6 * w + 1)] = 0.7
        let part = dest.withUnsafeMutableBufferPointer { d in Inferrer.copyChanges(from: source, into: d.baseAddress!, width: w, height: h, rows: 0..<3) }
        XCTAssertEqual(part?.rows, 2..<3)
        XCTAssertEqual(part?.columns, 1..<2)
        XCTAssertEqual(dest[3 * (2 * w + 1)], 0.7)
        XCTAssertEqual(dest[3 * (6 * w + 1)], 0.5)
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, accuracy, file: file, line: line)
}
