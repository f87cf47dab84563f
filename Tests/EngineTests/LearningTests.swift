import XCTest
import Foundation
import Random
@testable import Engine

/// Small problems the engine must actually solve (debug build: kept tiny).
final class LearningTests: XCTestCase {
    func testMLPRegression() {
        var rng = RNG(seed: 1)
        let n = 128
        var xs: [Float] = [], ys: [Float] = []
        for _ in 0..<n {
            let a = 2 * rng.uniformFloat() - 1, b = 2 * rng.uniformFloat() - 1
            xs += [a, b]
            ys.append(Foundation.sin(3 * a) * b + 0.5 * a * a)
        }
        let meanY = ys.reduce(0, +) / Float(n)
        let variance = ys.map { ($0 - meanY) * ($0 - meanY) }.reduce(0, +) / Float(n)
        let mlp = MLP([2, 32, 32, 1], activation: tanh, rng: &rng)
        let opt = Adam(mlp, learningRate: 1e-2)
        let tape = Tape()
        var loss: Float = .infinity
        for _ in 0..<400 {
            let x = tape.constant(shape: [n, 2], values: xs), y = tape.constant(shape: [n, 1], values: ys)
            let l = mean(square(mlp(x) - y))
            loss = l.item
            l.backward()
            opt.step()
            tape.reset()
        }
        XCTAssertLessThan(loss, 0.03 * variance, "MLP did not fit: mse \(loss), variance \(variance)")
    }

    /// Recall the first element of a sequence after four distractors.
    func testLSTMRemembersFirstInput() {
        var rng = RNG(seed: 2)
        let cell = LSTMCell(1, 12, rng: &rng)
        let head = Linear(12, 1, rng: &rng)
        final class Net: Module { let cell: LSTMCell; let head: Linear; init(_ c: LSTMCell, _ h: Linear) { cell = c; head = h } }
        let opt = Adam(Net(cell, head), learningRate: 2e-2)
        let tape = Tape()
        let batch = 32, length = 5
        var loss: Float = .infinity
        for _ in 0..<250 {
            var seq: [[Float]] = []
            for _ in 0..<length { seq.append((0..<batch).map { _ in rng.bernoulli(0.5) ? 1 : -1 }) }
            var state = cell.zeroState(batch: batch, on: tape)
            for t in 0..<length { state = cell(tape.constant(shape: [batch, 1], values: seq[t]), state) }
            let l = mean(square(head(state.h) - tape.constant(shape: [batch, 1], values: seq[0])))
            loss = l.item
            l.backward()
            opt.clipGradNorm(5)
            opt.step()
            tape.reset()
        }
        XCTAssertLessThan(loss, 0.05, "LSTM did not learn to remember (chance level is 1.0)")
    }

    /// Horizontal versus vertical bars at random positions, with noise.
    func testConvNetClassifiesBars() {
        var rng = RNG(seed: 3)
        let size = 8
        func batch(_ n: Int) -> (images: [Float], labels: [Int]) {
            var img = [Float](repeating: 0, count: n * size * size), labels: [Int] = []
            for b in 0..<n {
                let vertical = rng.bernoulli(0.5), at = rng.int(below: size), from = rng.int(below: 3), len = 4 + rng.int(below: 2)
                for i in 0..<(size * size) { img[b * size * size + i] = 0.3 * (rng.uniformFloat() - 0.5) }
                for k in from..<(from + len) {
                    let (r, c) = vertical ? (k, at) : (at, k)
                    img[b * size * size + r * size + c] += 1
                }
                labels.append(vertical ? 1 : 0)
            }
            return (img, labels)
        }
        final class Net: Module {
            let conv: Conv2d, fc: Linear
            init(rng: inout RNG) { conv = Conv2d(1, 6, kernel: 3, padding: 1, rng: &rng); fc = Linear(6 * 4 * 4, 2, rng: &rng) }
            func callAsFunction(_ x: Tensor) -> Tensor { fc(maxPool2d(relu(conv(x)), kernel: 2).flattened()) }
        }
        let net = Net(rng: &rng)
        let opt = Adam(net, learningRate: 1e-2)
        let tape = Tape()
        for _ in 0..<120 {
            let (img, labels) = batch(32)
            let logits = net(tape.constant(shape: [32, size, size, 1], values: img))
            (-mean(Categorical(logits: logits).logProb(labels))).backward()
            opt.step()
            tape.reset()
        }
        let (img, labels) = batch(200)
        let logits = tape.withoutGrad { net(tape.constant(shape: [200, size, size, 1], values: img)) }.values
        let correct = (0..<200).filter { (logits[2 * $0 + 1] > logits[2 * $0] ? 1 : 0) == labels[$0] }.count
        XCTAssertGreaterThan(correct, 190, "conv net accuracy \(correct)/200")
    }

    /// A localisation network must learn where an off-centre blob is, learning only through the
    /// bilinear sampler: the loss compares the glimpse with the blob centred.
    func testSpatialTransformerLearnsToCentreASprite() {
        var rng = RNG(seed: 4)
        let size = 16, g = 8, batchSize = 16
        func blob(_ cx: Float, _ cy: Float, _ n: Int, sigma: Float) -> [Float] {
            (0..<(n * n)).map { i in
                let x = Float(i % n) + 0.5 - cx, y = Float(i / n) + 0.5 - cy
                return Foundation.exp(-(x * x + y * y) / (2 * sigma * sigma))
            }
        }
        // The glimpse has scale 0.5, so the blob of σ 2 image pixels has σ 4 glimpse pixels, centred.
        let target = blob(Float(g) / 2, Float(g) / 2, g, sigma: 4)
        let loc = MLP([size * size, 32, 2], activation: tanh, gain: 1, rng: &rng)
        let opt = Adam(loc, learningRate: 3e-3)
        let tape = Tape()
        func sample() -> (images: [Float], offsets: [Float]) {
            var images: [Float] = [], offsets: [Float] = []
            for _ in 0..<batchSize {
                let dx = Float(rng.uniform(-3, 3)), dy = Float(rng.uniform(-3, 3))   // pixels
                images += blob(Float(size) / 2 + dx, Float(size) / 2 + dy, size, sigma: 2)
                offsets += [dx * 2 / Float(size), dy * 2 / Float(size)]              // normalised
            }
            return (images, offsets)
        }
        for _ in 0..<300 {
            let (images, _) = sample()
            let x = tape.constant(shape: [batchSize, size, size, 1], values: images)
            let t = loc(x.flattened())                                        // [B, 2] translation
            let theta = concat([tape.full([batchSize, 1], 0.5), tape.zeros([batchSize, 1]), slice(t, axis: 1, 0..<1),
                                tape.zeros([batchSize, 1]), tape.full([batchSize, 1], 0.5), slice(t, axis: 1, 1..<2)], axis: 1)
            let glimpses = glimpse(x, theta: theta.reshaped([batchSize, 2, 3]), height: g, width: g)
            let want = tape.constant(shape: [1, g, g, 1], values: target)
            mean(square(glimpses - want)).backward()
            opt.step()
            tape.reset()
        }
        let (images, offsets) = sample()
        let t = tape.withoutGrad { loc(tape.constant(shape: [batchSize, size * size], values: images)) }.values
        let errorPixels = zip(t, offsets).map { abs($0 - $1) * Float(size) / 2 }.reduce(0, +) / Float(t.count)
        XCTAssertLessThan(errorPixels, 0.35, "mean position error \(errorPixels) px (offsets up to 3 px)")
    }
}
