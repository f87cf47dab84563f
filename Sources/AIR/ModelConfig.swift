import Scenes

/// Everything that fixes the inference network's shape and the generative model it inverts.
/// Stored as JSON in the model file's metadata, so a model file is self-describing.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// The largest number of objects (N, the number of recurrent steps).
    public var maxObjects = 3
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
    /// DAIR: each step also sees the observed image minus the rendering of the objects found so far.
    public var difference = true

    public init() {}

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
