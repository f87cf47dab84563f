import Engine
import Random
import Scenes

/// Scenes with known latents and their images: what the sleep phase learns from.
public struct TrainingBatch {
    /// Each scene's objects in the canonical order the guide is taught to find them.
    public var objects: [[SceneObject]]
    /// Each scene's light.
    public var lights: [Light]
    /// Observed images, [B·H·W·3] in [0, 1].
    public var observed: [Float]
    /// N planes of renderings, [N·B·H·W·3] (one plane per step, kept in one array: a crowded
    /// batch's planes are tens of MB): plane i renders each scene's first i objects (slightly
    /// perturbed, as the guide's own estimates will be); plane 0 is the bare table.
    public var prefixes: [Float]
    /// Each example's weight in the loss (nil: 1 each): the wake phase's importance weights.
    public var weights: [Float]? = nil
    /// Whether the scenes' lights are targets for the light head (not where they are its own reading).
    public var teachesLight = true
    /// Examples beyond the first `sceneCount` are other admissible orders of the same scenes
    /// (`LatentCode.admissibleOrders`): example `sceneCount + j` is scene `alternativeOf[j]`'s
    /// objects in another order (the same observed image, its own prefixes). The loss of a scene
    /// is then −log Σ over its orders of q(z in that order | x).
    public var alternativeOf: [Int] = []
    /// Examples taught along the network's own readings (`OwnRun`; empty, or nil for an example
    /// taught along its true objects): their steps' targets and canvases come from the run.
    public var runs: [OwnRun?] = []
    /// Scene examples chosen to be read along the network's own readings, waiting for them
    /// (`BatchBuilder.readAlong` fills their runs and prefixes).
    public var ownPending: [Int] = []

    /// Scenes in the batch (the first `sceneCount` examples, in canonical order).
    public var sceneCount: Int { objects.count - alternativeOf.count }

    /// Where plane i of `prefixes` starts.
    public func prefixOffset(_ i: Int) -> Int { i * observed.count }

    public var size: Int { objects.count }
}

/// The sleep phase (likelihood-free): maximise log q(z | x) on scenes drawn from the prior and
/// rendered. The object order is fixed by `LatentCode.canonicalOrder`; the recurrent state and
/// the difference images are teacher-forced with the true objects (an `OwnRun` example's with
/// the network's own readings).
public struct SleepObjective {
    public var network: GuideNetwork
    /// Where the training glimpse looks: the truth moved towards the network's own guess (by at
    /// most `glimpseJitterLimit`) plus noise, so the what-heads learn to read glimpses as
    /// inference will place them.
    public var glimpseJitterLimit: Double = 0.25
    public var glimpseNoise: Double = 0.05
    public var yawWeight: Float = 4
    /// The yaw term of a shape of symmetry period P is weighed by (P / 90°)^yawBalance. The
    /// loss is the squared distance between points at angle 2π·yaw/P, so one degree of a wedge
    /// (P = 360°) costs 1/16 of one degree of a cube; 2 makes a degree cost the same for all.
    public var yawBalance = 0.0
    /// When > 0, step i may find any remaining object whose centre projects within this many
    /// pixels of the nearest remaining one's height, not only the canonical next: its where term
    /// is log Σ over those objects of N(position; mean, std) and its what-heads read the one the
    /// where head is nearest to. The prefixes stay canonical (a set renders the same in any
    /// order). The scene-wide alternative orders of `BatchBuilder.orderBand` cover only the last
    /// steps' ties of a crowded scene within their limit; this covers every step's, at no cost.
    public var stepBand = 0.0
    /// At most this many objects are a step's candidates.
    public var stepCandidateLimit = 4

    /// Each shape's factor on the yaw term.
    func yawShapeWeight(_ shape: Int) -> Float {
        guard yawBalance != 0, let period = Shape(rawValue: shape)?.symmetryPeriod else { return 1 }
        return Float(pow(period / 90, yawBalance))
    }

    public init(network: GuideNetwork) { self.network = network }

    public struct Terms {
        public var loss: Tensor
        /// Per-term means over the batch (negative log-likelihoods), for logging.
        public var presence = 0.0, position = 0.0, shape = 0.0, color = 0.0, yaw = 0.0, refine = 0.0, light = 0.0
        /// Steps whose presence decision (p > 0.5) matches the truth, and steps that decided.
        public var presenceCorrect = 0, presenceSteps = 0
        /// Fraction of steps whose presence decision matches the truth.
        public var presenceAccuracy: Double { presenceSteps > 0 ? Double(presenceCorrect) / Double(presenceSteps) : 1 }
    }

    /// −(1/B) Σ log q(z | x), with the per-term breakdown. `rows`: each example's random stream
    /// (its glimpse noise). `total`: B, the whole batch's size when `batch` is one rank's share
    /// of it (the losses and terms are then this share's part of the batch's), by default
    /// `batch.size`.
    ///
    /// Teacher forcing fixes every step's input in advance, so the encoder reads all N steps'
    /// inputs as one batch of N·B before the recurrence; and the what-path feeds nothing back,
    /// so it reads all N steps' glimpses as one batch after it. Only the LSTM and the
    /// presence/where head run step by step. Fewer, larger GEMMs: each weight matrix is packed
    /// once a pass instead of N times, which is most of a small batch's cost.
    public func loss(_ batch: TrainingBatch, table: SIMD3<Float>, tape: Tape, rows: inout [RNG], total: Int? = nil) -> Terms {
        let cfg = network.config
        let b = batch.size, n = cfg.maxObjects, scenes = batch.sceneCount
        precondition(rows.count == b, "SleepObjective.loss: \(rows.count) random streams for \(b) examples")
        let attention = Attention(config: cfg)
        let invB = 1 / Float(total ?? scenes)
        let given = batch.weights ?? [Float](repeating: 1, count: b)
        precondition(given.count == b, "SleepObjective.loss: \(given.count) weights for \(b) examples")
        var terms = Terms(loss: tape.zeros([]))
        var sumOfTerms: Tensor? = nil
        func add(_ t: Tensor) { sumOfTerms = sumOfTerms.map { $0 + t } ?? t }
        func masked(_ rows: Tensor, _ mask: [Float]) -> Tensor {
            sum(rows * tape.constant(shape: [rows.shape[0]], values: mask)) * (-invB)
        }

        let features = network.encoder(stackedHalfInput(batch, table: table, tape: tape))   // [N·B, F], step-major
        var state = network.lstm.zeroState(batch: b, on: tape)
        var previous = tape.zeros([b, LatentCode.size])
        // Per step: the presence and where log-likelihoods with their (unweighted) masks.
        var steps: [(presLL: Tensor, exists: [Float], whereLL: Tensor, present: [Float])] = []
        // The what-path's glimpse windows and targets, step-major [N·B, …].
        var hs: [Tensor] = []
        var thetas = [Float](repeating: 0, count: n * b * 6)
        var presentMask = [Float](repeating: 0, count: n * b)
        var refineTarget = [Float](repeating: 0, count: n * b * 2)
        var shapes = [Int](repeating: 0, count: n * b)
        var colors = [Float](repeating: 0.5, count: n * b * 3)
        let yawWidth = WhatHeads.Layout.yaw.count
        var yawShapes = [Int?](repeating: nil, count: n * b)
        var yawTarget = [Float](repeating: 0, count: n * b * yawWidth)
        var presCorrect = 0, presSteps = 0
        let half = cfg.tableHalfWidth

        for i in 0..<n {
            let r = network.recur(features: slice(features, axis: 0, i * b..<(i + 1) * b), previous: previous, state: state)
            state = r.state
            hs.append(state.h)
            if i == 0, batch.teachesLight, let head = network.light {
                // The light does not depend on the order: each scene's canonical example teaches it.
                let f = scenes == b ? r.features : slice(r.features, axis: 0, 0..<scenes)
                let lightLoss = LightHead.loss(head(f), truth: Array(batch.lights[0..<scenes]), tape: tape, total: total ?? scenes)
                add(lightLoss)
                terms.light = Double(lightLoss.item)
            }

            // Presence: a step exists while all earlier ones were present; its target is i < n_b.
            let exists = (0..<b).map { Float(batch.reaches($0, i) ? 1 : 0) }
            let present = (0..<b).map { Float(batch.left($0, i).isEmpty ? 0 : 1) }
            let presLL = Bernoulli(logits: r.presLogit).logProb(tape.constant(shape: [b], values: present))
            let logits = r.presLogit.values
            for k in 0..<scenes where exists[k] == 1 {
                presSteps += 1
                if (logits[k] > 0) == (present[k] == 1) { presCorrect += 1 }
            }

            // Where (coarse), against the true position (or the step's candidates); the glimpse
            // window and the what-targets.
            let guess = r.whereMean.values
            let whereDist = Normal(mean: r.whereMean, logStd: r.whereLogStd)
            var picks = [[Int]](repeating: [], count: b)
            var candidates = [[SIMD2<Float>]](repeating: [], count: b)
            var prevCodes = [Float](repeating: 0, count: b * LatentCode.size)
            var left = [[SceneObject]](repeating: [], count: b)
            for k in 0..<b where present[k] == 1 {
                left[k] = Array(batch.left(k, i))
                picks[k] = stepBand > 0
                    ? LatentCode.stepCandidates(LatentCode.projectedHeights(left[k], camera: cfg.camera), from: 0, band: stepBand, limit: stepCandidateLimit)
                    : [0]
                candidates[k] = picks[k].map { j in
                    let p = left[k][j].position
                    return SIMD2(Float(p.x / half), Float(p.y / half))
                }
            }
            let (whereLL, nearest) = Self.candidateWhereLL(whereDist, candidates: candidates, tape: tape)
            for k in 0..<b {
                let row = i * b + k
                let gx = Double(guess[2 * k]) * half, gy = Double(guess[2 * k + 1]) * half
                guard present[k] == 1 else {
                    thetas.replaceSubrange(6 * row..<6 * row + 6, with: attention.theta(x: gx, y: gy))
                    continue
                }
                let o = left[k][picks[k][nearest[k]]]
                let lim = glimpseJitterLimit
                let cx = o.position.x + min(max(gx - o.position.x, -lim), lim) + glimpseNoise * rows[k].normal()
                let cy = o.position.y + min(max(gy - o.position.y, -lim), lim) + glimpseNoise * rows[k].normal()
                thetas.replaceSubrange(6 * row..<6 * row + 6, with: attention.theta(x: cx, y: cy))
                presentMask[row] = 1
                refineTarget[2 * row] = Float((o.position.x - cx) / GuideNetwork.refineScale)
                refineTarget[2 * row + 1] = Float((o.position.y - cy) / GuideNetwork.refineScale)
                shapes[row] = o.shape.rawValue
                colors[3 * row] = Float(o.color.rgb.x); colors[3 * row + 1] = Float(o.color.rgb.y); colors[3 * row + 2] = Float(o.color.rgb.z)
                if o.shape.symmetryPeriod != nil {
                    let p = LatentCode.yawPoint(o)
                    let j = yawWidth * row + 2 * o.shape.rawValue
                    yawShapes[row] = o.shape.rawValue
                    yawTarget[j] = p.x; yawTarget[j + 1] = p.y
                }
                // The next step's input is the prefix's object (plane i + 1 renders it).
                prevCodes.replaceSubrange(LatentCode.size * k..<LatentCode.size * (k + 1),
                                          with: LatentCode.code(batch.fed(k, i), config: cfg))
            }
            steps.append((presLL, exists, whereLL, present))
            previous = tape.constant(shape: [b, LatentCode.size], values: prevCodes)
        }

        // What, from every step's glimpse at once.
        let glimpses = concat((0..<n).map { i in
            glimpseInput(observed: batch.observed, rendered: batch.prefixes, renderedOffset: batch.prefixOffset(i), rows: Array(0..<b),
                         table: table, height: cfg.height, width: cfg.width,
                         theta: tape.constant(shape: [b, 2, 3], values: Array(thetas[6 * i * b..<6 * (i + 1) * b])),
                         size: cfg.glimpseSize, tape: tape)
        }, axis: 0)
        let what = WhatHeads(network.look(glimpse: glimpses, h: n == 1 ? hs[0] : concat(hs, axis: 0)))
        let shapeLL = what.shape.logProb(shapes)
        let colorLL = sum(what.color.logProb(tape.constant(shape: [n * b, 3], values: colors)), axes: [1])
        let refineLL = sum(what.refine.logProb(tape.constant(shape: [n * b, 2], values: refineTarget)), axes: [1])
        // The yaw point of the true shape, as squared distance to the target point.
        let yawErr = square(what.yawPoints - tape.constant(shape: [n * b, yawWidth], values: yawTarget))
        var yawShapeMask = WhatHeads.yawMask(yawShapes)
        if yawBalance != 0 {
            for (row, shape) in yawShapes.enumerated() {
                guard let shape else { continue }
                for c in 0..<yawWidth { yawShapeMask[row * yawWidth + c] *= yawShapeWeight(shape) }
            }
        }

        let weights = batch.alternativeOf.isEmpty ? given
            : orderWeights(batch, given: given, steps: steps, presentMask: presentMask,
                           what: [shapeLL, colorLL, refineLL], yawErr: yawErr, yawMask: yawShapeMask)
        for st in steps {
            let presLoss = masked(st.presLL, zip(st.exists, weights).map(*))
            let posLoss = masked(st.whereLL, zip(st.present, weights).map(*))
            add(presLoss); add(posLoss)
            terms.presence += Double(presLoss.item)
            terms.position += Double(posLoss.item)
        }
        let presentWeights = presentMask.enumerated().map { $0.element * weights[$0.offset % b] }
        let shapeLoss = masked(shapeLL, presentWeights)
        let colorLoss = masked(colorLL, presentWeights)
        let refineLoss = masked(refineLL, presentWeights)
        let yawMask = yawShapeMask.enumerated().map { $0.element * presentWeights[$0.offset / yawWidth] }
        let yawLoss = sum(yawErr * tape.constant(shape: [n * b, yawWidth], values: yawMask)) * (yawWeight * invB)
        add(shapeLoss); add(colorLoss); add(refineLoss); add(yawLoss)
        terms.shape = Double(shapeLoss.item)
        terms.color = Double(colorLoss.item)
        terms.refine = Double(refineLoss.item)
        terms.yaw = Double(yawLoss.item)

        terms.loss = sumOfTerms!
        (terms.presenceCorrect, terms.presenceSteps) = (presCorrect, presSteps)
        return terms
    }

    /// Each row's where log-likelihood, [B]: log Σ_m N(candidates[k][m]; mean, std) summed over
    /// x and y, and the candidate with the most of it (0 where a row has one or none; rows
    /// without candidates get 0, to be masked). With one candidate a row's term is log N itself.
    /// Several: each candidate's log N weighted by its responsibility (a constant), plus a
    /// constant making the value the log-sum-exp; the gradient is then the log-sum-exp's.
    static func candidateWhereLL(_ dist: Normal, candidates: [[SIMD2<Float>]], tape: Tape) -> (Tensor, [Int]) {
        let b = candidates.count
        let width = max(1, candidates.map(\.count).max() ?? 1)
        var nearest = [Int](repeating: 0, count: b)
        func target(_ m: Int) -> Tensor {
            var v = [Float](repeating: 0, count: b * 2)
            for (k, c) in candidates.enumerated() where m < c.count { v[2 * k] = c[m].x; v[2 * k + 1] = c[m].y }
            return tape.constant(shape: [b, 2], values: v)
        }
        let first = sum(dist.logProb(target(0)), axes: [1])
        guard width > 1 else { return (first, nearest) }
        let terms = [first] + (1..<width).map { sum(dist.logProb(target($0)), axes: [1]) }
        let values = terms.map(\.values)
        var weights = [[Float]](repeating: [Float](repeating: 0, count: b), count: width)
        var shift = [Float](repeating: 0, count: b)
        for (k, c) in candidates.enumerated() {
            guard c.count > 1 else { weights[0][k] = 1; continue }
            let ll = (0..<c.count).map { Double(values[$0][k]) }
            let r = responsibilities(ll)
            nearest[k] = ll.firstIndex(of: ll.max()!)!
            var weighted = 0.0
            for m in 0..<c.count { weights[m][k] = Float(r.weights[m]); weighted += r.weights[m] * ll[m] }
            shift[k] = Float(r.logSum - weighted)
        }
        var ll = tape.constant(shape: [b], values: shift)
        for m in 0..<width { ll = ll + terms[m] * tape.constant(shape: [b], values: weights[m]) }
        return (ll, nearest)
    }

    /// The weights that make the loss's gradient that of −Σ_scenes log Σ_orders q(z in that
    /// order | x): each example's given weight times its order's responsibility, the softmax of
    /// the orders' log q within the scene. (Constants in the loss, so the gradient of Σ w·(−log q)
    /// is Σ softmax · ∇(−log q), the gradient of the log-sum-exp.)
    func orderWeights(_ batch: TrainingBatch, given: [Float], steps: [(presLL: Tensor, exists: [Float], whereLL: Tensor, present: [Float])],
                      presentMask: [Float], what: [Tensor], yawErr: Tensor, yawMask: [Float]) -> [Float] {
        let b = batch.size, width = yawMask.count / presentMask.count
        var logQ = [Double](repeating: 0, count: b)
        for st in steps {
            let p = st.presLL.values, w = st.whereLL.values
            for k in 0..<b { logQ[k] += Double(p[k] * st.exists[k] + w[k] * st.present[k]) }
        }
        for t in what {
            let v = t.values
            for row in presentMask.indices where presentMask[row] > 0 { logQ[row % b] += Double(v[row]) }
        }
        let e = yawErr.values
        for row in presentMask.indices where presentMask[row] > 0 {
            var s = 0.0
            for c in 0..<width { s += Double(e[row * width + c] * yawMask[row * width + c]) }
            logQ[row % b] -= Double(yawWeight) * s
        }
        var members = (0..<batch.sceneCount).map { [$0] }
        for (j, scene) in batch.alternativeOf.enumerated() { members[scene].append(batch.sceneCount + j) }
        var weights = given
        for group in members where group.count > 1 {
            for (k, r) in zip(group, responsibilities(group.map { logQ[$0] }).weights) { weights[k] = given[k] * Float(r) }
        }
        return weights
    }

    /// Every step's half-resolution input, [N·B, H/2, W/2, 6], step-major: rows i·B ..< (i+1)·B
    /// are step i's (the observed images beside plane i of the prefixes).
    func stackedHalfInput(_ batch: TrainingBatch, table: SIMD3<Float>, tape: Tape) -> Tensor {
        let cfg = network.config, b = batch.size, n = cfg.maxObjects
        let plane = cfg.height * cfg.width * 3, h2 = cfg.height / 2, block = h2 * (cfg.width / 2) * 6
        let half = tape.uninitialized([n * b, h2, cfg.width / 2, 6])
        batch.observed.withUnsafeBufferPointer { o in
            batch.prefixes.withUnsafeBufferPointer { r in
                for i in 0..<n {
                    for k in 0..<b {
                        writeHalfInput(observed: o.baseAddress! + k * plane, rendered: r.baseAddress! + batch.prefixOffset(i) + k * plane,
                                       table: table, width: cfg.width, rows: 0..<h2, into: half.data + (i * b + k) * block)
                    }
                }
            }
        }
        return half
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
