import Engine
import Random
import Scenes
import XCTest
@testable import AIR

/// Near-tied objects may be taught in either order: the sleep loss of a scene is then
/// −log Σ_orders q(z in that order | x).
final class AdmissibleOrderTests: XCTestCase {
    func testOrdersWithinTheBandOnly() {
        let camera = ModelConfig().camera
        // Side by side (the same depth): either first; the canonical order (left first) leads.
        let pair = LatentCode.canonicalOrder([redObject(0.9, 0), redObject(-0.9, 0)], camera: camera)
        XCTAssertEqual(pair.map(\.position.x), [-0.9, 0.9])
        XCTAssertEqual(LatentCode.admissibleOrders(pair, camera: camera, band: 2, limit: 6), [[0, 1], [1, 0]])
        // A hair nearer: first at band 0, either within a band of 2 pixels.
        let hair = LatentCode.canonicalOrder([redObject(-0.9, 0), redObject(0.9, -0.05)], camera: camera)
        XCTAssertEqual(hair.map(\.position.x), [0.9, -0.9])
        XCTAssertEqual(LatentCode.admissibleOrders(hair, camera: camera, band: 0, limit: 6), [[0, 1]])
        XCTAssertEqual(LatentCode.admissibleOrders(hair, camera: camera, band: 2, limit: 6), [[0, 1], [1, 0]])
        // One clearly nearer (lower in the image): nearest first only.
        let near = LatentCode.canonicalOrder([redObject(0, 1.2), redObject(0, -1.2)], camera: camera)
        XCTAssertEqual(near.map(\.position.y), [-1.2, 1.2])
        XCTAssertEqual(LatentCode.admissibleOrders(near, camera: camera, band: 2, limit: 6), [[0, 1]])
        // Three in a row: all six orders, depth first; the limit keeps the first ones.
        let row = LatentCode.canonicalOrder([redObject(1, 0), redObject(0, 0), redObject(-1, 0)], camera: camera)
        let all = LatentCode.admissibleOrders(row, camera: camera, band: 2, limit: 10)
        XCTAssertEqual(all, [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
        XCTAssertEqual(LatentCode.admissibleOrders(row, camera: camera, band: 2, limit: 3), Array(all.prefix(3)))
        // Two side by side in front, one far behind: the far one stays last.
        let mixed = LatentCode.canonicalOrder([redObject(0.8, -1), redObject(-0.8, -1), redObject(0, 1.3)], camera: camera)
        XCTAssertEqual(LatentCode.admissibleOrders(mixed, camera: camera, band: 2, limit: 6), [[0, 1, 2], [1, 0, 2]])
    }

    private func spec() throws -> BatchSpec {
        try BatchSpec.read("""
        {"kind": "random", "objects_per_scene": {"min": 2, "max": 3}, "size": [32, 32], "spp": 1,
         "min_visible_pixels": 8, "x": [-1.2, 1.2], "y": [-1.2, 1.2]}
        """, file: "orders.json")
    }

    /// Examples `examples` of `batch` as a batch of their own (no alternatives).
    private func sub(_ batch: TrainingBatch, _ examples: [Int], maxObjects n: Int) -> TrainingBatch {
        let pixels = batch.observed.count / batch.size
        var prefixes: [Float] = []
        for i in 0..<n {
            for k in examples { prefixes += batch.prefixes[batch.prefixOffset(i) + k * pixels..<batch.prefixOffset(i) + (k + 1) * pixels] }
        }
        return TrainingBatch(objects: examples.map { batch.objects[$0] }, lights: examples.map { batch.lights[$0] },
                             observed: examples.flatMap { batch.observed[$0 * pixels..<($0 + 1) * pixels] }, prefixes: prefixes)
    }

    func testTheBuilderAddsEachScenesOtherOrders() throws {
        var config = tinyConfig(maxObjects: 3)
        config.samplesPerPixel = 1
        let plain = try BatchBuilder(source: SpecSource(spec: spec(), seed: 5), config: config, threads: 2)
        let ordered = try BatchBuilder(source: SpecSource(spec: spec(), seed: 5), config: config, threads: 2)
        ordered.orderBand = 3
        let a = try plain.batch(first: 0, count: 8, noiseSeed: 2)
        let b = try ordered.batch(first: 0, count: 8, noiseSeed: 2)
        XCTAssertGreaterThan(b.alternativeOf.count, 0, "some of 8 scenes of 2–3 objects have near-tied objects")
        XCTAssertEqual(b.sceneCount, 8)
        XCTAssertEqual(Array(b.objects.prefix(8)), a.objects)
        XCTAssertEqual(sub(b, Array(0..<8), maxObjects: 3).prefixes, a.prefixes, "the canonical examples are the plain batch")
        XCTAssertEqual(Array(b.observed.prefix(a.observed.count)), a.observed)
        let pixels = a.observed.count / 8
        for (j, scene) in b.alternativeOf.enumerated() {
            let alt = b.objects[8 + j]
            XCTAssertNotEqual(alt, a.objects[scene])
            XCTAssertEqual(Set(alt.map(\.position.x)), Set(a.objects[scene].map(\.position.x)), "a permutation of the scene's objects")
            XCTAssertEqual(Array(b.observed[(8 + j) * pixels..<(9 + j) * pixels]), Array(a.observed[scene * pixels..<(scene + 1) * pixels]))
        }
    }

    /// A scene's examples are weighted by their orders' responsibilities: the gradient is
    /// Σ softmax(log q_π) ∇(−log q_π), each order's computed as a batch of its own.
    func testTheLossIsTheLogSumOverOrders() throws {
        var config = tinyConfig(maxObjects: 3)
        config.samplesPerPixel = 1
        var rng = RNG(seed: 4)
        let network = GuideNetwork(config: config, rng: &rng)
        let builder = try BatchBuilder(source: SpecSource(spec: spec(), seed: 5), config: config, threads: 1)
        builder.orderBand = 3
        let full = try builder.batch(first: 0, count: 8, noiseSeed: 2)
        let scene = try XCTUnwrap(full.alternativeOf.first)
        let examples = [scene] + full.alternativeOf.indices.filter { full.alternativeOf[$0] == scene }.map { 8 + $0 }
        XCTAssertGreaterThan(examples.count, 1)
        var group = sub(full, examples, maxObjects: 3)
        group.alternativeOf = [Int](repeating: 0, count: examples.count - 1)
        let objective = SleepObjective(network: network)
        let params = network.namedParameters().map(\.tensor)
        func run(_ batch: TrainingBatch, streams: [UInt64]) -> (Double, [Float]) {
            var rows = streams.map { RNG(seed: $0) }
            let tape = Tape()
            network.zeroGrad()
            let t = objective.loss(batch, table: builder.tableColor, tape: tape, rows: &rows, total: 1)
            t.loss.backward()
            return (Double(t.loss.item), params.flatMap { $0.grad ?? [Float](repeating: 0, count: $0.count) })
        }
        let streams = examples.indices.map { 70 + UInt64($0) }
        let (_, together) = run(group, streams: streams)
        let alone = examples.indices.map { run(sub(group, [$0], maxObjects: 3), streams: [streams[$0]]) }
        let top = alone.map { -$0.0 }.max()!
        let e = alone.map { exp(-$0.0 - top) }
        let r = e.map { $0 / e.reduce(0, +) }
        XCTAssertLessThan(r.max()!, 0.999999, "both orders should carry weight in a fresh network")
        var expected = [Float](repeating: 0, count: together.count)
        for (w, a) in zip(r, alone) { for j in expected.indices { expected[j] += Float(w) * a.1[j] } }
        let scale = expected.map(abs).max()!
        XCTAssertGreaterThan(scale, 0)
        var worst: Float = 0
        for j in expected.indices { worst = max(worst, abs(together[j] - expected[j])) }
        XCTAssertLessThan(worst, 1e-4 * scale)
        // Taught as plain examples, the orders would each count whole: a different gradient.
        var plain = group
        plain.alternativeOf = []
        let (_, summed) = run(plain, streams: streams)
        var apart: Float = 0
        for j in expected.indices { apart = max(apart, abs(summed[j] - expected[j])) }
        XCTAssertGreaterThan(apart, 1e-2 * scale)
    }
}
