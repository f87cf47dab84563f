import Engine
import Random
import Scenes
import XCTest
@testable import AIR

/// The sleep loss runs the encoder over every step's input at once and the what-path over every
/// step's glimpse at once: it must equal, value and gradients, the loss computed step by step.
final class BatchedSleepLossTests: XCTestCase {
    func testBatchedStepsEqualTheStepByStepLoss() throws {
        let spec = try BatchSpec.read("""
        {"kind": "random", "objects_per_scene": {"min": 0, "max": 3}, "size": [32, 32], "spp": 1,
         "min_visible_pixels": 8, "x": [-1.2, 1.2], "y": [-1.2, 1.2]}
        """, file: "three.json")
        var config = tinyConfig(maxObjects: 3, light: true)
        config.samplesPerPixel = 1
        var rng = RNG(seed: 8)
        let network = GuideNetwork(config: config, rng: &rng)
        let builder = try BatchBuilder(source: SpecSource(spec: spec, seed: 3), config: config, threads: 1)
        var batch = try builder.batch(first: 0, count: 6, noiseSeed: 4)
        XCTAssert(batch.objects.contains { $0.count >= 2 }, "the batch should hold scenes of several objects")
        batch.weights = [1, 0.5, 2, 1, 0, 1.5]
        let objective = SleepObjective(network: network)
        let params = network.namedParameters().map(\.tensor)
        func run(_ f: (inout [RNG], Tape) -> SleepObjective.Terms) -> (SleepObjective.Terms, [Float]) {
            var rows = (0..<6).map { RNG(seed: 60 + UInt64($0)) }
            let tape = Tape()
            network.zeroGrad()
            let t = f(&rows, tape)
            t.loss.backward()
            return (t, params.flatMap { $0.grad ?? [Float](repeating: 0, count: $0.count) })
        }
        let (batched, g1) = run { objective.loss(batch, table: builder.tableColor, tape: $1, rows: &$0, total: 8) }
        let (stepwise, g2) = run { objective.referenceLoss(batch, table: builder.tableColor, tape: $1, rows: &$0, total: 8) }
        XCTAssertEqual(Double(batched.loss.item), Double(stepwise.loss.item), accuracy: 1e-4 * abs(Double(stepwise.loss.item)))
        for (a, b) in [(batched.presence, stepwise.presence), (batched.position, stepwise.position), (batched.shape, stepwise.shape),
                       (batched.color, stepwise.color), (batched.yaw, stepwise.yaw), (batched.refine, stepwise.refine),
                       (batched.light, stepwise.light)] {
            XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)))
        }
        XCTAssertEqual(batched.presenceSteps, stepwise.presenceSteps)
        let scale = g2.map(abs).max()!
        XCTAssertGreaterThan(scale, 0)
        var worst: Float = 0
        for j in g1.indices { worst = max(worst, abs(g1[j] - g2[j])) }
        XCTAssertLessThan(worst, 1e-4 * scale)
    }
}

final class PrefixSlipTests: XCTestCase {
    /// Slips change only the prefix renderings (the observed images and the targets stay), a
    /// slip of one object leaves the planes before it as they were, and without slips the
    /// batch is the one drawn before slips existed (the random stream is not touched).
    func testSlipsChangeOnlyThePrefixes() throws {
        let spec = try BatchSpec.read("""
        {"kind": "random", "objects_per_scene": {"min": 2, "max": 3}, "size": [32, 32], "spp": 1,
         "min_visible_pixels": 8, "x": [-1.2, 1.2], "y": [-1.2, 1.2]}
        """, file: "slips.json")
        var config = tinyConfig(maxObjects: 3)
        config.samplesPerPixel = 1
        let plain = try BatchBuilder(source: SpecSource(spec: spec, seed: 3), config: config, threads: 1)
        let slipping = try BatchBuilder(source: SpecSource(spec: spec, seed: 3), config: config, threads: 1)
        slipping.prefixSlip = 1
        let a = try plain.batch(first: 0, count: 4, noiseSeed: 9)
        let b = try slipping.batch(first: 0, count: 4, noiseSeed: 9)
        XCTAssertEqual(a.observed, b.observed)
        XCTAssertEqual(a.objects, b.objects)
        let planeSize = a.observed.count
        XCTAssertEqual(Array(a.prefixes[0..<planeSize]), Array(b.prefixes[0..<planeSize]), "plane 0 is the bare table")
        XCTAssertNotEqual(Array(a.prefixes[planeSize..<(2 * planeSize)]), Array(b.prefixes[planeSize..<(2 * planeSize)]))
        // A builder told "no slips" draws the very batch of one never told.
        let zero = try BatchBuilder(source: SpecSource(spec: spec, seed: 3), config: config, threads: 1)
        zero.prefixSlip = 0
        XCTAssertEqual(try zero.batch(first: 0, count: 4, noiseSeed: 9).prefixes, a.prefixes)
    }

    /// Phantoms likewise change only the prefixes: from some step on a plane shows one object
    /// more than the truth's prefix (more non-table pixels), never in plane 0; at 0 the batch is
    /// the one drawn before phantoms existed.
    func testPhantomsChangeOnlyThePrefixes() throws {
        let spec = try BatchSpec.read("""
        {"kind": "random", "objects_per_scene": {"min": 1, "max": 2}, "size": [32, 32], "spp": 1,
         "min_visible_pixels": 8, "x": [-1.2, 1.2], "y": [-1.2, 1.2]}
        """, file: "phantoms.json")
        var config = tinyConfig(maxObjects: 3)
        config.samplesPerPixel = 1
        let plain = try BatchBuilder(source: SpecSource(spec: spec, seed: 3), config: config, threads: 1)
        let haunted = try BatchBuilder(source: SpecSource(spec: spec, seed: 3), config: config, threads: 1)
        haunted.phantomSlip = 1
        let a = try plain.batch(first: 0, count: 6, noiseSeed: 9)
        let b = try haunted.batch(first: 0, count: 6, noiseSeed: 9)
        XCTAssertEqual(a.observed, b.observed)
        XCTAssertEqual(a.objects, b.objects)
        let planeSize = a.observed.count, pixels = planeSize / 6
        XCTAssertEqual(Array(a.prefixes[0..<planeSize]), Array(b.prefixes[0..<planeSize]), "plane 0 is the bare table")
        let table = Array(a.prefixes[0..<3])
        func marked(_ p: [Float], plane i: Int, scene k: Int) -> Int {
            let start = i * planeSize + k * pixels
            return stride(from: start, to: start + pixels, by: 3).filter { Array(p[$0..<$0 + 3]) != table }.count
        }
        var haunting = 0
        for k in 0..<6 {
            for i in 1..<3 where marked(b.prefixes, plane: i, scene: k) > marked(a.prefixes, plane: i, scene: k) + 4 { haunting += 1 }
        }
        XCTAssertGreaterThan(haunting, 3, "most scenes show a phantom from some step on")
        let zero = try BatchBuilder(source: SpecSource(spec: spec, seed: 3), config: config, threads: 1)
        zero.phantomSlip = 0
        XCTAssertEqual(try zero.batch(first: 0, count: 6, noiseSeed: 9).prefixes, a.prefixes)
    }
}

extension SleepObjective {
    /// The loss as it was written before the steps were batched: every step reads its input,
    /// then its glimpse, in turn.
    func referenceLoss(_ batch: TrainingBatch, table: SIMD3<Float>, tape: Tape, rows: inout [RNG], total: Int? = nil) -> Terms {
        let cfg = network.config
        let b = batch.size, n = cfg.maxObjects
        precondition(rows.count == b, "SleepObjective.loss: \(rows.count) random streams for \(b) examples")
        let attention = Attention(config: cfg)
        var state = network.lstm.zeroState(batch: b, on: tape)
        var previous = tape.zeros([b, LatentCode.size])
        var sumOfTerms: Tensor? = nil
        var terms = Terms(loss: tape.zeros([]))
        var presCorrect = 0, presSteps = 0
        let invB = 1 / Float(total ?? b)
        let weights = batch.weights ?? [Float](repeating: 1, count: b)
        precondition(weights.count == b, "SleepObjective.loss: \(weights.count) weights for \(b) examples")

        func add(_ t: Tensor) { sumOfTerms = sumOfTerms.map { $0 + t } ?? t }
        func masked(_ rows: Tensor, _ mask: [Float]) -> Tensor {
            sum(rows * tape.constant(shape: [b], values: mask)) * (-invB)
        }

        for i in 0..<n {
            let input = stepInput(observed: batch.observed, rendered: batch.prefixes, renderedOffset: batch.prefixOffset(i), table: table,
                                  batch: b, height: cfg.height, width: cfg.width, tape: tape)
            let r = network.read(input, previous: previous, state: state)
            state = r.state
            if i == 0, batch.teachesLight, let head = network.light {
                let lightLoss = LightHead.loss(head(r.features), truth: batch.lights, tape: tape, total: total)
                add(lightLoss)
                terms.light = Double(lightLoss.item)
            }

            // Presence: a step exists while all earlier ones were present; its target is i < n_b.
            let exists = batch.objects.map { Float($0.count >= i ? 1 : 0) }
            let present = batch.objects.map { Float($0.count > i ? 1 : 0) }
            let presLL = Bernoulli(logits: r.presLogit).logProb(tape.constant(shape: [b], values: present))
            let presLoss = masked(presLL, zip(exists, weights).map(*))
            add(presLoss)
            terms.presence += Double(presLoss.item)
            let logits = r.presLogit.values
            for k in 0..<b where exists[k] == 1 {
                presSteps += 1
                if (logits[k] > 0) == (present[k] == 1) { presCorrect += 1 }
            }

            // Where (coarse), against the true position.
            let guess = r.whereMean.values
            var truePos = [Float](repeating: 0, count: b * 2)
            var thetas = [Float](repeating: 0, count: b * 6)
            var refineTarget = [Float](repeating: 0, count: b * 2)
            var shapes = [Int](repeating: 0, count: b)
            var colors = [Float](repeating: 0.5, count: b * 3)
            var yawShapes = [Int?](repeating: nil, count: b)
            var yawTarget = [Float](repeating: 0, count: b * WhatHeads.Layout.yaw.count)
            var prevCodes = [Float](repeating: 0, count: b * LatentCode.size)
            let half = cfg.tableHalfWidth
            for k in 0..<b {
                let gx = Double(guess[2 * k]) * half, gy = Double(guess[2 * k + 1]) * half
                guard present[k] == 1 else {
                    thetas.replaceSubrange(6 * k..<6 * k + 6, with: attention.theta(x: gx, y: gy))
                    continue
                }
                let o = batch.objects[k][i]
                truePos[2 * k] = Float(o.position.x / half)
                truePos[2 * k + 1] = Float(o.position.y / half)
                let lim = glimpseJitterLimit
                let cx = o.position.x + min(max(gx - o.position.x, -lim), lim) + glimpseNoise * rows[k].normal()
                let cy = o.position.y + min(max(gy - o.position.y, -lim), lim) + glimpseNoise * rows[k].normal()
                thetas.replaceSubrange(6 * k..<6 * k + 6, with: attention.theta(x: cx, y: cy))
                refineTarget[2 * k] = Float((o.position.x - cx) / GuideNetwork.refineScale)
                refineTarget[2 * k + 1] = Float((o.position.y - cy) / GuideNetwork.refineScale)
                shapes[k] = o.shape.rawValue
                colors[3 * k] = Float(o.color.rgb.x); colors[3 * k + 1] = Float(o.color.rgb.y); colors[3 * k + 2] = Float(o.color.rgb.z)
                if o.shape.symmetryPeriod != nil {
                    let p = LatentCode.yawPoint(o)
                    let j = WhatHeads.Layout.yaw.count * k + 2 * o.shape.rawValue
                    yawShapes[k] = o.shape.rawValue
                    yawTarget[j] = p.x; yawTarget[j + 1] = p.y
                }
                prevCodes.replaceSubrange(LatentCode.size * k..<LatentCode.size * (k + 1),
                                          with: LatentCode.code(o, config: cfg))
            }
            let whereLL = sum(Normal(mean: r.whereMean, logStd: r.whereLogStd)
                .logProb(tape.constant(shape: [b, 2], values: truePos)), axes: [1])
            let presentWeights = zip(present, weights).map(*)
            let posLoss = masked(whereLL, presentWeights)
            add(posLoss)
            terms.position += Double(posLoss.item)

            // What, from a glimpse.
            let out = network.look(input, theta: tape.constant(shape: [b, 2, 3], values: thetas), h: state.h)
            let what = WhatHeads(out)
            let shapeLoss = masked(what.shape.logProb(shapes), presentWeights)
            let colorLL = sum(what.color.logProb(tape.constant(shape: [b, 3], values: colors)), axes: [1])
            let colorLoss = masked(colorLL, presentWeights)
            let refineLL = sum(what.refine.logProb(tape.constant(shape: [b, 2], values: refineTarget)), axes: [1])
            let refineLoss = masked(refineLL, presentWeights)
            // The yaw point of the true shape, as squared distance to the target point.
            let yawWidth = WhatHeads.Layout.yaw.count
            let yawErr = square(what.yawPoints - tape.constant(shape: [b, yawWidth], values: yawTarget))
            let yawMask = WhatHeads.yawMask(yawShapes).enumerated().map { $0.element * weights[$0.offset / yawWidth] }
            let yawLoss = sum(yawErr * tape.constant(shape: [b, yawWidth], values: yawMask)) * (yawWeight * invB)
            add(shapeLoss); add(colorLoss); add(refineLoss); add(yawLoss)
            terms.shape += Double(shapeLoss.item)
            terms.color += Double(colorLoss.item)
            terms.refine += Double(refineLoss.item)
            terms.yaw += Double(yawLoss.item)

            previous = tape.constant(shape: [b, LatentCode.size], values: prevCodes)
        }
        terms.loss = sumOfTerms!
        (terms.presenceCorrect, terms.presenceSteps) = (presCorrect, presSteps)
        return terms
    }
}
