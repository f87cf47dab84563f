import JSON

/// A batch spec: how `air generate` makes scene i of a dataset.
///
/// Random batches (`"kind": "random"`, the default) sample every latent; sweeps move one
/// fixed object systematically, for pose-error studies. See scenes/*.json for examples;
/// every key is optional except a sweep's object.
///
/// ```
/// random:         objects_per_scene {"min","max"} | {"weights": [w0, w1, ...]}, shapes {name: weight},
///                 colors "palette" | "uniform_rgb" | {name: weight}, x [lo, hi], y [lo, hi],
///                 rotation [lo, hi), min_visible_pixels, max_attempts
/// rotation_sweep: shape, color, position [x, y], rotation {"from", "to" (exclusive), "step"}
/// position_grid:  shape, color, rotation, x {"from", "to", "steps"}, y {...} (inclusive ends)
/// all:            camera {...}, size [W, H], spp, seed, count, light {...} (LightPrior),
///                 table {"color"}, effects {...} (EffectsPrior: what the camera does to the image)
/// ```
public struct BatchSpec: Equatable, Sendable {
    public enum Colors: Equatable, Sendable {
        /// Palette colours with weights (in palette order; zero weight = never).
        case palette([Double])
        case uniformRGB
    }

    public enum Kind: Equatable, Sendable {
        case random(Random)
        /// One object turned through `angles` (degrees), one scene per angle.
        case rotationSweep(object: SceneObject, angles: [Double])
        /// One object moved over the grid, x fastest: scene i sits at (xs[i % nx], ys[i / nx]).
        case positionGrid(object: SceneObject, xs: [Double], ys: [Double])
    }

    public struct Random: Equatable, Sendable {
        /// Weight of each object count (index = count).
        public var countWeights: [Double] = [1, 1, 1, 1]
        /// Weight of each shape, in `Shape` order.
        public var shapeWeights: [Double] = [1, 1, 1, 1, 1]
        public var colors: Colors = .palette([Double](repeating: 1, count: Palette.entries.count))
        public var x: ClosedRange<Double> = -1.5...1.5
        public var y: ClosedRange<Double> = -1.5...1.5
        /// Rotation is drawn from [lo, hi).
        public var rotation: (lo: Double, hi: Double) = (0, 360)
        /// Every object of a scene shows at least this many mask pixels.
        public var minVisiblePixels: Int = 20
        /// Whole-scene resamplings before giving up on a scene (at most `maxAttemptsLimit`).
        public var maxAttempts: Int = 1000

        /// The largest `max_attempts`: 1000 attempts place any feasible scene of the shipped specs
        /// many times over; more only postpones the error of an infeasible one (a crowded scene
        /// of 255 objects takes a quarter of a millisecond per attempt).
        public static let maxAttemptsLimit = 100_000

        public static func == (a: Random, b: Random) -> Bool {
            a.countWeights == b.countWeights && a.shapeWeights == b.shapeWeights && a.colors == b.colors
                && a.x == b.x && a.y == b.y && a.rotation == b.rotation
                && a.minVisiblePixels == b.minVisiblePixels && a.maxAttempts == b.maxAttempts
        }
    }

    public var kind: Kind
    public var camera: Camera = Camera()
    /// The light's distribution; nil: the spec's fixed default light.
    public var light: LightPrior?
    public var tableColor: SIMD3<Double> = Scene.defaultTableColor
    /// What the camera does to each image; nil: nothing (the renderer's exact image).
    public var effects: EffectsPrior?
    /// The chance that a scene is seen as the spec's defaults: the fixed default light (no
    /// shadows) and no camera effects, whatever `light` and `effects` say (`"plain"`; 0: never).
    /// A prior that covers varied light can still give the renderer's own settings their mass.
    public var plainProbability = 0.0
    public var samplesPerPixel: Int = 4
    public var seed: UInt64 = 0
    /// The number of scenes: given in the spec, or the sweep's length.
    public var count: Int?
    /// The spec as read, echoed into meta.json.
    public var json: JSONValue = .obj([])

    public init(kind: Kind) { self.kind = kind }

    /// The number of scenes of a sweep (nil for random specs, which have no end).
    public var sweepLength: Int? {
        switch kind {
        case .rotationSweep(_, let angles): return angles.count
        case .positionGrid(_, let xs, let ys): return xs.count * ys.count
        case .random: return nil
        }
    }

    /// The spec's default: scenes/default.json.
    public static let `default` = BatchSpec(kind: .random(Random()))

    /// The bundled model's training prior: scenes/varied.json (the default scenes under any
    /// light, through a camera's blur, noise, contrast and JPEG).
    public static let varied: BatchSpec = {
        var s = BatchSpec(kind: .random(Random()))
        s.light = .varied
        s.effects = .camera
        return s
    }()

    /// The prior of the bundled model's last training stages: scenes/varied-plain.json (the
    /// varied prior, a quarter of its scenes seen as the spec's defaults).
    public static let variedPlain: BatchSpec = {
        var s = varied
        s.plainProbability = 0.25
        return s
    }()

    public static func read(_ text: String, file: String) throws -> BatchSpec {
        let reader = JSONFieldReader(file: file)
        return try parse(reader.parse(text), reader: reader)
    }

    static let commonKeys = ["kind", "camera", "size", "spp", "seed", "count", "comment", "light", "table", "effects", "plain"]

    public static func parse(_ v: JSONValue, reader: JSONFieldReader) throws -> BatchSpec {
        let kindName = try v["kind"].map { try reader.string($0, "kind") } ?? "random"
        let kindKeys: [String]
        switch kindName {
        case "random": kindKeys = ["objects_per_scene", "shapes", "colors", "x", "y", "rotation", "min_visible_pixels", "max_attempts"]
        case "rotation_sweep": kindKeys = ["shape", "color", "position", "rotation"]
        case "position_grid": kindKeys = ["shape", "color", "rotation", "x", "y"]
        default: throw reader.error(v["kind"]!, "kind", "unknown kind \(Echo.quoted(kindName)) (kinds: random, rotation_sweep, position_grid)")
        }
        _ = try reader.object(v, "", allowed: commonKeys + kindKeys)

        var spec: BatchSpec
        switch kindName {
        case "random": spec = BatchSpec(kind: .random(try parseRandom(v, reader)))
        case "rotation_sweep":
            var object = try sweepObject(v, reader, positionKey: "position")
            let r = try reader.required(v, "", "rotation")
            let (from, to, step) = try steps(r, "rotation", reader, exclusive: true)
            let n = Int(((to - from) / step).rounded(.up))
            let angles = (0..<n).map { from + Double($0) * step }
            object.rotation = angles.first ?? 0
            spec = BatchSpec(kind: .rotationSweep(object: object, angles: angles))
        default:
            var object = try sweepObject(v, reader, positionKey: nil)
            object.rotation = try v["rotation"].map { try reader.bounded($0, "rotation") } ?? 0
            let xs = try grid(reader.required(v, "", "x"), "x", reader)
            let ys = try grid(reader.required(v, "", "y"), "y", reader)
            spec = BatchSpec(kind: .positionGrid(object: object, xs: xs, ys: ys))
        }

        if let c = v["camera"] { spec.camera = try SceneJSON.camera(from: c, "camera", base: Camera(), reader: reader) }
        if let s = v["size"] {
            let items = try reader.array(s, "size")
            guard items.count == 2 else { throw reader.error(s, "size", "expected [width, height]") }
            spec.camera.width = try reader.integer(items[0], "size[0]", in: 1...Camera.maxSide)
            spec.camera.height = try reader.integer(items[1], "size[1]", in: 1...Camera.maxSide)
            if v["camera"]?["width"] != nil || v["camera"]?["height"] != nil {
                throw reader.error(s, "size", "give the image size either as size or as camera.width/height, not both")
            }
        }
        if let s = v["spp"] {
            spec.samplesPerPixel = try reader.integer(s, "spp", in: 1...16)
            guard [1, 4, 9, 16].contains(spec.samplesPerPixel) else { throw reader.error(s, "spp", "spp must be 1, 4, 9 or 16") }
        }
        if let s = v["seed"] { spec.seed = try reader.uint64(s, "seed") }
        if let l = v["light"] { spec.light = try LightPrior.parse(l, "light", reader: reader) }
        if let t = v["table"] {
            _ = try reader.object(t, "table", allowed: ["color"])
            if let c = t["color"] { spec.tableColor = try Color.parse(c, "table.color", reader: reader).rgb }
        }
        if let e = v["effects"] { spec.effects = try EffectsPrior.parse(e, "effects", reader: reader) }
        if let p = v["plain"] {
            spec.plainProbability = try reader.number(p, "plain")
            guard (0...1).contains(spec.plainProbability) else { throw reader.error(p, "plain", "expected a probability in [0, 1]") }
        }
        if let c = v["count"] { spec.count = try reader.integer(c, "count", in: 0...99_999_999) }
        switch spec.kind {
        case .rotationSweep(_, let angles): spec.count = min(spec.count ?? angles.count, angles.count)
        case .positionGrid(_, let xs, let ys): spec.count = min(spec.count ?? xs.count * ys.count, xs.count * ys.count)
        case .random: break
        }
        spec.json = v
        return spec
    }

    static func weights(_ v: JSONValue, _ path: String, _ reader: JSONFieldReader, names: [String]) throws -> [Double] {
        let members = try reader.object(v, path, allowed: names)
        var w = [Double](repeating: 0, count: names.count)
        for m in members {
            let x = try reader.number(m.value, path + "." + m.key)
            guard x >= 0 else { throw reader.error(m.value, path + "." + m.key, "weights must be >= 0") }
            w[names.firstIndex(of: m.key)!] = x
        }
        guard w.contains(where: { $0 > 0 }) else { throw reader.error(v, path, "at least one weight must be > 0") }
        return w
    }

    static func range(_ v: JSONValue, _ path: String, _ reader: JSONFieldReader) throws -> (Double, Double) {
        let r = try reader.boundedNumbers(v, path, count: 2)
        guard r[0] <= r[1] else { throw reader.error(v, path, "expected [low, high] with low <= high") }
        return (r[0], r[1])
    }

    static func parseRandom(_ v: JSONValue, _ reader: JSONFieldReader) throws -> Random {
        var r = Random()
        if let c = v["objects_per_scene"] {
            _ = try reader.object(c, "objects_per_scene", allowed: ["min", "max", "weights"])
            if let w = c["weights"] {
                guard c["min"] == nil && c["max"] == nil else { throw reader.error(c, "objects_per_scene", "give either min/max or weights") }
                let items = try reader.array(w, "objects_per_scene.weights")
                guard !items.isEmpty, items.count <= SceneJSON.maxObjects + 1 else {
                    throw reader.error(w, "objects_per_scene.weights", "expected 1...\(SceneJSON.maxObjects + 1) weights (index = object count)")
                }
                r.countWeights = try items.enumerated().map { i, x in
                    let y = try reader.number(x, "objects_per_scene.weights[\(i)]")
                    guard y >= 0 else { throw reader.error(x, "objects_per_scene.weights[\(i)]", "weights must be >= 0") }
                    return y
                }
                guard r.countWeights.contains(where: { $0 > 0 }) else { throw reader.error(w, "objects_per_scene.weights", "at least one weight must be > 0") }
            } else {
                let lo = try reader.integer(reader.required(c, "objects_per_scene", "min"), "objects_per_scene.min", in: 0...SceneJSON.maxObjects)
                let hi = try reader.integer(reader.required(c, "objects_per_scene", "max"), "objects_per_scene.max", in: 0...SceneJSON.maxObjects)
                guard lo <= hi else { throw reader.error(c, "objects_per_scene", "min must be <= max") }
                r.countWeights = (0...hi).map { $0 >= lo ? 1 : 0 }
            }
        }
        if let s = v["shapes"] { r.shapeWeights = try weights(s, "shapes", reader, names: Shape.allCases.map(\.name)) }
        if let c = v["colors"] {
            if case .string(let name) = c.kind {
                switch name {
                case "palette": r.colors = .palette([Double](repeating: 1, count: Palette.entries.count))
                case "uniform_rgb": r.colors = .uniformRGB
                default: throw reader.error(c, "colors", "expected \"palette\", \"uniform_rgb\" or {palette name: weight}")
                }
            } else {
                r.colors = .palette(try weights(c, "colors", reader, names: Palette.names))
            }
        }
        if let x = v["x"] { let (a, b) = try range(x, "x", reader); r.x = a...b }
        if let y = v["y"] { let (a, b) = try range(y, "y", reader); r.y = a...b }
        if let rot = v["rotation"] { r.rotation = try range(rot, "rotation", reader) }
        if let m = v["min_visible_pixels"] { r.minVisiblePixels = try reader.integer(m, "min_visible_pixels", in: 0...Int(Int32.max)) }
        if let m = v["max_attempts"] { r.maxAttempts = try reader.integer(m, "max_attempts", in: 1...Random.maxAttemptsLimit) }
        return r
    }

    static func sweepObject(_ v: JSONValue, _ reader: JSONFieldReader, positionKey: String?) throws -> SceneObject {
        let shapeValue = try reader.required(v, "", "shape")
        let name = try reader.string(shapeValue, "shape")
        guard let shape = Shape(name: name) else { throw reader.error(shapeValue, "shape", "unknown shape \(Echo.quoted(name)) (shapes: \(Shape.allCases.map(\.name).joined(separator: ", ")))") }
        let color = try Color.parse(reader.required(v, "", "color"), "color", reader: reader)
        var position = SIMD2<Double>(0, 0)
        if let key = positionKey, let p = v[key] {
            let xy = try reader.boundedNumbers(p, key, count: 2)
            position = SIMD2(xy[0], xy[1])
        }
        return SceneObject(shape: shape, color: color, position: position)
    }

    static func steps(_ v: JSONValue, _ path: String, _ reader: JSONFieldReader, exclusive: Bool) throws -> (Double, Double, Double) {
        _ = try reader.object(v, path, allowed: ["from", "to", "step"])
        let from = try reader.bounded(reader.required(v, path, "from"), path + ".from")
        let to = try reader.bounded(reader.required(v, path, "to"), path + ".to")
        let stepValue = try reader.required(v, path, "step")
        let step = try reader.number(stepValue, path + ".step")
        guard step > 0, to > from else { throw reader.error(v, path, "expected from < to and step > 0") }
        guard (to - from) / step <= 1_000_000 else { throw reader.error(stepValue, path + ".step", "more than 1e6 steps") }
        return (from, to, step)
    }

    static func grid(_ v: JSONValue, _ path: String, _ reader: JSONFieldReader) throws -> [Double] {
        _ = try reader.object(v, path, allowed: ["from", "to", "steps"])
        let from = try reader.bounded(reader.required(v, path, "from"), path + ".from")
        let to = try reader.bounded(reader.required(v, path, "to"), path + ".to")
        let n = try reader.integer(reader.required(v, path, "steps"), path + ".steps", in: 1...10_000)
        if n == 1 { return [from] }
        return (0..<n).map { from + (to - from) * Double($0) / Double(n - 1) }
    }
}
