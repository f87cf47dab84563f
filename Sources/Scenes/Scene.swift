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

/// The scene's directional light (spec v2): colour = albedo · (ambient + diffuse · max(0, n·L) · lit).
public struct Light: Equatable, Sendable {
    /// Towards the light (normalised by the renderer); z > 0.
    public var direction: SIMD3<Double> = [-0.4, -0.6, 1.0]
    public var ambient: Double = 0.3
    public var diffuse: Double = 0.7
    /// Hard shadows cast by the light.
    public var shadows = false

    public init() {}

    public init(direction: SIMD3<Double>, ambient: Double, diffuse: Double, shadows: Bool) {
        self.direction = direction
        self.ambient = ambient
        self.diffuse = diffuse
        self.shadows = shadows
    }

    /// The unit vector towards the light.
    public var unitDirection: SIMD3<Double> {
        let d = direction
        return d / (d * d).sum().squareRoot()
    }

    /// Elevation above the table and azimuth (counter-clockwise from +x), in degrees.
    public var elevationAzimuth: (elevation: Double, azimuth: Double) {
        let u = unitDirection
        return (asin(min(max(u.z, -1), 1)) * 180 / Double.pi, atan2(u.y, u.x) * 180 / Double.pi)
    }

    /// The light at `elevation` above the table from `azimuth` (degrees).
    public static func from(elevation: Double, azimuth: Double, ambient: Double, diffuse: Double, shadows: Bool) -> Light {
        let e = elevation * Double.pi / 180, a = azimuth * Double.pi / 180
        return Light(direction: [cos(e) * cos(a), cos(e) * sin(a), sin(e)], ambient: ambient, diffuse: diffuse, shadows: shadows)
    }

    /// A light value rounded to 6 decimals: its shortest JSON text reads back as the very
    /// number rendered (the renderer takes the light in double).
    public static func rounded(_ x: Double) -> Double { (x * 1e6).rounded() / 1e6 }

    /// Why this light cannot be rendered (field, message), or nil.
    public var problem: (field: String, message: String)? {
        if !(direction.x.isFinite && direction.y.isFinite && direction.z.isFinite) { return ("direction", "must be finite") }
        if let (i, m) = SceneLimits.problem([direction.x, direction.y, direction.z]) { return ("direction[\(i)]", m) }
        if !(direction.z > 0) { return ("direction", "must point above the table (z > 0), got z = \(direction.z)") }
        if !(ambient.isFinite && ambient >= 0) { return ("ambient", "must be a finite number >= 0") }
        if !(diffuse.isFinite && diffuse >= 0) { return ("diffuse", "must be a finite number >= 0") }
        if let m = SceneLimits.problem(ambient) { return ("ambient", m) }
        if let m = SceneLimits.problem(diffuse) { return ("diffuse", m) }
        return nil
    }
}

/// A scene: a camera, the light, the table's colour and a list of objects (list order fixes
/// the mask values k + 1).
public struct Scene: Equatable, Sendable {
    public var camera: Camera
    public var light: Light
    /// The table's albedo (spec default 0.50, 0.48, 0.45).
    public var tableColor: SIMD3<Double>
    public var objects: [SceneObject]

    public static let defaultTableColor: SIMD3<Double> = [0.50, 0.48, 0.45]

    public init(camera: Camera = Camera(), light: Light = Light(), tableColor: SIMD3<Double> = Scene.defaultTableColor,
                objects: [SceneObject] = []) {
        self.camera = camera
        self.light = light
        self.tableColor = tableColor
        self.objects = objects
    }

    /// The same light and table with other objects.
    public func with(objects: [SceneObject]) -> Scene {
        var s = self
        s.objects = objects
        return s
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
