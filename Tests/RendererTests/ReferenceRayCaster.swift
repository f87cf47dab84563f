import Foundation
import Renderer

/// An independent implementation of SCENE-SPEC.md in Float64: one ray per sample,
/// each solid an intersection of half-spaces, no meshes and no rasterisation. Shadows:
/// from the point each sample's ray hits, a second ray towards the light against every
/// other solid.
struct ReferenceRayCaster {
    struct Plane { var n: SIMD3<Double>; var d: Double }  // inside: n.p <= d

    struct Solid {
        var planes: [Plane]
        var albedo: SIMD3<Double>
        var centre: SIMD3<Double>
        var radius: Double
    }

    let eye, f, r, u: SIMD3<Double>
    let t, aspect: Double
    let width, height, n: Int
    let solids: [Solid]
    // The scene's light (spec v2, "Light, table and shading").
    let lightDir: SIMD3<Double>
    let ambient, diffuse: Double
    let shadows: Bool
    let tableAlbedo: SIMD3<Double>

    /// The spec's default light and table.
    static let light: SIMD3<Double> = {
        let l = SIMD3<Double>(-0.4, -0.6, 1.0)
        return l / (l * l).sum().squareRoot()
    }()
    static let table = SIMD3<Double>(0.50, 0.48, 0.45)

    static func shade(_ normal: SIMD3<Double>) -> Double { 0.3 + 0.7 * max(0, (normal * light).sum()) }

    static func normalize(_ v: SIMD3<Double>) -> SIMD3<Double> { v / (v * v).sum().squareRoot() }

    static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }

    /// The solids of the spec's shape table, in the object frame.
    static func halfSpaces(_ shape: Int32) -> [Plane] {
        func plane(_ n: SIMD3<Double>, _ d: Double) -> Plane {
            let len = (n * n).sum().squareRoot()
            return Plane(n: n / len, d: d / len)
        }
        let floor = plane([0, 0, -1], 0)
        switch shape {
        case 0, 1:
            let (hx, hy, h) = shape == 0 ? (0.5, 0.5, 1.0) : (0.8, 0.4, 0.8)
            return [floor, plane([0, 0, 1], h), plane([1, 0, 0], hx), plane([-1, 0, 0], hx), plane([0, 1, 0], hy), plane([0, -1, 0], hy)]
        case 2:
            let d = 0.5 * cos(7.5 * Double.pi / 180)
            return [floor, plane([0, 0, 1], 1)] + (0..<24).map { k in
                let a = 15.0 * Double(k) * Double.pi / 180
                return plane([cos(a), sin(a), 0], d)
            }
        case 3:
            return [floor, plane([-1, 0, 0], 0.5), plane([0, 1, 0], 0.5), plane([0, -1, 0], 0.5), plane([1, 0, 1], 0.5)]
        default:  // pyramid: each side through a base edge and the apex (0, 0, 1)
            return [floor, plane([1, 0, 0.5], 0.5), plane([-1, 0, 0.5], 0.5), plane([0, 1, 0.5], 0.5), plane([0, -1, 0.5], 0.5)]
        }
    }

    init(camera c: air_camera, objects: [air_object], light: air_light? = nil) {
        let l = light ?? air_light(direction: (-0.4, -0.6, 1.0), ambient: 0.3, diffuse: 0.7, shadows: 0,
                                   table_color: (0.50, 0.48, 0.45))
        lightDir = Self.normalize(SIMD3(l.direction.0, l.direction.1, l.direction.2))
        ambient = l.ambient
        diffuse = l.diffuse
        shadows = l.shadows != 0
        tableAlbedo = SIMD3(Double(l.table_color.0), Double(l.table_color.1), Double(l.table_color.2))
        eye = SIMD3(Double(c.eye.0), Double(c.eye.1), Double(c.eye.2))
        let target = SIMD3(Double(c.target.0), Double(c.target.1), Double(c.target.2))
        let up = SIMD3(Double(c.up.0), Double(c.up.1), Double(c.up.2))
        f = Self.normalize(target - eye)
        r = Self.normalize(Self.cross(f, up))
        u = Self.cross(r, f)
        t = tan(Double(c.fov_y_deg) * Double.pi / 360)
        aspect = Double(c.width) / Double(c.height)
        width = Int(c.width)
        height = Int(c.height)
        n = Int(Double(c.spp).squareRoot())
        solids = objects.map { o in
            let th = Double(o.rotation_deg) * Double.pi / 180
            let (cs, sn) = (cos(th), sin(th))
            let pos = SIMD3(Double(o.x), Double(o.y), 0)
            let planes = Self.halfSpaces(o.shape).map { p -> Plane in
                let nw = SIMD3(cs * p.n.x - sn * p.n.y, sn * p.n.x + cs * p.n.y, p.n.z)
                return Plane(n: nw, d: p.d + (nw * pos).sum())
            }
            let h = o.shape == 1 ? 0.8 : 1.0
            let footprint = o.shape == 1 ? (0.8 * 0.8 + 0.4 * 0.4).squareRoot() : 0.5 * 2.0.squareRoot()
            return Solid(planes: planes, albedo: SIMD3(Double(o.color.0), Double(o.color.1), Double(o.color.2)),
                         centre: pos + SIMD3(0, 0, h / 2), radius: (footprint * footprint + h * h / 4).squareRoot() + 1e-9)
        }
    }

    /// The nearest solid along the ray from `eye`, the distance along d and the normal of the
    /// face it enters, or nil (table).
    func trace(_ d: SIMD3<Double>) -> (index: Int, t: Double, normal: SIMD3<Double>)? {
        var best: (index: Int, t: Double, normal: SIMD3<Double>)? = nil
        for (k, s) in solids.enumerated() {
            // Bounding sphere first: most rays miss most solids.
            let oc = s.centre - eye
            let along = (oc * d).sum() / (d * d).sum()
            let closest = oc - along * d
            if (closest * closest).sum() > s.radius * s.radius { continue }
            var enter = -Double.infinity, exit = Double.infinity
            var normal = SIMD3<Double>(0, 0, 0)
            var miss = false
            for p in s.planes {
                let denom = (p.n * d).sum(), dist = p.d - (p.n * eye).sum()
                if denom < 0 {
                    let tt = dist / denom
                    if tt > enter { enter = tt; normal = p.n }
                } else if denom > 0 {
                    exit = min(exit, dist / denom)
                } else if dist < 0 {
                    miss = true
                }
            }
            if miss || !(enter < exit) || enter <= 0 { continue }
            if enter < (best?.t ?? .infinity) { best = (k, enter, normal) }
        }
        return best
    }

    /// Whether the ray p + s L, s > 1e-4, meets the closed solid k: the slab test, each
    /// plane bounding s from below (entering) or above (leaving).
    func blocks(_ k: Int, _ p: SIMD3<Double>) -> Bool {
        var enter = -Double.infinity, exit = Double.infinity
        for pl in solids[k].planes {
            let denom = (pl.n * lightDir).sum(), dist = pl.d - (pl.n * p).sum()
            if denom < 0 {
                enter = max(enter, dist / denom)
            } else if denom > 0 {
                exit = min(exit, dist / denom)
            } else if dist < 0 {
                return false
            }
        }
        return enter <= exit && exit > 1e-4
    }

    /// lit(p) of the spec for a point on solid `on` (nil: the table).
    func lit(_ p: SIMD3<Double>, on: Int?) -> Bool {
        guard shadows else { return true }
        return !solids.indices.contains { $0 != on && blocks($0, p) }
    }

    /// The colour seen along d (before clamping), whether it is in shadow, whether it is the table.
    func colour(_ d: SIMD3<Double>) -> (rgb: SIMD3<Double>, shadowed: Bool, table: Bool) {
        if let hit = trace(d) {
            let nl = max(0, (hit.normal * lightDir).sum())
            let inShadow = nl > 0 && !lit(eye + hit.t * d, on: hit.index)
            return (solids[hit.index].albedo * (ambient + diffuse * nl * (inShadow ? 0 : 1)), inShadow, false)
        }
        let nl = lightDir.z
        // A ray that never comes down gets the unshadowed table.
        let inShadow = d.z < 0 && !lit(eye + (-eye.z / d.z) * d, on: nil)
        return (tableAlbedo * (ambient + diffuse * nl * (inShadow ? 0 : 1)), inShadow, true)
    }

    func ray(_ px: Double, _ py: Double) -> SIMD3<Double> {
        let sx = 2 * px / Double(width) - 1, sy = 1 - 2 * py / Double(height)
        return f + sx * t * aspect * r + sy * t * u
    }

    /// The image, the mask, and how many samples are in shadow on objects and on the table.
    func render() -> (rgb: [Double], mask: [UInt8], shadowedOnObjects: Int, shadowedOnTable: Int) {
        var rgb = [Double](repeating: 0, count: width * height * 3)
        var mask = [UInt8](repeating: 0, count: width * height)
        var onObjects = 0, onTable = 0
        for j in 0..<height {
            for i in 0..<width {
                var sum = SIMD3<Double>(0, 0, 0)
                for a in 0..<n {
                    for b in 0..<n {
                        let px = Double(i) + (Double(b) + 0.5) / Double(n), py = Double(j) + (Double(a) + 0.5) / Double(n)
                        let c = colour(ray(px, py))
                        if c.shadowed { if c.table { onTable += 1 } else { onObjects += 1 } }
                        sum += c.rgb.clamped(lowerBound: .zero, upperBound: .one)
                    }
                }
                sum /= Double(n * n)
                for ch in 0..<3 { rgb[(j * width + i) * 3 + ch] = sum[ch] }
                if let hit = trace(ray(Double(i) + 0.5, Double(j) + 0.5)) { mask[j * width + i] = UInt8(hit.index + 1) }
            }
        }
        return (rgb, mask, onObjects, onTable)
    }
}
