import Engine
import Random
import Scenes
import XCTest
@testable import AIR

/// The ELBO surrogate against a numerical derivative of the ELBO estimate itself.
final class ElboGradientTests: XCTestCase {
    /// An ELBO trainer on 32 × 32 scenes of `objects` blocks (batch 4, one thread), its network
    /// drawn from `seed`, its training and held-out scenes from `seed` and `seed` + 1.
    func elboTrainer(objects: ClosedRange<Int>, seed: UInt64) throws -> Trainer {
        let spec = try BatchSpec.read("""
        {"kind": "random", "objects_per_scene": {"min": \(objects.lowerBound), "max": \(objects.upperBound)}, "size": [32, 32], "spp": 1,
         "min_visible_pixels": 8, "x": [-1.0, 1.0], "y": [-1.0, 1.0]}
        """, file: "tiny.json")
        var options = TrainingOptions()
        options.objective = .elbo
        options.batchSize = 4
        options.evalImages = 1
        options.threads = 1
        var config = tinyConfig(maxObjects: objects.upperBound)
        config.samplesPerPixel = 1
        var rng = RNG(seed: seed)
        return try Trainer(network: GuideNetwork(config: config, rng: &rng), source: SpecSource(spec: spec, seed: seed),
                           heldOutSource: SpecSource(spec: spec, seed: seed + 1), options: options)
    }

    /// With the random numbers held fixed (the same seed for every evaluation), the ELBO estimate
    /// is a function of the guide's parameters: the reparameterised colour samples move with the
    /// colour head, the discrete samples do not (the colour head's bias does not reach the
    /// presence and shape logits). One recurrent step, so that no later step's input depends on
    /// the sample (the surrogate, like AIR's, treats the difference images as given). Then
    /// −∂(surrogate with its injected upstream gradients)/∂bias must equal ∂ELBO/∂bias, the
    /// central difference, for each colour channel: the renderer's shading-image gradient, the
    /// sigmoid, the clamp to [0, 1] and the log q terms all take part.
    func testSurrogateGradientMatchesTheElboDerivative() throws {
        let t = try elboTrainer(objects: 1...1, seed: 3)
        let params = Dictionary(uniqueKeysWithValues: t.learner.namedParameters().map { ($0.name, $0.tensor) })
        // Every step samples "present", so the one object is always drawn.
        params["guide.presWhere.bias"]!.data[0] = 8
        let bias = try XCTUnwrap(params["guide.what.layers.1.bias"])
        // Narrow colour posteriors: samples inside [0, 1], where the colour reaches the image.
        for c in WhatHeads.Layout.colorLogStd { bias.data[c] = -3 }
        let batch = try t.builder.batch(first: 0, count: 4, noiseSeed: 1, prefixes: false)

        func estimate(_ tape: Tape) throws -> ElboObjective.Result {
            var objective = t.elbo   // a copy: the running normalisers stay as they were
            // Seed 12 since each image has its own stream (seed 11's draws now put a colour
            // sample where the central difference straddles the clamp and errs by 3 %).
            var rows = (0..<4).map { RNG(seed: 12).split(UInt64($0)) }
            return try objective.estimate(observed: batch.observed, batch: 4, table: t.builder.tableColor, tape: tape, rows: &rows)
        }
        t.learner.zeroGrad()
        let tape = Tape()
        let e = try estimate(tape)
        tape.backward(e.seeds + [(e.surrogate, [1])])
        let grad = try XCTUnwrap(bias.grad)
        for column in WhatHeads.Layout.colorMean {
            let h: Float = 1e-2
            let saved = bias.data[column]
            bias.data[column] = saved + h
            let up = try estimate(Tape(recording: false)).elbo
            bias.data[column] = saved - h
            let down = try estimate(Tape(recording: false)).elbo
            bias.data[column] = saved
            let numeric = (up - down) / (2 * Double(h))
            XCTAssertGreaterThan(abs(numeric), 1, "the colour must matter (column \(column))")
            XCTAssertEqual(-Double(grad[column]), numeric, accuracy: 0.02 * abs(numeric) + 0.05, "column \(column)")
        }
    }

    /// The held-out ELBO (`evaluate`, no gradients) is the training estimate's: the same draws
    /// give the same per-image values, whose mean the estimate reports; other draws another.
    func testEvaluateIsTheEstimatesElbo() throws {
        let t = try elboTrainer(objects: 0...2, seed: 5)
        let batch = try t.builder.batch(first: 0, count: 4, noiseSeed: 1, prefixes: false)
        func streams(_ seed: UInt64) -> [RNG] { (0..<4).map { RNG(seed: seed).split(UInt64($0)) } }
        var rows = streams(7)
        let each = try t.elbo.evaluate(observed: batch.observed, batch: 4, table: t.builder.tableColor, rows: &rows)
        var objective = t.elbo
        rows = streams(7)
        let e = try objective.estimate(observed: batch.observed, batch: 4, table: t.builder.tableColor, tape: Tape(recording: false), rows: &rows)
        XCTAssertEqual(each.reduce(0, +) / 4, e.elbo, accuracy: 1e-9 * abs(e.elbo))
        XCTAssert(each.allSatisfy(\.isFinite), "\(each)")
        rows = streams(8)
        XCTAssertNotEqual(try t.elbo.evaluate(observed: batch.observed, batch: 4, table: t.builder.tableColor, rows: &rows), each)
    }
}
