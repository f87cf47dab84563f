import Scenes

/// Render-and-compare refinement: starting from the network's reading, a greedy search under
/// the likelihood. Each proposal is kept only if it raises
///
///     J(z) = log p(x | z) + log p(z) = −SSE(x, render(z)) / 2σ² − penalty · n  (+ constants),
///
/// where σ is the image's noise level, estimated once from the starting residual (robustly:
/// a missing object does not inflate it), and the per-object penalty stands for the prior's
/// cost of one more object's latents (a BIC-like ½ · 8 latents · log(pixel values) by default).
/// Positions stay on the prior's table area and footprints may not overlap (the prior's support).
///
/// Moves, on a schedule of shrinking steps: each object's x, y and yaw (one-object-moved re-renders
/// from the cache), its colour (the exact least-squares albedo from the renderer's shading image),
/// its shape; the light's direction, levels and shadows (full renders); the death of each object
/// and the birth of one where the residual is largest.
public struct RefinementOptions: Sendable {
    /// At most this many renders (re-renders and full renders) per image.
    public var maxRenders = 2500
    /// Sweeps over all objects per step size (fewer when a sweep changes nothing).
    public var sweepsPerLevel = 3
    public var birthAndDeath = true
    public var lightMoves = true
    /// Cost of one object in nats; nil: ½ · 8 · log(number of pixel values).
    public var objectPenalty: Double?
    /// Lowest noise level the estimate may take.
    public var minimumSigma = 0.02
    public init() {}
}

/// What refinement did to one image.
public struct RefinementReport: Sendable {
    /// log p(x | z) (Gaussian, with the estimated σ) of the starting and the refined scene.
    public var logLikelihoodBefore: Double
    public var logLikelihoodAfter: Double
    public var sigma: Double
    /// Accepted moves by kind ("position", "rotation", "color", "shape", "light", "birth", "death").
    public var accepted: [String: Int]
    public var renders: Int
}

public final class Refiner {
    public let config: ModelConfig
    public let options: RefinementOptions
    /// The generative model's renderer (its shading images give the colour move).
    let renderer: any ShadingRenderer
    /// The generative model's prior of the object count, added to J; nil: uniform (a constant).
    let prior: ScenePrior?
    let spp: Int
    /// (position, yaw in degrees, light direction in degrees, light level) per level.
    static let levels: [(Double, Double, Double, Double)] = [
        (0.08, 6, 6, 0.04), (0.03, 2, 2, 0.015), (0.01, 0.7, 0.7, 0.005), (0.003, 0.2, 0.25, 0.002), (0.001, 0.07, 0.1, 0.001),
    ]

    public init(config: ModelConfig, options: RefinementOptions = RefinementOptions(),
                renderer: any ShadingRenderer = Rasterizer(threads: 1), prior: ScenePrior? = nil) {
        self.config = config
        self.options = options
        self.renderer = renderer
        self.prior = prior
        spp = config.samplesPerPixel
    }

    /// The refiner of a generative model: its renderer and its count prior.
    public convenience init(model: GenerativeModel, config: ModelConfig, options: RefinementOptions = RefinementOptions()) {
        self.init(config: config, options: options, renderer: model.makeRenderer(), prior: model.prior)
    }

    /// The search's state: the scene, its rendering and J's parts.
    struct State {
        var scene: Scene
        var image: Image
        var sse: Double
    }

    public func refine(_ observed: Image, start: Scene) throws -> (scene: Scene, report: RefinementReport) {
        var search = try Search(refiner: self, observed: observed, start: start)
        let before = search.logLikelihood
        try search.run()
        let report = RefinementReport(logLikelihoodBefore: before, logLikelihoodAfter: search.logLikelihood,
                                      sigma: search.sigma, accepted: search.accepted, renders: search.renders)
        return (search.state.scene, report)
    }

    /// Births only, from the network's reading as it stands: blocks the network stopped before,
    /// proposed where the residual is largest (`Search.birth`, wide) and kept when J rises.
    /// Under a light read with shadows, and only where a birth would be kept under that light,
    /// the light is fitted first (refinement's wide search) and the births searched again: the
    /// light read from the image can misplace every shadow by a few pixels, and a birth would
    /// explain one. (The trial birth has a budget of its own: such images take up to twice
    /// `maxRenders`.) Under a light read without shadows, the light is searched with each birth
    /// instead (`Search.relight`). A birth `keep` refuses is taken back, the light with it, and
    /// its window not searched again.
    /// Each birth is tried at up to `windows` of the residual's largest windows.
    /// Returns the scene searched: its light, the blocks read (their colours refitted along the
    /// way), the births.
    public func lookAgain(_ observed: Image, start: Scene, windows: Int = 3, keep: ((Scene) throws -> Bool)? = nil) throws -> Scene {
        var search = try Search(refiner: self, observed: observed, start: start)
        if start.light.shadows && options.lightMoves {
            var probe = search
            guard try probe.birth(polish: 0.01, windows: 3, wide: true) else { return start }
            _ = try search.lightGrid()
            for a in [20.0, 10.0] { for _ in 0..<4 where try search.lightDirection(a, shadows: a == 20) {} }
            _ = try search.lightLevels()
        }
        while search.state.scene.objects.count < config.maxObjects {
            let before = search
            guard try search.birth(polish: 0.01, windows: windows, wide: true) else { break }
            if !start.light.shadows { try search.relight(movingTheLight: options.lightMoves) }
            // A birth the caller would not keep gives its place back, and its window is not
            // searched again (the renders it cost stay spent).
            if let keep, let window = search.lastWindow, try !keep(search.state.scene) {
                let spent = search.renders
                search = before
                search.renders = spent
                search.refused.append(window)
            }
        }
        return search.state.scene
    }

    /// Per object of `scene`: the log-likelihood ratio of the scene with and without it
    /// (with the noise level estimated from the image), the evidence that it is there.
    public func evidence(_ observed: Image, scene: Scene) throws -> [Double] {
        try evidenceAndNoise(observed, scene: scene).evidence
    }

    /// The evidence of every object and the noise level σ it was measured with.
    public func evidenceAndNoise(_ observed: Image, scene: Scene) throws -> (evidence: [Double], sigma: Double) {
        try evidenceAndNoise(observed, scene: scene, of: Array(scene.objects.indices))
    }

    /// The same for the objects at `indices` only (one render each, and the whole scene's).
    public func evidenceAndNoise(_ observed: Image, scene: Scene, of indices: [Int]) throws -> (evidence: [Double], sigma: Double) {
        let w = try weigh(observed, scene: scene, of: indices)
        return (w.evidence, w.sigma)
    }

    /// The evidence of the objects at `indices`, with the renders it was measured on: the whole
    /// scene's, and the scene without each of them (for tests of their pixels beside it).
    struct Weighing {
        var rendered: Image
        /// The whole scene's sum of squared differences from the image.
        var sse: Double
        var sigma: Double
        var evidence: [Double]
        var without: [Image]
    }

    func weigh(_ observed: Image, scene: Scene, of indices: [Int]) throws -> Weighing {
        let image = try renderer.render(scene, samplesPerPixel: spp)
        let sigma = Refiner.robustSigma(observed, image, floor: options.minimumSigma)
        let sse = Refiner.sse(observed, image)
        let without = try indices.map { k in
            var s = scene
            s.objects.remove(at: k)
            return try renderer.render(s, samplesPerPixel: spp)
        }
        let evidence = without.map { (Refiner.sse(observed, $0) - sse) / (2 * sigma * sigma) }
        return Weighing(rendered: image, sse: sse, sigma: sigma, evidence: evidence, without: without)
    }

    /// A fitted albedo as a scene holds it: clamped to [0, 1] and rounded to Float32, the
    /// precision the network and the files keep (so that a colour move that changes nothing
    /// there is no move).
    static func albedo(_ rgb: SIMD3<Double>) -> SIMD3<Double> {
        let c = SIMD3(min(max(rgb.x, 0), 1), min(max(rgb.y, 0), 1), min(max(rgb.z, 0), 1))
        return SIMD3(Double(Float(c.x)), Double(Float(c.y)), Double(Float(c.z)))
    }

    static func sse(_ a: Image, _ b: Image) -> Double {
        sse(a, b, region: PixelRegion(x0: 0, y0: 0, x1: a.width, y1: a.height))
    }

    /// Sum of squared differences over a region: each row summed in Float (a few hundred values,
    /// vectorised), the rows in Double.
    static func sse(_ a: Image, _ b: Image, region r: PixelRegion) -> Double {
        let x0 = max(0, r.x0), x1 = min(a.width, r.x1), y0 = max(0, r.y0), y1 = min(a.height, r.y1)
        guard x0 < x1, y0 < y1 else { return 0 }
        var s = 0.0
        a.pixels.withUnsafeBufferPointer { x in
            b.pixels.withUnsafeBufferPointer { y in
                for j in y0..<y1 {
                    let start = (j * a.width + x0) * 3, end = (j * a.width + x1) * 3
                    // Eight lanes at a time (a Float reduction does not vectorise by itself).
                    var acc = SIMD8<Float>.zero
                    var i = start
                    while i + 8 <= end {
                        let d = SIMD8<Float>(UnsafeBufferPointer(rebasing: x[i..<(i + 8)])) - SIMD8<Float>(UnsafeBufferPointer(rebasing: y[i..<(i + 8)]))
                        acc += d * d
                        i += 8
                    }
                    var row = acc.sum()
                    while i < end { let d = x[i] - y[i]; row += d * d; i += 1 }
                    s += Double(row)
                }
            }
        }
        return s
    }

    /// 1.4826 × the median absolute residual: the noise level of the pixels that are explained.
    /// The median comes from a histogram of 1/4096 bins (residuals lie in [0, 1]): linear time.
    static func robustSigma(_ a: Image, _ b: Image, floor: Double) -> Double {
        let bins = 4096
        var counts = [Int](repeating: 0, count: bins + 1)
        a.pixels.withUnsafeBufferPointer { x in
            b.pixels.withUnsafeBufferPointer { y in
                for i in 0..<x.count {
                    let r = min(abs(x[i] - y[i]), 1)
                    counts[Int(r * Float(bins))] += 1
                }
            }
        }
        let half = a.pixels.count / 2
        var seen = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen > half { return max(floor, 1.4826 * (Double(i) + 0.5) / Double(bins)) }
        }
        return floor
    }
}

/// One image's search (see `Refiner`).
struct Search {
    let refiner: Refiner
    let observed: Image
    let sigma: Double
    let penalty: Double
    let half: Double
    /// The image at half size: the light's coarse proposals are ranked on it (`bestLight`).
    let coarse: Image
    var lightScores: LightScores?
    var state: Refiner.State
    var session: any RenderSession
    var accepted: [String: Int] = [:]
    var renders = 0
    /// Windows whose births the caller refused (`Refiner.lookAgain`): not proposed again.
    var refused: [(x: Int, y: Int)] = []
    /// The window of the last birth.
    var lastWindow: (x: Int, y: Int)? = nil

    init(refiner: Refiner, observed: Image, start: Scene) throws {
        self.refiner = refiner
        self.observed = observed
        half = refiner.config.tableHalfWidth
        coarse = observed.areaResampled(width: max(observed.width / 2, 1), height: max(observed.height / 2, 1))
        let image = try refiner.renderer.render(start, samplesPerPixel: refiner.spp)
        sigma = Refiner.robustSigma(observed, image, floor: refiner.options.minimumSigma)
        penalty = refiner.options.objectPenalty ?? 4 * log(Double(observed.pixels.count))
        state = Refiner.State(scene: start, image: image, sse: Refiner.sse(observed, image))
        session = try refiner.renderer.session(base: start, samplesPerPixel: refiner.spp)
        renders = 1
    }

    var logLikelihood: Double { -state.sse / (2 * sigma * sigma) }
    var objective: Double { objective(sse: state.sse, count: state.scene.objects.count) }
    func objective(sse: Double, count: Int) -> Double {
        -sse / (2 * sigma * sigma) - penalty * Double(count) + (refiner.prior?.logProb(count: count) ?? 0)
    }
    var budgetLeft: Bool { renders < refiner.options.maxRenders }

    /// Whether `o` may stand at object index `k` (nil: a new object) under the prior.
    func allowed(_ o: SceneObject, replacing k: Int?) -> Bool {
        guard abs(o.position.x) <= half, abs(o.position.y) <= half else { return false }
        for (i, other) in state.scene.objects.enumerated() where i != k {
            if Footprint.overlap(other, o, gap: Search.separationGap) { return false }
        }
        return true
    }

    /// Tries object k moved to `o` with a cached re-render; keeps it if J rises. The rendering
    /// changes in place inside the returned region; on rejection that region is copied back from
    /// the session's base image (the current scene's rendering, bit for bit).
    mutating func tryMove(_ k: Int, to o: SceneObject, kind: String) throws -> Bool {
        try move(k, to: o, kind: kind, when: { $0 < 0 }) != nil
    }

    /// Renders object k moved to `o` and keeps the move when `keep(ΔSSE)` says so; returns ΔSSE
    /// (nil when the move is not allowed or not kept). A move not kept leaves no trace: its
    /// region is copied back from the session's base image (the current scene's rendering).
    mutating func move(_ k: Int, to o: SceneObject, kind: String, when keep: (Double) -> Bool) throws -> Double? {
        guard budgetLeft, allowed(o, replacing: k) else { return nil }
        let region = try session.renderMoved(index: k, to: o, into: &state.image)
        renders += 1
        let delta = Refiner.sse(observed, state.image, region: region) - Refiner.sse(observed, session.baseImage, region: region)
        guard keep(delta) else {
            let w = state.image.width
            let x0 = max(0, region.x0), x1 = min(w, region.x1)
            if x0 < x1 {
                session.baseImage.pixels.withUnsafeBufferPointer { src in
                    state.image.pixels.withUnsafeMutableBufferPointer { dst in
                        for j in max(0, region.y0)..<min(state.image.height, region.y1) {
                            let a = (j * w + x0) * 3
                            (dst.baseAddress! + a).update(from: src.baseAddress! + a, count: (x1 - x0) * 3)
                        }
                    }
                }
            }
            return nil
        }
        state.scene.objects[k] = o
        state.sse += delta
        session = try refiner.renderer.session(base: state.scene, samplesPerPixel: refiner.spp)
        renders += 1
        accepted[kind, default: 0] += 1
        return delta
    }

    /// ΔSSE of object k moved to `o`, without keeping it (nil when not allowed).
    mutating func delta(_ k: Int, to o: SceneObject) throws -> Double? {
        var seen: Double?
        _ = try move(k, to: o, kind: "", when: { seen = $0; return false })
        return seen
    }

    /// Shapes again, once the poses are good: for each object the best other shape at its pose
    /// (a wedge in four orientations, a brick in two), polished, kept if J rises. A shape
    /// chosen at a rough pose (a wedge read as a pyramid) is otherwise never revisited.
    mutating func shapeRevisit(polish d: Double) throws -> Bool {
        var changed = false
        for k in state.scene.objects.indices where budgetLeft {
            let o = state.scene.objects[k]
            var best: (SceneObject, Double)?
            for shape in Shape.allCases where shape != o.shape {
                let turns: [Double] = shape == .wedge ? [0, 90, 180, 270] : shape == .brick ? [0, 90] : [0]
                for t in turns {
                    var c = o
                    c.shape = shape
                    c.rotation += t
                    if let dl = try delta(k, to: c), best == nil || dl < best!.1 { best = (c, dl) }
                }
            }
            guard let (candidate, _) = best else { continue }
            let before = objective
            if try attempt({ search in
                _ = try search.move(k, to: candidate, kind: "shape", when: { _ in true })
                for (pd, yd) in [(d * 2, 6.0), (d, 2.0), (d / 3, 0.7)] {
                    for _ in 0..<2 {
                        for axis in 0..<2 {
                            for sign in [1.0, -1.0] {
                                var m = search.state.scene.objects[k]
                                m.position[axis] += sign * pd
                                if try search.tryMove(k, to: m, kind: "shape") { break }
                            }
                        }
                        for sign in [1.0, -1.0] where search.state.scene.objects[k].shape.symmetryPeriod != nil {
                            var m = search.state.scene.objects[k]
                            m.rotation += sign * yd
                            if try search.tryMove(k, to: m, kind: "shape") { break }
                        }
                    }
                }
                return search.objective > before
            }, kind: "shape") { changed = true }
        }
        return changed
    }

    /// Tries a whole new scene (full render); keeps it if J rises.
    mutating func tryScene(_ s: Scene, kind: String) throws -> Bool {
        guard budgetLeft else { return false }
        let image = try refiner.renderer.render(s, samplesPerPixel: refiner.spp)
        renders += 1
        let sse = Refiner.sse(observed, image)
        guard objective(sse: sse, count: s.objects.count) > objective else { return false }
        try adopt(s, image: image, sse: sse)
        accepted[kind, default: 0] += 1
        return true
    }

    /// Makes `scene` the search's state: its rendering (`image`, else rendered now), its SSE and
    /// a fresh session of one-object-moved re-renders from it.
    mutating func adopt(_ scene: Scene, image: Image? = nil, sse: Double? = nil) throws {
        let image = try image ?? {
            renders += 1
            return try refiner.renderer.render(scene, samplesPerPixel: refiner.spp)
        }()
        state = Refiner.State(scene: scene, image: image, sse: sse ?? Refiner.sse(observed, image))
        session = try refiner.renderer.session(base: scene, samplesPerPixel: refiner.spp)
        renders += 1
    }

    /// Coarse to fine, twice (the second pass from the third level): within a level the poses
    /// first, then the colours, then the light's levels (solved) and direction, each only as far
    /// as it keeps improving. The second pass undoes what the light or the colours absorbed of an
    /// early pose error.
    mutating func run() throws {
        // Every move below keeps the footprints apart (`allowed`): start inside the support.
        try separate()
        let levels = Array(Refiner.levels.enumerated())
        let schedule = levels.map { ($0, true) } + levels.dropFirst(2).map { ($0, false) }
        for ((level, step), first) in schedule where budgetLeft {
            for _ in 0..<refiner.options.sweepsPerLevel where budgetLeft {
                var changed = false
                if level <= 1 && first { changed = try shapeSweep() || changed }
                changed = try poseSweep(position: step.0, yaw: step.1) || changed
                if !changed { break }
            }
            _ = try colorSweep()
            // The network's light direction may be tens of degrees off, which moves every
            // shadow: a wide search first, so that no object is invented to explain one.
            if refiner.options.lightMoves && level == 0 && first {
                if state.scene.light.shadows { _ = try lightGrid() }
                for a in [20.0, 10.0] { for _ in 0..<4 where try lightDirection(a, shadows: a == 20) {} }
                _ = try lightLevels()
            }
            if refiner.options.lightMoves && level <= 3 {
                _ = try lightLevels()
                // The direction needs full renders per proposal: the coarser levels only.
                if level <= 2 { for _ in 0..<2 where try lightDirection(step.2, shadows: level == 0) {} }
            }
            // Births and deaths once the objects found sit well enough that their own edges are
            // not mistaken for something missing.
            if refiner.options.birthAndDeath && first && (level == 1 || level == 2) {
                _ = try deaths(polish: step.0)
                while state.scene.objects.count < refiner.config.maxObjects, try birth(polish: step.0) {}
            }
            if refiner.options.birthAndDeath && first && level == 2 { _ = try merge(polish: step.0) }
            if first && level == 2 { _ = try shapeRevisit(polish: step.0) }
        }
        if refiner.options.birthAndDeath {
            _ = try deaths()
            // A faint object (grey on the grey table, under a low light) stands out only once
            // everything else is explained.
            while state.scene.objects.count < refiner.config.maxObjects, try birth(polish: 0.01, windows: 3) {}
            try keepVisible()
        }
    }

    /// Each object's visible pixels in `scene` (nil when the renderer draws no instance masks).
    func visiblePixels(_ scene: Scene) throws -> [Int]? {
        guard let renderer = refiner.renderer as? any MaskRenderer,
              let mask = try renderer.renderWithMask(scene, samplesPerPixel: refiner.spp, image: false, mask: true).mask else { return nil }
        var counts = [Int](repeating: 0, count: scene.objects.count + 1)
        for v in mask where Int(v) < counts.count { counts[Int(v)] += 1 }
        return Array(counts.dropFirst())
    }

    /// Whether a birth (`scene`'s last object) shows as many pixels as the prior demands and
    /// hides none of `before`'s objects that showed enough. An object already (almost) hidden —
    /// the copy of a block the network read twice, which `keepVisible` removes at the end — must
    /// not block every birth until then.
    func isVisibleBirth(_ scene: Scene, before: Scene) throws -> Bool {
        guard let after = try visiblePixels(scene), let earlier = try visiblePixels(before), let born = after.last else { return true }
        let least = refiner.config.minVisiblePixels
        return born >= least && zip(earlier, after).allSatisfy { $0 < least || $1 >= least }
    }

    /// The prior has no scene with an object (almost) hidden: such a reading explains the edges
    /// of a compressed or blurred image with a sliver of block. The least visible goes until
    /// every object shows enough.
    mutating func keepVisible() throws {
        while let counts = try visiblePixels(state.scene), let k = counts.indices.min(by: { counts[$0] < counts[$1] }),
              counts[k] < refiner.config.minVisiblePixels {
            var s = state.scene
            s.objects.remove(at: k)
            try adopt(s)
            renders += 1   // the mask
            accepted["death", default: 0] += 1
        }
    }

    mutating func poseSweep(position d: Double, yaw a: Double) throws -> Bool {
        var changed = false
        for k in state.scene.objects.indices {
            for axis in 0..<2 {
                for sign in [1.0, -1.0] {
                    var o = state.scene.objects[k]
                    o.position[axis] += sign * d
                    if try tryMove(k, to: o, kind: "position") { changed = true; break }
                }
            }
            guard state.scene.objects[k].shape.symmetryPeriod != nil else { continue }
            for sign in [1.0, -1.0] {
                var o = state.scene.objects[k]
                o.rotation += sign * a
                if try tryMove(k, to: o, kind: "rotation") { changed = true; break }
            }
        }
        return changed
    }

    mutating func shapeSweep() throws -> Bool {
        var changed = false
        for k in state.scene.objects.indices {
            let current = state.scene.objects[k]
            for shape in Shape.allCases where shape != current.shape {
                var o = state.scene.objects[k]
                o.shape = shape
                if try tryMove(k, to: o, kind: "shape") { changed = true }
            }
        }
        return changed
    }

    /// Each object's albedo by least squares on its shading image (colour enters linearly).
    mutating func colorSweep() throws -> Bool {
        let objects = state.scene.objects
        guard !objects.isEmpty, budgetLeft else { return false }
        let shade = try refiner.renderer.shading(state.scene, samplesPerPixel: refiner.spp)
        renders += 1
        let plane = observed.width * observed.height
        var changed = false
        for k in objects.indices {
            var num = SIMD3<Double>(0, 0, 0), den = 0.0
            let c = state.scene.objects[k].color.rgb
            for p in 0..<plane {
                let s = Double(shade[k * plane + p])
                if s == 0 { continue }
                let x = SIMD3(Double(observed.pixels[3 * p]), Double(observed.pixels[3 * p + 1]), Double(observed.pixels[3 * p + 2]))
                let r = SIMD3(Double(state.image.pixels[3 * p]), Double(state.image.pixels[3 * p + 1]), Double(state.image.pixels[3 * p + 2]))
                num += (x - r + c * s) * s
                den += s * s
            }
            guard den > 0 else { continue }
            let rgb = Refiner.albedo(num / den)
            guard rgb != c else { continue }
            var o = state.scene.objects[k]
            o.color = Color(rgb: rgb, name: Palette.exactName(for: rgb))
            if try tryMove(k, to: o, kind: "color") { changed = true }
        }
        return changed
    }

    /// The light's direction: elevation and azimuth moved by `a` degrees (and, when asked, the
    /// shadows switched), each proposal with its best levels (`bestLight`); the best is kept if
    /// J rises.
    mutating func lightDirection(_ a: Double, shadows: Bool) throws -> Bool {
        let l = state.scene.light
        var proposals = Search.around(l, by: a)
        if shadows {
            var p = l
            p.shadows.toggle()
            proposals.append(p)
        }
        guard let best = try bestLight(among: proposals) else { return false }
        var s = state.scene
        s.light = best
        return try tryScene(s, kind: "light")
    }

    /// The light's direction from a coarse grid over the sky, for shadowed scenes: the network's
    /// direction can be tens of degrees off, which moves every shadow further than the local moves
    /// reach, and an object gets invented to explain one. The grid's best direction is polished
    /// and kept if J rises.
    mutating func lightGrid() throws -> Bool {
        let grid = Search.gridElevations.flatMap { e in
            let n = e >= 70 ? 8 : e >= 45 ? 12 : 18
            return (0..<n).map { Search.light(elevation: e, azimuth: Double($0) * 360 / Double(n), shadows: true) }
        }
        guard let candidate = try bestLight(among: grid, halfSize: true), budgetLeft else { return false }
        let before = objective
        return try attempt({ search in
            var s = search.state.scene
            s.light = candidate
            try search.adopt(s)
            for a in [6.0, 3.0] { for _ in 0..<3 where try search.lightDirection(a, shadows: false) {} }
            return search.objective > before
        }, kind: "light")
    }

    /// A light from that direction (rounded as scenes store it); its levels are set later.
    /// The directions `a` degrees from `l`'s in elevation and in azimuth (the azimuth's step
    /// widened so that it moves the direction `a` degrees too), and with `diagonals` the four
    /// moves in both; `l`'s shadows, unit levels.
    static func around(_ l: Light, by a: Double, diagonals: Bool = false) -> [Light] {
        let (el, az) = l.elevationAzimuth
        let da = a / max(cos(el * Double.pi / 180), 0.05)
        let moves = [(a, 0.0), (-a, 0.0), (0.0, da), (0.0, -da)] + (diagonals ? [(a, da), (a, -da), (-a, da), (-a, -da)] : [])
        return moves.map { de, dz in Search.light(elevation: min(max(el + de, 5), 90), azimuth: az + dz, shadows: l.shadows) }
    }

    static func light(elevation: Double, azimuth: Double, shadows: Bool) -> Light {
        var p = Light.from(elevation: elevation, azimuth: azimuth, ambient: 0, diffuse: 1, shadows: shadows)
        p.direction = SIMD3(Light.rounded(p.direction.x), Light.rounded(p.direction.y), Light.rounded(p.direction.z))
        return p
    }

    /// Of these lights (direction and shadows; their levels are ignored), the one that fits the
    /// image best with its own best levels, those levels set; nil when none beats the current
    /// light with its best levels. Scored on one-sample renders: the image is linear in the
    /// levels and the ambient part does not depend on the direction, so each candidate costs one
    /// cheap render (its diffuse part at one sample per pixel; at half size for a coarse search)
    /// and a least-squares solve.
    mutating func bestLight(among candidates: [Light], halfSize: Bool = false) throws -> Light? {
        try scoreLights(candidates, halfSize: halfSize)?.best?.light
    }

    /// The SSE of the present light (its levels solved) and the best of `candidates` that beats
    /// it; nil when the budget does not allow.
    mutating func scoreLights(_ candidates: [Light], halfSize: Bool) throws -> (current: Double, best: (light: Light, sse: Double)?)? {
        guard renders + candidates.count + 2 <= refiner.options.maxRenders else { return nil }
        let target = halfSize ? coarse : observed
        var s = state.scene
        s.camera.width = target.width
        s.camera.height = target.height
        // The ambient part and the directions already scored hold while the objects stay.
        if lightScores?.objects != s.objects || lightScores?.halfSize != halfSize {
            s.light.ambient = 1; s.light.diffuse = 0
            let ambientOnly = try refiner.renderer.render(s, samplesPerPixel: 1)
            renders += 1
            lightScores = LightScores(objects: s.objects, halfSize: halfSize, ambientOnly: ambientOnly,
                                      fixed: Search.ambientSums(target, ambientOnly: ambientOnly))
        }
        func score(_ c: Light) throws -> (ambient: Double, diffuse: Double, sse: Double)? {
            let key = LightScores.Key(direction: c.direction, shadows: c.shadows)
            if let known = lightScores!.scored[key] { return known }
            s.light = c
            s.light.ambient = 0; s.light.diffuse = 1
            let fit = Search.levels(target, ambientOnly: lightScores!.ambientOnly, fixed: lightScores!.fixed,
                                    diffuseOnly: try refiner.renderer.render(s, samplesPerPixel: 1))
            renders += 1
            lightScores!.scored[key] = fit
            return fit
        }
        let current = try score(state.scene.light)?.sse ?? .infinity
        var best: (light: Light, sse: Double)?
        for c in candidates {
            guard let fit = try score(c), fit.sse < (best?.sse ?? current) else { continue }
            var l = c
            l.ambient = Light.rounded(fit.ambient)
            l.diffuse = Light.rounded(fit.diffuse)
            best = (l, fit.sse)
        }
        return (current, best)
    }

    /// `bestLight`'s memory for one set of objects: their ambient-only rendering, its sums, and
    /// the fit of every direction scored so far.
    struct LightScores {
        struct Key: Hashable {
            var direction: SIMD3<Double>
            var shadows: Bool
        }
        var objects: [SceneObject]
        var halfSize: Bool
        var ambientOnly: Image
        var fixed: (aa: Double, ax: Double, xx: Double)
        var scored: [Key: (ambient: Double, diffuse: Double, sse: Double)?] = [:]
    }

    /// The levels (a, d) ≥ 0 that make a · A + d · D closest to the image, and the squared error
    /// left: A and D are the renderings under levels (1, 0) and (0, 1). Nil when A and D are
    /// degenerate.
    static func levels(_ observed: Image, ambientOnly a: Image, diffuseOnly d: Image) -> (ambient: Double, diffuse: Double, sse: Double)? {
        levels(observed, ambientOnly: a, fixed: ambientSums(observed, ambientOnly: a), diffuseOnly: d)
    }

    /// A·A, A·x and x·x: what `levels` needs of the image and the ambient part alone.
    static func ambientSums(_ observed: Image, ambientOnly a: Image) -> (aa: Double, ax: Double, xx: Double) {
        let (ax, aa, _) = dots(a, observed, observed)
        return (aa, ax, dots(observed, observed, observed).1)
    }

    static func levels(_ observed: Image, ambientOnly a: Image, fixed: (aa: Double, ax: Double, xx: Double),
                       diffuseOnly d: Image) -> (ambient: Double, diffuse: Double, sse: Double)? {
        let (ad, dd, dx) = dots(d, a, observed)
        let sums = LevelSums(aa: fixed.aa, ax: fixed.ax, xx: fixed.xx, ad: ad, dd: dd, dx: dx)
        guard let (ambient, diffuse) = sums.solved() else { return nil }
        return (ambient, diffuse, sums.sse(ambient: ambient, diffuse: diffuse))
    }

    /// The dot products of the image x, its ambient part A and its diffuse part D that the levels
    /// (a, d) of a · A + d · D closest to x need, and the squared error they leave.
    struct LevelSums {
        var aa = 0.0, ax = 0.0, xx = 0.0, ad = 0.0, dd = 0.0, dx = 0.0

        /// The least-squares levels, each at least 0; nil when A and D are degenerate.
        func solved() -> (ambient: Double, diffuse: Double)? {
            let det = aa * dd - ad * ad
            guard det > 1e-12 else { return nil }
            var ambient = (ax * dd - dx * ad) / det, diffuse = (dx * aa - ax * ad) / det
            // A level below zero is not a light: the best with it at zero instead.
            if ambient < 0 { ambient = 0; diffuse = max(0, dx / dd) }
            if diffuse < 0 { diffuse = 0; ambient = max(0, ax / aa) }
            return (ambient, diffuse)
        }

        func sse(ambient: Double, diffuse: Double) -> Double {
            xx - 2 * (ambient * ax + diffuse * dx) + ambient * ambient * aa + 2 * ambient * diffuse * ad + diffuse * diffuse * dd
        }
    }

    /// (u·v, u·u, u·w) for images u, v, w of one size: eight lanes in Float over blocks of 256
    /// values, the blocks summed in Double.
    static func dots(_ u: Image, _ v: Image, _ w: Image) -> (Double, Double, Double) {
        var uv = 0.0, uu = 0.0, uw = 0.0
        u.pixels.withUnsafeBufferPointer { us in
            v.pixels.withUnsafeBufferPointer { vs in
                w.pixels.withUnsafeBufferPointer { ws in
                    var start = 0
                    while start < us.count {
                        let end = min(start + 256, us.count)
                        var suv = SIMD8<Float>.zero, suu = suv, suw = suv
                        var i = start
                        while i + 8 <= end {
                            let x = UnsafeRawPointer(us.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                            let y = UnsafeRawPointer(vs.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                            let z = UnsafeRawPointer(ws.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                            suv += x * y; suu += x * x; suw += x * z
                            i += 8
                        }
                        uv += Double(suv.sum()); uu += Double(suu.sum()); uw += Double(suw.sum())
                        while i < end {
                            let x = Double(us[i])
                            uv += x * Double(vs[i]); uu += x * x; uw += x * Double(ws[i])
                            i += 1
                        }
                        start = end
                    }
                }
            }
        }
        return (uv, uu, uw)
    }

    static let gridElevations: [Double] = [22, 30, 38, 46, 55, 64, 76]

    /// The newborn at `k` polished, coarse to fine. Thorough: at each level the position settles
    /// before the yaw turns (a yaw turned to make up for a position a few tenths off holds the
    /// position there); else one step of each.
    mutating func polish(_ k: Int, d: Double, thorough: Bool) throws {
        for (pd, yd) in [(max(d, 0.16), 16.0), (max(d, 0.08), 8.0), (max(d, 0.03), 3.0), (d, 3.0)] {
            for _ in 0..<4 {
                var moved = false
                for _ in 0..<(thorough ? 6 : 1) {
                    var stepped = false
                    for axis in 0..<2 {
                        for sign in [1.0, -1.0] {
                            var o = state.scene.objects[k]
                            o.position[axis] += sign * pd
                            if try tryMove(k, to: o, kind: "birth-polish") { stepped = true; break }
                        }
                    }
                    guard stepped else { break }
                    moved = true
                }
                for _ in 0..<(thorough ? 4 : 1) where state.scene.objects[k].shape.symmetryPeriod != nil {
                    var turned = false
                    for sign in [1.0, -1.0] {
                        var o = state.scene.objects[k]
                        o.rotation += sign * yd
                        if try tryMove(k, to: o, kind: "birth-polish") { turned = true; break }
                    }
                    guard turned else { break }
                    moved = true
                }
                if !moved { break }
            }
        }
    }

    /// After a look-again birth under a light read without shadows, the light and the newborn's
    /// yaw searched together (under a light the model knows, `movingTheLight` false: the yaw
    /// alone, below): the network read the light without the block, and with few other blocks it
    /// may be tens of degrees off; a white wedge's faces then fit a wrong yaw as well
    /// as the true one, and no light move alone improves on the wrong yaw. Each yaw of the
    /// newborn's period (every 30°) is scored under the directions around the light read (15°
    /// and 30° away, levels solved; at full size, for at half size a wedge's yaw is lost); the
    /// best pair is polished and kept if J rises.
    mutating func relight(movingTheLight: Bool = true) throws {
        let k = state.scene.objects.count - 1
        let light = state.scene.light
        var best: (object: SceneObject, light: Light, sse: Double)?
        if movingTheLight {
            let directions = [light] + Search.around(light, by: 15, diagonals: true) + Search.around(light, by: 30, diagonals: true)
            for yaw in Search.yaws(state.scene.objects[k].shape, every: 30) {
                var trial = self
                var o = state.scene.objects[k]
                o.rotation = yaw
                trial.state.scene.objects[k] = o
                guard let scored = try trial.scoreLights(directions, halfSize: false) else { return }
                renders = trial.renders
                let (l, sse) = scored.best ?? (light, scored.current)
                if best == nil || sse < best!.sse { best = (o, l, sse) }
            }
        } else {
            // The light is known: each yaw (every 10°: a white wedge's faces fit only the true
            // one, and two grid steps from it the polish does not find it) with its albedo
            // fitted, onto the scene without it.
            var without = self
            var s = state.scene
            s.objects.remove(at: k)
            try without.adopt(s)
            for yaw in Search.yaws(state.scene.objects[k].shape, every: 10) where without.budgetLeft {
                var o = state.scene.objects[k]
                o.rotation = yaw
                guard allowed(o, replacing: k), let (f, sse) = try without.withFittedAlbedo(o) else { continue }
                if best == nil || sse < best!.sse { best = (f, light, sse) }
            }
            renders = without.renders
        }
        guard let best, best.light != light || best.object != state.scene.objects[k] else { return }
        let before = objective
        _ = try attempt({ search in
            var s = search.state.scene
            s.objects[k] = best.object
            s.light = best.light
            try search.adopt(s)
            _ = try search.colorSweep()
            try search.polish(k, d: 0.01, thorough: true)
            if movingTheLight {
                for a in [5.0, 2.0] { for _ in 0..<2 where try search.lightDirection(a, shadows: false) {} }
                _ = try search.lightLevels()
                _ = try search.colorSweep()
            }
            return search.objective > before
        }, kind: "light")
    }

    /// The ambient and diffuse levels by least squares: the image is a · A + d · D with A and D the
    /// renderings under (1, 0) and (0, 1) (exact where nothing is clamped), two renders for the
    /// optimum of both levels at once.
    mutating func lightLevels() throws -> Bool {
        guard renders + 3 <= refiner.options.maxRenders else { return false }
        var s = state.scene
        s.light.ambient = 1; s.light.diffuse = 0
        let a = try refiner.renderer.render(s, samplesPerPixel: refiner.spp)
        s.light.ambient = 0; s.light.diffuse = 1
        let d = try refiner.renderer.render(s, samplesPerPixel: refiner.spp)
        renders += 2
        guard let fit = Search.levels(observed, ambientOnly: a, diffuseOnly: d) else { return false }
        s.light.ambient = Light.rounded(fit.ambient)
        s.light.diffuse = Light.rounded(fit.diffuse)
        guard s.light != state.scene.light else { return false }
        return try tryScene(s, kind: "light")
    }

    /// Removes any object whose removal raises J (the penalty outweighs what it explains). An
    /// object may also stand where a neighbour belongs (a brick read as a cube and a wedge: the
    /// wedge blocks the cube from growing into the brick, footprints may not overlap), so the
    /// weakest objects also get a removal followed by a polish of the others, judged as a whole.
    mutating func deaths(polish d: Double? = nil) throws -> Bool {
        var changed = false
        var k = state.scene.objects.count - 1
        while k >= 0 {
            var s = state.scene
            s.objects.remove(at: k)
            if try tryScene(s, kind: "death") { changed = true }
            k -= 1
        }
        guard let d, state.scene.objects.count > 1, budgetLeft else { return changed }
        let evidence = try refiner.evidence(observed, scene: state.scene)
        renders += state.scene.objects.count + 1
        let strongest = evidence.max() ?? 0
        for k in evidence.indices.sorted(by: { evidence[$0] < evidence[$1] }) where evidence[k] < 0.25 * strongest {
            guard k < state.scene.objects.count else { break }
            let before = objective
            if try attempt({ search in
                var s = search.state.scene
                s.objects.remove(at: k)
                try search.adopt(s)
                // A phantom often stands in a shadow the light put elsewhere: look for the light too.
                if search.refiner.options.lightMoves {
                    if search.state.scene.light.shadows { _ = try search.lightGrid() }
                    for a in [10.0, 4.0] { for _ in 0..<3 where try search.lightDirection(a, shadows: false) {} }
                    _ = try search.lightLevels()
                }
                for (pd, yd) in [(d * 2, 8.0), (d, 3.0), (d / 2, 1.5)] { for _ in 0..<2 { _ = try search.poseSweep(position: pd, yaw: yd) } }
                return search.objective > before
            }, kind: "death") {
                changed = true
                break  // indices moved; the next phase looks again
            }
        }
        return changed
    }

    /// One block read as two (a brick as a cube beside a wedge): each close pair is proposed as one
    /// object of every shape at the pair's centre, turned along the pair's axis, polished, and
    /// kept if J rises. No single-object move can get there: each half explains its own pixels.
    mutating func merge(polish d: Double) throws -> Bool {
        let objects = state.scene.objects
        for i in objects.indices {
            for j in objects.indices where j > i && budgetLeft {
                let a = objects[i], b = objects[j]
                let gap = b.position - a.position
                guard (gap * gap).sum() < 1.3 * 1.3 else { continue }
                let centre = (a.position + b.position) / 2
                let axis = atan2(gap.y, gap.x) * 180 / Double.pi
                var best: (scene: Scene, image: Image, sse: Double)?
                for shape in Shape.allCases {
                    for yaw in shape.symmetryPeriod == nil ? [0] : [axis, axis + 90] {
                        var s = state.scene
                        s.objects.remove(at: j)
                        let merged = SceneObject(shape: shape, color: a.color, position: centre, rotation: yaw)
                        guard s.objects.enumerated().allSatisfy({ $0.offset == i || !Footprint.overlap($0.element, merged, gap: Search.separationGap) }),
                              abs(centre.x) <= half, abs(centre.y) <= half, budgetLeft else { continue }
                        s.objects[i] = merged
                        let image = try refiner.renderer.render(s, samplesPerPixel: refiner.spp)
                        renders += 1
                        let e = Refiner.sse(observed, image)
                        if best == nil || e < best!.sse { best = (s, image, e) }
                    }
                }
                guard let best else { continue }
                let before = objective
                if try attempt({ search in
                    try search.adopt(best.scene, image: best.image, sse: best.sse)
                    _ = try search.colorSweep()
                    for (pd, yd) in [(d * 2, 8.0), (d, 3.0), (d / 2, 1.5)] { for _ in 0..<2 { _ = try search.poseSweep(position: pd, yaw: yd) } }
                    _ = try search.colorSweep()
                    return search.objective > before
                }, kind: "merge") { return true }
            }
        }
        return false
    }

    /// Runs `change` on the search; keeps what it did when it returns true, else puts the state back.
    mutating func attempt(_ change: (inout Search) throws -> Bool, kind: String) throws -> Bool {
        let saved = state, savedSession = session, savedAccepted = accepted
        if try change(&self) {
            accepted = savedAccepted
            accepted[kind, default: 0] += 1
            return true
        }
        state = saved
        session = savedSession
        accepted = savedAccepted
        return false
    }

    /// Proposes one new object where the residual is largest (up to `windows` places): every
    /// shape, a few yaws, the colour read from the image; the best is polished and kept if J rises.
    /// `wide` (the look-again's): the ground point is searched first, around the residual's centre.
    mutating func birth(polish d: Double, windows: Int = 3, wide: Bool = false) throws -> Bool {
        let cfg = refiner.config
        guard state.scene.objects.count < cfg.maxObjects, budgetLeft else { return false }
        let w = observed.width, h = observed.height
        // Each 5×5 window's residual energy, from a summed-area table of the pixels' energy.
        var table = [Double](repeating: 0, count: (w + 1) * (h + 1))
        observed.pixels.withUnsafeBufferPointer { x in
            state.image.pixels.withUnsafeBufferPointer { r in
                for y in 0..<h {
                    var row = 0.0
                    for i in 0..<w {
                        let p = 3 * (y * w + i)
                        let a = x[p] - r[p], b = x[p + 1] - r[p + 1], c = x[p + 2] - r[p + 2]
                        row += Double(a * a + b * b + c * c)
                        table[(y + 1) * (w + 1) + i + 1] = table[y * (w + 1) + i + 1] + row
                    }
                }
            }
        }
        func window(_ x: Int, _ y: Int) -> Double {
            let x0 = x - 2, x1 = x + 3, y0 = y - 2, y1 = y + 3
            return table[y1 * (w + 1) + x1] - table[y0 * (w + 1) + x1] - table[y1 * (w + 1) + x0] + table[y0 * (w + 1) + x0]
        }
        // Up to three windows, each the largest left once the others' surroundings are set aside
        // (the largest may be a place no object can stand, such as past the table's edge).
        var taken = refused
        for _ in 0..<windows {
            var best = (score: 0.0, x: 0, y: 0)
            for y in 2..<(h - 2) {
                for x in 2..<(w - 2) where !taken.contains(where: { abs($0.x - x) < 8 && abs($0.y - y) < 8 }) {
                    let s = window(x, y)
                    if s > best.score { best = (s, x, y) }
                }
            }
            // Not worth a try unless the window alone outweighs the object's cost (wide: three
            // objects' — a block the network missed leaves ten to hundreds, and the grain of a
            // table the renderer cannot draw, or the edge of a block read a little off, less).
            guard best.score / (2 * sigma * sigma) > penalty * (wide ? 3 : 1) else { return false }
            if try birth(at: best.x, best.y, polish: d, wide: wide) {
                lastWindow = (best.x, best.y)
                return true
            }
            taken.append((best.x, best.y))
        }
        return false
    }

    /// The residual energy's centre of mass within `radius` pixels of (x, y).
    func residualCentre(_ x: Int, _ y: Int, radius r: Int) -> (x: Int, y: Int) {
        let w = observed.width, h = observed.height
        var sx = 0.0, sy = 0.0, sw = 0.0
        for j in max(1, y - r)...min(h - 2, y + r) {
            for i in max(1, x - r)...min(w - 2, x + r) {
                var e = 0.0
                for c in 0..<3 {
                    let d = Double(observed.pixels[3 * (j * w + i) + c] - state.image.pixels[3 * (j * w + i) + c])
                    e += d * d
                }
                sx += e * Double(i); sy += e * Double(j); sw += e
            }
        }
        guard sw > 0 else { return (x, y) }
        return (min(max(Int((sx / sw).rounded()), 1), w - 2), min(max(Int((sy / sw).rounded()), 1), h - 2))
    }

    /// `o` with the albedo that fits the image best under its pose, and the SSE of the scene
    /// with it: the image is linear in an albedo (image = rest + albedo · shade), so one render
    /// of `o` into its box and its shading give the least-squares albedo and its SSE in closed
    /// form. Nil when `o` covers no pixel.
    mutating func withFittedAlbedo(_ o: SceneObject) throws -> (object: SceneObject, sse: Double)? {
        var s = state.scene
        s.objects.append(o)
        var canvas = state.image
        var shade = [Float]()
        let (rows, columns) = try refiner.renderer.renderAdded(s, samplesPerPixel: refiner.spp, onto: &canvas, shade: &shade)
        renders += 1
        let w = observed.width
        var es = SIMD3<Double>(0, 0, 0), ss = 0.0, before = 0.0, after = 0.0
        for j in rows {
            for i in columns {
                let q = j * w + i, sh = Double(shade[q])
                for c in 0..<3 {
                    let x = Double(observed.pixels[3 * q + c])
                    let a = x - Double(state.image.pixels[3 * q + c]), e = x - Double(canvas.pixels[3 * q + c])
                    before += a * a
                    after += e * e
                    es[c] += e * sh
                }
                ss += sh * sh
            }
        }
        guard ss > 0 else { return nil }
        let fitted = Refiner.albedo(o.color.rgb + es / ss), dc = fitted - o.color.rgb
        var f = o
        f.color = Color(rgb: fitted)
        return (f, state.sse - before + after - 2 * (dc * es).sum() + (dc * dc).sum() * ss)
    }

    /// Where and in what colour a birth under pixel (x, y) starts: the point at a block's
    /// mid-height along the pixel's ray (wide: through the residual's centre of mass near the
    /// peak, for a 5×5 window's peak may sit on any part of a block's 10–15 pixels), kept on the
    /// prior's table area, and the 3 × 3 pixels there over a lit top's shade. Nil when the ray
    /// does not meet the table.
    func birthGuess(at x: Int, _ y: Int, wide: Bool) -> (ground: SIMD2<Double>, color: Color)? {
        let w = observed.width, camera = refiner.config.camera
        let best = wide ? residualCentre(x, y, radius: 6) : (x: x, y: y)
        let ray = camera.ray(through: SIMD2(Double(best.x) + 0.5, Double(best.y) + 0.5))
        guard ray.z < 0 else { return nil }
        let p = camera.eye + (0.4 - camera.eye.z) / ray.z * ray
        var rgb = SIMD3<Double>(0, 0, 0)
        for dy in -1...1 {
            for dx in -1...1 {
                let q = ((best.y + dy) * w + best.x + dx) * 3
                rgb += SIMD3(Double(observed.pixels[q]), Double(observed.pixels[q + 1]), Double(observed.pixels[q + 2])) / 9
            }
        }
        let l = state.scene.light
        let shade = l.ambient + l.diffuse * max(0, l.unitDirection.z) * 0.8
        return (onTable(SIMD2(p.x, p.y)), Color(rgb: Refiner.albedo(rgb / max(shade, 0.1))))
    }

    /// `q` moved onto the prior's table area (0.01 inside its edge).
    func onTable(_ q: SIMD2<Double>) -> SIMD2<Double> {
        SIMD2(min(max(q.x, -half + 0.01), half - 0.01), min(max(q.y, -half + 0.01), half - 0.01))
    }

    /// Yaws every `step` degrees over a shape's symmetry period (0 alone for a cylinder).
    static func yaws(_ shape: Shape, every step: Double) -> [Double] {
        Array(stride(from: 0.0, to: shape.symmetryPeriod ?? 1, by: step))
    }

    /// A new object under pixel (x, y): see `birth(polish:)`.
    mutating func birth(at x: Int, _ y: Int, polish d: Double, wide: Bool = false) throws -> Bool {
        guard let (p, color) = birthGuess(at: x, y, wide: wide) else { return false }
        // Thorough (the look-again, unshadowed): every shape at every yaw, each with the albedo
        // that fits its pose best. Otherwise (refinement's births, and under shadows, where a
        // free albedo fits a shadow's edge) the colour under the peak and a few yaws.
        let thorough = wide && !state.scene.light.shadows
        var bestScene: (Scene, Image?, Double)? = nil
        func consider(_ o: SceneObject) throws {
            guard allowed(o, replacing: nil), budgetLeft else { return }
            var s = state.scene
            if thorough {
                // An albedo of the table's own hue is a shadow or bare table, which the
                // look-again would refuse: the next candidate is worth more.
                guard let fit = try withFittedAlbedo(o), bestScene == nil || fit.sse < bestScene!.2,
                      !SceneReader.looksLikeShadow(fit.object.color.rgb, table: state.scene.tableColor) else { return }
                s.objects.append(fit.object)
                bestScene = (s, nil, fit.sse)
            } else {
                s.objects.append(o)
                let image = try refiner.renderer.render(s, samplesPerPixel: refiner.spp)
                renders += 1
                let sse = Refiner.sse(observed, image)
                if bestScene == nil || sse < bestScene!.2 { bestScene = (s, image, sse) }
            }
        }
        var ground = p
        if wide {
            // The ground point first, on a grid around the guess: thorough, every shape at four
            // yaws (a white wedge's brightest face, which the guess follows, may be its near side
            // only); else a cube, or a cylinder, the smallest footprint, where a cube would
            // overlap a block already read...
            let grid = [0.0, -0.3, 0.3].flatMap { dy in [0.0, -0.3, 0.3].map { dx in onTable(p + SIMD2(dx, dy)) } }
            if thorough {
                for q in grid {
                    for shape in Shape.allCases {
                        for yaw in Search.yaws(shape, every: 90) {
                            try consider(SceneObject(shape: shape, color: color, position: q, rotation: yaw))
                        }
                    }
                }
            } else {
                for shape in [Shape.cube, .cylinder] where bestScene == nil {
                    for q in grid { try consider(SceneObject(shape: shape, color: color, position: q, rotation: 0)) }
                }
            }
            guard let (s, _, _) = bestScene else { return false }
            ground = s.objects.last!.position
        }
        // ...then every shape at every 30° of its symmetry period there (a wedge's period is a
        // whole turn: it looks like no other yaw of itself; refinement's births, 0, 30 and 60°).
        for shape in Shape.allCases {
            for yaw in thorough ? Search.yaws(shape, every: 30) : Array(Search.yaws(shape, every: 30).prefix(3)) {
                try consider(SceneObject(shape: shape, color: color, position: ground, rotation: yaw))
            }
        }
        guard let (s, rendered, fittedSSE) = bestScene else { return false }
        var image: Image, sse = fittedSSE
        if let rendered {
            image = rendered
        } else {
            // A fitted candidate was drawn with its first albedo: the whole scene once more.
            image = try refiner.renderer.render(s, samplesPerPixel: refiner.spp)
            renders += 1
            sse = Refiner.sse(observed, image)
        }
        // Polish the newcomer before judging it: a rough guess explains only part of its pixels.
        let saved = state, savedSession = session, savedAccepted = accepted
        state = Refiner.State(scene: s, image: image, sse: sse)
        session = try refiner.renderer.session(base: s, samplesPerPixel: refiner.spp)
        let k = s.objects.count - 1
        // Coarse to fine from a step of a few tenths: the point under the residual's peak at
        // mid-height can be that far from the block's centre, and the levels after a birth move
        // in small steps only.
        try polish(k, d: d, thorough: thorough)
        _ = try colorSweep()
        renders += 1
        renders += 1
        if objective > objective(sse: saved.sse, count: saved.scene.objects.count), try isVisibleBirth(state.scene, before: saved.scene) {
            accepted = savedAccepted
            accepted["birth", default: 0] += 1
            return true
        }
        state = saved
        session = savedSession
        accepted = savedAccepted
        return false
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
