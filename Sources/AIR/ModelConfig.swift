import Scenes

/// Everything that fixes the inference network's shape and the generative model it inverts.
/// Stored as JSON in the model file's metadata, so a model file is self-describing.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// The largest number of objects (N, the number of recurrent steps).
    public var maxObjects = 3
    /// The most steps a model may have.
    public static let maxObjectsLimit = 64
    /// Image size the network reads (the camera's).
    public var width = 64
    public var height = 64
    public var eye: [Double] = [0, -4.5, 7.5]
    public var target: [Double] = [0, 0.3, 0]
    public var up: [Double] = [0, 0, 1]
    public var fovY: Double = 40
    public var samplesPerPixel = 4
    /// Half-width of the table area positions are normalised by.
    public var tableHalfWidth: Double = 1.5
    /// Width of the attention window on the table, in scene units (covers the largest block).
    public var glimpseWorld: Double = 2.4
    /// Glimpse resolution (square).
    public var glimpseSize = 24
    /// Height of the point the glimpse is centred on (unknown shape: about mid-height).
    public var glimpseHeight: Double = 0.4
    public var hidden = 256
    public var encoderFeatures = 256
    public var glimpseFeatures = 256
    /// The scene's light is a latent: a head reads it at the first step, and the difference
    /// images are rendered under it. Models from before spec v2 have none (default light).
    public var inferLight = true
    /// The table's albedo: a known property of the user's set-up, so that light and colour stay
    /// identifiable.
    public var tableColor: [Double] = [0.50, 0.48, 0.45]
    /// The light of the user's set-up, when its images share one (`air adapt` fits it,
    /// `LightFit`): readings take it instead of the light read from each image; nil: read.
    public var worldLight: WorldLight?
    /// The table's appearance pixel by pixel under the set-up's fixed camera (wood grain, a
    /// printed mat), as the ratio of what the images show to the bare table the renderer draws,
    /// [height · width · 3]; images are divided by it before they are read (`TableTexture`,
    /// `air adapt`). Nil: the table is as uniform as the spec draws it.
    public var tableTexture: [Float]?
    /// The prior's support: every object shows at least this many pixels (the spec's
    /// `min_visible_pixels`). Refinement keeps to it.
    public var minVisiblePixels = 20
    /// Maps the network's presence probability and the residual around an object to a calibrated
    /// confidence (fitted after training, see `ConfidenceCalibration`); nil: the raw presence.
    public var calibration: ConfidenceCalibration?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxObjects, width, height, eye, target, up, fovY, samplesPerPixel, tableHalfWidth, glimpseWorld,
             glimpseSize, glimpseHeight, hidden, encoderFeatures, glimpseFeatures, inferLight, tableColor, minVisiblePixels, calibration, worldLight, tableTexture
    }

    /// Keys added after version 1 files may be missing: such a file is a model of the default
    /// light and table.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxObjects = try c.decode(Int.self, forKey: .maxObjects)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        eye = try c.decode([Double].self, forKey: .eye)
        target = try c.decode([Double].self, forKey: .target)
        up = try c.decode([Double].self, forKey: .up)
        fovY = try c.decode(Double.self, forKey: .fovY)
        samplesPerPixel = try c.decode(Int.self, forKey: .samplesPerPixel)
        tableHalfWidth = try c.decode(Double.self, forKey: .tableHalfWidth)
        glimpseWorld = try c.decode(Double.self, forKey: .glimpseWorld)
        glimpseSize = try c.decode(Int.self, forKey: .glimpseSize)
        glimpseHeight = try c.decode(Double.self, forKey: .glimpseHeight)
        hidden = try c.decode(Int.self, forKey: .hidden)
        encoderFeatures = try c.decode(Int.self, forKey: .encoderFeatures)
        glimpseFeatures = try c.decode(Int.self, forKey: .glimpseFeatures)
        inferLight = try c.decodeIfPresent(Bool.self, forKey: .inferLight) ?? false
        tableColor = try c.decodeIfPresent([Double].self, forKey: .tableColor) ?? [0.50, 0.48, 0.45]
        minVisiblePixels = try c.decodeIfPresent(Int.self, forKey: .minVisiblePixels) ?? 20
        calibration = try c.decodeIfPresent(ConfidenceCalibration.self, forKey: .calibration)
        worldLight = try c.decodeIfPresent(WorldLight.self, forKey: .worldLight)
        tableTexture = try c.decodeIfPresent([Float].self, forKey: .tableTexture)
    }

    public var table: SIMD3<Double> { SIMD3(tableColor[0], tableColor[1], tableColor[2]) }

    /// Why a configuration read from a file cannot be a model (field, message), or nil: every
    /// size is bounded before anything is allocated for it.
    public var problem: (field: String, message: String)? {
        func outside(_ v: Int, _ r: ClosedRange<Int>) -> Bool { !r.contains(v) }
        if outside(maxObjects, 1...Self.maxObjectsLimit) { return ("maxObjects", "\(maxObjects) is outside 1...\(Self.maxObjectsLimit)") }
        if outside(width, 2...1024) || width % 2 != 0 { return ("width", "\(width) is not an even number in 2...1024") }
        if outside(height, 2...1024) || height % 2 != 0 { return ("height", "\(height) is not an even number in 2...1024") }
        for (name, v) in [("eye", eye), ("target", target), ("up", up), ("tableColor", tableColor)] where v.count != 3 || !v.allSatisfy(\.isFinite) {
            return (name, "expected 3 finite numbers")
        }
        if !tableColor.allSatisfy({ (0...1).contains($0) }) { return ("tableColor", "colour components must lie in [0, 1]") }
        if !SceneLimits.fovY.contains(fovY) { return ("fovY", "\(fovY) is outside [0.01, 179] degrees") }
        if let (field, message) = camera.problem { return ("camera: " + field, message) }
        if ![1, 4, 9, 16].contains(samplesPerPixel) { return ("samplesPerPixel", "\(samplesPerPixel) is not 1, 4, 9 or 16") }
        if outside(minVisiblePixels, 0...(width * height)) { return ("minVisiblePixels", "\(minVisiblePixels) is outside 0...\(width * height)") }
        if !(tableHalfWidth > 0 && tableHalfWidth <= 1000) { return ("tableHalfWidth", "\(tableHalfWidth) is outside (0, 1000]") }
        if !(glimpseWorld > 0 && glimpseWorld <= 1000) { return ("glimpseWorld", "\(glimpseWorld) is outside (0, 1000]") }
        if !glimpseHeight.isFinite { return ("glimpseHeight", "must be finite") }
        if outside(glimpseSize, 4...128) { return ("glimpseSize", "\(glimpseSize) is outside 4...128") }
        for (name, v) in [("hidden", hidden), ("encoderFeatures", encoderFeatures), ("glimpseFeatures", glimpseFeatures)] where outside(v, 1...4096) {
            return (name, "\(v) is outside 1...4096")
        }
        if let t = tableTexture {
            guard t.count == width * height * 3 else { return ("tableTexture", "expected \(width * height * 3) numbers (height · width · 3), got \(t.count)") }
            guard t.allSatisfy({ $0.isFinite && $0 > 0 }) else { return ("tableTexture", "expected positive finite ratios") }
        }
        if let l = worldLight {
            guard l.direction.count == 3 else { return ("worldLight.direction", "expected 3 numbers") }
            if let (field, message) = l.light.problem { return ("worldLight." + field, message) }
        }
        let weights = ConfidenceCalibration.featureCount + 1
        if let c = calibration, c.amortized.count != weights || c.refined.count != weights
            || (c.births.map { $0.count != weights && $0.count != ConfidenceCalibration.birthWeightCount } ?? false)
            || !(c.amortized + c.refined + (c.births ?? [])).allSatisfy(\.isFinite) {
            return ("calibration", "expected \(weights) finite weights per map (the births' map: \(weights) or \(ConfidenceCalibration.birthWeightCount))")
        }
        return nil
    }

    /// The scene the network renders for its difference images: the camera, the light it
    /// inferred (the default without a light head) and the known table.
    public func scene(light: Light = Light(), objects: [SceneObject] = []) -> Scene {
        Scene(camera: camera, light: light, tableColor: table, objects: objects)
    }

    public var camera: Camera {
        var c = Camera()
        c.eye = SIMD3(eye[0], eye[1], eye[2])
        c.target = SIMD3(target[0], target[1], target[2])
        c.up = SIMD3(up[0], up[1], up[2])
        c.fovY = fovY
        c.width = width
        c.height = height
        return c
    }

    public init(camera c: Camera, samplesPerPixel: Int, maxObjects: Int) {
        self.init()
        eye = [c.eye.x, c.eye.y, c.eye.z]
        target = [c.target.x, c.target.y, c.target.z]
        up = [c.up.x, c.up.y, c.up.z]
        fovY = c.fovY
        width = c.width
        height = c.height
        self.samplesPerPixel = samplesPerPixel
        self.maxObjects = maxObjects
    }
}

/// A light as a model file stores it (`ModelConfig.worldLight`).
public struct WorldLight: Codable, Equatable, Sendable {
    public var direction: [Double]
    public var ambient: Double
    public var diffuse: Double
    public var shadows: Bool

    public init(_ l: Light) {
        direction = [l.direction.x, l.direction.y, l.direction.z]
        (ambient, diffuse, shadows) = (l.ambient, l.diffuse, l.shadows)
    }

    public var light: Light {
        Light(direction: direction.count == 3 ? SIMD3(direction[0], direction[1], direction[2]) : Light().direction,
              ambient: ambient, diffuse: diffuse, shadows: shadows)
    }
}
