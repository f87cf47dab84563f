#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The five block classes as polygon meshes in the object frame (SCENE-SPEC's table: base on
/// z = 0, yaw about z), with faces oriented outwards, for exporters (PLY models) and their
/// symmetry groups.
public enum ShapeMeshes {
    public struct Mesh: Sendable {
        public var vertices: [SIMD3<Double>]
        /// Convex polygons, counter-clockwise seen from outside.
        public var faces: [[Int]]
    }

    public static func mesh(_ shape: Shape) -> Mesh {
        switch shape {
        case .cube: return box(0.5, 0.5, 1)
        case .brick: return box(0.8, 0.4, 0.8)
        case .cylinder:
            let ring = (0..<24).map { k -> SIMD2<Double> in
                let a = (15 * Double(k) + 7.5) * .pi / 180
                return SIMD2(0.5 * cos(a), 0.5 * sin(a))
            }
            let v = ring.map { SIMD3($0.x, $0.y, 0) } + ring.map { SIMD3($0.x, $0.y, 1) }
            var faces: [[Int]] = [Array((0..<24).reversed()), Array(24..<48)]
            for k in 0..<24 { faces.append([k, (k + 1) % 24, 24 + (k + 1) % 24, 24 + k]) }
            return oriented(Mesh(vertices: v, faces: faces))
        case .wedge:
            let v: [SIMD3<Double>] = [[-0.5, -0.5, 0], [0.5, -0.5, 0], [0.5, 0.5, 0], [-0.5, 0.5, 0], [-0.5, -0.5, 1], [-0.5, 0.5, 1]]
            return oriented(Mesh(vertices: v, faces: [[0, 1, 2, 3], [0, 3, 5, 4], [1, 2, 5, 4], [0, 1, 4], [3, 2, 5]]))
        case .pyramid:
            let v: [SIMD3<Double>] = [[-0.5, -0.5, 0], [0.5, -0.5, 0], [0.5, 0.5, 0], [-0.5, 0.5, 0], [0, 0, 1]]
            return oriented(Mesh(vertices: v, faces: [[0, 1, 2, 3], [0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4]]))
        }
    }

    static func box(_ hx: Double, _ hy: Double, _ h: Double) -> Mesh {
        var v: [SIMD3<Double>] = []
        for z in [0, h] { for (x, y) in [(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)] { v.append(SIMD3(x, y, z)) } }
        return oriented(Mesh(vertices: v, faces: [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]))
    }

    /// Each face turned so that its normal points away from the solid's centroid.
    static func oriented(_ m: Mesh) -> Mesh {
        let c = m.vertices.reduce(SIMD3<Double>.zero, +) / Double(m.vertices.count)
        var out = m
        out.faces = m.faces.map { f in
            let a = m.vertices[f[0]], b = m.vertices[f[1]], d = m.vertices[f[2]]
            let n = cross(b - a, d - a)
            return ((n * (a - c)).sum() >= 0) ? f : Array(f.reversed())
        }
        return out
    }

    static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }

    /// The 24 rotations that map the coordinate axes onto themselves (signed permutation
    /// matrices of determinant 1), row-major.
    static var axisRotations: [[Double]] {
        var out: [[Double]] = []
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        for p in perms {
            for signs in 0..<8 {
                var m = [Double](repeating: 0, count: 9)
                for r in 0..<3 { m[3 * r + p[r]] = (signs >> r) & 1 == 1 ? -1 : 1 }
                let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
                if det > 0 { out.append(m) }
            }
        }
        return out
    }

    /// The solid's exact symmetries among rotations about axes through the centre of its
    /// bounding box parallel to the coordinate axes (or their diagonals): x ↦ R (x − c) + c,
    /// identity left out, as (R row-major, t = c − R c). For these five solids every proper
    /// symmetry is of that kind.
    public static func discreteSymmetries(_ shape: Shape) -> [(rotation: [Double], translation: SIMD3<Double>)] {
        let m = mesh(shape)
        let lo = m.vertices.reduce(SIMD3(repeating: Double.infinity)) { pointwiseMin($0, $1) }
        let hi = m.vertices.reduce(SIMD3(repeating: -Double.infinity)) { pointwiseMax($0, $1) }
        let c = (lo + hi) / 2
        var out: [(rotation: [Double], translation: SIMD3<Double>)] = []
        for r in axisRotations where r != [1, 0, 0, 0, 1, 0, 0, 0, 1] {
            func apply(_ v: SIMD3<Double>) -> SIMD3<Double> {
                let d = v - c
                return SIMD3(r[0] * d.x + r[1] * d.y + r[2] * d.z, r[3] * d.x + r[4] * d.y + r[5] * d.z,
                             r[6] * d.x + r[7] * d.y + r[8] * d.z) + c
            }
            let maps = m.vertices.allSatisfy { v in
                let w = apply(v)
                return m.vertices.contains { u in ((u - w) * (u - w)).sum() < 1e-18 }
            }
            if maps {
                let rc = SIMD3(r[0] * c.x + r[1] * c.y + r[2] * c.z, r[3] * c.x + r[4] * c.y + r[5] * c.z, r[6] * c.x + r[7] * c.y + r[8] * c.z)
                out.append((r, c - rc))
            }
        }
        return out
    }
}
