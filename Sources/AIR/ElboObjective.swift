import Engine
import Random
import Scenes

/// Input-dependent baselines for the score-function estimator: they see the step's reading of
/// the image and the recurrent state (both detached, so no gradient reaches the guide) and
/// regress the step's normalised learning signal.
public final class Baselines: Module {
    let mlp: MLP
    public init(config: ModelConfig, rng: inout RNG) {
        mlp = MLP([config.hidden + config.encoderFeatures, 64, 1], rng: &rng)
    }
    func callAsFunction(h: Tensor, features: Tensor) -> Tensor {
        let b = h.shape[0]
        return mlp(concat([h.detached(), features.detached()], axis: 1)).reshaped([b])
    }
}

/// The ELBO on observed images, L = E_q[log p(x | z) + log p(z) − log q(z | x)] (AIR-NOTES):
/// - continuous latents are reparameterised (position = where + refinement, colour); the yaw is
///   the deterministic angle of the predicted point. ∂ log p(x | z)/∂(x, y, yaw) comes from
///   central finite differences through the renderer's one-object-moved re-renders, ∂/∂rgb from
///   the renderer's shading images when it offers them (`ShadingRenderer`, exact: colour enters
///   each pixel linearly) and from finite differences otherwise; all are fed into the graph as
///   the upstream gradients of those latents;
/// - presence and shape are sampled; their gradient is REINFORCE with per-step learning signals
///   (only the terms a choice influences), input-dependent baselines and NVIL normalisation;
/// - −log q of the continuous latents is taken through the reparameterised samples.
/// The priors are those of the generative model: count uniform on 0…N, shape uniform, position
/// uniform on the table area, colour uniform on [0, 1]³ (yaw: uniform, constant).
public struct ElboObjective {
    public var network: GuideNetwork
    public var baselines: Baselines
    public var renderer: any SceneRenderer
    public var likelihood: GaussianLikelihood
    public var steps = FiniteDifferenceSteps()
    /// Running normalisation of the learning signals and of the advantages (NVIL).
    public var signalNormalizer = SignalNormalizer(decay: 0.9, minimumScale: 1)
    public var advantageNormalizer = SignalNormalizer(decay: 0.9, minimumScale: 0.1)

    public init(network: GuideNetwork, baselines: Baselines, renderer: any SceneRenderer, sigma: Double) {
        self.network = network
        self.baselines = baselines
        self.renderer = renderer
        likelihood = GaussianLikelihood(sigma: sigma)
    }

    public struct Result {
        /// The surrogate: its gradient (with the injected seeds) is −∇ELBO plus the baseline loss.
        public var surrogate: Tensor
        /// Upstream gradients for the reparameterised latents, to pass to `Tape.backward`.
        public var seeds: [(Tensor, [Float])]
        /// Mean ELBO estimate per image and mean log-likelihood.
        public var elbo: Double
        public var logLikelihood: Double
        public var meanCount: Double
    }

    /// One stochastic estimate on a batch of observed images ([B·H·W·3]).
    public mutating func estimate(observed: [Float], batch b: Int, table: SIMD3<Float>, tape: Tape, rng: inout RNG) throws -> Result {
        let cfg = network.config, n = cfg.maxObjects, half = cfg.tableHalfWidth
        let pixels = cfg.width * cfg.height * 3
        let attention = Attention(config: cfg)
        let camera = cfg.camera
        var rendered = [Float](repeating: 0, count: b * pixels)
        fillWithTable(&rendered, pixels: b * cfg.width * cfg.height, table: table)
        var lights = [Light](repeating: Light(), count: b)
        var state = network.lstm.zeroState(batch: b, on: tape)
        var previous = tape.zeros([b, LatentCode.size])
        var alive = [Bool](repeating: true, count: b)
        var objects = [[SceneObject]](repeating: [], count: b)

        // Per step: tensors whose gradients matter, and host copies of the per-image terms.
        var scoreTerms: [Tensor] = []          // log q(pres) + log q(shape), [B], per step
        var baselineOut: [Tensor] = []         // [B], per step
        var stepMask: [[Float]] = []           // 1 where the step sampled a presence choice
        var logGuide: [[Double]] = []          // log q of every choice of the step, per image
        var logPrior: [[Double]] = []
        var positions: [Tensor] = [], colors: [Tensor] = [], yawPoints: [Tensor] = []
        var entropyRows: [Tensor] = []         // −log q(c) through the samples, [B], per step (masked)
        var presentMasks: [[Float]] = []
        let positionLogPrior = -log(Double(4 * half * half))   // uniform on the table area
        let shapeLogPrior = -log(Double(Shape.allCases.count))

        for i in 0..<n {
            let input = stepInput(observed: observed, rendered: rendered, table: table, batch: b,
                                  height: cfg.height, width: cfg.width, tape: tape)
            let r = network.read(input, previous: previous, state: state)
            state = r.state
            // The light is read at the first step and taken as given (no gradient: the ELBO's
            // likelihood does not model it).
            if i == 0, let head = network.light {
                let out = head(r.features).values
                for k in 0..<b { lights[k] = LightHead.decode(out, row: k) }
            }
            let exists = alive.map { Float($0 ? 1 : 0) }
            let presDist = Bernoulli(logits: r.presLogit)
            let presSample = presDist.sample(rng: &rng).values.enumerated().map { alive[$0.offset] ? $0.element : 0 }
            let present = presSample.map { $0 > 0.5 }
            let presLogQ = presDist.logProb(tape.constant(shape: [b], values: presSample))

            // Where: reparameterised sample in normalised table units.
            let whereNormal = Normal(mean: r.whereMean, logStd: r.whereLogStd)
            let whereSample = whereNormal.rsample(rng: &rng)
            let w = whereSample.values
            var thetas = [Float](repeating: 0, count: b * 6)
            for k in 0..<b {
                thetas.replaceSubrange(6 * k..<6 * k + 6, with: attention.theta(x: Double(w[2 * k]) * half, y: Double(w[2 * k + 1]) * half))
            }
            let out = network.look(input, theta: tape.constant(shape: [b, 2, 3], values: thetas), h: state.h)
            let what = WhatHeads(out)
            let shapes = what.shape.sample(rng: &rng)
            let shapeLogQ = what.shape.logProb(shapes)
            let colorNormal = what.color, refineNormal = what.refine
            let colorSample = colorNormal.rsample(rng: &rng)
            let refineSample = refineNormal.rsample(rng: &rng)
            let position = whereSample * Float(half) + refineSample * Float(GuideNetwork.refineScale)
            let yawPoint = what.yawPoint(of: shapes, tape: tape)

            // −log q of the continuous latents at their samples (the guide's density there).
            let contLogQ = sum(whereNormal.logProb(whereSample), axes: [1]) + sum(colorNormal.logProb(colorSample), axes: [1])
                + sum(refineNormal.logProb(refineSample), axes: [1])
            let presentF = present.map { Float($0 ? 1 : 0) }
            entropyRows.append(maskedMultiply(contLogQ, tape.constant(shape: [b], values: presentF)))

            scoreTerms.append(presLogQ * tape.constant(shape: [b], values: exists) + shapeLogQ * tape.constant(shape: [b], values: presentF))
            baselineOut.append(baselines(h: state.h, features: r.features))
            stepMask.append(exists)
            presentMasks.append(presentF)
            positions.append(position); colors.append(colorSample); yawPoints.append(yawPoint)

            let pq = presLogQ.values, sq = shapeLogQ.values, cq = contLogQ.values
            let pos = position.values, col = colorSample.values, yp = yawPoint.values
            var guide = [Double](repeating: 0, count: b), prior = [Double](repeating: 0, count: b)
            var codes = [Float](repeating: 0, count: b * LatentCode.size)
            var changed: [Int] = []
            for k in 0..<b where alive[k] {
                guide[k] = Double(pq[k])
                guard present[k] else { alive[k] = false; continue }
                guide[k] += Double(sq[k]) + Double(cq[k])
                prior[k] = shapeLogPrior + positionLogPrior
                let shape = Shape(rawValue: shapes[k])!
                let rgb = SIMD3((0..<3).map { min(max(Double(col[3 * k + $0]), 0), 1) })
                let o = SceneObject(shape: shape, color: Color(rgb: rgb),
                                    position: SIMD2(Double(pos[2 * k]), Double(pos[2 * k + 1])),
                                    rotation: LatentCode.yaw(from: SIMD2(yp[2 * k], yp[2 * k + 1]), shape: shape))
                objects[k].append(o)
                codes.replaceSubrange(LatentCode.size * k..<LatentCode.size * (k + 1), with: LatentCode.code(o, config: cfg))
                changed.append(k)
            }
            logGuide.append(guide)
            logPrior.append(prior)
            previous = tape.constant(shape: [b, LatentCode.size], values: codes)
            for k in changed {
                let img = try renderer.render(cfg.scene(light: lights[k], objects: objects[k]), samplesPerPixel: cfg.samplesPerPixel)
                rendered.replaceSubrange(k * pixels..<(k + 1) * pixels, with: img.pixels)
            }
        }

        // Likelihood of each sampled scene and its finite-difference gradients.
        let fd = FiniteDifferenceEstimator(likelihood: likelihood, steps: steps)
        var f = [Double](repeating: 0, count: b)
        var poseGrads = [[PoseGradient]](repeating: [], count: b)
        var colorGrads = [[SIMD3<Double>]](repeating: [], count: b)
        for k in 0..<b {
            let obs = Image(width: cfg.width, height: cfg.height, pixels: Array(observed[k * pixels..<(k + 1) * pixels]))
            let session = try renderer.session(base: cfg.scene(light: lights[k], objects: objects[k]), samplesPerPixel: cfg.samplesPerPixel)
            f[k] = likelihood.logLikelihood(observed: obs, rendered: session.baseImage)
            poseGrads[k] = try fd.centralPoseGradients(session: session, objects: objects[k], observed: obs)
            if let exact = renderer as? any ShadingRenderer, !objects[k].isEmpty {
                // Colour enters each pixel linearly: the exact gradient from the shading images.
                let shade = try exact.shading(cfg.scene(light: lights[k], objects: objects[k]), samplesPerPixel: cfg.samplesPerPixel)
                colorGrads[k] = likelihood.albedoGradient(observed: obs, rendered: session.baseImage,
                                                          shading: shade, objectCount: objects[k].count)
            } else {
                colorGrads[k] = try fd.colorGradients(session: session, objects: objects[k], observed: obs)
            }
        }

        // Learning signals (per image, per step), normalised; advantages against the baselines.
        let countLogPrior = -log(Double(n + 1))
        var flat: [Double] = []
        for k in 0..<b {
            let taken = (0..<n).filter { stepMask[$0][k] == 1 }
            let s = ScoreFunction.learningSignals(likelihood: f[k], countLogPrior: countLogPrior,
                                                  stepLogPrior: taken.map { logPrior[$0][k] },
                                                  stepLogGuide: taken.map { logGuide[$0][k] })
            flat += s   // image-major, step order: the order the cursors below read back
        }
        let normalised = signalNormalizer.normalizeThenUpdate(flat)
        var cursor = 0
        var targets = [[Float]](repeating: [Float](repeating: 0, count: b), count: n)
        for k in 0..<b { for i in 0..<n where stepMask[i][k] == 1 { targets[i][k] = Float(normalised[cursor]); cursor += 1 } }
        var advantages = [[Float]](repeating: [Float](repeating: 0, count: b), count: n)
        var rawAdv: [Double] = []
        for i in 0..<n {
            let bv = baselineOut[i].values
            for k in 0..<b where stepMask[i][k] == 1 { rawAdv.append(Double(targets[i][k] - bv[k])) }
        }
        let normAdv = advantageNormalizer.normalizeThenUpdate(rawAdv)
        cursor = 0
        for i in 0..<n { for k in 0..<b where stepMask[i][k] == 1 { advantages[i][k] = Float(normAdv[cursor]); cursor += 1 } }

        // Surrogate: −(1/B) Σ [A·log q(discrete) − log q(continuous)] + (1/B) Σ (b − r̃)².
        let invB = 1 / Float(b)
        var surrogate = tape.zeros([])
        for i in 0..<n {
            let a = tape.constant(shape: [b], values: advantages[i])
            surrogate = surrogate - sum(scoreTerms[i] * a) * invB + sum(entropyRows[i]) * invB
            let diff = baselineOut[i] - tape.constant(shape: [b], values: targets[i])
            surrogate = surrogate + sum(square(diff) * tape.constant(shape: [b], values: stepMask[i])) * invB
        }

        // Upstream gradients of −f/B for the reparameterised latents, per step.
        var seeds: [(Tensor, [Float])] = []
        for i in 0..<n {
            var gp = [Float](repeating: 0, count: b * 2), gc = [Float](repeating: 0, count: b * 3), gy = [Float](repeating: 0, count: b * 2)
            let yp = yawPoints[i].values, col = colors[i].values
            for k in 0..<b where presentMasks[i][k] == 1 && i < objects[k].count {
                let pg = poseGrads[k][i], cg = colorGrads[k][i]
                gp[2 * k] = -Float(pg.x) * invB
                gp[2 * k + 1] = -Float(pg.y) * invB
                for c in 0..<3 {
                    let v = col[3 * k + c]
                    gc[3 * k + c] = (v >= 0 && v <= 1) ? -Float(cg[c]) * invB : 0
                }
                let g = LatentCode.yawGradient(point: SIMD2(yp[2 * k], yp[2 * k + 1]), shape: objects[k][i].shape, dYaw: pg.rotation)
                gy[2 * k] = -Float(g.x) * invB
                gy[2 * k + 1] = -Float(g.y) * invB
            }
            seeds.append((positions[i], gp)); seeds.append((colors[i], gc)); seeds.append((yawPoints[i], gy))
        }

        var elbo = 0.0
        for k in 0..<b {
            let taken = (0..<n).filter { stepMask[$0][k] == 1 }
            elbo += f[k] + countLogPrior + taken.map { logPrior[$0][k] - logGuide[$0][k] }.reduce(0, +)
        }
        return Result(surrogate: surrogate, seeds: seeds, elbo: elbo / Double(b),
                      logLikelihood: f.reduce(0, +) / Double(b),
                      meanCount: Double(objects.map(\.count).reduce(0, +)) / Double(b))
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
