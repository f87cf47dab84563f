import Renderer

/// The five block classes of the spec, in its order (the raw value is the renderer's code).
public enum Shape: Int, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case cube = 0, brick, cylinder, wedge, pyramid

    public var name: String {
        switch self {
        case .cube: return "cube"
        case .brick: return "brick"
        case .cylinder: return "cylinder"
        case .wedge: return "wedge"
        case .pyramid: return "pyramid"
        }
    }

    public var description: String { name }

    public init?(name: String) {
        guard let s = Shape.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }

    /// Height of the solid (its top z), for `pixel_coords` at (x, y, h/2).
    public var height: Double {
        switch self {
        case .brick: return 0.8
        default: return 1.0
        }
    }

    /// Yaw symmetry period in degrees; nil where yaw is not identifiable (cylinder).
    public var symmetryPeriod: Double? {
        switch self {
        case .cube, .pyramid: return 90
        case .brick: return 180
        case .wedge: return 360
        case .cylinder: return nil
        }
    }
}

/// An RGB albedo, with the palette name when it came from the palette.
public struct Color: Equatable, Sendable {
    public var rgb: SIMD3<Double>
    public var name: String?

    public init(rgb: SIMD3<Double>, name: String? = nil) {
        self.rgb = rgb
        self.name = name
    }
}

/// One block on the table: the spec's latents.
public struct SceneObject: Equatable, Sendable {
    public var shape: Shape
    public var color: Color
    /// (x, y) of the object frame's origin on the table.
    public var position: SIMD2<Double>
    /// Yaw in degrees, counter-clockwise seen from above.
    public var rotation: Double

    public init(shape: Shape, color: Color, position: SIMD2<Double>, rotation: Double = 0) {
        self.shape = shape
        self.color = color
        self.position = position
        self.rotation = rotation
    }
}

/// The pinhole camera and image format of the spec.
public struct Camera: Equatable, Sendable {
    public var eye: SIMD3<Double> = [0, -4.5, 7.5]
    public var target: SIMD3<Double> = [0, 0.3, 0]
    public var up: SIMD3<Double> = [0, 0, 1]
    /// Vertical field of view in degrees, in (0, 180).
    public var fovY: Double = 40
    public var width: Int = 64
    public var height: Int = 64

    public init() {}
}

/// A scene: a camera and a list of objects (list order fixes the mask values k + 1).
public struct Scene: Equatable, Sendable {
    public var camera: Camera
    public var objects: [SceneObject]

    public init(camera: Camera = Camera(), objects: [SceneObject] = []) {
        self.camera = camera
        self.objects = objects
    }
}
