import Scenes

/// The look-again: where the network stopped but the image still shows a block, render-and-
/// compare proposes one (`Refiner.lookAgain`: births only, no other move) and the reader keeps
/// it when the pixels say it is a block and not something the renderer cannot draw.
///
/// The network misses few blocks, but those it misses are the same kind in every world:
/// white or grey wedges and pyramids as bright as the table. The births and the tests below
/// come from measurement on fresh scenes (README, "Looking again").
extension SceneReader {
    /// A birth is dropped when more than this fraction of the pixels it changes look more like
    /// the scene without it (`misfitFraction`): a block invented to cover the sliver a
    /// misplaced block leaves (a camera off by tenths of a unit) fits only part of its outline.
    public static let largestMisfit = 0.6

    /// The residual's windows the look-again tries for each birth: 3, and 6 when the births' map
    /// weighs the pixels a birth changes. A block's highlights, or the pixels of a block read a
    /// little off, make the largest windows, and a faint block touching that block lies in the
    /// 8 pixels around them that are set aside; more windows reach it (the adapted models' count
    /// errors on their 26 sets: 41 → 30). They also reach the slivers a block read a little off
    /// leaves, which only a map that counts a birth's pixels tells from a block (the untouched
    /// model under camera 4 with 6: 62 → 76 count errors, the extra ones phantoms).
    var lookAgainWindows: Int {
        network.config.calibration?.births?.count == ConfidenceCalibration.birthWeightCount ? 6 : 3
    }

    /// Whether the images may hold shadows: not under a light the model knows to be one without
    /// them (`ModelConfig.worldLight`, fitted by `air adapt` only when that light explains all its
    /// images). There a birth of the table's hue is a block: a white wedge whose faces are turned
    /// from the light fits as one, and was refused as a shadow (the adapted models of warm light
    /// and camera 4: 3 such misses in 13 sets, found with no new count error).
    var shadowsPossible: Bool {
        network.config.worldLight?.shadows ?? true
    }

    /// The blocks the look-again adds to `scene`, the network's reading of `image`; the
    /// network's own blocks stay as it read them. Each is kept when
    /// - the pixels' evidence for it is positive and its calibrated confidence (the births'
    ///   map, else that of a block refinement added) is at least `birthConfidenceFloor` (½);
    /// - its colour is not the table's hue at the table's brightness or below (a shadow), unless
    ///   the model knows its light and it casts none (`shadowsPossible`);
    /// - its misfit is at most `largestMisfit`;
    /// - under a light read without shadows, at most half its pixels are a shadow's
    ///   (`shadowFraction`).
    /// Under a light read with shadows the search fits the light first (`Refiner.lookAgain`)
    /// and the reading keeps the network's light; without, the light is fitted with each birth
    /// and a reading with births takes it. Returns `scene` with the births kept.
    func lookAgain(_ image: Image, _ scene: Scene, renders: Int) throws -> Scene {
        var options = refiner.options
        options.maxRenders = renders
        let searcher = Refiner(config: refiner.config, options: options, renderer: refiner.renderer, prior: refiner.prior)
        let n = scene.objects.count
        // Each birth is tested as it is made, so that one the tests refuse leaves its place to
        // the next; and again, in the scene it ends in, with the others.
        let searched = try searcher.lookAgain(image, start: scene, windows: lookAgainWindows) { s in
            try !self.passing(image, s, born: [s.objects.count - 1], table: scene.tableColor).isEmpty
        }
        guard searched.objects.count > n else { return scene }
        let kept = try passing(image, searched, born: Array(n..<searched.objects.count), table: scene.tableColor)
        guard !kept.isEmpty else { return scene }
        // Under a light read without shadows the births were weighed under the light the search
        // fitted with them (`Search.relight`): the reading takes it.
        var read = scene
        if !scene.light.shadows { read.light = searched.light }
        read.objects += kept
        return read
    }

    /// A block of the network's whose pixels the reading leaves this far from the image (their
    /// mean squared residual in units of σ², `PixelResidual.ratio`) is looked at again
    /// (`relook`). Blocks read well sit near 1, poses a little off at a few; on clean scenes of
    /// the default set about one image in a hundred has a block above it.
    public static let relookResidual = 30.0

    /// Two blocks the network read as one between them, or one read as a block that also
    /// covers one it missed. `looked` is the look-again of the network's reading `read` (its
    /// blocks first, then the births). The network's block that fits its pixels worst there,
    /// when above `relookResidual`, is taken out of `read` and the look-again searches again.
    /// That reading is taken when what it found in place of the block is more than one block,
    /// it has at least as many blocks as `looked`, it wins back at least half the nats the
    /// block's pixels lost to misfit, and each birth passes the births' tests in it; else
    /// `looked` stands. (Under strong highlights a block's misfit is its highlights; blocks
    /// invented for them win back little of it.) A block read with the wrong pose or shape
    /// alone is left as read: the look-again adds blocks, it does not reread them.
    ///
    /// Returns the reading with, when it is `looked`, the weighing of all its blocks that chose
    /// it (the reading weighs nothing twice: about 99 % of clean images keep `looked`).
    func relook(_ image: Image, read: Scene, looked: Scene, renders: Int) throws -> (scene: Scene, weighing: Refiner.Weighing?) {
        let n = read.objects.count
        guard n > 0 else { return (looked, nil) }
        let w = try refiner.weigh(image, scene: looked, of: Array(looked.objects.indices))
        let residuals = (0..<n).map { SceneReader.residual(image, with: w.rendered, without: w.without[$0], sigma: w.sigma) }
        guard let worst = residuals.indices.max(by: { (residuals[$0]?.ratio ?? 0) < (residuals[$1]?.ratio ?? 0) }),
              let misfit = residuals[worst], misfit.ratio > SceneReader.relookResidual else { return (looked, w) }
        var without = read
        without.objects.remove(at: worst)
        let again = try lookAgain(image, without, renders: renders)
        guard again.objects.count > n, again.objects.count >= looked.objects.count else { return (looked, w) }
        let rendered = try refiner.renderer.render(again, samplesPerPixel: refiner.spp)
        let gain = (w.sse - Refiner.sse(image, rendered)) / (2 * w.sigma * w.sigma)
        guard gain >= misfit.nats / 2 else { return (looked, w) }
        // The births were tested in the search's scene (the read blocks' colours refitted); the
        // reading keeps the network's colours, so they are tested again in it.
        let born = Array((n - 1)..<again.objects.count)
        return try passing(image, again, born: born, table: read.tableColor).count == born.count ? (again, nil) : (looked, w)
    }

    /// How well a block explains the pixels it changes: those where `with` and `without` differ
    /// by more than 0.01 a channel, RMS (a block as pale as the table still has its pixels).
    public struct PixelResidual: Equatable {
        /// The mean squared residual of the image against `with` per channel, in units of σ²:
        /// about 1 where the block explains its pixels down to the noise, tens where it is two
        /// blocks read as one.
        public var ratio: Double
        public var pixels: Int
        /// The log-likelihood its pixels' residual costs: Σ residual² / 2σ².
        public var nats: Double { ratio * Double(3 * pixels) / 2 }
    }

    /// Nil when no pixel differs.
    public static func residual(_ image: Image, with a: Image, without b: Image, sigma: Double) -> PixelResidual? {
        var changed = 0
        var sum = 0.0
        forEachChangedPixel(image, with: a, without: b, apart: changedBy) { toA, _ in
            changed += 1
            sum += Double(toA)
        }
        return changed == 0 ? nil : PixelResidual(ratio: sum / Double(3 * changed) / (sigma * sigma), pixels: changed)
    }

    /// A pixel a block changes differs with and without it by more than this a channel, RMS.
    public static let changedBy: Float = 0.01

    /// How many pixels `with` and `without` differ at by more than `changedBy`: the pixels a
    /// block changes (a block as pale as the table still has its pixels).
    public static func changedPixels(with a: Image, without b: Image) -> Int {
        var changed = 0
        forEachChangedPixel(a, with: a, without: b, apart: changedBy) { _, _ in changed += 1 }
        return changed
    }

    /// Calls `body` with the squared distances of `image` to `a` and to `b` at each pixel where
    /// `a` and `b` differ by more than `apart` a channel, RMS: the pixels a block changes.
    @inline(__always)
    static func forEachChangedPixel(_ image: Image, with a: Image, without b: Image, apart threshold: Float,
                                    _ body: (_ toA: Float, _ toB: Float) -> Void) {
        for p in 0..<(image.pixels.count / 3) {
            var toA: Float = 0, toB: Float = 0, apart: Float = 0
            for c in 3 * p..<3 * p + 3 {
                let x = image.pixels[c], u = a.pixels[c], v = b.pixels[c]
                toA += (x - u) * (x - u)
                toB += (x - v) * (x - v)
                apart += (u - v) * (u - v)
            }
            if apart > 3 * threshold * threshold { body(toA, toB) }
        }
    }

    /// The births at `born` in `searched` that pass the tests, each weighed in that scene: its
    /// evidence and its misfit from the same renders.
    func passing(_ image: Image, _ searched: Scene, born: [Int], table: SIMD3<Double>) throws -> [SceneObject] {
        let w = try refiner.weigh(image, scene: searched, of: born)
        return born.indices.compactMap { b in
            let o = searched.objects[born[b]], e = w.evidence[b]
            let pixels = SceneReader.changedPixels(with: w.rendered, without: w.without[b])
            let confidence = network.config.calibration?.birthConfidence(evidence: e, noise: w.sigma, pixels: pixels) ?? 0.5
            guard e > 0, confidence >= birthConfidenceFloor, !shadowsPossible || !SceneReader.looksLikeShadow(o.color.rgb, table: table) else { return nil }
            // Under a light read with shadows the light was fitted first; without, a shadow in
            // the image is nothing the scene can draw but a block's dark side.
            guard searched.light.shadows || SceneReader.shadowFraction(with: w.rendered, without: w.without[b]) <= 0.5 else { return nil }
            return SceneReader.misfitFraction(image, with: w.rendered, without: w.without[b]) <= SceneReader.largestMisfit ? o : nil
        }
    }

    /// Of the pixels where `with` and `without` differ (as in `misfitFraction`), the fraction
    /// at which `with` is what was there, darkened (`looksLikeShadow` of the two pixels): a
    /// block whose faces turned from the light stand in for a shadow under a light read
    /// without shadows; a block seen lit brightens or recolours most of its pixels.
    public static func shadowFraction(with a: Image, without b: Image) -> Double {
        var changed = 0, dark = 0
        for p in 0..<(a.pixels.count / 3) {
            let u = SIMD3(Double(a.pixels[3 * p]), Double(a.pixels[3 * p + 1]), Double(a.pixels[3 * p + 2]))
            let v = SIMD3(Double(b.pixels[3 * p]), Double(b.pixels[3 * p + 1]), Double(b.pixels[3 * p + 2]))
            guard ((u - v) * (u - v)).sum() > 3 * 0.05 * 0.05 else { continue }
            changed += 1
            if looksLikeShadow(u, table: v, brightest: 1) { dark += 1 }
        }
        return changed == 0 ? 0 : Double(dark) / Double(changed)
    }

    /// Of the pixels where `with` and `without` differ (by more than 0.05 a channel, RMS), the
    /// fraction at which `image` is closer to `without`.
    public static func misfitFraction(_ image: Image, with a: Image, without b: Image) -> Double {
        var changed = 0, worse = 0
        forEachChangedPixel(image, with: a, without: b, apart: 0.05) { toA, toB in
            changed += 1
            if toB < toA { worse += 1 }
        }
        return changed == 0 ? 0 : Double(worse) / Double(changed)
    }

    /// Whether an albedo is the table's own hue at most a little brighter than the table: what
    /// a shadow, or bare table, looks like when a block is fitted to it. No palette colour is.
    /// (`brightest`: the largest multiple of `t` that counts; 1 for a pixel darkened.)
    public static func looksLikeShadow(_ c: SIMD3<Double>, table t: SIMD3<Double>, brightest: Double = 1.1) -> Bool {
        let s = (c * t).sum() / max((t * t).sum(), 1e-9)
        let d = c - s * t
        return s <= brightest && (d * d).sum().squareRoot() <= 0.06
    }
}
