import Engine
import Random
import Scenes
import XCTest
@testable import AIR

/// Scenes taught along the network's own readings: each step's target is the nearest true
/// object none of the earlier readings explains; a copy or a phantom explains nothing; a step
/// after the last true object is taught to stop; an early stop is continued with the truth.
final class OwnReadingsTests: XCTestCase {
    let a = redObject(-0.6, -0.8), b = redObject(0.5, -0.2, .wedge), c = redObject(0, 0.9, .pyramid)

    func testReadingTheTruthIsTeacherForcing() {
        let run = OwnRun.along(readings: [a, b, c], truth: [a, b, c], maxSteps: 5, matchDistance: 0.25)
        XCTAssertEqual(run.remaining, [[a, b, c], [b, c], [c], []])
        XCTAssertEqual(run.fed, [a, b, c])
        let capped = OwnRun.along(readings: [a, b, c], truth: [a, b, c], maxSteps: 3, matchDistance: 0.25)
        XCTAssertEqual(capped.remaining, [[a, b, c], [b, c], [c]], "every step present: no stopping step")
        // The batch's view of such a run is that of the teacher-forced example.
        var batch = TrainingBatch(objects: [[a, b, c], [a]], lights: [Light(), Light()], observed: [], prefixes: [])
        let plain = batch
        batch.runs = [run, nil]
        for k in 0..<2 {
            for i in 0..<5 {
                XCTAssertEqual(Array(batch.left(k, i)), Array(plain.left(k, i)))
                XCTAssertEqual(batch.reaches(k, i), plain.reaches(k, i), "example \(k) step \(i)")
            }
        }
        XCTAssertEqual((0..<3).map { batch.fed(0, $0) }, [a, b, c])
        XCTAssertEqual([plain.reaches(1, 1), plain.reaches(1, 2)], [true, false])
    }

    func testCopiesAndPhantomsExplainNothing() {
        var nearA = a
        nearA.position += SIMD2(0.1, 0.05)
        var copy = a
        copy.position += SIMD2(-0.05, 0.1)
        let phantom = redObject(1.1, 1.1, .cylinder)
        let run = OwnRun.along(readings: [nearA, copy, phantom, b], truth: [a, b], maxSteps: 6, matchDistance: 0.25)
        XCTAssertEqual(run.remaining, [[a, b], [b], [b], [b], []], "the copy and the phantom leave b to find")
        XCTAssertEqual(run.fed, [nearA, copy, phantom, b], "the canvases show what the network read")
        // Read in another order: the reading explains the object it lies on.
        let swapped = OwnRun.along(readings: [b, a], truth: [a, b], maxSteps: 6, matchDistance: 0.25)
        XCTAssertEqual(swapped.remaining, [[a, b], [a], []])
    }

    func testAnEarlyStopIsContinuedWithTheTruthAndAnOverCountTaughtToStop() {
        let early = OwnRun.along(readings: [a], truth: [a, b, c], maxSteps: 5, matchDistance: 0.25)
        XCTAssertEqual(early.remaining, [[a, b, c], [b, c], [c], []])
        XCTAssertEqual(early.fed, [a, b, c])
        let over = OwnRun.along(readings: [a, redObject(1, 1), redObject(-1, 1)], truth: [a], maxSteps: 5, matchDistance: 0.25)
        XCTAssertEqual(over.remaining, [[a], []], "the step after the last true object says stop")
        XCTAssertEqual(over.fed, [a])
        let empty = OwnRun.along(readings: [a], truth: [], maxSteps: 5, matchDistance: 0.25)
        XCTAssertEqual(empty.remaining, [[]])
    }

    /// The builder marks scenes (no other orders for them), and `readAlong` renders each marked
    /// scene's canvases from what its steps fed, under the read light; the loss then follows the
    /// run: along the truth's own objects it is the teacher-forced loss bit for bit; after a
    /// copy, the next step is taught what the copy missed.
    func testReadAlongRendersTheReadingsAndTheLossFollowsTheRun() throws {
        var config = tinyConfig(maxObjects: 3)
        config.samplesPerPixel = 1
        let spec = try BatchSpec.read("""
        {"kind": "random", "objects_per_scene": {"min": 1, "max": 2}, "size": [32, 32], "spp": 1,
         "min_visible_pixels": 8, "x": [-1.2, 1.2], "y": [-1.2, 1.2]}
        """, file: "own.json")
        let builder = try BatchBuilder(source: SpecSource(spec: spec, seed: 6), config: config, threads: 1)
        builder.prefixNoise = (0, 0, 0, 0, 0)
        let teacher = try builder.batch(first: 0, count: 6, noiseSeed: 4)
        XCTAssertEqual(teacher.ownPending, [])
        builder.ownReadings = 1
        builder.orderBand = 100
        var own = try builder.batch(first: 0, count: 6, noiseSeed: 4)
        XCTAssertEqual(own.ownPending, Array(0..<6))
        XCTAssertEqual(own.alternativeOf, [], "a scene read along its own readings has no other orders")
        XCTAssertEqual(own.prefixes, teacher.prefixes)

        func reading(_ objects: [SceneObject]) -> InferredScene {
            InferredScene(objects: objects.map {
                InferredObject(object: $0, presence: 0.9, shapeProbabilities: [], positionStd: .zero, rotationSpread: nil,
                               colorStd: .zero, glimpseCenter: .zero, glimpseSide: 0)
            }, stopPresence: nil, scene: config.scene(objects: objects))
        }
        // Readings equal to the truth: the runs are teacher forcing, the planes unchanged.
        var same = own
        try builder.readAlong(&same, readings: same.objects.map(reading))
        XCTAssertEqual(same.ownPending, [])
        XCTAssertEqual(same.prefixes, teacher.prefixes)
        var rng = RNG(seed: 2)
        let network = GuideNetwork(config: config, rng: &rng)
        func loss(_ batch: TrainingBatch) -> SleepObjective.Terms {
            var rows = (0..<6).map { RNG(seed: 70 + UInt64($0)) }
            return SleepObjective(network: network).loss(batch, table: builder.tableColor, tape: Tape(), rows: &rows)
        }
        XCTAssertEqual(loss(same).loss.item, loss(teacher).loss.item)

        // The first object read twice: the second canvas shows it once more, and one more step is taught.
        let copied = own.objects.map { $0.isEmpty ? $0 : [$0[0], $0[0]] + $0.dropFirst() }
        try builder.readAlong(&own, readings: copied.map(reading))
        let r = Rasterizer(threads: 1)
        let planeSize = own.observed.count, pixels = planeSize / 6
        for k in 0..<6 {
            let run = own.runs[k]!, truth = own.objects[k]
            if truth.count == 2 {
                XCTAssertEqual(run.fed, copied[k], "scene \(k): the copy, then the object it missed")
                XCTAssertEqual(run.remaining, [truth, [truth[1]], [truth[1]]])
            } else {
                XCTAssertEqual(run.fed, truth, "scene \(k): the copy comes after the last object")
                XCTAssertEqual(run.remaining, [truth, []], "so that step is taught to stop")
            }
            for i in 1...min(run.fed.count, 2) {
                let expected = try r.render(config.scene(objects: Array(run.fed.prefix(i))), samplesPerPixel: 1).pixels
                XCTAssertEqual(Array(own.prefixes[(i * planeSize + k * pixels)..<(i * planeSize + (k + 1) * pixels)]), expected,
                               "scene \(k) plane \(i)")
            }
        }
        XCTAssertTrue(own.objects.contains { $0.count == 2 } && own.objects.contains { $0.count == 1 })
        XCTAssertNotEqual(loss(own).loss.item, loss(teacher).loss.item)
    }
}
