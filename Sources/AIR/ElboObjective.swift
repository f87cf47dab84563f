import Collective
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

/// The ELBO on observed images, L = E_q[log p(x | z) + log p(z) − log q(z | x)] (AIR-NOTES),
/// with p the `GenerativeModel`'s prior, renderer and likelihood. One estimate in four parts:
/// 1. `trace`: the guide reads each image step by step, sampling its latents and rendering
///    what it has placed (the difference images' input);
/// 2. `fit`: log p(x | z) of each sampled scene and its gradients by the objects' continuous
///    latents — central finite differences through one-object-moved re-renders for x, y and
///    yaw, the renderer's shading images for the colour (exact: colour enters each pixel
///    linearly), finite differences for it otherwise;
/// 3. `signals`: per step and image, the REINFORCE learning signal of the step's discrete
///    choices (presence, shape) — only the terms they influence — normalised (NVIL), and its
///    advantage over the input-dependent baseline;
/// 4. `surrogate` and `seeds`: a scalar whose gradient, with the upstream gradients injected
///    into the reparameterised latents (position = where + refinement, colour, yaw point),
///    is −∇L plus the baselines' regression loss.
public struct ElboObjective {
    public var network: GuideNetwork
    public var baselines: Baselines
    public let model: GenerativeModel
    public var renderer: any ShadingRenderer
    public var steps = FiniteDifferenceSteps()
    /// Running normalisation of the learning signals and of the advantages (NVIL).
    public var signalNormalizer = SignalNormalizer(decay: 0.9, minimumScale: 1)
    public var advantageNormalizer = SignalNormalizer(decay: 0.9, minimumScale: 0.1)

    public init(network: GuideNetwork, baselines: Baselines, model: GenerativeModel) {
        self.network = network
        self.baselines = baselines
        self.model = model
        renderer = model.makeRenderer()
    }

    public struct Result {
        /// The surrogate: its gradient (with the injected seeds) is −∇ELBO plus the baseline loss.
        public var surrogate: Tensor
        /// Upstream gradients for the reparameterised latents, to pass to `Tape.backward`.
        public var seeds: [(Tensor, [Float])]
        /// Mean ELBO estimate per image, mean log-likelihood and mean object count (for one
        /// rank's share of a batch: its part of the batch's means, which sum to them).
        public var elbo: Double
        public var logLikelihood: Double
        public var meanCount: Double
    }

    /// One recurrent step of the trace, for every image of the batch.
    struct TraceStep {
        /// log q(presence) (where a choice was made) + log q(shape) (where present): [B].
        var scoreTerm: Tensor
        /// The baseline's prediction of the step's normalised learning signal: [B].
        var baseline: Tensor
        /// −log q of the continuous latents at their samples, where present: [B].
        var continuousLogQ: Tensor
        /// The reparameterised samples that receive upstream gradients.
        var position: Tensor, color: Tensor, yawPoint: Tensor
        /// 1 where the step made a presence choice (the image was still reading) / placed an object.
        var chose: [Float], present: [Float]
        /// log q and log p of every choice of the step, per image (log p(n) is counted once, apart).
        var logGuide: [Double], logPrior: [Double]
    }

    struct Trace {
        var steps: [TraceStep] = []
        var objects: [[SceneObject]]
        var lights: [Light]
        /// Each image's sampled scene rendered, [B·H·W·3] (what the last step saw, plus the last object).
        var rendered: [Float] = []

        /// log p(x, z) − log q(z | x) of image k's sampled scene z, given log p(x | z): the
        /// importance weight of z as a draw from q.
        func logWeight(image k: Int, logLikelihood: Double, prior: ScenePrior) -> Double {
            logLikelihood + prior.logProb(count: objects[k].count)
                + steps.map { $0.chose[k] == 1 ? $0.logPrior[k] - $0.logGuide[k] : 0 }.reduce(0, +)
        }
    }

    /// log p(x | z) of each image's sampled scene, and its gradients per object.
    struct Fit {
        var logLikelihood: [Double]
        var pose: [[PoseGradient]]
        var color: [[SIMD3<Double>]]
    }

    /// One stochastic estimate on a batch of observed images ([B·H·W·3]); `rows`: each image's
    /// random stream. Data-parallel: `batch` is this rank's share of a batch of `total` images,
    /// the shares held by consecutive ranks in order; the learning-signal statistics are then
    /// the whole batch's (gathered over `collective`), and every rank must call this together.
    public mutating func estimate(observed: [Float], batch b: Int, total: Int? = nil, table: SIMD3<Float>, tape: Tape,
                                  rows: inout [RNG], collective: any Collective = SingleProcess()) throws -> Result {
        precondition(rows.count == b, "ElboObjective.estimate: \(rows.count) random streams for \(b) images")
        let total = total ?? b
        let trace = try self.trace(observed: observed, batch: b, table: table, tape: tape, rows: &rows)
        let fit = try self.fit(trace, observed: observed)
        let (targets, advantages) = try signals(trace, fit: fit, collective: collective)
        let elbos = (0..<b).map { trace.logWeight(image: $0, logLikelihood: fit.logLikelihood[$0], prior: model.prior) }
        return Result(surrogate: surrogate(trace, targets: targets, advantages: advantages, tape: tape, total: total),
                      seeds: seeds(trace, fit: fit, batch: b, total: total),
                      elbo: elbos.reduce(0, +) / Double(total),
                      logLikelihood: fit.logLikelihood.reduce(0, +) / Double(total),
                      meanCount: Double(trace.objects.map(\.count).reduce(0, +)) / Double(total))
    }

    /// The ELBO of each image without gradients — one sampled reading z ~ q(z | x) each, log
    /// p(x, z) − log q(z | x) — for monitoring images not trained on. With the same random
    /// streams it is the estimate `estimate` averages.
    public func evaluate(observed: [Float], batch b: Int, table: SIMD3<Float>, rows: inout [RNG]) throws -> [Double] {
        precondition(rows.count == b, "ElboObjective.evaluate: \(rows.count) random streams for \(b) images")
        let trace = try self.trace(observed: observed, batch: b, table: table, tape: Tape(recording: false), rows: &rows)
        let cfg = network.config, pixels = cfg.width * cfg.height * 3
        return (0..<b).map { k in
            let image = { (values: [Float]) in Image(width: cfg.width, height: cfg.height, pixels: Array(values[k * pixels..<(k + 1) * pixels])) }
            let logLikelihood = model.likelihood.logLikelihood(observed: image(observed), rendered: image(trace.rendered))
            return trace.logWeight(image: k, logLikelihood: logLikelihood, prior: model.prior)
        }
    }

    /// Part 1: the guide's sampled reading of every image, rendering as it goes.
    func trace(observed: [Float], batch b: Int, table: SIMD3<Float>, tape: Tape, rows: inout [RNG]) throws -> Trace {
        let cfg = network.config, half = cfg.tableHalfWidth
        let pixels = cfg.width * cfg.height * 3
        let attention = Attention(config: cfg)
        var rendered = [Float](repeating: 0, count: b * pixels)
        fillWithTable(&rendered, pixels: b * cfg.width * cfg.height, table: table)
        var trace = Trace(objects: Array(repeating: [], count: b), lights: Array(repeating: Light(), count: b))
        var state = network.lstm.zeroState(batch: b, on: tape)
        var previous = tape.zeros([b, LatentCode.size])
        var alive = [Bool](repeating: true, count: b)

        for i in 0..<cfg.maxObjects {
            let input = stepInput(observed: observed, rendered: rendered, table: table, batch: b,
                                  height: cfg.height, width: cfg.width, tape: tape)
            let r = network.read(input, previous: previous, state: state)
            state = r.state
            // The light is read at the first step and taken as given (no gradient: the ELBO's
            // likelihood does not model it).
            if i == 0, let head = network.light {
                let out = head(r.features).values
                for k in 0..<b { trace.lights[k] = LightHead.decode(out, row: k) }
            }
            let chose = alive.map { Float($0 ? 1 : 0) }
            let presDist = Bernoulli(logits: r.presLogit)
            let presSample = presDist.sample(rows: &rows).values.enumerated().map { alive[$0.offset] ? $0.element : 0 }
            let presLogQ = presDist.logProb(tape.constant(shape: [b], values: presSample))
            let present = presSample.map { Float($0 > 0.5 ? 1 : 0) }

            // Where: a reparameterised sample in normalised table units; the glimpse looks there.
            let whereNormal = Normal(mean: r.whereMean, logStd: r.whereLogStd)
            let whereSample = whereNormal.rsample(rows: &rows)
            let w = whereSample.values
            var thetas = [Float](repeating: 0, count: b * 6)
            for k in 0..<b {
                thetas.replaceSubrange(6 * k..<6 * k + 6, with: attention.theta(x: Double(w[2 * k]) * half, y: Double(w[2 * k + 1]) * half))
            }
            let what = WhatHeads(network.look(input, theta: tape.constant(shape: [b, 2, 3], values: thetas), h: state.h))
            let shapes = what.shape.sample(rows: &rows)
            let shapeLogQ = what.shape.logProb(shapes)
            let colorSample = what.color.rsample(rows: &rows)
            let refineSample = what.refine.rsample(rows: &rows)
            let position = whereSample * Float(half) + refineSample * Float(GuideNetwork.refineScale)
            let yawPoint = what.yawPoint(of: shapes, tape: tape)
            let contLogQ = sum(whereNormal.logProb(whereSample), axes: [1]) + sum(what.color.logProb(colorSample), axes: [1])
                + sum(what.refine.logProb(refineSample), axes: [1])

            // The sampled objects, their log q and log p.
            let pq = presLogQ.values, sq = shapeLogQ.values, cq = contLogQ.values
            let pos = position.values, col = colorSample.values, yp = yawPoint.values
            var guide = [Double](repeating: 0, count: b), prior = [Double](repeating: 0, count: b)
            var codes = [Float](repeating: 0, count: b * LatentCode.size)
            var changed: [Int] = []
            for k in 0..<b where alive[k] {
                guide[k] = Double(pq[k])
                guard present[k] == 1 else { alive[k] = false; continue }
                let shape = Shape(rawValue: shapes[k])!
                let rgb = SIMD3((0..<3).map { min(max(Double(col[3 * k + $0]), 0), 1) })
                let o = SceneObject(shape: shape, color: Color(rgb: rgb),
                                    position: SIMD2(Double(pos[2 * k]), Double(pos[2 * k + 1])),
                                    rotation: LatentCode.yaw(from: SIMD2(yp[2 * k], yp[2 * k + 1]), shape: shape))
                guide[k] += Double(sq[k]) + Double(cq[k])
                prior[k] = model.prior.logProb(o)
                trace.objects[k].append(o)
                codes.replaceSubrange(LatentCode.size * k..<LatentCode.size * (k + 1), with: LatentCode.code(o, config: cfg))
                changed.append(k)
            }
            trace.steps.append(TraceStep(
                scoreTerm: presLogQ * tape.constant(shape: [b], values: chose) + shapeLogQ * tape.constant(shape: [b], values: present),
                baseline: baselines(h: state.h, features: r.features),
                continuousLogQ: maskedMultiply(contLogQ, tape.constant(shape: [b], values: present)),
                position: position, color: colorSample, yawPoint: yawPoint,
                chose: chose, present: present, logGuide: guide, logPrior: prior))
            previous = tape.constant(shape: [b, LatentCode.size], values: codes)
            for k in changed {
                let img = try renderer.render(cfg.scene(light: trace.lights[k], objects: trace.objects[k]), samplesPerPixel: cfg.samplesPerPixel)
                rendered.replaceSubrange(k * pixels..<(k + 1) * pixels, with: img.pixels)
            }
        }
        trace.rendered = rendered
        return trace
    }

    /// Part 2: the likelihood of each sampled scene and its gradients.
    func fit(_ trace: Trace, observed: [Float]) throws -> Fit {
        let cfg = network.config, pixels = cfg.width * cfg.height * 3
        var fit = Fit(logLikelihood: [], pose: [], color: [])
        for (k, objects) in trace.objects.enumerated() {
            let obs = Image(width: cfg.width, height: cfg.height, pixels: Array(observed[k * pixels..<(k + 1) * pixels]))
            let scene = cfg.scene(light: trace.lights[k], objects: objects)
            let session = try renderer.session(base: scene, samplesPerPixel: cfg.samplesPerPixel)
            let g = try gradients(model.likelihood, session: session, scene: scene, observed: obs)
            fit.logLikelihood.append(g.value)
            fit.pose.append(g.pose)
            fit.color.append(g.color)
        }
        return fit
    }

    private func gradients<L: ImageLikelihood>(_ likelihood: L, session: any RenderSession, scene: Scene, observed: Image) throws
        -> (value: Double, pose: [PoseGradient], color: [SIMD3<Double>]) {
        let fd = FiniteDifferenceEstimator(likelihood: likelihood, steps: steps)
        let value = likelihood.logLikelihood(observed: observed, rendered: session.baseImage)
        let pose = try fd.centralPoseGradients(session: session, objects: scene.objects, observed: observed)
        guard let gaussian = likelihood as? GaussianLikelihood, !scene.objects.isEmpty else {
            return (value, pose, try fd.colorGradients(session: session, objects: scene.objects, observed: observed))
        }
        // Colour enters each pixel linearly: the exact gradient from the shading images.
        let shade = try renderer.shading(scene, samplesPerPixel: network.config.samplesPerPixel)
        return (value, pose, gaussian.albedoGradient(observed: observed, rendered: session.baseImage,
                                                     shading: shade, objectCount: scene.objects.count))
    }

    /// Part 3: the normalised learning signals r̃[step][image] (the baselines' targets) and the
    /// normalised advantages r̃ − b, zero where a step made no choice. Both normalisers see the
    /// whole batch's values, image by image in batch order, whichever rank holds the images.
    mutating func signals(_ trace: Trace, fit: Fit, collective: any Collective) throws -> (targets: [[Float]], advantages: [[Float]]) {
        let n = trace.steps.count, b = trace.objects.count
        var raw: [Double] = []   // image-major, step order
        for k in 0..<b {
            let taken = trace.steps.filter { $0.chose[k] == 1 }
            raw += ScoreFunction.learningSignals(likelihood: fit.logLikelihood[k],
                                                 countLogPrior: model.prior.logProb(count: trace.objects[k].count),
                                                 stepLogPrior: taken.map { $0.logPrior[k] },
                                                 stepLogGuide: taken.map { $0.logGuide[k] })
        }
        let normalised = try signalNormalizer.normalizeThenUpdate(raw, over: collective)
        var targets = [[Float]](repeating: [Float](repeating: 0, count: b), count: n)
        var cursor = 0
        for k in 0..<b { for i in 0..<n where trace.steps[i].chose[k] == 1 { targets[i][k] = Float(normalised[cursor]); cursor += 1 } }
        var rawAdvantages: [Double] = []   // image-major, step order
        let baselines = trace.steps.map(\.baseline.values)
        for k in 0..<b { for i in 0..<n where trace.steps[i].chose[k] == 1 { rawAdvantages.append(Double(targets[i][k] - baselines[i][k])) } }
        let normAdv = try advantageNormalizer.normalizeThenUpdate(rawAdvantages, over: collective)
        var advantages = [[Float]](repeating: [Float](repeating: 0, count: b), count: n)
        cursor = 0
        for k in 0..<b { for i in 0..<n where trace.steps[i].chose[k] == 1 { advantages[i][k] = Float(normAdv[cursor]); cursor += 1 } }
        return (targets, advantages)
    }

    /// Part 4a: −(1/B) Σ [A · log q(discrete) − log q(continuous)] + (1/B) Σ (b − r̃)².
    func surrogate(_ trace: Trace, targets: [[Float]], advantages: [[Float]], tape: Tape, total: Int) -> Tensor {
        let b = trace.objects.count, invB = 1 / Float(total)
        var surrogate = tape.zeros([])
        for (i, s) in trace.steps.enumerated() {
            let a = tape.constant(shape: [b], values: advantages[i])
            surrogate = surrogate - sum(s.scoreTerm * a) * invB + sum(s.continuousLogQ) * invB
            let diff = s.baseline - tape.constant(shape: [b], values: targets[i])
            surrogate = surrogate + sum(square(diff) * tape.constant(shape: [b], values: s.chose)) * invB
        }
        return surrogate
    }

    /// Part 4b: the upstream gradients of −(f + log p(objects))/B for the reparameterised
    /// latents of every step: the likelihood's from `fit`, the prior's own (position and colour).
    func seeds(_ trace: Trace, fit: Fit, batch b: Int, total: Int) -> [(Tensor, [Float])] {
        let invB = 1 / Double(total)
        var seeds: [(Tensor, [Float])] = []
        for (i, s) in trace.steps.enumerated() {
            var gp = [Float](repeating: 0, count: b * 2), gc = [Float](repeating: 0, count: b * 3), gy = [Float](repeating: 0, count: b * 2)
            let yp = s.yawPoint.values, col = s.color.values
            for k in 0..<b where s.present[k] == 1 && i < trace.objects[k].count {
                let o = trace.objects[k][i], pose = fit.pose[k][i]
                let dPrior = model.prior.positionLogProbAndGradient(o.position).gradient
                gp[2 * k] = -Float((pose.x + dPrior.x) * invB)
                gp[2 * k + 1] = -Float((pose.y + dPrior.y) * invB)
                let dColor = fit.color[k][i] + model.prior.colorLogProbAndGradient(o.color.rgb).gradient
                for c in 0..<3 {
                    // The colour is clamped to [0, 1] before it is rendered: no gradient outside.
                    let v = col[3 * k + c]
                    gc[3 * k + c] = (v >= 0 && v <= 1) ? -Float(dColor[c] * invB) : 0
                }
                let g = LatentCode.yawGradient(point: SIMD2(yp[2 * k], yp[2 * k + 1]), shape: o.shape, dYaw: pose.rotation)
                gy[2 * k] = -Float(g.x * invB)
                gy[2 * k + 1] = -Float(g.y * invB)
            }
            seeds += [(s.position, gp), (s.color, gc), (s.yawPoint, gy)]
        }
        return seeds
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
