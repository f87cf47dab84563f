import XCTest
import Foundation
import Random
@testable import Engine
import ConvKernels

/// Forward values of the image ops against direct Float64 implementations of their definitions
/// (the gradient checks then tie the backward passes to these forwards).
final class ReferenceTests: XCTestCase {
    func testConv2dAgainstDirectConvolution() {
        let (b, h, w, c, o, k) = (2, 7, 6, 3, 4, 3)
        for (stride, padding) in [(1, 0), (2, 1), (3, 2)] {
            let xv = randomValues(b * h * w * c, seed: 1), wv = randomValues(o * k * k * c, seed: 2), bv = randomValues(o, seed: 3)
            let tape = Tape()
            let y = conv2d(tape.constant(shape: [b, h, w, c], values: xv), tape.constant(shape: [o, k, k, c], values: wv),
                           tape.constant(shape: [o], values: bv), stride: stride, padding: padding)
            let oh = (h + 2 * padding - k) / stride + 1, ow = (w + 2 * padding - k) / stride + 1
            XCTAssertEqual(y.shape, [b, oh, ow, o])
            let yv = y.values
            for n in 0..<b { for i in 0..<oh { for j in 0..<ow { for q in 0..<o {
                var s = Double(bv[q])
                for dy in 0..<k { for dx in 0..<k {
                    let iy = i * stride - padding + dy, ix = j * stride - padding + dx
                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                    for ch in 0..<c {
                        s += Double(xv[((n * h + iy) * w + ix) * c + ch]) * Double(wv[((q * k + dy) * k + dx) * c + ch])
                    }
                } }
                XCTAssertEqual(Double(yv[((n * oh + i) * ow + j) * o + q]), s, accuracy: 1e-5, "s\(stride) p\(padding)")
            } } } }
        }
    }

    /// im2col copies each output pixel's patch (zeros where a tap leaves the image), and col2im
    /// adds each patch value back onto its tap, for every geometry and for pixel ranges that start
    /// and end mid-row and span images: against the definitions. Small images have no column whose
    /// kernel row lies inside.
    func testIm2colAgainstTheDefinition() {
        var rng = RNG(seed: 21)
        for (k, stride, padding) in [(4, 2, 1), (3, 1, 1), (1, 1, 0), (2, 2, 0), (3, 3, 2), (5, 2, 2), (4, 1, 3)] {
            for (h, w, c) in [(9, 8, 3), (6, 7, 6), (2, 3, 5), (5, 5, 1), (1, 4, 4)] {
                let outH = (h + 2 * padding - k) / stride + 1, outW = (w + 2 * padding - k) / stride + 1
                guard outH > 0, outW > 0 else { continue }
                let b = 2
                let g = ConvGeometry(batch: b, height: h, width: w, channels: c, kernelH: k, kernelW: k, stride: stride,
                                     padding: padding, outH: outH, outW: outW)
                let image = (0..<(b * h * w * c)).map { _ in rng.uniformFloat() + 0.5 }   // never 0: a missed copy shows
                var ranges = [0..<g.rows]
                for _ in 0..<6 {
                    let lo = Int(rng.next() % UInt64(g.rows)), hi = lo + 1 + Int(rng.next() % UInt64(g.rows - lo))
                    ranges.append(lo..<hi)
                }
                for pixels in ranges {
                    var cols = [Float](repeating: -1, count: pixels.count * g.patch)
                    image.withUnsafeBufferPointer { x in cols.withUnsafeMutableBufferPointer { out in
                        g.im2col(pixels, from: x.baseAddress!, into: out.baseAddress!)
                    } }
                    // col2im, its adjoint: every patch value added onto the tap it came from.
                    let patches = (0..<(pixels.count * g.patch)).map { _ in rng.uniformFloat() }
                    var summed = [Float](repeating: 0, count: image.count)
                    patches.withUnsafeBufferPointer { p in summed.withUnsafeMutableBufferPointer { out in
                        g.col2im(pixels, from: p.baseAddress!, accumulatingInto: out.baseAddress!)
                    } }
                    // Both by the definition: tap (ky, kx, ch) of output pixel r is image element
                    // ((n·H + iy)·W + ix)·C + ch, or padding.
                    var expected = [Float](repeating: 0, count: pixels.count * g.patch)
                    var reference = [Double](repeating: 0, count: image.count)
                    for (row, r) in pixels.enumerated() {
                        let n = r / (outH * outW), oy = (r % (outH * outW)) / outW, ox = r % outW
                        for ky in 0..<k { for kx in 0..<k { for ch in 0..<c {
                            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                            guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                            let tap = row * g.patch + (ky * k + kx) * c + ch, at = ((n * h + iy) * w + ix) * c + ch
                            expected[tap] = image[at]
                            reference[at] += Double(patches[tap])
                        } } }
                    }
                    XCTAssertEqual(cols, expected, "k\(k) s\(stride) p\(padding) \(h)×\(w)×\(c) pixels \(pixels)")
                    for i in summed.indices { XCTAssertEqual(Double(summed[i]), reference[i], accuracy: 1e-5, "col2im k\(k) s\(stride) p\(padding) \(pixels) at \(i)") }
                }
            }
        }
    }

    /// A convolution of many output pixels runs block by block (`ConvGeometry.blockRows`), with the
    /// block's im2col rows rebuilt in the backward pass, and may fuse its ReLU. Its output and its
    /// gradients for x, W and b against Float64 sums of the definitions, over several blocks.
    func testBlockedConv2dAndFusedReLUAgainstDirectGradients() {
        let g = ConvGeometry(batch: 4, height: 15, width: 14, channels: 40, kernelH: 3, kernelW: 3, stride: 1,
                             padding: 1, outH: 15, outW: 14)
        XCTAssertGreaterThan(g.rows, 2 * g.blockRows, "the case must span several blocks")
        checkConvAgainstDirectGradients((4, 15, 14, 40, 5, 3, 1, 1), isa: 0)
    }

    /// The implicit-GEMM kernels (`ImplicitConv`, AVX-512 and AVX2) against the definitions: tiles of 16,
    /// 32 and 64 output channels, stride 1 and 2, patches read from the padding, several chunks of
    /// output pixels, and a first layer's 3 channels (whose input gradient stays on im2col).
    func testImplicitConv2dAgainstDirectGradients() throws {
        let best = Int(air_conv_best_isa())
        try XCTSkipIf(best == 0, "this CPU has neither AVX-512 nor AVX2: conv2d uses im2col here")
        // Every set this CPU runs: AVX2's tiles (6 × 2 vectors of 8) as well as AVX-512's.
        for isa in [Int(AIR_CONV_AVX2), Int(AIR_CONV_AVX512)] where isa <= best {
            for shape in [(2, 12, 10, 16, 32, 4, 2, 1), (2, 9, 11, 3, 64, 4, 2, 1), (3, 11, 13, 32, 16, 3, 1, 1),
                          (1, 24, 26, 8, 48, 3, 1, 0)] {
                checkConvAgainstDirectGradients(shape, isa: isa)
            }
        }
    }

    func checkConvAgainstDirectGradients(_ shape: (Int, Int, Int, Int, Int, Int, Int, Int), isa: Int,
                                         file: StaticString = #filePath, line: UInt = #line) {
        let (b, h, w, c, o, k, stride, padding) = shape
        let oh = (h + 2 * padding - k) / stride + 1, ow = (w + 2 * padding - k) / stride + 1
        let xv = randomValues(b * h * w * c, seed: 11), wv = randomValues(o * k * k * c, -0.1, 0.1, seed: 12)
        let bv = randomValues(o, -0.2, 0.2, seed: 13), r = randomValues(b * oh * ow * o, seed: 14)
        for relu in [false, true] {
            let x = Tensor.parameter(shape: [b, h, w, c], values: xv), wt = Tensor.parameter(shape: [o, k, k, c], values: wv)
            let bias = Tensor.parameter(shape: [o], values: bv)
            let tape = Tape()
            let y = conv2d(tape.watch(x), tape.watch(wt), tape.watch(bias), stride: stride, padding: padding, relu: relu, isa: isa)
            tape.backward([(y, r)])
            // The reference: pre-activations, then the upstream gradient through the ReLU.
            var pre = [Double](repeating: 0, count: b * oh * ow * o)
            func tap(_ n: Int, _ i: Int, _ j: Int, _ dy: Int, _ dx: Int) -> Int? {
                let iy = i * stride - padding + dy, ix = j * stride - padding + dx
                return iy >= 0 && iy < h && ix >= 0 && ix < w ? ((n * h + iy) * w + ix) * c : nil
            }
            for n in 0..<b { for i in 0..<oh { for j in 0..<ow { for q in 0..<o {
                var s = Double(bv[q])
                for dy in 0..<k { for dx in 0..<k { if let at = tap(n, i, j, dy, dx) {
                    for ch in 0..<c { s += Double(xv[at + ch]) * Double(wv[((q * k + dy) * k + dx) * c + ch]) }
                } } }
                pre[((n * oh + i) * ow + j) * o + q] = s
            } } } }
            let up = (0..<pre.count).map { relu && pre[$0] <= 0 ? 0 : Double(r[$0]) }
            var gx = [Double](repeating: 0, count: xv.count), gw = [Double](repeating: 0, count: wv.count)
            var gb = [Double](repeating: 0, count: o)
            for n in 0..<b { for i in 0..<oh { for j in 0..<ow { for q in 0..<o {
                let u = up[((n * oh + i) * ow + j) * o + q]
                gb[q] += u
                for dy in 0..<k { for dx in 0..<k { if let at = tap(n, i, j, dy, dx) {
                    let wq = ((q * k + dy) * k + dx) * c
                    for ch in 0..<c { gx[at + ch] += u * Double(wv[wq + ch]); gw[wq + ch] += u * Double(xv[at + ch]) }
                } } }
            } } } }
            let yv = y.values
            let worstY = (0..<pre.count).map { abs(Double(yv[$0]) - (relu ? max(pre[$0], 0) : pre[$0])) }.max()!
            XCTAssertLessThan(worstY, 1e-4, "y, relu \(relu), shape \(shape), set \(isa)", file: file, line: line)
            for (name, got, want) in [("x", x.grad!, gx), ("W", wt.grad!, gw), ("b", bias.grad!, gb)] {
                let worst = zip(got, want).map { abs(Double($0) - $1) }.max()!
                XCTAssertLessThan(worst, 1e-3, "d\(name), relu \(relu), shape \(shape), set \(isa)", file: file, line: line)
            }
        }
    }

    func testGlimpseAgainstDirectBilinearSampling() {
        let (b, h, w, c, gh, gw) = (2, 9, 11, 3, 4, 5)
        let img = randomValues(b * h * w * c, seed: 4)
        let theta: [Float] = [0.4, 0.1, -0.3, -0.05, 0.6, 0.2, 1.3, 0, 0.5, 0, 1.3, -0.6]   // second one reaches outside
        let tape = Tape()
        let g = glimpse(tape.constant(shape: [b, h, w, c], values: img), theta: tape.constant(shape: [b, 2, 3], values: theta),
                        height: gh, width: gw).values
        func pixel(_ n: Int, _ y: Int, _ x: Int, _ ch: Int) -> Double {
            (x < 0 || x >= w || y < 0 || y >= h) ? 0 : Double(img[((n * h + y) * w + x) * c + ch])
        }
        for n in 0..<b { for i in 0..<gh { for j in 0..<gw {
            let t = theta[(6 * n)...].map(Double.init)
            let xt = (2 * Double(j) + 1) / Double(gw) - 1, yt = (2 * Double(i) + 1) / Double(gh) - 1
            let xs = t[0] * xt + t[1] * yt + t[2], ys = t[3] * xt + t[4] * yt + t[5]
            let u = ((xs + 1) * Double(w) - 1) / 2, v = ((ys + 1) * Double(h) - 1) / 2
            let x0 = Int(Foundation.floor(u)), y0 = Int(Foundation.floor(v))
            let fx = u - Double(x0), fy = v - Double(y0)
            for ch in 0..<c {
                let ref = (1 - fx) * (1 - fy) * pixel(n, y0, x0, ch) + fx * (1 - fy) * pixel(n, y0, x0 + 1, ch)
                    + (1 - fx) * fy * pixel(n, y0 + 1, x0, ch) + fx * fy * pixel(n, y0 + 1, x0 + 1, ch)
                XCTAssertEqual(Double(g[((n * gh + i) * gw + j) * c + ch]), ref, accuracy: 1e-5)
            }
        } } }
    }

    /// The same tensor used twice by one op gets both contributions.
    func testRepeatedInputs() {
        checkGradients("x*x", inputs: [input([3, 4], seed: 5)]) { _, t in t[0] * t[0] }
        checkGradients("x·xᵀ", inputs: [input([3, 4], seed: 6)]) { _, t in matmul(t[0], t[0], transposeB: true) }
        checkGradients("linear(x, x)", inputs: [input([4, 4], seed: 7)]) { _, t in linear(t[0], t[0], nil) }
        checkGradients("concat x, x", inputs: [input([2, 3], seed: 8)]) { _, t in exp(concat([t[0], t[0]], axis: 0)) }
    }
}
