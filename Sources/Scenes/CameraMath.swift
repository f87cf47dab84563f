import JSON
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// The spec's camera basis: forward f, right r, up u, and the scale factors.
public struct CameraBasis: Equatable, Sendable {
    public var f: SIMD3<Double>
    public var r: SIMD3<Double>
    public var u: SIMD3<Double>
    /// tan(fov_y / 2).
    public var t: Double
    /// Aspect ratio width / height.
    public var aspect: Double
}

@inline(__always) func dot3(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
@inline(__always) func cross3(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
@inline(__always) func normalize3(_ a: SIMD3<Double>) -> SIMD3<Double> { a / dot3(a, a).squareRoot() }

extension Camera {
    /// Largest image side the renderer accepts.
    public static let maxSide = 16384

    /// What is wrong with this camera (field name and message), or nil when it is valid: the
    /// checks of the renderer, made on the single-precision values it will be given
    /// (`SceneLimits`), so that a camera accepted here renders.
    public var problem: (field: String, message: String)? {
        for (name, v) in [("eye", eye), ("target", target), ("up", up)] {
            if let (i, m) = SceneLimits.problem([v.x, v.y, v.z]) { return ("\(name)[\(i)]", m) }
        }
        func single(_ v: SIMD3<Double>) -> SIMD3<Double> { SIMD3(Double(Float(v.x)), Double(Float(v.y)), Double(Float(v.z))) }
        let e = single(eye), t = single(target), u = single(up)
        if !(e.z > 0) { return ("eye", "the eye must be above the table (z > 0), found z = \(JSONWriter.number(eye.z))") }
        if !SceneLimits.fovY.contains(fovY) {
            return ("fov_y", "fov_y must be in [\(JSONWriter.number(SceneLimits.fovY.lowerBound)), \(JSONWriter.number(SceneLimits.fovY.upperBound))] degrees, found \(JSONWriter.number(fovY))")
        }
        if !(1...Camera.maxSide).contains(width) { return ("width", "width must be a whole number in 1...\(Camera.maxSide), found \(width)") }
        if !(1...Camera.maxSide).contains(height) { return ("height", "height must be a whole number in 1...\(Camera.maxSide), found \(height)") }
        let d = t - e
        if dot3(d, d) == 0 { return ("target", "target equals eye") }
        if dot3(u, u) == 0 { return ("up", "up is zero") }
        let c = cross3(normalize3(d), normalize3(u))
        if dot3(c, c) < 1e-12 { return ("up", "up is (nearly) parallel to the viewing direction") }
        return nil
    }

    /// The spec's basis (the camera must be valid).
    public var basis: CameraBasis {
        let f = normalize3(target - eye)
        let r = normalize3(cross3(f, up))
        let u = cross3(r, f)
        return CameraBasis(f: f, r: r, u: u, t: tan(fovY * .pi / 360), aspect: Double(width) / Double(height))
    }

    /// Pixel coordinates (origin top-left, y down) of a world point; nil when the point
    /// is not in front of the camera (z <= 0 along f).
    public func project(_ p: SIMD3<Double>) -> SIMD2<Double>? {
        let b = basis
        let q = p - eye
        let z = dot3(q, b.f)
        guard z > 0 else { return nil }
        let px = (1 + dot3(q, b.r) / (z * b.t * b.aspect)) * Double(width) / 2
        let py = (1 - dot3(q, b.u) / (z * b.t)) * Double(height) / 2
        return SIMD2(px, py)
    }

    /// The unit direction of the ray from the eye through image point (px, py).
    public func ray(through point: SIMD2<Double>) -> SIMD3<Double> {
        let b = basis
        let sx = 2 * point.x / Double(width) - 1
        let sy = 1 - 2 * point.y / Double(height)
        return normalize3(b.f + sx * b.t * b.aspect * b.r + sy * b.t * b.u)
    }

    /// Where the ray through image point (px, py) meets the table z = 0, if it goes down.
    public func tablePoint(through point: SIMD2<Double>) -> SIMD3<Double>? {
        self.point(through: point, atHeight: 0)
    }

    /// Where the ray through image point (px, py) meets the plane z = `height`, if it goes down.
    public func point(through point: SIMD2<Double>, atHeight height: Double) -> SIMD3<Double>? {
        let d = ray(through: point)
        guard d.z < 0 else { return nil }
        return eye + ((height - eye.z) / d.z) * d
    }
}
