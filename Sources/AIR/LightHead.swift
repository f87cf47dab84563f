import Engine
import Scenes

/// How the guide reads the scene's light from the first step's encoder features.
///
/// Outputs, parameterised by what the image shows most directly: a direction (3 numbers,
/// normalised here, its z kept above the table), the table's shade s = ambient + diffuse · L_z
/// (every table pixel is its albedo times s), the ambient fraction r = ambient / (ambient +
/// diffuse) (the contrast between lit and unlit faces), and the logit of hard shadows. Trained by
/// regression on sleep scenes; later steps' difference images are rendered under the light it
/// reads, so that what is left is objects.
public enum LightHead {
    public static let outputs = 6
    static let direction = 0..<3
    static let tableShade = 3
    static let ambientFraction = 4
    static let shadows = 5
    /// The lowest elevation the decoded light may have (degrees): directions at the horizon
    /// give shadows of unbounded length.
    static let minimumElevation = 5.0

    /// Decodes row `k` of the head's output [B, 6].
    public static func decode(_ out: [Float], row k: Int) -> Light {
        let o = Array(out[k * outputs..<(k + 1) * outputs]).map(Double.init)
        var d = SIMD3(o[0], o[1], o[2])
        let len = (d * d).sum().squareRoot()
        d = len > 1e-6 ? d / len : SIMD3(0, 0, 1)
        let minZ = sin(minimumElevation * Double.pi / 180)
        if d.z < minZ {
            let h = SIMD2(d.x, d.y), hl = (h * h).sum().squareRoot()
            let s = (1 - minZ * minZ).squareRoot() / max(hl, 1e-9)
            d = SIMD3(d.x * s, d.y * s, minZ)
        }
        let shade = min(max(o[tableShade], 0.01), 3), r = min(max(o[ambientFraction], 0), 1)
        let total = shade / (r + (1 - r) * d.z)
        return Light(direction: d, ambient: r * total, diffuse: (1 - r) * total, shadows: o[shadows] > 0)
    }

    /// The head's regression targets for a light: unit direction, table shade, ambient fraction.
    static func targets(_ l: Light) -> (direction: SIMD3<Double>, shade: Double, fraction: Double) {
        let u = l.unitDirection
        let total = l.ambient + l.diffuse
        return (u, l.ambient + l.diffuse * max(0, u.z), total > 0 ? l.ambient / total : 0)
    }

    /// Sleep-phase loss of the head's output [B, 6] against the true lights: squared errors of
    /// the unit direction, the table shade and the ambient fraction (weighted by how precisely
    /// the image fixes each), and the shadows' Bernoulli log-likelihood; summed over the rows and
    /// divided by `total` (the whole batch's size; the rows may be one rank's share of it).
    static func loss(_ out: Tensor, truth: [Light], tape: Tape, total: Int? = nil) -> Tensor {
        let b = truth.count
        var dir = [Float](repeating: 0, count: b * 3), levels = [Float](repeating: 0, count: b * 2), shadow = [Float](repeating: 0, count: b)
        for (k, l) in truth.enumerated() {
            let t = targets(l)
            dir[3 * k] = Float(t.direction.x); dir[3 * k + 1] = Float(t.direction.y); dir[3 * k + 2] = Float(t.direction.z)
            levels[2 * k] = Float(t.shade); levels[2 * k + 1] = Float(t.fraction)
            shadow[k] = l.shadows ? 1 : 0
        }
        let invB = 1 / Float(total ?? b)
        let d = slice(out, axis: 1, direction)
        let lv = slice(out, axis: 1, tableShade..<(ambientFraction + 1))
        let dirLoss = sum(square(d - tape.constant(shape: [b, 3], values: dir))) * (4 * invB)
        let weights = tape.constant(shape: [b, 2], values: (0..<b).flatMap { _ in [Float(100), Float(20)] })
        let levelLoss = sum(square(lv - tape.constant(shape: [b, 2], values: levels)) * weights) * invB
        let shadowLL = Bernoulli(logits: slice(out, axis: 1, shadows..<(shadows + 1)).reshaped([b]))
            .logProb(tape.constant(shape: [b], values: shadow))
        return dirLoss + levelLoss - sum(shadowLL) * invB
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
