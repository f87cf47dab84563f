import Engine
import Random
import Scenes
import XCTest
@testable import AIR

final class TrainingTests: XCTestCase {
    func tinyTrainer(steps: Int, objective: Objective = .sleep, seed: UInt64 = 5, evalImages: Int = 32,
                     learningRate: Float = 3e-3) throws -> Trainer {
        let spec = try tinySpec()
        var options = TrainingOptions()
        options.objective = objective
        options.steps = steps
        options.batchSize = 8
        options.warmup = 5
        options.learningRate = learningRate
        options.seed = seed
        options.threads = 2
        options.evalImages = evalImages
        var config = tinyConfig(maxObjects: 2)
        config.width = spec.camera.width; config.height = spec.camera.height
        config.samplesPerPixel = spec.samplesPerPixel
        var rng = RNG(seed: seed)
        let net = GuideNetwork(config: config, rng: &rng)
        return try Trainer(network: net, source: SpecSource(spec: spec, seed: seed),
                           heldOutSource: SpecSource(spec: spec, seed: seed + 1000), options: options)
    }

    func params(_ t: Trainer) -> [[Float]] { t.learner.namedParameters().map(\.tensor.values) }

    /// A few dozen sleep steps on 0–1 object scenes must count far better than chance (50 %).
    func testSleepTrainingBeatsChance() throws {
        let t = try tinyTrainer(steps: 250, evalImages: 64)
        let before = try t.evaluateHeldOut().overall.countAccuracy!
        var losses: [Double] = []
        while t.step < 250 { losses.append(try t.trainStep().loss) }
        let after = try t.evaluateHeldOut().overall.countAccuracy!
        XCTAssertLessThan(losses.suffix(20).reduce(0, +) / 20, losses.prefix(20).reduce(0, +) / 20 - 1)
        XCTAssertGreaterThan(after, 0.8, "count accuracy \(before) → \(after)")
    }

    /// The light head learns the scene's light from sleep scenes: after training, the table's
    /// shade it implies (ambient + diffuse · L_z, what sets the brightness of every difference
    /// image) errs by less than half of what the best constant guess does.
    func testSleepTrainingReadsTheLight() throws {
        var spec = try tinySpec()
        var prior = LightPrior()
        prior.elevation = Draw(30, 90)
        prior.azimuth = Draw(0, 360)
        prior.ambient = Draw(0.15, 0.45)
        prior.diffuse = Draw(0.5, 0.9)
        spec.light = prior
        var options = TrainingOptions()
        options.objective = .sleep
        options.steps = 200
        options.batchSize = 8
        options.warmup = 5
        options.learningRate = 3e-3
        options.seed = 9
        options.evalImages = 1
        var config = tinyConfig(maxObjects: 2, light: true)
        config.width = 32; config.height = 32; config.samplesPerPixel = 1
        var rng = RNG(seed: 9)
        let net = GuideNetwork(config: config, rng: &rng)
        let t = try Trainer(network: net, source: SpecSource(spec: spec, seed: 9), heldOutSource: SpecSource(spec: spec, seed: 10), options: options)
        func shade(_ l: Light) -> Double { l.ambient + l.diffuse * l.unitDirection.z }
        func shadeErrors() throws -> (read: Double, constant: Double) {
            let r = Rasterizer()
            var images: [Image] = [], truth: [Light] = []
            for i in 0..<32 {
                let s = try spec.sample(index: i, seed: 77, renderer: r).scene
                images.append(PNG.quantized(try r.render(s, samplesPerPixel: 1)))
                truth.append(s.light)
            }
            let read = try Inferrer(network: net).infer(images)
            let median = truth.map(shade).sorted()[16]
            return (zip(read, truth).map { abs(shade($0.scene.light) - shade($1)) }.reduce(0, +) / 32,
                    truth.map { abs(shade($0) - median) }.reduce(0, +) / 32)
        }
        let before = try shadeErrors()
        while t.step < 200 { _ = try t.trainStep() }
        let after = try shadeErrors()
        XCTAssertLessThan(after.read, 0.5 * after.constant, "mean table-shade error \(before.read) → \(after.read) (constant guess \(after.constant))")
    }

    /// Saving mid-run and resuming into a fresh trainer continues bit for bit.
    func testResumeContinuesExactly() throws {
        let dir = NSTemporaryDirectory() + "air-resume-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for objective in [Objective.sleep, .elbo] {
            let a = try tinyTrainer(steps: 6, objective: objective, evalImages: 1)
            while a.step < 6 { _ = try a.trainStep() }

            let b = try tinyTrainer(steps: 6, objective: objective, evalImages: 1)
            while b.step < 3 { _ = try b.trainStep() }
            let run = TrainingRun(folder: dir + "/" + objective.rawValue)
            try run.save(b, source: .defaultSpec)
            let settings = try run.settings()
            XCTAssertEqual(settings.options, b.options)
            XCTAssertEqual(settings.config, b.network.config)

            let c = try tinyTrainer(steps: 6, objective: objective, seed: 5, evalImages: 1)
            try run.restore(into: c)
            XCTAssertEqual(c.step, 3)
            while c.step < 6 { _ = try c.trainStep() }
            XCTAssertEqual(params(a), params(c), "\(objective)")
            XCTAssertNotEqual(params(a), params(b), "\(objective): the check must be able to fail")
        }
    }

    /// Checkpoints fall due by time, and once at the first logged step.
    func testCheckpointCadence() {
        var c = CheckpointCadence(interval: 300, start: 1000)
        XCTAssertFalse(c.isDue(logged: false, now: 1010))
        XCTAssertTrue(c.isDue(logged: true, now: 1010), "the first logged step")
        c.saved(at: 1010, logged: true)
        XCTAssertFalse(c.isDue(logged: true, now: 1020), "only the first")
        XCTAssertFalse(c.isDue(logged: false, now: 1309))
        XCTAssertTrue(c.isDue(logged: false, now: 1310))
        c.saved(at: 1310, logged: false)
        XCTAssertFalse(c.isDue(logged: true, now: 1400))
    }

    /// The ELBO objective alone, from scratch, raises the ELBO it estimates.
    func testElboTrainingRaisesTheElbo() throws {
        let t = try tinyTrainer(steps: 80, objective: .elbo, evalImages: 1, learningRate: 3e-3)
        var elbos: [Double] = []
        while t.step < 80 { elbos.append(try t.trainStep().elbo!) }
        let first = elbos.prefix(15).reduce(0, +) / 15, last = elbos.suffix(15).reduce(0, +) / 15
        print("ELBO per image: first 15 steps \(first), last 15 \(last)")
        XCTAssertGreaterThan(last, first + 100)
    }

    /// A diverging run stops with a clear error at the first non-finite loss or gradient, and the
    /// checkpoint saved before it still loads.
    func testNonFiniteValuesStopTraining() throws {
        let t = try tinyTrainer(steps: 50, evalImages: 1, learningRate: 1e30)
        let dir = NSTemporaryDirectory() + "air-nan-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = TrainingRun(folder: dir)
        try run.save(t, source: .defaultSpec)
        var failure: Error?
        for _ in 0..<20 {
            do { _ = try t.trainStep() } catch { failure = error; break }
        }
        guard case .nonFinite(let step, _)? = failure as? TrainingError else {
            return XCTFail("expected a non-finite error, got \(String(describing: failure))")
        }
        XCTAssert("\(failure!)".contains("not finite; training stopped"))
        XCTAssertEqual(step, t.step + 1)
        XCTAssertNoThrow(try ModelFile.load(run.modelPath))
    }

    /// One ELBO estimate: finite, with an upstream gradient for every reparameterised latent,
    /// and a backward pass that reaches the presence head (through REINFORCE) and the baselines.
    func testElboEstimateDrivesEveryPart() throws {
        let t = try tinyTrainer(steps: 2, objective: .elbo, evalImages: 1)
        let tape = Tape()
        let batch = try t.builder.batch(first: 0, count: 4, noiseSeed: 1, prefixes: false)
        var rows = (0..<4).map { RNG(seed: 9).split(UInt64($0)) }
        t.learner.zeroGrad()
        let e = try t.elbo.estimate(observed: batch.observed, batch: 4, table: t.builder.tableColor, tape: tape, rows: &rows)
        XCTAssert(e.elbo.isFinite && e.surrogate.item.isFinite)
        XCTAssertEqual(e.seeds.count, 3 * t.network.config.maxObjects)
        for (tensor, grad) in e.seeds { XCTAssertEqual(tensor.count, grad.count) }
        tape.backward(e.seeds + [(e.surrogate, [1])])
        let grads = Dictionary(uniqueKeysWithValues: t.learner.namedParameters().map { ($0.name, $0.tensor.grad ?? []) })
        XCTAssert(grads["guide.presWhere.weight"]!.contains { $0 != 0 })
        XCTAssert(grads["baselines.mlp.layers.1.weight"]!.contains { $0 != 0 })
        XCTAssert(grads["guide.what.layers.1.weight"]!.contains { $0 != 0 })
    }

    /// Inference reads each image the same whether it is alone or in a batch.
    func testInferenceDoesNotDependOnBatching() throws {
        let t = try tinyTrainer(steps: 1, evalImages: 1)
        let spec = try tinySpec()
        let r = Rasterizer(threads: 1)
        let images = try (0..<3).map { try r.render(spec.sample(index: $0, seed: 4, renderer: r).scene, samplesPerPixel: 1) }
        let inferrer = try Inferrer(network: t.network)
        let together = try inferrer.infer(images, batchSize: 3)
        let alone = try images.map { try inferrer.infer([$0], batchSize: 1)[0] }
        for (x, y) in zip(together, alone) {
            XCTAssertEqual(x.objects.count, y.objects.count)
            for (a, b) in zip(x.objects, y.objects) {
                XCTAssertEqual(a.object.shape, b.object.shape)
                XCTAssertEqual(a.object.position.x, b.object.position.x, accuracy: 1e-4)
                XCTAssertEqual(a.presence, b.presence, accuracy: 1e-4)
            }
        }
    }
}
