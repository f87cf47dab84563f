import Dispatch
import Random

/// A scene drawn from a batch spec, with its instance mask when sampling needed one.
public struct SampledScene: Sendable {
    public var scene: Scene
    public var mask: [UInt8]?
    /// Whole-scene draws used (1 when the first was accepted).
    public var attempts: Int
}

/// The batch could not produce scene `index` within the spec's limits.
public struct SamplingError: Error, CustomStringConvertible {
    public var index: Int
    public var message: String
    public var description: String { "scene \(index): \(message)" }
}

extension BatchSpec {
    /// Tries to place one object among those already placed before a fresh draw of the scene.
    static let placementTries = 100

    /// The longest one scene's sampling may take, in seconds, whatever `max_attempts` allows:
    /// a scene of the shipped specs takes well under a millisecond, and a spec whose scenes
    /// cannot be met should fail in seconds, saying what to change, not run for minutes per
    /// scene without a word. (A bound in time, not attempts: an attempt's cost grows with the
    /// object count. It only decides between a scene and an error, never which scene.)
    public static let sceneTimeLimit = 10.0

    /// Scene `index` of the batch. It depends only on (seed, index): it is drawn from
    /// `RNG(seed: seed).split(index)`, and rejected draws (overlapping footprints, an
    /// object showing fewer than `min_visible_pixels`) retry from that same stream, so
    /// the result is the same whatever order or thread asks for it.
    public func sample(index: Int, seed: UInt64, renderer: some MaskRenderer, timeLimit: Double = BatchSpec.sceneTimeLimit) throws -> SampledScene {
        // The light and the effects come from streams of their own, so that specs without them
        // draw exactly the scenes they always did.
        var lightRNG = RNG(seed: seed).split(UInt64(index)).split(Self.lightStream)
        let drawn = isPlain(index: index, seed: seed) ? nil : light?.sample(&lightRNG)
        let base = Scene(camera: camera, light: drawn ?? Light(), tableColor: tableColor)
        if let length = sweepLength, !(0..<length).contains(index) {
            throw SamplingError(index: index, message: "the sweep has only \(length) scenes (0...\(length - 1))")
        }
        switch kind {
        case .rotationSweep(var object, let angles):
            object.rotation = angles[index]
            return SampledScene(scene: base.with(objects: [object]), mask: nil, attempts: 1)
        case .positionGrid(var object, let xs, let ys):
            object.position = SIMD2(xs[index % xs.count], ys[index / xs.count])
            return SampledScene(scene: base.with(objects: [object]), mask: nil, attempts: 1)
        case .random(let r):
            var rng = RNG(seed: seed).split(UInt64(index))
            // The count is drawn once: redrawing it on rejection would favour small counts.
            let n = rng.categorical(r.countWeights)
            let start = DispatchTime.now().uptimeNanoseconds
            for attempt in 1...r.maxAttempts {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if seconds > timeLimit {
                    throw SamplingError(index: index, message: "gave up after \((seconds * 10).rounded() / 10) s and \(attempt - 1) of max_attempts \(r.maxAttempts) attempts: no scene with \(n) objects met the constraints; \(Self.advice)")
                }
                guard let objects = Self.place(n, r, &rng) else { continue }
                let scene = base.with(objects: objects)
                if r.minVisiblePixels == 0 || n == 0 {
                    return SampledScene(scene: scene, mask: nil, attempts: attempt)
                }
                let mask = try renderer.renderWithMask(scene, samplesPerPixel: samplesPerPixel, image: false, mask: true).mask!
                if Self.everyObjectShows(mask, count: n, atLeast: r.minVisiblePixels) {
                    return SampledScene(scene: scene, mask: mask, attempts: attempt)
                }
            }
            throw SamplingError(index: index, message: "no scene with \(n) objects met the constraints in \(r.maxAttempts) attempts; \(Self.advice)")
        }
    }

    static let advice = "lower objects_per_scene or min_visible_pixels, or widen x and y (the table area), so that the objects fit without overlapping"

    static let lightStream: UInt64 = 0x6c69_6768_74
    static let effectsStream: UInt64 = 0x6566_6665_6374
    static let plainStream: UInt64 = 0x706c_6169_6e

    /// Whether scene `index` is seen as the spec's defaults (`plainProbability`); from a stream
    /// of its own, drawn only when the spec asks, so other specs draw what they always did.
    public func isPlain(index: Int, seed: UInt64) -> Bool {
        guard plainProbability > 0 else { return false }
        var rng = RNG(seed: seed).split(UInt64(index)).split(Self.plainStream)
        return rng.uniformDouble() < plainProbability
    }

    /// What the camera does to image `index` (neutral without `effects`); depends only on (seed, index).
    public func effects(index: Int, seed: UInt64) -> (effects: ImageEffects, rng: RNG) {
        var rng = RNG(seed: seed).split(UInt64(index)).split(Self.effectsStream)
        let e = isPlain(index: index, seed: seed) ? ImageEffects() : effects?.sample(&rng) ?? ImageEffects()
        return (e, rng)
    }

    /// The observed image of a sampled scene: rendered, then the camera's effects applied.
    public func observe(_ scene: Scene, index: Int, seed: UInt64, renderer: some SceneRenderer) throws -> Image {
        var image = try renderer.render(scene, samplesPerPixel: samplesPerPixel)
        var (e, rng) = effects(index: index, seed: seed)
        if !e.isNeutral { e.apply(&image, rng: &rng) }
        return image
    }

    /// Scenes 0 ..< count with the images a user would have of them: observed through the
    /// camera's effects and quantised to 8 bits, as a PNG stores them.
    public func observedScenes(count: Int, seed: UInt64, renderer: Rasterizer) throws -> (scenes: [Scene], images: [Image]) {
        try observedScenes(0..<count, seed: seed, renderer: renderer)
    }

    /// The scenes `indices` of the batch, observed as `observedScenes(count:)` observes them (each
    /// depends on (seed, index) alone: slices of a long batch are its scenes).
    public func observedScenes(_ indices: Range<Int>, seed: UInt64, renderer: Rasterizer) throws -> (scenes: [Scene], images: [Image]) {
        var scenes: [Scene] = [], images: [Image] = []
        for i in indices {
            let s = try sample(index: i, seed: seed, renderer: renderer).scene
            scenes.append(s)
            images.append(PNG.quantized(try observe(s, index: i, seed: seed, renderer: renderer)))
        }
        return (scenes, images)
    }

    /// Latents are quantised to Float, what the renderer sees, so a dataset's JSON
    /// re-renders to the very same image.
    @inline(__always) static func q(_ x: Double) -> Double { Double(Float(x)) }

    static func place(_ n: Int, _ r: Random, _ rng: inout RNG) -> [SceneObject]? {
        var objects: [SceneObject] = []
        objects.reserveCapacity(n)
        for _ in 0..<n {
            let shape = Shape(rawValue: rng.categorical(r.shapeWeights))!
            let color: Color
            switch r.colors {
            case .palette(let w):
                let e = Palette.entries[rng.categorical(w)]
                color = Color(rgb: e.rgb, name: e.name)
            case .uniformRGB:
                color = Color(rgb: SIMD3(q(rng.uniformDouble()), q(rng.uniformDouble()), q(rng.uniformDouble())))
            }
            var placed = false
            for _ in 0..<placementTries {
                var rotation = q(rng.uniform(r.rotation.lo, r.rotation.hi))
                if rotation >= r.rotation.hi && r.rotation.hi > r.rotation.lo { rotation = r.rotation.lo } // Float rounding up to the open end
                let o = SceneObject(shape: shape, color: color,
                                    position: SIMD2(q(rng.uniform(r.x.lowerBound, r.x.upperBound)), q(rng.uniform(r.y.lowerBound, r.y.upperBound))),
                                    rotation: rotation)
                if !objects.contains(where: { Footprint.overlap($0, o) }) {
                    objects.append(o)
                    placed = true
                    break
                }
            }
            if !placed { return nil }
        }
        return objects
    }

    static func everyObjectShows(_ mask: [UInt8], count n: Int, atLeast minimum: Int) -> Bool {
        var counts = [Int](repeating: 0, count: n + 1)
        mask.withUnsafeBufferPointer { m in
            for v in m where Int(v) <= n { counts[Int(v)] += 1 }
        }
        return counts.dropFirst().allSatisfy { $0 >= minimum }
    }
}
