import Random
import XCTest
@testable import Scenes

/// The renderer's depth and normals against an independent ray caster: each shape is the
/// intersection of the half-spaces of SCENE-SPEC's table, a ray enters a convex solid where
/// the last plane it crosses inwards is, and the table is the plane z = 0.
final class GeometryTests: XCTestCase {
    /// (outward normal, offset): the solid is n · p ≤ offset for every plane, object frame.
    func halfSpaces(_ shape: Shape) -> [(SIMD3<Double>, Double)] {
        let floor = (SIMD3<Double>(0, 0, -1), 0.0)
        switch shape {
        case .cube:
            return [(SIMD3(1, 0, 0), 0.5), (SIMD3(-1, 0, 0), 0.5), (SIMD3(0, 1, 0), 0.5), (SIMD3(0, -1, 0), 0.5), floor, (SIMD3(0, 0, 1), 1)]
        case .brick:
            return [(SIMD3(1, 0, 0), 0.8), (SIMD3(-1, 0, 0), 0.8), (SIMD3(0, 1, 0), 0.4), (SIMD3(0, -1, 0), 0.4), floor, (SIMD3(0, 0, 1), 0.8)]
        case .cylinder:
            return (0..<24).map { k in
                let a = 15 * Double(k) * .pi / 180
                return (SIMD3(cos(a), sin(a), 0), 0.5 * cos(7.5 * .pi / 180))
            } + [floor, (SIMD3(0, 0, 1), 1)]
        case .wedge:
            let s = 1 / 2.0.squareRoot()
            return [(SIMD3(-1, 0, 0), 0.5), (SIMD3(0, 1, 0), 0.5), (SIMD3(0, -1, 0), 0.5), floor, (SIMD3(s, 0, s), 0.5 * s)]
        case .pyramid:
            let s = 1 / 1.25.squareRoot()
            return [floor] + [SIMD3<Double>(1, 0, 0.5), SIMD3(-1, 0, 0.5), SIMD3(0, 1, 0.5), SIMD3(0, -1, 0.5)].map { ($0 * s, 0.5 * s) }
        }
    }

    /// The nearest hit of the ray o + t d (t > 0): (t, world normal, mask id).
    func cast(_ o: SIMD3<Double>, _ d: SIMD3<Double>, scene: Scene) -> (Double, SIMD3<Double>, Int)? {
        var best: (Double, SIMD3<Double>, Int)? = d.z < 0 ? (-o.z / d.z, SIMD3(0, 0, 1), 0) : nil
        for (k, obj) in scene.objects.enumerated() {
            let a = obj.rotation * .pi / 180, c = cos(a), s = sin(a)
            let rel = o - SIMD3(obj.position.x, obj.position.y, 0)
            let lo = SIMD3(c * rel.x + s * rel.y, -s * rel.x + c * rel.y, rel.z)
            let ld = SIMD3(c * d.x + s * d.y, -s * d.x + c * d.y, d.z)
            var enter = -Double.infinity, exit = Double.infinity, normal = SIMD3<Double>(0, 0, 0), missed = false
            for (n, off) in halfSpaces(obj.shape) {
                let nd = (n * ld).sum(), dist = off - (n * lo).sum()
                if abs(nd) < 1e-15 { if dist < 0 { missed = true }; continue }
                let t = dist / nd
                if nd < 0 { if t > enter { enter = t; normal = n } } else { exit = min(exit, t) }
            }
            guard !missed, enter <= exit, enter > 0 else { continue }
            if best == nil || enter < best!.0 {
                best = (enter, SIMD3(c * normal.x - s * normal.y, s * normal.x + c * normal.y, normal.z), k + 1)
            }
        }
        return best
    }

    func testDepthAndNormalsMatchAnIndependentRayCaster() throws {
        let r = Rasterizer(threads: 1)
        var spec = BatchSpec.default
        spec.camera.width = 48; spec.camera.height = 40
        var agreeing = 0, pixels = 0, objectPixels = 0
        for i in 0..<12 {
            var scene = try spec.sample(index: i, seed: 77, renderer: r).scene
            if i % 3 == 1 { scene.camera.eye = SIMD3(2.5, -3.5, 3.0); scene.camera.fovY = 55 }
            let g = try r.geometry(scene)
            let cam = scene.camera
            // The spec's camera basis: f forward, r = f × up, u = r × f; a pixel centre (i + ½, j + ½)
            // lies along f + (2(i + ½)/W − 1) tan(fov/2) aspect r − (2(j + ½)/H − 1) tan(fov/2) u.
            func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
                SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
            }
            func unit(_ v: SIMD3<Double>) -> SIMD3<Double> { v / (v * v).sum().squareRoot() }
            let f = unit(cam.target - cam.eye)
            let right = unit(cross(f, cam.up)), up = cross(right, f)
            let t = tan(cam.fovY * .pi / 360), aspect = Double(cam.width) / Double(cam.height)
            for j in 0..<cam.height {
                for i in 0..<cam.width {
                    let x = (2 * (Double(i) + 0.5) / Double(cam.width) - 1) * t * aspect
                    let y = (2 * (Double(j) + 0.5) / Double(cam.height) - 1) * t
                    let d = f + right * x - up * y
                    let p = j * cam.width + i
                    pixels += 1
                    guard let hit = cast(cam.eye, d, scene: scene) else { XCTAssertEqual(g.depth[p], 0); continue }
                    guard hit.2 == Int(g.mask[p]) else { continue }   // an edge ray may fall either way
                    agreeing += 1
                    if hit.2 > 0 { objectPixels += 1 }
                    XCTAssertEqual(Double(g.depth[p]), hit.0, accuracy: 2e-5 * hit.0, "scene \(i) pixel (\(i), \(j))")
                    for c in 0..<3 { XCTAssertEqual(Double(g.normals[3 * p + c]), hit.1[c], accuracy: 1e-6) }
                }
            }
        }
        XCTAssertGreaterThan(Double(agreeing) / Double(pixels), 0.995)
        XCTAssertGreaterThan(objectPixels, 600)
    }
}
