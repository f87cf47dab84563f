#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// A slow, plain ray caster that follows the spec line by line in Double precision.
///
/// It exists to check the C rasteriser (and everything built on it) against an
/// independent implementation, and to run the pipeline in tests. Every solid is convex,
/// so it is the intersection of half-spaces n·p <= d; a ray enters it at the largest
/// entering-plane distance and leaves at the smallest exiting one.
public struct ReferenceRenderer: SceneRenderer, MaskRenderer {
    public init() {}

    /// Towards the light, normalised.
    static let light: SIMD3<Double> = normalize3([-0.4, -0.6, 1.0])
    static let tableAlbedo: SIMD3<Double> = [0.50, 0.48, 0.45]

    /// Half-spaces (n, d), n a unit outward normal, of a shape in its object frame.
    static func planes(_ shape: Shape) -> [(n: SIMD3<Double>, d: Double)] {
        func box(_ a: Double, _ b: Double, _ h: Double) -> [(n: SIMD3<Double>, d: Double)] {
            [([1, 0, 0], a), ([-1, 0, 0], a), ([0, 1, 0], b), ([0, -1, 0], b), ([0, 0, 1], h), ([0, 0, -1], 0)]
        }
        switch shape {
        case .cube: return box(0.5, 0.5, 1)
        case .brick: return box(0.8, 0.4, 0.8)
        case .cylinder:
            let apothem = 0.5 * cos(7.5 * .pi / 180)
            return (0..<24).map { k -> (n: SIMD3<Double>, d: Double) in
                let a = 15 * Double(k) * .pi / 180
                return (SIMD3(cos(a), sin(a), 0), apothem)
            } + [([0, 0, 1], 1), ([0, 0, -1], 0)]
        case .wedge:
            let s = 1 / 2.0.squareRoot()
            return [([-1, 0, 0], 0.5), ([0, 1, 0], 0.5), ([0, -1, 0], 0.5), ([0, 0, -1], 0), ([s, 0, s], 0.5 * s)]
        case .pyramid:
            // Side through (0.5, ±0.5, 0) and the apex (0, 0, 1): x + z/2 <= 1/2.
            let k = 1 / 1.25.squareRoot()
            return [([k, 0, k / 2], k / 2), ([-k, 0, k / 2], k / 2), ([0, k, k / 2], k / 2), ([0, -k, k / 2], k / 2), ([0, 0, -1], 0)]
        }
    }

    /// The object's half-spaces in world coordinates.
    static func worldPlanes(_ o: SceneObject) -> [(n: SIMD3<Double>, d: Double)] {
        let a = o.rotation * .pi / 180
        let c = cos(a), s = sin(a)
        let offset = SIMD3(o.position.x, o.position.y, 0)
        return planes(o.shape).map { p in
            let n = SIMD3(c * p.n.x - s * p.n.y, s * p.n.x + c * p.n.y, p.n.z)
            return (n, p.d + dot3(n, offset))
        }
    }

    /// The entry distance and the entered face's normal, if the ray hits the solid.
    static func hit(_ planes: [(n: SIMD3<Double>, d: Double)], _ o: SIMD3<Double>, _ dir: SIMD3<Double>) -> (t: Double, n: SIMD3<Double>)? {
        var tIn = -Double.infinity, tOut = Double.infinity
        var normal = SIMD3<Double>(0, 0, 1)
        for p in planes {
            let denom = dot3(p.n, dir)
            let dist = p.d - dot3(p.n, o)
            if denom == 0 {
                if dist < 0 { return nil }
            } else if denom < 0 {
                let t = dist / denom
                if t > tIn { tIn = t; normal = p.n }
            } else {
                tOut = min(tOut, dist / denom)
            }
        }
        guard tIn <= tOut, tIn > 0 else { return nil }
        return (tIn, normal)
    }

    /// What the ray through image point (px, py) sees: object index (or nil) and shaded colour.
    static func trace(_ scene: Scene, _ solids: [[(n: SIMD3<Double>, d: Double)]], _ point: SIMD2<Double>) -> (Int?, SIMD3<Double>) {
        let dir = scene.camera.ray(through: point)
        var best: (k: Int, t: Double, n: SIMD3<Double>)?
        for (k, planes) in solids.enumerated() {
            if let h = hit(planes, scene.camera.eye, dir), h.t < (best?.t ?? .infinity) { best = (k, h.t, h.n) }
        }
        guard let best else { return (nil, tableAlbedo * (0.3 + 0.7 * max(0, light.z))) }
        let albedo = scene.objects[best.k].color.rgb
        return (best.k, albedo * (0.3 + 0.7 * max(0, dot3(best.n, light))))
    }

    public func render(_ scene: Scene, samplesPerPixel: Int) throws -> Image {
        try renderWithMask(scene, samplesPerPixel: samplesPerPixel, image: true, mask: false).image!
    }

    public func renderWithMask(_ scene: Scene, samplesPerPixel: Int, image wantImage: Bool, mask wantMask: Bool) throws -> (image: Image?, mask: [UInt8]?) {
        let n = Int(Double(samplesPerPixel).squareRoot())
        guard n * n == samplesPerPixel, (1...4).contains(n) else { throw RenderError(code: -4, message: "spp must be 1, 4, 9 or 16") }
        let c = scene.camera
        let solids = scene.objects.map(Self.worldPlanes)
        var image = wantImage ? Image(width: c.width, height: c.height) : nil
        var mask = wantMask ? [UInt8](repeating: 0, count: c.width * c.height) : nil
        for j in 0..<c.height {
            for i in 0..<c.width {
                if wantImage {
                    var sum = SIMD3<Double>(0, 0, 0)
                    for sy in 0..<n {
                        for sx in 0..<n {
                            let p = SIMD2(Double(i) + (Double(sx) + 0.5) / Double(n), Double(j) + (Double(sy) + 0.5) / Double(n))
                            let col = Self.trace(scene, solids, p).1
                            sum += SIMD3(min(max(col.x, 0), 1), min(max(col.y, 0), 1), min(max(col.z, 0), 1))
                        }
                    }
                    let mean = sum / Double(n * n)
                    for ch in 0..<3 { image!.pixels[(j * c.width + i) * 3 + ch] = Float(mean[ch]) }
                }
                if wantMask, let k = Self.trace(scene, solids, SIMD2(Double(i) + 0.5, Double(j) + 0.5)).0 {
                    mask![j * c.width + i] = UInt8(k + 1)
                }
            }
        }
        return (image, mask)
    }
}
