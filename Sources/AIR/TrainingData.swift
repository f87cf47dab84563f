import Dispatch
import Random
import Scenes

/// Where training scenes come from: scene `index` must depend only on the index (and the
/// source's own seed), so batches are reproducible whatever the thread count.
public protocol SceneSource: Sendable {
    /// Scene `index` (objects, light, table) and, when the source has it, its observed image
    /// (else it is rendered).
    func scene(_ index: Int, renderer: Rasterizer) throws -> (scene: Scene, image: Image?)
    var camera: Camera { get }
    var samplesPerPixel: Int { get }
    /// False for images without scenes (their scene is a placeholder): only the wake phase
    /// trains on them, and held-out monitoring scores them without labels.
    var labelled: Bool { get }
}

extension SceneSource {
    public var labelled: Bool { true }
}

/// Fresh scenes from a batch spec (the prior of the sleep phase), observed through the spec's
/// camera effects (x ~ p(x | z): the noise belongs in the sleep images).
public struct SpecSource: SceneSource {
    public let spec: BatchSpec
    public let seed: UInt64
    /// When set, every scene stands on this table instead of the spec's (the prior of a model
    /// whose table was fitted to a user's images).
    public let table: SIMD3<Double>?
    /// When set, every scene is seen through this camera's pose and field of view (a model whose
    /// camera was fitted).
    public let cameraPose: Camera?
    public init(spec: BatchSpec, seed: UInt64, table: SIMD3<Double>? = nil, camera: Camera? = nil) {
        self.spec = spec; self.seed = seed; self.table = table; cameraPose = camera
    }
    public var camera: Camera {
        guard let c = cameraPose else { return spec.camera }
        var out = spec.camera
        (out.eye, out.target, out.up, out.fovY) = (c.eye, c.target, c.up, c.fovY)
        return out
    }
    public var samplesPerPixel: Int { spec.samplesPerPixel }

    public func scene(_ index: Int, renderer: Rasterizer) throws -> (scene: Scene, image: Image?) {
        var scene = try spec.sample(index: index, seed: seed, renderer: renderer).scene
        if let table { scene.tableColor = table }
        if cameraPose != nil { scene.camera = camera }
        return (scene, try spec.observe(scene, index: index, seed: seed, renderer: renderer))
    }
}

/// The labelled scenes `entries` of a dataset folder, cycled.
public struct DatasetSource: SceneSource {
    public let dataset: Dataset
    public let entries: Range<Int>
    public init(dataset: Dataset, entries: Range<Int>? = nil) {
        self.dataset = dataset
        self.entries = entries ?? 0..<dataset.entries.count
        precondition(!self.entries.isEmpty, "DatasetSource: no entries")
    }
    public var camera: Camera { dataset.camera }
    public var samplesPerPixel: Int { dataset.samplesPerPixel }

    public func scene(_ index: Int, renderer: Rasterizer) throws -> (scene: Scene, image: Image?) {
        let i = entries.lowerBound + index % entries.count
        return (dataset.entries[i].scene, try dataset.image(i))
    }
}

/// Assembles training batches: renders the observed images (quantised to 8 bits, as PNG inputs
/// will be) and the teacher-forced renderings of each scene's first i objects, in parallel.
public final class BatchBuilder {
    public let source: any SceneSource
    public let config: ModelConfig
    public let threads: Int
    private let renderers: [Rasterizer]
    /// How much the prefix renderings are perturbed (position units, degrees, RGB; the light's
    /// direction in radians and its levels).
    public var prefixNoise = (position: 0.02, rotation: 2.0, color: 0.02, lightDirection: 0.05, lightLevel: 0.02)
    /// The chance that an object of a prefix is rendered as a misreading (a slip): moved by
    /// about `slipNoise.position`, turned by about `slipNoise.rotation` degrees, and one slip in
    /// three given another shape. The network then learns that what such a reading leaves
    /// unexplained is not a new object — the error that sends an uncorrected reading back to
    /// the same spot step after step (teacher forcing alone never shows it its own mistakes).
    public var prefixSlip = 0.0
    public var slipNoise = (position: 0.12, rotation: 25.0)
    /// The chance that a scene's prefixes, from a random step on, also render an object that is
    /// not there (a phantom: any shape, the colour of one of the scene's objects, anywhere on the
    /// table area clear of the real ones). What a reading at a bare spot leaves — a block drawn
    /// where the image has table — is then taught as no reason to read another, and the runs
    /// of readings at one bare spot in a crowd (each leaving the same residual for the next)
    /// have something to stop them. The targets stay the true objects.
    public var phantomSlip = 0.0
    /// When > 0, each scene is also taught in its other admissible orders (at most `orderLimit`
    /// in all): objects whose centres project within this many pixels of each other's height
    /// may be found in either order (`LatentCode.admissibleOrders`).
    public var orderBand = 0.0
    public var orderLimit = 6
    /// The chance that a scene is taught along the network's own readings of its image
    /// (`OwnRun`) rather than along its true objects: `batch` marks it (`TrainingBatch.ownPending`,
    /// no other orders), and `readAlong` renders its prefixes once the network has read it.
    public var ownReadings = 0.0
    /// A reading explains a true object whose centre lies this close (table units).
    public var ownMatchDistance = 0.25
    public let tableColor: SIMD3<Float>
    /// The bare table under the default light: every scene's first prefix plane.
    private let bareTable: Image

    public init(source: any SceneSource, config: ModelConfig, threads: Int) throws {
        self.source = source
        self.config = config
        self.threads = max(1, threads)
        renderers = (0..<max(1, threads)).map { _ in Rasterizer(threads: 1) }
        bareTable = try renderers[0].render(config.scene(), samplesPerPixel: config.samplesPerPixel)
        tableColor = SIMD3(bareTable.pixels[0], bareTable.pixels[1], bareTable.pixels[2])
    }

    /// The batch of scenes first ..< first + count; `noiseSeed` keys the prefix perturbations.
    /// Without `prefixes` (the ELBO needs only the observed images) the renderings are skipped.
    public func batch(first: Int, count: Int, noiseSeed: UInt64, prefixes withPrefixes: Bool = true) throws -> TrainingBatch {
        let cfg = config, n = cfg.maxObjects
        let pixels = cfg.width * cfg.height * 3
        var objects = [[SceneObject]](repeating: [], count: count)
        var lights = [Light](repeating: Light(), count: count)
        var observed = [Float](repeating: 0, count: count * pixels)
        var prefixFlat = [Float](repeating: 0, count: withPrefixes ? n * count * pixels : 0)
        // Each worker writes disjoint slices; results depend only on the scene index.
        try lights.withUnsafeMutableBufferPointer { lts in
        try objects.withUnsafeMutableBufferPointer { objs in
          try observed.withUnsafeMutableBufferPointer { obs in
            try prefixFlat.withUnsafeMutableBufferPointer { pre in
                try inParallel(count) { w, k in
                    let renderer = renderers[w]
                    let index = first + k
                    let s = try source.scene(index, renderer: renderer)
                    let ordered = LatentCode.canonicalOrder(Array(s.scene.objects.prefix(n)), camera: cfg.camera)
                    objs[k] = ordered
                    lts[k] = s.scene.light
                    let image = try s.image ?? renderer.render(s.scene, samplesPerPixel: cfg.samplesPerPixel)
                    guard image.width == cfg.width, image.height == cfg.height else {
                        throw TrainingError.imageSize(index: index, width: image.width, height: image.height, expected: (cfg.width, cfg.height))
                    }
                    let q = PNG.quantized(image)
                    for j in 0..<pixels { obs[k * pixels + j] = q.pixels[j] }
                    if withPrefixes {
                        try renderPrefixes(ordered, light: s.scene.light, index: index, noiseSeed: noiseSeed,
                                           renderer: renderer, into: pre.baseAddress!, row: k, rows: count)
                    }
                }
            }
          }
        }
        }
        var batch = TrainingBatch(objects: objects, lights: lights, observed: observed, prefixes: prefixFlat)
        if withPrefixes && ownReadings > 0 {
            // Its own stream, so that a run without own readings draws as before.
            batch.ownPending = (0..<count).filter { k in
                var r = RNG(seed: noiseSeed ^ 0x0A11_4EAD).split(UInt64(first + k))
                return r.uniformDouble() < ownReadings
            }
        }
        return withPrefixes && orderBand > 0 ? try withAlternativeOrders(batch, first: first, noiseSeed: noiseSeed) : batch
    }

    /// The pending scenes of `batch` taught along `readings` (the network's readings of their
    /// images, in `batch.ownPending`'s order): each one's run, and its prefix planes rendered
    /// from what its steps fed (under the light the network read, or the default light for a
    /// model that reads none), as inference draws its canvases.
    public func readAlong(_ batch: inout TrainingBatch, readings: [InferredScene]) throws {
        precondition(readings.count == batch.ownPending.count, "readAlong: \(readings.count) readings for \(batch.ownPending.count) scenes")
        guard !batch.ownPending.isEmpty else { return }
        let cfg = config, pixels = cfg.width * cfg.height * 3, rows = batch.size
        var runs = [OwnRun?](repeating: nil, count: rows)
        for (k, reading) in zip(batch.ownPending, readings) {
            runs[k] = OwnRun.along(readings: reading.objects.map(\.object), truth: batch.objects[k],
                                   maxSteps: cfg.maxObjects, matchDistance: ownMatchDistance)
        }
        let pending = batch.ownPending
        try batch.prefixes.withUnsafeMutableBufferPointer { pre in
            try inParallel(pending.count) { w, j in
                let k = pending[j], fed = runs[k]!.fed
                let light = cfg.inferLight ? readings[j].scene.light : Light()
                // Planes past the last fed object belong to steps that do not exist.
                for i in stride(from: 1, through: min(fed.count, cfg.maxObjects - 1), by: 1) {
                    let img = try renderers[w].render(cfg.scene(light: light, objects: Array(fed.prefix(i))), samplesPerPixel: cfg.samplesPerPixel)
                    img.pixels.withUnsafeBufferPointer { src in
                        (pre.baseAddress! + (i * rows + k) * pixels).update(from: src.baseAddress!, count: pixels)
                    }
                }
            }
        }
        batch.runs = runs
        batch.ownPending = []
    }

    /// `batch` (scenes in canonical order) followed by every scene's other admissible orders,
    /// each with its own prefixes (the perturbations keyed by the scene and the order).
    private func withAlternativeOrders(_ batch: TrainingBatch, first: Int, noiseSeed: UInt64) throws -> TrainingBatch {
        let cfg = config, n = cfg.maxObjects, b = batch.size
        let pixels = cfg.width * cfg.height * 3
        var alternatives: [(scene: Int, order: Int, objects: [SceneObject])] = []
        for k in 0..<b where !batch.ownPending.contains(k) {
            let orders = LatentCode.admissibleOrders(batch.objects[k], camera: cfg.camera, band: orderBand, limit: orderLimit)
            for (j, order) in orders.enumerated().dropFirst() {
                alternatives.append((k, j, order.map { batch.objects[k][$0] }))
            }
        }
        guard !alternatives.isEmpty else { return batch }
        let a = alternatives.count, total = b + a
        var observed = batch.observed
        observed.reserveCapacity(total * pixels)
        for alt in alternatives { observed += batch.observed[alt.scene * pixels..<(alt.scene + 1) * pixels] }
        var planes = [Float](repeating: 0, count: n * total * pixels)
        for i in 0..<n {
            planes.replaceSubrange(i * total * pixels..<(i * total + b) * pixels,
                                   with: batch.prefixes[i * b * pixels..<(i + 1) * b * pixels])
        }
        try planes.withUnsafeMutableBufferPointer { pre in
            try inParallel(a) { w, j in
                let alt = alternatives[j]
                try renderPrefixes(alt.objects, light: batch.lights[alt.scene], index: first + alt.scene,
                                   noiseSeed: noiseSeed ^ (0x0DE5 &* UInt64(alt.order)),
                                   renderer: renderers[w], into: pre.baseAddress!, row: b + j, rows: total)
            }
        }
        var out = TrainingBatch(objects: batch.objects + alternatives.map(\.objects),
                                lights: batch.lights + alternatives.map { batch.lights[$0.scene] },
                                observed: observed, prefixes: planes)
        out.alternativeOf = alternatives.map(\.scene)
        out.ownPending = batch.ownPending
        return out
    }

    /// `body(worker, item)` for items 0 ..< count, item k on worker k mod workers (each worker
    /// renders with `renderers[worker]`); every item runs, then the first error is thrown.
    private func inParallel(_ count: Int, _ body: (_ worker: Int, _ item: Int) throws -> Void) throws {
        var failure: Error?
        let lock = DispatchQueue(label: "air.batch")
        let workers = min(threads, count)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var k = w
            while k < count {
                do { try body(w, k) } catch { lock.sync { if failure == nil { failure = error } } }
                k += workers
            }
        }
        if let failure { throw failure }
    }

    /// Renders the teacher-forced prefixes of one scene (objects in canonical order) into row
    /// `row` of each of the N prefix planes of `planes` ([N][rows·H·W·3]).
    private func renderPrefixes(_ ordered: [SceneObject], light truth: Light, index: Int, noiseSeed: UInt64,
                                renderer: Rasterizer, into planes: UnsafeMutablePointer<Float>, row: Int, rows: Int) throws {
        let cfg = config, pixels = cfg.width * cfg.height * 3
        var rng = RNG(seed: noiseSeed).split(UInt64(index))
        let noisy = ordered.map { perturb($0, &rng) }
        // Step 0 sees the bare table under the default light (the light is not read yet); later
        // steps the objects found so far under the light read at step 0, here the true one
        // slightly perturbed.
        let light = cfg.inferLight ? perturb(truth, &rng) : Light()
        // Drawn only when phantoms are on, so that a run without them draws as before.
        let phantom = phantomSlip > 0 && !ordered.isEmpty && rng.uniformDouble() < phantomSlip
            ? self.phantom(among: ordered, &rng) : nil
        for i in 0..<cfg.maxObjects {
            var objects = Array(noisy.prefix(i))
            if let phantom, i >= phantom.from { objects.append(phantom.object) }
            let img = i == 0 ? bareTable
                : try renderer.render(cfg.scene(light: light, objects: objects), samplesPerPixel: cfg.samplesPerPixel)
            img.pixels.withUnsafeBufferPointer { src in
                (planes + (i * rows + row) * pixels).update(from: src.baseAddress!, count: pixels)
            }
        }
    }

    /// A batch whose latents are given (the wake phase's targets, read from the images
    /// themselves) rather than drawn: the observed images as they are, the prefixes rendered
    /// from `targets` as `batch` renders them from the prior's scenes. `first` keys the noise.
    public func teacherForced(targets: [Scene], observed: [Float], first: Int, noiseSeed: UInt64) throws -> TrainingBatch {
        let cfg = config, n = cfg.maxObjects, count = targets.count
        let pixels = cfg.width * cfg.height * 3
        precondition(observed.count == count * pixels, "observed holds \(observed.count) values, not \(count) images")
        let ordered = targets.map { LatentCode.canonicalOrder(Array($0.objects.prefix(n)), camera: cfg.camera) }
        var prefixFlat = [Float](repeating: 0, count: n * count * pixels)
        try prefixFlat.withUnsafeMutableBufferPointer { pre in
            try inParallel(count) { w, k in
                try renderPrefixes(ordered[k], light: targets[k].light, index: first + k, noiseSeed: noiseSeed,
                                   renderer: renderers[w], into: pre.baseAddress!, row: k, rows: count)
            }
        }
        return TrainingBatch(objects: ordered, lights: targets.map(\.light), observed: observed, prefixes: prefixFlat)
    }

    /// A phantom for `phantomSlip`: the step from which the prefixes show it (1 ... the scene's
    /// count, so that the step exists) and the object, placed clear of the real ones (nil when
    /// 20 tries find no room).
    private func phantom(among objects: [SceneObject], _ rng: inout RNG) -> (from: Int, object: SceneObject)? {
        let from = 1 + rng.int(below: objects.count)
        let half = config.tableHalfWidth
        let shape = Shape.allCases[rng.int(below: Shape.allCases.count)]
        let color = objects[rng.int(below: objects.count)].color
        for _ in 0..<20 {
            let o = SceneObject(shape: shape, color: color,
                                position: SIMD2(rng.uniform(-half, half), rng.uniform(-half, half)), rotation: rng.uniform(0, 360))
            if !objects.contains(where: { Footprint.overlap($0, o) }) { return (from, o) }
        }
        return nil
    }

    private func perturb(_ l: Light, _ rng: inout RNG) -> Light {
        var p = l
        let u = l.unitDirection + SIMD3(rng.normal(), rng.normal(), rng.normal()) * prefixNoise.lightDirection
        p.direction = SIMD3(u.x, u.y, max(u.z, 0.1))
        p.ambient = max(0, l.ambient + prefixNoise.lightLevel * rng.normal())
        p.diffuse = max(0, l.diffuse + prefixNoise.lightLevel * rng.normal())
        return p
    }

    private func perturb(_ o: SceneObject, _ rng: inout RNG) -> SceneObject {
        var p = o
        p.position.x += prefixNoise.position * rng.normal()
        p.position.y += prefixNoise.position * rng.normal()
        p.rotation += prefixNoise.rotation * rng.normal()
        var c = p.color.rgb
        for j in 0..<3 { c[j] = min(max(c[j] + prefixNoise.color * rng.normal(), 0), 1) }
        p.color = Color(rgb: c)
        // Drawn only when slips are on, so that a run without them draws as before.
        if prefixSlip > 0 && rng.uniformDouble() < prefixSlip {
            p.position.x += slipNoise.position * rng.normal()
            p.position.y += slipNoise.position * rng.normal()
            p.rotation += slipNoise.rotation * rng.normal()
            if rng.uniformDouble() < 1.0 / 3 {
                let others = Shape.allCases.filter { $0 != o.shape }
                p.shape = others[rng.int(below: others.count)]
            }
        }
        return p
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case imageSize(index: Int, width: Int, height: Int, expected: (Int, Int))
    case nonFinite(step: Int, what: String)
    case badModel(path: String, message: String)
    case badRun(path: String, message: String)
    case unsupported(String)

    public var description: String {
        switch self {
        case let .imageSize(i, w, h, e):
            return "scene \(i): image is \(w)x\(h), the model reads \(e.0)x\(e.1)"
        case let .nonFinite(step, what):
            return "step \(step): \(what) is not finite; training stopped (the last checkpoint is intact)"
        case let .badModel(path, message), let .badRun(path, message):
            return "\(path): \(message)"
        case let .unsupported(message):
            return message
        }
    }
}
