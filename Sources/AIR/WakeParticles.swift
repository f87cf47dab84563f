import Engine
import Random
import Scenes

/// The wake phase with importance-weighted particles from the guide itself (reweighted
/// wake-sleep's wake-φ, Le et al. 2019), the alternative to `WakeObjective`'s search: for each
/// observed image x, K scenes z₁…z_K ~ q(z | x) and
///
///     ∇φ KL(p(z | x) ‖ q(z | x)) ≈ −Σ_k w̃_k ∇φ log q(z_k | x),
///     w̃ = softmax_k(log p(x, z_k) − log q(z_k | x)),
///
/// consistent as K grows. The particles are the ELBO's traces (`ElboObjective.trace`, run
/// forward only); the loss is the sleep phase's teacher-forced −log q, each particle weighted
/// by w̃ (`TrainingBatch.weights`). No gradient passes through the renderer or the weights.
/// The yaw is read as a point (the guide has no yaw density), so the weights do not see it.
public struct WakeParticles {
    public struct Draw {
        /// K scenes per image, image-major: image k's particles are k·K ..< (k+1)·K.
        public var scenes: [Scene]
        /// Each observed image K times in a row, beside its particles.
        public var observed: [Float]
        /// Their self-normalised importance weights (each image's K sum to 1).
        public var weights: [Float]
        /// Mean over the images of the effective number of particles, 1 / Σ_k w̃_k² (1 to K).
        public var effectiveParticles: Double
        /// Mean over the images of Σ_k w̃_k · (objects in z_k): the count the guide is taught.
        public var meanCount: Double
        /// Mean over the images of log (1/K) Σ_k w_k, the K-sample bound on log p(x) (IWAE).
        public var logMarginal: Double
    }

    /// K particles for each of `b` observed images ([b·H·W·3]); `rows`: each image's random
    /// stream (particle j of image k draws from `rows[k].split(j)`). `tape` holds the traces'
    /// forward passes; the caller resets it.
    public static func draw(elbo: ElboObjective, observed: [Float], batch b: Int, particles K: Int,
                            table: SIMD3<Float>, tape: Tape, rows: [RNG]) throws -> Draw {
        precondition(K >= 1 && rows.count == b, "WakeParticles.draw: \(rows.count) random streams for \(b) images, K = \(K)")
        let cfg = elbo.network.config, pixels = cfg.width * cfg.height * 3
        let replicated = WakeParticles.replicate(observed, pixels: pixels, images: b, times: K)
        var particleRows = (0..<b * K).map { rows[$0 / K].split(UInt64($0 % K)) }
        let trace = try elbo.trace(observed: replicated, batch: b * K, table: table, tape: tape, rows: &particleRows)
        var draw = Draw(scenes: [], observed: replicated, weights: [], effectiveParticles: 0, meanCount: 0, logMarginal: 0)
        for k in 0..<b {
            let obs = Image(width: cfg.width, height: cfg.height, pixels: Array(observed[k * pixels..<(k + 1) * pixels]))
            let logW = (0..<K).map { j -> Double in
                let p = k * K + j
                let rendered = Image(width: cfg.width, height: cfg.height, pixels: Array(trace.rendered[p * pixels..<(p + 1) * pixels]))
                return trace.logWeight(image: p, logLikelihood: elbo.model.likelihood.logLikelihood(observed: obs, rendered: rendered),
                                       prior: elbo.model.prior)
            }
            let (normalised, logSum) = responsibilities(logW)
            draw.weights += normalised.map(Float.init)
            draw.effectiveParticles += 1 / normalised.map { $0 * $0 }.reduce(0, +)
            draw.meanCount += zip(normalised, trace.objects[k * K..<(k + 1) * K]).map { $0 * Double($1.count) }.reduce(0, +)
            draw.logMarginal += logSum - log(Double(K))
            draw.scenes += (k * K..<(k + 1) * K).map { cfg.scene(light: trace.lights[$0], objects: trace.objects[$0]) }
        }
        let n = Double(max(1, b))
        (draw.effectiveParticles, draw.meanCount, draw.logMarginal) = (draw.effectiveParticles / n, draw.meanCount / n, draw.logMarginal / n)
        return draw
    }

    /// Each image's pixels `times` times in a row.
    static func replicate(_ images: [Float], pixels: Int, images b: Int, times K: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(b * K * pixels)
        for k in 0..<b { for _ in 0..<K { out += images[k * pixels..<(k + 1) * pixels] } }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
