import Foundation
import Renderer

/// An independent implementation of SCENE-SPEC.md in Float64: one ray per sample,
/// each solid an intersection of half-spaces, no meshes and no rasterisation.
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

    init(camera c: air_camera, objects: [air_object]) {
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

    /// The nearest solid along the ray and the shade of the face it enters, or nil (table).
    func trace(_ d: SIMD3<Double>) -> (index: Int, shade: Double)? {
        var best: (index: Int, shade: Double)? = nil
        var bestT = Double.infinity
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
            if enter < bestT { bestT = enter; best = (k, Self.shade(normal)) }
        }
        return best
    }

    func ray(_ px: Double, _ py: Double) -> SIMD3<Double> {
        let sx = 2 * px / Double(width) - 1, sy = 1 - 2 * py / Double(height)
        return f + sx * t * aspect * r + sy * t * u
    }

    func render() -> (rgb: [Double], mask: [UInt8]) {
        var rgb = [Double](repeating: 0, count: width * height * 3)
        var mask = [UInt8](repeating: 0, count: width * height)
        let table = Self.table * Self.shade([0, 0, 1])
        for j in 0..<height {
            for i in 0..<width {
                var sum = SIMD3<Double>(0, 0, 0)
                for a in 0..<n {
                    for b in 0..<n {
                        let px = Double(i) + (Double(b) + 0.5) / Double(n), py = Double(j) + (Double(a) + 0.5) / Double(n)
                        var c = table
                        if let hit = trace(ray(px, py)) { c = solids[hit.index].albedo * hit.shade }
                        sum += c.clamped(lowerBound: .zero, upperBound: .one)
                    }
                }
                sum /= Double(n * n)
                for ch in 0..<3 { rgb[(j * width + i) * 3 + ch] = sum[ch] }
                if let hit = trace(ray(Double(i) + 0.5, Double(j) + 0.5)) { mask[j * width + i] = UInt8(hit.index + 1) }
            }
        }
        return (rgb, mask)
    }
}
