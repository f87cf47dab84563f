#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// Footprints (a shape's base polygon on the table) and the no-overlap rule.
///
/// Footprints may touch: two footprints overlap only when their interiors intersect
/// by more than `Footprint.tolerance` along every separating-axis candidate. The
/// tolerance (1e-6 units) absorbs the rounding of sin/cos, so blocks placed exactly
/// side by side (e.g. cubes at x = 0 and x = 1, or turned by 90°) count as touching.
public enum Footprint {
    public static let tolerance = 1e-6

    /// The base polygon in the object frame, counter-clockwise.
    public static func basePolygon(_ shape: Shape) -> [SIMD2<Double>] {
        switch shape {
        case .cube, .wedge, .pyramid:
            return [[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]
        case .brick:
            return [[-0.8, -0.4], [0.8, -0.4], [0.8, 0.4], [-0.8, 0.4]]
        case .cylinder:
            // Side k has outward normal at 15k°, so the vertices sit halfway between, at 15k + 7.5°.
            return (0..<24).map { k in
                let a = (15 * Double(k) + 7.5) * .pi / 180
                return SIMD2(0.5 * cos(a), 0.5 * sin(a))
            }
        }
    }

    /// The footprint in world (x, y): rotated by the yaw, then translated.
    public static func polygon(_ object: SceneObject) -> [SIMD2<Double>] {
        let a = object.rotation * .pi / 180
        let c = cos(a), s = sin(a)
        return basePolygon(object.shape).map { p in
            SIMD2(c * p.x - s * p.y + object.position.x, s * p.x + c * p.y + object.position.y)
        }
    }

    /// Whether the interiors of two convex polygons intersect (separating-axis test).
    /// With `gap`, polygons less than `gap` apart count as overlapping too.
    public static func overlap(_ a: [SIMD2<Double>], _ b: [SIMD2<Double>], gap: Double = 0) -> Bool {
        for poly in [a, b] {
            for i in 0..<poly.count {
                let e = poly[(i + 1) % poly.count] - poly[i]
                let axis = SIMD2(-e.y, e.x) / (e * e).sum().squareRoot()
                var minA = Double.infinity, maxA = -Double.infinity
                var minB = Double.infinity, maxB = -Double.infinity
                for p in a { let d = (p * axis).sum(); minA = min(minA, d); maxA = max(maxA, d) }
                for p in b { let d = (p * axis).sum(); minB = min(minB, d); maxB = max(maxB, d) }
                if maxA + gap <= minB + tolerance || maxB + gap <= minA + tolerance { return false }
            }
        }
        return true
    }

    public static func overlap(_ a: SceneObject, _ b: SceneObject, gap: Double = 0) -> Bool {
        // Cheap reject: footprints lie within their circumscribed circles.
        let d = a.position - b.position
        let r = circumradius(a.shape) + circumradius(b.shape) + gap
        if (d * d).sum() >= r * r { return false }
        return overlap(polygon(a), polygon(b), gap: gap)
    }

    /// The radius of the circle around the object origin containing the footprint.
    public static func circumradius(_ shape: Shape) -> Double {
        switch shape {
        case .cube, .wedge, .pyramid: return 0.5 * 2.0.squareRoot()
        case .brick: return (0.8 * 0.8 + 0.4 * 0.4).squareRoot()
        case .cylinder: return 0.5
        }
    }

    /// The shortest move of `a` that leaves it `gap` apart from `b` (nil when it is already):
    /// along the separating-axis candidate on which the two overlap least, away from `b`.
    public static func separation(_ a: SceneObject, from b: SceneObject, gap: Double = 0) -> SIMD2<Double>? {
        guard overlap(a, b, gap: gap) else { return nil }
        let pa = polygon(a), pb = polygon(b)
        var best: (depth: Double, axis: SIMD2<Double>)?
        for poly in [pa, pb] {
            for i in 0..<poly.count {
                let e = poly[(i + 1) % poly.count] - poly[i]
                let axis = SIMD2(-e.y, e.x) / (e * e).sum().squareRoot()
                let da = pa.map { ($0 * axis).sum() }, db = pb.map { ($0 * axis).sum() }
                // a moved by +depth·axis clears b, or by −depth·axis: the shorter of the two.
                let forward = db.max()! - da.min()! + gap, backward = da.max()! - db.min()! + gap
                let (depth, signed) = forward <= backward ? (forward, axis) : (backward, -axis)
                if best == nil || depth < best!.depth { best = (depth, signed) }
            }
        }
        return best.map { $0.depth * $0.axis }
    }

    /// The first pair (i, j), i < j, of objects whose footprints overlap.
    public static func firstOverlap(_ objects: [SceneObject], gap: Double = 0) -> (Int, Int)? {
        for j in 0..<objects.count {
            for i in 0..<j where overlap(objects[i], objects[j], gap: gap) { return (i, j) }
        }
        return nil
    }
}
