import JSON
import Random

/// A batch spec's distribution over the scene's light (spec v2): elevation and azimuth of
/// the direction (or one fixed direction), ambient and diffuse levels, and the probability of
/// hard shadows.
///
/// JSON (`"light"` in a batch spec; every key optional, defaults = the spec's fixed light):
/// `{"elevation": [30, 90], "azimuth": [0, 360], "ambient": [0.15, 0.45], "diffuse": [0.5, 0.9], "shadows": 0.5}`
/// or `{"direction": [x, y, z], ...}`. `shadows` is true, false or a probability.
public struct LightPrior: Equatable, Sendable {
    /// Degrees above the table, in (0, 90].
    public var elevation: Draw?
    /// Degrees counter-clockwise from +x.
    public var azimuth: Draw = .fixed(0)
    /// A fixed direction instead of elevation and azimuth.
    public var direction: SIMD3<Double> = Light().direction
    public var ambient: Draw = .fixed(Light().ambient)
    public var diffuse: Draw = .fixed(Light().diffuse)
    public var shadowProbability: Double = 0

    public init() {}

    /// The prior the bundled model is trained over (README, "The generative model").
    public static let varied: LightPrior = {
        var p = LightPrior()
        p.elevation = Draw(30, 90)
        p.azimuth = Draw(0, 360)
        p.ambient = Draw(0.15, 0.45)
        p.diffuse = Draw(0.5, 0.9)
        p.shadowProbability = 0.5
        return p
    }()

    /// Draws a light. Values are rounded to 6 decimals, so that the JSON text of a dataset line
    /// reads back as the very numbers rendered (the renderer takes the light in double).
    public func sample(_ rng: inout RNG) -> Light {
        let q = Light.rounded
        var l = Light()
        if let elevation {
            let e = elevation.sample(&rng, neutral: 90), a = azimuth.sample(&rng, neutral: 0)
            let d = Light.from(elevation: e, azimuth: a, ambient: 0, diffuse: 0, shadows: false).direction
            l.direction = SIMD3(q(d.x), q(d.y), max(q(d.z), 1e-6))
        } else {
            l.direction = direction
        }
        l.ambient = q(ambient.sample(&rng, neutral: Light().ambient))
        l.diffuse = q(diffuse.sample(&rng, neutral: Light().diffuse))
        l.shadows = shadowProbability >= 1 || (shadowProbability > 0 && rng.uniformDouble() < shadowProbability)
        return l
    }

    public static let keys = ["elevation", "azimuth", "direction", "ambient", "diffuse", "shadows"]

    public static func parse(_ v: JSONValue, _ path: String, reader: JSONFieldReader) throws -> LightPrior {
        _ = try reader.object(v, path, allowed: keys)
        let join = { (key: String) in JSONFieldReader.join(path, key) }
        var p = LightPrior()
        if let d = v["direction"] {
            guard v["elevation"] == nil && v["azimuth"] == nil else {
                throw reader.error(d, join("direction"), "give either direction or elevation/azimuth")
            }
            let n = try reader.numbers(d, join("direction"), count: 3)
            p.direction = SIMD3(n[0], n[1], n[2])
            guard p.direction.z > 0 else { throw reader.error(d, join("direction"), "must point above the table (z > 0)") }
        }
        if let e = v["elevation"] {
            p.elevation = try Draw.parse(e, join("elevation"), reader: reader, allowed: 0.001...90)
        } else if v["azimuth"] != nil {
            p.elevation = .fixed(Light().elevationAzimuth.elevation)
        }
        if let a = v["azimuth"] { p.azimuth = try Draw.parse(a, join("azimuth"), reader: reader, allowed: -3600...3600) }
        if let a = v["ambient"] { p.ambient = try Draw.parse(a, join("ambient"), reader: reader, allowed: 0...100) }
        if let d = v["diffuse"] { p.diffuse = try Draw.parse(d, join("diffuse"), reader: reader, allowed: 0...100) }
        if let s = v["shadows"] {
            switch s.kind {
            case .bool(let b): p.shadowProbability = b ? 1 : 0
            default:
                p.shadowProbability = try reader.number(s, join("shadows"))
                guard (0...1).contains(p.shadowProbability) else { throw reader.error(s, join("shadows"), "expected true, false or a probability in [0, 1]") }
            }
        }
        return p
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
