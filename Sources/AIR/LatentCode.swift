import Scenes

/// How an object's latents are written as network targets and read back from network outputs.
///
/// Position is normalised by the table's half-width; colour is RGB in [0, 1]; the yaw of a shape
/// with symmetry period P is the point (cos, sin) of angle 2π·θ/P, so the symmetric yaws of one
/// pose are one point and the wrap-around at P is continuous (cylinders carry no angle).
public enum LatentCode {
    /// Length of `code(_:config:)`: position (2), shape one-hot (5), colour (3), yaw point (2).
    public static let size = 12

    /// The summary of a found object fed back into the next recurrent step.
    public static func code(_ o: SceneObject, config: ModelConfig) -> [Float] {
        var v = [Float](repeating: 0, count: size)
        v[0] = Float(o.position.x / config.tableHalfWidth)
        v[1] = Float(o.position.y / config.tableHalfWidth)
        v[2 + o.shape.rawValue] = 1
        v[7] = Float(o.color.rgb.x); v[8] = Float(o.color.rgb.y); v[9] = Float(o.color.rgb.z)
        let p = yawPoint(o)
        v[10] = p.x; v[11] = p.y
        return v
    }

    /// The yaw as a point on the unit circle (zero for cylinders, whose yaw is not identifiable).
    public static func yawPoint(_ o: SceneObject) -> SIMD2<Float> {
        guard let period = o.shape.symmetryPeriod else { return .zero }
        let a = 2 * Double.pi * o.rotation / period
        return SIMD2(Float(cos(a)), Float(sin(a)))
    }

    /// The yaw in [0, P) a predicted point stands for.
    public static func yaw(from point: SIMD2<Float>, shape: Shape) -> Double {
        guard let period = shape.symmetryPeriod else { return 0 }
        var a = atan2(Double(point.y), Double(point.x)) * period / (2 * Double.pi)
        if a < 0 { a += period }
        return a >= period ? 0 : a
    }

    /// ∂f/∂point given ∂f/∂yaw, for yaw = atan2(p.y, p.x)·P/2π: ∂yaw/∂p = P/2π · (−p.y, p.x)/|p|².
    public static func yawGradient(point: SIMD2<Float>, shape: Shape, dYaw: Double) -> SIMD2<Double> {
        guard let period = shape.symmetryPeriod else { return .zero }
        let x = Double(point.x), y = Double(point.y)
        let r2 = max(x * x + y * y, 1e-6)
        let k = dYaw * period / (2 * Double.pi) / r2
        return SIMD2(-y * k, x * k)
    }

    /// The canonical order in which the network is taught to find objects: nearest to the
    /// camera first (lowest in the image: largest projected y of the object's centre), then left
    /// to right. Near objects are the unoccluded ones, so each step explains a whole object.
    public static func canonicalOrder(_ objects: [SceneObject], camera: Camera) -> [SceneObject] {
        let keyed = objects.map { o -> (SceneObject, SIMD2<Double>) in
            let p = camera.project(SIMD3(o.position.x, o.position.y, o.shape.height / 2)) ?? SIMD2(0, -1e9)
            return (o, p)
        }
        return keyed.sorted { a, b in
            if a.1.y != b.1.y { return a.1.y > b.1.y }
            return a.1.x < b.1.x
        }.map(\.0)
    }

    /// Each object's centre's projected height in pixels (image y, down), as the canonical order
    /// and the order bands compare them.
    public static func projectedHeights(_ objects: [SceneObject], camera: Camera) -> [Double] {
        objects.map { o in camera.project(SIMD3(o.position.x, o.position.y, o.shape.height / 2))?.y ?? -1e9 }
    }

    /// The objects step `i` may find, given the canonical order's projected heights `y`: object i
    /// (the nearest left) and every later one whose centre projects at most `band` pixels
    /// higher, at most `limit` of them, nearest first.
    public static func stepCandidates(_ y: [Double], from i: Int, band: Double, limit: Int) -> [Int] {
        guard i < y.count else { return [] }
        var picks = [i]
        for j in (i + 1)..<y.count where picks.count < limit && y[j] >= y[i] - band { picks.append(j) }
        return picks
    }

    /// The orders the guide may find `ordered`'s objects in (`ordered` in canonical order, which
    /// comes first): an object may be found before one nearer to the camera only while the
    /// nearer one's centre projects at most `band` pixels lower. Side by side, which of two
    /// objects is "nearer" turns on a fraction of a pixel; taught one order there, the network
    /// learns their average — a phantom between them. At most `limit` orders, found depth first
    /// (each step's choices in canonical order), as index permutations of `ordered`.
    public static func admissibleOrders(_ ordered: [SceneObject], camera: Camera, band: Double, limit: Int) -> [[Int]] {
        let y = projectedHeights(ordered, camera: camera)
        var found: [[Int]] = []
        var prefix: [Int] = []
        var left = Array(ordered.indices)
        func extend() {
            if found.count >= limit { return }
            if left.isEmpty { found.append(prefix); return }
            for (j, c) in left.enumerated() where left.allSatisfy({ y[$0] <= y[c] + band }) {
                prefix.append(c); left.remove(at: j)
                extend()
                left.insert(c, at: j); prefix.removeLast()
                if found.count >= limit { return }
            }
        }
        extend()
        return found
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
