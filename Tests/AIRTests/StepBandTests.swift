import Engine
import Random
import Scenes
import XCTest
@testable import AIR

/// With a step band, each sleep step may find any of the near-tied remaining objects: its where
/// term is log Σ over them of N(position), and its what-heads read the one the where head is
/// nearest to.
final class StepBandTests: XCTestCase {
    func testCandidatesAreTheNearTiedRemainingObjects() {
        let camera = ModelConfig().camera
        // Two side by side in front, a third close behind them, one far back.
        let scene = LatentCode.canonicalOrder([redObject(0.8, -1), redObject(-0.8, -1), redObject(0, -0.9), redObject(0, 1.3)], camera: camera)
        let y = LatentCode.projectedHeights(scene, camera: camera)
        XCTAssertEqual(scene.map(\.position.y), [-1, -1, -0.9, 1.3])
        XCTAssertEqual(LatentCode.stepCandidates(y, from: 0, band: 0, limit: 4), [0, 1], "an exact tie is a tie at band 0")
        XCTAssertEqual(LatentCode.stepCandidates(y, from: 0, band: 3, limit: 4), [0, 1, 2])
        XCTAssertEqual(LatentCode.stepCandidates(y, from: 0, band: 3, limit: 2), [0, 1])
        XCTAssertEqual(LatentCode.stepCandidates(y, from: 1, band: 3, limit: 4), [1, 2])
        XCTAssertEqual(LatentCode.stepCandidates(y, from: 3, band: 3, limit: 4), [3])
        XCTAssertEqual(LatentCode.stepCandidates(y, from: 4, band: 3, limit: 4), [], "past the last object")
        XCTAssertLessThan(y[3], y[2] - 3, "the far object is outside the band")
    }

    /// Value and gradient (mean and log std) of the where term are those of log Σ_m N(x_m):
    /// against central differences of the log-sum-exp computed in Double.
    func testTheWhereTermIsTheLogSumOverCandidates() {
        let candidates: [[SIMD2<Float>]] = [[SIMD2(0.1, -0.2), SIMD2(0.25, -0.18), SIMD2(-0.3, 0.4)], [SIMD2(0.5, 0.5)], []]
        let mean0: [Float] = [0.18, -0.1, 0.45, 0.52, 0, 0]
        let logStd0: [Float] = [-1.7, -2.0, -2.5, -2.2, 0, 0]
        let mean = Tensor.parameter(shape: [3, 2], values: mean0)
        let logStd = Tensor.parameter(shape: [3, 2], values: logStd0)
        let tape = Tape()
        let (ll, nearest) = SleepObjective.candidateWhereLL(Normal(mean: tape.watch(mean), logStd: tape.watch(logStd)),
                                                            candidates: candidates, tape: tape)
        XCTAssertEqual(nearest[0], 1, "the mean lies nearest the second candidate")
        // Row 2 has no candidate: its value is masked by the caller; only rows 0 and 1 enter.
        tape.backward([(ll, [1, 1, 0])])
        func exact(_ m: [Double], _ s: [Double]) -> [Double] {
            candidates.enumerated().map { k, c in
                let ll = c.map { x -> Double in
                    (0..<2).reduce(0.0) { acc, d in
                        let z = (Double(x[d]) - m[2 * k + d]) / exp(s[2 * k + d])
                        return acc - 0.5 * z * z - s[2 * k + d] - 0.5 * log(2 * Double.pi)
                    }
                }
                guard let top = ll.max() else { return 0 }
                return top + log(ll.map { exp($0 - top) }.reduce(0, +))
            }
        }
        let m = mean0.map(Double.init), s = logStd0.map(Double.init)
        let value = exact(m, s)
        for k in 0..<2 { XCTAssertEqual(Double(ll.values[k]), value[k], accuracy: 1e-3 * max(1, abs(value[k]))) }
        let h = 1e-5
        for (p, base, isMean) in [(mean, m, true), (logStd, s, false)] {
            for j in 0..<4 {
                var up = base, down = base
                up[j] += h; down[j] -= h
                let f = { (v: [Double]) in isMean ? exact(v, s) : exact(m, v) }
                let numeric = (f(up)[j / 2] - f(down)[j / 2]) / (2 * h)
                XCTAssertEqual(Double(p.grad![j]), numeric, accuracy: 1e-3 * max(1, abs(numeric)), "\(isMean ? "mean" : "log std") \(j)")
            }
        }
    }

    /// Band 0 is the canonical loss bit for bit; a band changes it only where there are ties, and
    /// then the what-heads are taught the candidate the where head is nearest to.
    func testBandZeroIsTheCanonicalLoss() throws {
        var config = tinyConfig(maxObjects: 3)
        config.samplesPerPixel = 1
        var rng = RNG(seed: 4)
        let network = GuideNetwork(config: config, rng: &rng)
        let spec = try BatchSpec.read("""
        {"kind": "random", "objects_per_scene": {"min": 2, "max": 3}, "size": [32, 32], "spp": 1,
         "min_visible_pixels": 8, "x": [-1.2, 1.2], "y": [-1.2, 1.2]}
        """, file: "ties.json")
        let builder = try BatchBuilder(source: SpecSource(spec: spec, seed: 5), config: config, threads: 1)
        let batch = try builder.batch(first: 0, count: 8, noiseSeed: 2)
        func terms(band: Double) -> SleepObjective.Terms {
            var objective = SleepObjective(network: network)
            objective.stepBand = band
            var rows = (0..<8).map { RNG(seed: 90 + UInt64($0)) }
            return objective.loss(batch, table: builder.tableColor, tape: Tape(), rows: &rows)
        }
        func loss(band: Double) -> Float { terms(band: band).loss.item }
        let plain = SleepObjective(network: network)
        var rows = (0..<8).map { RNG(seed: 90 + UInt64($0)) }
        XCTAssertEqual(loss(band: 0), plain.loss(batch, table: builder.tableColor, tape: Tape(), rows: &rows).loss.item)
        let ties = batch.objects.contains { o in
            let y = LatentCode.projectedHeights(o, camera: config.camera)
            return o.indices.contains { LatentCode.stepCandidates(y, from: $0, band: 6, limit: 4).count > 1 }
        }
        XCTAssertTrue(ties, "some of 8 scenes of 2–3 objects have near-tied objects")
        XCTAssertNotEqual(loss(band: 6), loss(band: 0))
        XCTAssertLessThan(terms(band: 6).position, terms(band: 0).position, "log Σ over candidates exceeds the canonical one's term")
    }
}
