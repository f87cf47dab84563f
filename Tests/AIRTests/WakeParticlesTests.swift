import Engine
import Random
import Scenes
import XCTest
@testable import AIR

/// Reweighted wake-sleep with particles from the guide: the weighted sleep loss, the
/// particles' weights and renders, learning from scratch.
final class WakeParticlesTests: XCTestCase {
    func particleTrainer(steps: Int) throws -> Trainer { try tinyWakeTrainer(steps: steps, particles: 4) }

    /// Example k of a batch alone.
    func single(_ batch: TrainingBatch, _ k: Int) -> TrainingBatch {
        let pixels = batch.observed.count / batch.size, planes = batch.prefixes.count / batch.observed.count
        var prefixes: [Float] = []
        for i in 0..<planes { prefixes += batch.prefixes[(batch.prefixOffset(i) + k * pixels)..<(batch.prefixOffset(i) + (k + 1) * pixels)] }
        return TrainingBatch(objects: [batch.objects[k]], lights: [batch.lights[k]],
                             observed: Array(batch.observed[k * pixels..<(k + 1) * pixels]), prefixes: prefixes)
    }

    /// The weighted loss is Σ_k w_k times example k's loss alone, and so are its gradients: a
    /// zero weight removes an example, unequal weights scale each.
    func testWeightedSleepLossIsTheWeightedSumOfEachExamplesLoss() throws {
        let t = try particleTrainer(steps: 1)
        var batch = try t.builder.batch(first: 0, count: 3, noiseSeed: 9)
        batch.objects[1] = batch.objects[1].isEmpty ? batch.objects[0] : batch.objects[1]
        let weights: [Float] = [0.25, 0, 0.75]
        let streams = (0..<3).map { RNG(seed: 40 + UInt64($0)) }
        let params = t.network.namedParameters().map(\.tensor)

        func lossAndGradient(_ b: TrainingBatch, rows: [RNG]) -> (Double, [Float]) {
            let tape = Tape()
            var r = rows
            t.network.zeroGrad()
            let terms = t.sleep.loss(b, table: t.builder.tableColor, tape: tape, rows: &r, total: 3)
            terms.loss.backward()
            return (Double(terms.loss.item), params.flatMap { $0.grad ?? [Float](repeating: 0, count: $0.count) })
        }
        batch.weights = weights
        let (weighted, weightedGrad) = lossAndGradient(batch, rows: streams)
        var expected = 0.0, expectedGrad = [Double](repeating: 0, count: weightedGrad.count)
        for k in 0..<3 {
            let (l, g) = lossAndGradient(single(batch, k), rows: [streams[k]])
            expected += Double(weights[k]) * l
            for j in g.indices { expectedGrad[j] += Double(weights[k]) * Double(g[j]) }
        }
        XCTAssertEqual(weighted, expected, accuracy: 1e-4 * max(1, abs(expected)))
        let scale = expectedGrad.map(abs).max()!
        for j in weightedGrad.indices { XCTAssertEqual(Double(weightedGrad[j]), expectedGrad[j], accuracy: 1e-4 * scale) }
        XCTAssertGreaterThan(scale, 0)
    }

    /// Each image's weights sum to 1; each particle's weight is its importance weight
    /// exp(log p(x | z) + log p(z) − log q(z | x)) normalised, with log p(x | z) scored on an
    /// independent render of the particle's scene; one particle has weight 1; the same streams
    /// give the same particles.
    func testParticlesAreSelfNormalisedImportanceWeighted() throws {
        let t = try particleTrainer(steps: 1)
        let cfg = t.network.config, pixels = cfg.width * cfg.height * 3
        let batch = try t.builder.batch(first: 3, count: 2, noiseSeed: 9, prefixes: false)
        let rows = [RNG(seed: 1), RNG(seed: 2)]
        let tape = Tape()
        let draw = try WakeParticles.draw(elbo: t.elbo, observed: batch.observed, batch: 2, particles: 5,
                                          table: t.builder.tableColor, tape: tape, rows: rows)
        XCTAssertEqual(draw.scenes.count, 10)
        for k in 0..<2 { XCTAssertEqual(Double(draw.weights[5 * k..<5 * k + 5].reduce(0, +)), 1, accuracy: 1e-5) }
        XCTAssertGreaterThanOrEqual(draw.effectiveParticles, 1 - 1e-9)
        XCTAssertLessThanOrEqual(draw.effectiveParticles, 5 + 1e-9)

        // The trace's log weights, with the likelihood of an independent render.
        var replicatedRows = (0..<10).map { rows[$0 / 5].split(UInt64($0 % 5)) }
        let trace = try t.elbo.trace(observed: WakeParticles.replicate(batch.observed, pixels: pixels, images: 2, times: 5),
                                     batch: 10, table: t.builder.tableColor, tape: Tape(), rows: &replicatedRows)
        let r = Rasterizer(threads: 1)
        for k in 0..<2 {
            let obs = Image(width: cfg.width, height: cfg.height, pixels: Array(batch.observed[k * pixels..<(k + 1) * pixels]))
            let logW = try (0..<5).map { j -> Double in
                let p = 5 * k + j
                XCTAssertEqual(trace.objects[p], draw.scenes[p].objects)
                let image = try r.render(draw.scenes[p], samplesPerPixel: cfg.samplesPerPixel)
                let ll = t.model.likelihood.logLikelihood(observed: obs, rendered: image)
                let logQ = trace.steps.map { $0.chose[p] == 1 ? $0.logGuide[p] : 0 }.reduce(0, +)
                return ll + t.model.logPrior(trace.objects[p]) - logQ
            }
            let top = logW.max()!, w = logW.map { exp($0 - top) }, total = w.reduce(0, +)
            for j in 0..<5 { XCTAssertEqual(Double(draw.weights[5 * k + j]), w[j] / total, accuracy: 1e-4) }
        }
        let one = try WakeParticles.draw(elbo: t.elbo, observed: batch.observed, batch: 2, particles: 1,
                                         table: t.builder.tableColor, tape: tape, rows: rows)
        XCTAssertEqual(one.weights, [1, 1])
        let again = try WakeParticles.draw(elbo: t.elbo, observed: batch.observed, batch: 2, particles: 5,
                                           table: t.builder.tableColor, tape: Tape(), rows: rows)
        XCTAssertEqual(again.weights, draw.weights)
    }

    /// From scratch, without labels, search or sleep steps, a few dozen steps of particles on
    /// 0–1 object scenes count better than chance (50 %).
    func testParticleWakeFromScratchBeatsChance() throws {
        let t = try particleTrainer(steps: 60)
        let before = try t.evaluateHeldOut().overall.countAccuracy!
        while t.step < 60 {
            let m = try t.trainStep()
            XCTAssert(m.loss.isFinite)
            XCTAssertNotNil(m.effectiveParticles)
        }
        let after = try t.evaluateHeldOut().overall.countAccuracy!
        print("particle wake from scratch: count accuracy \(before) → \(after)")
        XCTAssertGreaterThan(after, 0.6, "count accuracy \(before) → \(after)")
        XCTAssertGreaterThan(after, before + 0.1, "count accuracy \(before) → \(after)")
    }
}
