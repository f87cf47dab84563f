import Engine
import Scenes

/// How the guide reads the scene's light from the first step's encoder features: a direction
/// (3 numbers, normalised here, its z kept above the table), the ambient and diffuse levels, and
/// the logit of hard shadows. Trained by regression on sleep scenes; the difference images of
/// later steps are rendered under the light it reads, so that what is left is objects.
public enum LightHead {
    public static let outputs = 6
    static let direction = 0..<3
    static let ambient = 3
    static let diffuse = 4
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
        return Light(direction: d, ambient: min(max(o[ambient], 0), 2), diffuse: min(max(o[diffuse], 0), 2),
                     shadows: o[shadows] > 0)
    }

    /// Sleep-phase loss of the head's output [B, 6] against the true lights: squared error of
    /// the unit direction and of the levels (scaled to weigh like the rest), and the shadows'
    /// Bernoulli log-likelihood.
    static func loss(_ out: Tensor, truth: [Light], tape: Tape) -> Tensor {
        let b = truth.count
        var dir = [Float](repeating: 0, count: b * 3), levels = [Float](repeating: 0, count: b * 2), shadow = [Float](repeating: 0, count: b)
        for (k, l) in truth.enumerated() {
            let u = l.unitDirection
            dir[3 * k] = Float(u.x); dir[3 * k + 1] = Float(u.y); dir[3 * k + 2] = Float(u.z)
            levels[2 * k] = Float(l.ambient); levels[2 * k + 1] = Float(l.diffuse)
            shadow[k] = l.shadows ? 1 : 0
        }
        let invB = 1 / Float(b)
        let d = slice(out, axis: 1, direction)
        let lv = slice(out, axis: 1, ambient..<(diffuse + 1))
        let dirLoss = sum(square(d - tape.constant(shape: [b, 3], values: dir))) * (4 * invB)
        let levelLoss = sum(square(lv - tape.constant(shape: [b, 2], values: levels))) * (20 * invB)
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
