import Engine
import Scenes

/// One object as the guide reads it, with its confidences.
public struct InferredObject: Sendable {
    public var object: SceneObject
    /// q(z_pres = 1) at this step.
    public var presence: Double
    /// q(shape) over the five classes, in `Shape` order.
    public var shapeProbabilities: [Double]
    /// Standard deviation of the position estimate (scene units), per axis.
    public var positionStd: SIMD2<Double>
    /// Circular spread of the yaw estimate in degrees (nil for cylinders).
    public var rotationSpread: Double?
    /// Colour standard deviation per channel.
    public var colorStd: SIMD3<Double>
    /// Where the glimpse looked: centre in pixels and window side in pixels.
    public var glimpseCenter: SIMD2<Double>
    public var glimpseSide: Double
}

/// A scene as the guide reads it.
public struct InferredScene: Sendable {
    public var objects: [InferredObject]
    /// q(z_pres = 1) at the step that stopped (nil when all N steps were present).
    public var stopPresence: Double?
    /// The scene: the objects found, under the light read at the first step, on the model's table.
    public var scene: Scene
    /// What the stopping step would have read, when it stopped in doubt (presence above
    /// `Inferrer.doubtFloor`): not part of `objects` or `scene`; `SceneReader` weighs it.
    public var doubtful: InferredObject? = nil
}

/// Runs the guide on images, in batches, without recording gradients. Each step renders the
/// objects found so far with the real renderer (the difference input).
public final class Inferrer {
    public let network: GuideNetwork
    /// Renders the objects found so far (the next step's difference input).
    public let renderer: any SceneRenderer
    public let tableColor: SIMD3<Float>
    private let tape = Tape(recording: false)
    /// Per-batch image buffers, kept so that each batch does not map fresh memory.
    private var observed: [Float] = []
    private var rendered: [Float] = []
    /// Each image's half-resolution step input ([H/2, W/2, 6] per image), rewritten after each
    /// step only in the rows the new object changed.
    private var half: [Float] = []
    /// Each image's canvas under the light read from it (at first the bare table): what a new
    /// reading is checked against.
    private var reference: [Float] = []
    /// Each image's rendering of the objects found so far under the light read from it, no
    /// albedo fitted (at first the bare table): the next canvas is drawn onto it.
    private var drawn: [Image] = []
    /// The newest `canvas`: the candidate canvas (newest albedo fitted), the rows drawn there,
    /// the newest object's shading, and the pixels the fit changed as they were drawn (from
    /// `unfittedStart` on); kept from call to call so that no candidate maps fresh memory.
    private var candidate = Image(width: 0, height: 0, pixels: [])
    private var candidateBox = 0..<0
    private var candidateShade: [Float] = []
    private var unfitted: [Float] = []
    private var unfittedStart = 0
    /// The newest candidate's fitted albedo over its read colour (channel sums; 1 when unfitted).
    private var candidateFitRatio = 1.0
    /// Per image, the rows the fit changed in the last kept candidate (which the next candidate,
    /// drawn unfitted there, changes back), and whether `rendered` is that candidate yet (at
    /// first it is the model's bare table): a new candidate differs from the last kept one only
    /// in its drawn rows and those, and only they are compared and copied.
    private var fitRows: [Range<Int>] = []
    private var renderedIsKept: [Bool] = []
    /// The encoder's convolution outputs of each image, brought up to date where its input changed.
    private let encoderCache: EncoderCache

    public init(network: GuideNetwork, renderer: any SceneRenderer = Rasterizer(threads: 1)) throws {
        self.network = network
        self.renderer = renderer
        let cfg = network.config
        encoderCache = EncoderCache(encoder: network.encoder, height: cfg.height / 2, width: cfg.width / 2, channels: 6)
        let empty = try renderer.render(cfg.scene(), samplesPerPixel: cfg.samplesPerPixel)
        tableColor = SIMD3(empty.pixels[0], empty.pixels[1], empty.pixels[2])
    }

    /// Images a batch by default: with 256 the GEMMs pack each weight matrix once for four
    /// times as many rows as with 64, and `air bench infer` reads about 1.3× as many images a
    /// second (the readings differ only by float rounding).
    public static let defaultBatchSize = 256

    /// Reads every image (each must be the model's size).
    public func infer(_ images: [Image], batchSize: Int = Inferrer.defaultBatchSize) throws -> [InferredScene] {
        var out: [InferredScene] = []
        out.reserveCapacity(images.count)
        var start = 0
        while start < images.count {
            let end = min(start + batchSize, images.count)
            out += try inferBatch(Array(images[start..<end]))
            start = end
        }
        return out
    }

    private func inferBatch(_ images: [Image]) throws -> [InferredScene] {
        let cfg = network.config
        let b = images.count, pixels = cfg.width * cfg.height * 3
        let camera = cfg.camera
        let attention = Attention(config: cfg)
        if observed.count < b * pixels {
            observed = [Float](repeating: 0, count: b * pixels)
            rendered = [Float](repeating: 0, count: b * pixels)
        }
        let h2 = cfg.height / 2, block = h2 * (cfg.width / 2) * 6
        if half.count < b * block { half = [Float](repeating: 0, count: b * block) }
        encoderCache.start(batch: b)
        fitRows = Array(repeating: 0..<0, count: b)
        renderedIsKept = Array(repeating: false, count: b)
        // Image by image, so that each one's half-resolution input is made while its pixels are in cache.
        for (k, im) in images.enumerated() {
            guard im.width == cfg.width, im.height == cfg.height else {
                throw TrainingError.imageSize(index: k, width: im.width, height: im.height, expected: (cfg.width, cfg.height))
            }
            observed.replaceSubrange(k * pixels..<(k + 1) * pixels, with: im.pixels)
            fillWithTable(&rendered, from: k * cfg.width * cfg.height, pixels: cfg.width * cfg.height, table: tableColor)
            updateHalf(k, rows: 0..<h2)
        }
        var found = [[InferredObject]](repeating: [], count: b)
        var lights = [Light](repeating: Light(), count: b)
        var stop = [Double?](repeating: nil, count: b)
        var doubtful = [InferredObject?](repeating: nil, count: b)
        defer { tape.reset() }
        // The images still being read; finished ones leave the batch, so later steps cost less.
        var rows = Array(0..<b)
        var state = network.lstm.zeroState(batch: b, on: tape)
        var previous = tape.zeros([b, LatentCode.size])
        let tableHalf = cfg.tableHalfWidth
        let width = WhatHeads.Layout.width

        for step in 0..<cfg.maxObjects where !rows.isEmpty {
            let m = rows.count
            // The encoder reads the half-resolution input of every row (where it changed); the
            // full-resolution one is sampled below only where the glimpses of the rows that take one look.
            let features = half.withUnsafeBufferPointer { h in encoderCache.features(input: h.baseAddress!, images: rows, tape: tape) }
            let r = network.recur(features: features, previous: previous, state: state)
            if step == 0, let head = network.light {
                let out = head(r.features).values
                for k in 0..<b { lights[k] = cfg.worldLight?.light ?? LightHead.decode(out, row: k) }
            }
            if step == 0 {
                // The bare table under each image's light: the first canvas is drawn onto it, and
                // the first reading is checked against it.
                drawn = try (0..<b).map { k in
                    network.light == nil ? Image(width: cfg.width, height: cfg.height, pixels: Array(rendered[k * pixels..<(k + 1) * pixels]))
                        : try renderer.render(cfg.scene(light: lights[k], objects: []), samplesPerPixel: cfg.samplesPerPixel)
                }
                if checksReadings {
                    if reference.count < b * pixels { reference = [Float](repeating: 0, count: b * pixels) }
                    for k in 0..<b { reference.replaceSubrange(k * pixels..<(k + 1) * pixels, with: drawn[k].pixels) }
                }
            }
            let logits = r.presLogit.values, mean = r.whereMean.values
            // Only the images whose step says "present" (or stops in doubt) take a glimpse.
            let presence = logits.map { 1 / (1 + exp(-Double($0))) }
            var present: [Int] = []
            for (j, k) in rows.enumerated() {
                if presence[j] > 0.5 { present.append(j); continue }
                stop[k] = presence[j]
                if let floor = doubtFloor, presence[j] > floor { present.append(j) }
            }
            if present.isEmpty { break }
            var thetas = [Float](repeating: 0, count: present.count * 6)
            var centres = present.map { j in SIMD2(Double(mean[2 * j]) * tableHalf, Double(mean[2 * j + 1]) * tableHalf) }
            for i in present.indices {
                thetas.replaceSubrange(6 * i..<6 * i + 6, with: attention.theta(x: centres[i].x, y: centres[i].y))
            }
            let h = present.count == m ? r.state.h : gather(r.state.h, indices: present, axis: 0)
            var out = look(rows: present.map { rows[$0] }, thetas: thetas, h: h)
            try recentre(&out, centres: &centres, thetas: &thetas, rows: present.map { rows[$0] }, h: h, attention: attention)
            var keep: [Int] = []
            var codes: [Float] = []
            // A reading is kept when rendering it explains the image better; a copy of an object
            // already read, or a block read on bare table, does not.
            var unsupported: [Int] = []
            func accept(_ o: InferredObject, row j: Int, canvas: Bool) {
                let k = rows[j]
                found[k].append(o)
                guard canvas else { return }
                let changed = candidateRows(k)
                keepCandidate(k)
                if checksReadings {
                    _ = reference.withUnsafeMutableBufferPointer { r in
                        Inferrer.copyChanges(from: candidate.pixels, into: r.baseAddress! + k * pixels, width: cfg.width, height: cfg.height, rows: changed)
                    }
                }
                guard step + 1 < cfg.maxObjects else { return }
                keep.append(j)
                codes += LatentCode.code(o.object, config: cfg)
                updateRendering(k, to: candidate.pixels, rows: renderedIsKept[k] ? changed : nil)
                renderedIsKept[k] = true
            }
            for (i, j) in present.enumerated() {
                let k = rows[j]
                let o = decode(Array(out[i * width..<(i + 1) * width]),
                               center: centres[i],
                               theta: Array(thetas[6 * i..<6 * i + 6]), presence: presence[j], camera: camera)
                let inDoubt = presence[j] <= 0.5
                let needsCanvas = step + 1 < cfg.maxObjects && !inDoubt
                let drew = needsCanvas || checksReadings
                if drew { try canvas(k, objects: found[k].map(\.object) + [o.object], light: lights[k]) }
                // Checked readings always draw their candidate.
                if checksReadings, !explains(k, o.object, among: found[k]) {
                    unsupported.append(i)
                    continue
                }
                if inDoubt { doubtful[k] = o } else { accept(o, row: j, canvas: drew) }
            }
            if !unsupported.isEmpty {
                // Each such step looks again where the most is left unexplained; if that reading
                // does not explain the image either, the image stops.
                var looks: [Int] = []
                for i in unsupported {
                    let k = rows[present[i]]
                    guard let peak = unexplainedPeak(k) else { stop[k] = presence[present[i]]; continue }
                    centres[i] = peak
                    thetas.replaceSubrange(6 * i..<6 * i + 6, with: attention.theta(x: peak.x, y: peak.y))
                    looks.append(i)
                }
                if !looks.isEmpty {
                    let theta = looks.flatMap { thetas[6 * $0..<6 * $0 + 6] }
                    let hl = gather(h, indices: looks, axis: 0)
                    var again = look(rows: looks.map { rows[present[$0]] }, thetas: theta, h: hl)
                    var lc = looks.map { centres[$0] }, lt = theta
                    try recentre(&again, centres: &lc, thetas: &lt, rows: looks.map { rows[present[$0]] }, h: hl, attention: attention)
                    for (n, i) in looks.enumerated() {
                        let j = present[i], k = rows[j]
                        let o = decode(Array(again[n * width..<(n + 1) * width]), center: lc[n],
                                       theta: Array(lt[6 * n..<6 * n + 6]), presence: presence[j], camera: camera)
                        try canvas(k, objects: found[k].map(\.object) + [o.object], light: lights[k])
                        if !explains(k, o.object, among: found[k]) { stop[k] = presence[j] } else if presence[j] <= 0.5 { doubtful[k] = o } else { accept(o, row: j, canvas: true) }
                    }
                }
            }
            if keep.isEmpty { break }
            // A step's tensors are dead once its state is carried over: the tape starts again, so
            // that every step works in the same memory (in cache) instead of fresh pages.
            let (kept, cell) = keep.count == m ? (r.state.h.values, r.state.c.values)
                : (gather(r.state.h, indices: keep, axis: 0).values, gather(r.state.c, indices: keep, axis: 0).values)
            let hidden = r.state.h.shape[1]
            tape.reset()
            state = (tape.constant(shape: [keep.count, hidden], values: kept), tape.constant(shape: [keep.count, hidden], values: cell))
            previous = tape.constant(shape: [keep.count, LatentCode.size], values: codes)
            rows = keep.map { rows[$0] }
        }
        return (0..<b).map { k in
            InferredScene(objects: found[k], stopPresence: stop[k],
                          scene: cfg.scene(light: lights[k], objects: found[k].map(\.object)), doubtful: doubtful[k])
        }
    }

    /// Writes image k's new rendering of the objects found so far and brings its half-resolution
    /// input (and the encoder's outputs) up to date where the rendering changed (a new object
    /// changes a box of pixels; the rest of the input stays as it was, bit for bit).
    private func updateRendering(_ k: Int, to pixels: [Float], rows within: Range<Int>? = nil) {
        let cfg = network.config
        let box = rendered.withUnsafeMutableBufferPointer { r in
            Inferrer.copyChanges(from: pixels, into: r.baseAddress! + k * pixels.count, width: cfg.width, height: cfg.height, rows: within)
        }
        guard let box else { return }
        let rows = box.rows.lowerBound / 2..<(box.rows.upperBound - 1) / 2 + 1
        let columns = box.columns.lowerBound / 2..<(box.columns.upperBound - 1) / 2 + 1
        updateHalf(k, rows: rows, columns: columns)
        encoderCache.changed(k, rows: rows, columns: columns)
    }

    /// Copies into `dest` (an RGB image `width`×`height`) the rows of `source` that differ from
    /// its own, and returns the bounding box of the differing pixels; nil when none differ.
    /// With `rows`, only those rows are compared (the caller knows the others are equal).
    static func copyChanges(from source: UnsafePointer<Float>, into dest: UnsafeMutablePointer<Float>,
                            width: Int, height: Int, rows: Range<Int>? = nil) -> (rows: Range<Int>, columns: Range<Int>)? {
        let rowLength = width * 3
        var first: Int?, last = 0, left = width, right = 0
        for y in rows ?? 0..<height {
            let s = source + y * rowLength, d = dest + y * rowLength
            guard memcmp(s, d, rowLength * MemoryLayout<Float>.size) != 0 else { continue }
            if first == nil { first = y }
            last = y
            // The bytes differ; the floats may not (−0 and +0), and then the whole row counts.
            var i = 0
            while i < rowLength && s[i] == d[i] { i += 1 }
            var j = rowLength - 1
            while j > i && s[j] == d[j] { j -= 1 }
            left = min(left, min(i, j) / 3)
            right = max(right, j / 3 + 1)
            d.update(from: s, count: rowLength)
        }
        guard let first else { return nil }
        return (first..<last + 1, left..<max(left + 1, right))
    }

    /// Rewrites half-resolution rows `rows` (the pixels of `columns`; nil: all) of image k's step input.
    private func updateHalf(_ k: Int, rows: Range<Int>, columns: Range<Int>? = nil) {
        let cfg = network.config, pixels = cfg.width * cfg.height * 3, block = (cfg.height / 2) * (cfg.width / 2) * 6
        observed.withUnsafeBufferPointer { o in
            rendered.withUnsafeBufferPointer { r in
                half.withUnsafeMutableBufferPointer { h in
                    writeHalfInput(observed: o.baseAddress! + k * pixels, rendered: r.baseAddress! + k * pixels, table: tableColor,
                                   width: cfg.width, rows: rows, columns: columns, into: h.baseAddress! + k * block)
                }
            }
        }
    }

    /// Whether the difference images' canvas gives the newest object its least-squares albedo.
    public var fitsCanvasColors = true

    /// Glimpses taken again where the last one's refine offset says the object lies more than
    /// `recentreDistance` units from its centre: at most this many times per step. The where
    /// head is one Gaussian; in a crowd, unsure which of several blocks a step should take, it
    /// points between them, and the what-heads — trained on glimpses at most 0.25 units off —
    /// then read a block in the gap. Each glimpse's offset points towards a block, so looking
    /// again from there lands on one (crowded validation count 80.2 → 87.9 %, shape 80.9 →
    /// 90.9 % with 4; default scenes' shape 96.0 → 98.6 %). 0: one glimpse, as trained.
    public var recentring = 4
    public var recentreDistance = 0.05

    /// The what-path's output for images `rows`, each glimpsed through its θ (six values per
    /// row in `thetas`), with recurrent state `h`.
    private func look(rows: [Int], thetas: [Float], h: Tensor) -> [Float] {
        let cfg = network.config
        let g = glimpseInput(observed: observed, rendered: rendered, rows: rows, table: tableColor,
                             height: cfg.height, width: cfg.width, theta: tape.constant(shape: [rows.count, 2, 3], values: thetas),
                             size: cfg.glimpseSize, tape: tape)
        return network.look(glimpse: g, h: h).values
    }

    /// `recentring`: the glimpses of the rows whose offset is long taken again at the offset's
    /// end, their outputs replaced; `centres` and `thetas` follow.
    private func recentre(_ out: inout [Float], centres: inout [SIMD2<Double>], thetas: inout [Float], rows: [Int],
                          h: Tensor, attention: Attention) throws {
        let width = WhatHeads.Layout.width
        for _ in 0..<recentring {
            var moved: [Int] = []
            for i in centres.indices {
                let offset = Self.refineOffset(out[i * width..<(i + 1) * width])
                guard (offset * offset).sum() > recentreDistance * recentreDistance else { continue }
                centres[i] += offset
                thetas.replaceSubrange(6 * i..<6 * i + 6, with: attention.theta(x: centres[i].x, y: centres[i].y))
                moved.append(i)
            }
            if moved.isEmpty { return }
            let theta = moved.flatMap { thetas[6 * $0..<6 * $0 + 6] }
            let again = look(rows: moved.map { rows[$0] }, thetas: theta, h: moved.count == centres.count ? h : gather(h, indices: moved, axis: 0))
            for (n, i) in moved.enumerated() { out.replaceSubrange(i * width..<(i + 1) * width, with: again[n * width..<(n + 1) * width]) }
        }
    }


    /// Whether each reading is checked against the image: a reading is kept only when rendering
    /// it brings the canvas closer to the image (`explains`). A step whose reading fails looks
    /// once more, at the largest region the canvas leaves unexplained (`unexplainedPeak`), and
    /// stops if that reading fails too. The network reads copies of blocks it has already read
    /// and blocks on bare table between two it cannot choose among, with presence near 1; the
    /// pixels tell them apart (crowded validation count 87.9 → 96.6 %, shape 90.9 → 98.7 %).
    public var checksReadings = true
    /// How much farther from the image (as a multiple of the squared error before) a reading
    /// overlapping none read before may leave its pixels: 1, twice as far. 0: every reading
    /// must bring the canvas closer (crowded validation count 98.2 %, but faint blocks lost:
    /// default scenes under contrast × 0.7 read at 97.0 % against 99.0 % with 1).
    public var checkTolerance = 1.0
    /// A reading whose colour fit darkens it below this fraction of the colour read (summed over
    /// the channels) must explain the image as read too, unfitted. Under a light read too high, a
    /// long shadow left unexplained is "explained" by a block read white whose fitted albedo is
    /// near black (0.1–0.5 of white: a shadow, not a block); a real block read under a misread
    /// light fits at 0.46 or more, and a white block read under the wrong light explains the
    /// image only fitted, so the as-read test is kept for the fits that turn a block into
    /// something else. 0: no as-read test.
    public var darkFitFloor = 0.6

    /// Image k rendered with `objects` under `light`, the newest object's albedo fitted (the
    /// difference images' canvas), into `candidate`.
    private func canvas(_ k: Int, objects: [SceneObject], light: Light) throws {
        let cfg = network.config, pixels = cfg.width * cfg.height * 3
        let scene = cfg.scene(light: light, objects: objects)
        unfitted.removeAll(keepingCapacity: true)
        candidateFitRows = 0..<0
        candidateFitRatio = 1
        if fitsCanvasColors, let shading = renderer as? any ShadingRenderer {
            // The newest object is drawn onto the rendering of the others: only its box (and its
            // shadow's) is rendered, bit for bit as a full render.
            Self.assign(&candidate, drawn[k])
            candidateBox = try shading.renderAdded(scene, samplesPerPixel: cfg.samplesPerPixel, onto: &candidate, shade: &candidateShade).rows
            // The object's shading is nonzero only inside the rows drawn.
            let lit = Self.litSpan(candidateShade, within: candidateBox.lowerBound * cfg.width..<candidateBox.upperBound * cfg.width)
            if let lit {
                candidateFitRows = lit.lowerBound / cfg.width..<lit.upperBound / cfg.width + 1
                unfittedStart = 3 * lit.lowerBound
                unfitted.append(contentsOf: candidate.pixels[3 * lit.lowerBound..<3 * (lit.upperBound + 1)])
                let read = scene.objects[scene.objects.count - 1].color.rgb
                let fitted = Inferrer.fitNewestColor(&candidate, scene: scene, shade: candidateShade, observed: observed[k * pixels..<(k + 1) * pixels], lit: lit)
                if read.sum() > 0 { candidateFitRatio = fitted.sum() / read.sum() }
            }
            return
        }
        candidate = try renderer.render(scene, samplesPerPixel: cfg.samplesPerPixel)
        candidateBox = 0..<cfg.height
    }

    /// The rows of the fit in the newest candidate.
    private var candidateFitRows = 0..<0

    /// The rows where the newest candidate can differ from image k's last kept one: those drawn,
    /// and those the last kept one's fit changed.
    private func candidateRows(_ k: Int) -> Range<Int> {
        let f = fitRows[k]
        return f.isEmpty ? candidateBox : min(f.lowerBound, candidateBox.lowerBound)..<max(f.upperBound, candidateBox.upperBound)
    }

    /// Image k keeps the newest candidate: its rendering (the rows drawn, the fit undone) becomes
    /// the one the next is drawn onto.
    private func keepCandidate(_ k: Int) {
        let row = candidate.width * 3
        drawn[k].pixels.withUnsafeMutableBufferPointer { d in
            candidate.pixels.withUnsafeBufferPointer { c in
                (d.baseAddress! + candidateBox.lowerBound * row).update(from: c.baseAddress! + candidateBox.lowerBound * row,
                                                                       count: candidateBox.count * row)
            }
            unfitted.withUnsafeBufferPointer { u in (d.baseAddress! + unfittedStart).update(from: u.baseAddress!, count: u.count) }
        }
        fitRows[k] = candidateFitRows
    }

    /// `target` = `source`, in `target`'s memory when it is the same size.
    private static func assign(_ target: inout Image, _ source: Image) {
        guard target.pixels.count == source.pixels.count else { target = Image(width: source.width, height: source.height, pixels: Array(source.pixels)); return }
        target.width = source.width
        target.height = source.height
        target.pixels.withUnsafeMutableBufferPointer { t in
            source.pixels.withUnsafeBufferPointer { t.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    /// Whether the candidate, image k's canvas with `object` added to `found`, explains the image: a
    /// reading whose footprint overlaps one read before (a copy, or one of the two misplaced)
    /// must bring the canvas closer to the image; any other may leave it up to twice as far over
    /// its pixels (`tolerance` 1), so that a faint block read a little off — a white wedge in
    /// shade — is kept, while a block read on bare table is not.
    private func explains(_ k: Int, _ object: SceneObject, among found: [InferredObject]) -> Bool {
        let copy = found.contains { Footprint.overlap($0.object, object) }
        let n = candidate.pixels.count, rows = candidateRows(k), row = candidate.width * 3
        let asRead = candidateFitRatio < darkFitFloor && !unfitted.isEmpty
        return observed.withUnsafeBufferPointer { o in
            reference.withUnsafeBufferPointer { r in
                candidate.pixels.withUnsafeBufferPointer { c in
                    unfitted.withUnsafeBufferPointer { u in
                        Inferrer.explains(observed: UnsafeBufferPointer(rebasing: o[k * n..<(k + 1) * n]),
                                          reference: UnsafeBufferPointer(rebasing: r[k * n..<(k + 1) * n]), candidate: c,
                                          asRead: asRead ? (unfittedStart, u) : nil,
                                          tolerance: copy ? 0 : checkTolerance, within: rows.lowerBound * row..<rows.upperBound * row)
                    }
                }
            }
        }
    }

    /// Whether the candidate canvas is closer to the observed image than the reference canvas,
    /// or at most `1 + tolerance` times as far: squared error, over the pixels where the two
    /// canvases differ (a candidate that changes nothing explains nothing).
    /// With `within`, only those values are compared (the caller knows the others are equal).
    /// With `asRead` (the candidate's values from `start` on as drawn before its colour fit), the
    /// candidate so drawn must pass the same test, over the same pixels.
    static func explains(observed: UnsafeBufferPointer<Float>, reference: UnsafeBufferPointer<Float>,
                         candidate: UnsafeBufferPointer<Float>, asRead: (start: Int, values: UnsafeBufferPointer<Float>)? = nil,
                         tolerance: Double = 0, within: Range<Int>? = nil) -> Bool {
        var before = 0.0, after = 0.0, afterAsRead = 0.0, changed = false
        let readStart = asRead?.start ?? 0, readEnd = readStart + (asRead?.values.count ?? 0)
        // A new object changes a few bands of the canvas: spans the two canvases share (found
        // by memcmp, vectorised) are skipped whole; the sums run in the same order as over every pixel.
        let span = 96, range = within ?? 0..<candidate.count, n = range.upperBound
        for start in stride(from: range.lowerBound, to: n, by: span) {
            let end = min(start + span, n)
            if memcmp(candidate.baseAddress! + start, reference.baseAddress! + start, (end - start) * MemoryLayout<Float>.size) == 0 { continue }
            for p in start..<end where candidate[p] != reference[p] {
                let o = Double(observed[p]), r = Double(reference[p]), c = Double(candidate[p])
                before += (o - r) * (o - r)
                after += (o - c) * (o - c)
                let a = p >= readStart && p < readEnd ? Double(asRead!.values[p - readStart]) : c
                afterAsRead += (o - a) * (o - a)
                changed = true
            }
        }
        return changed && after < (1 + tolerance) * before && (asRead == nil || afterAsRead < (1 + tolerance) * before)
    }

    private func unexplainedPeak(_ k: Int) -> SIMD2<Double>? {
        let cfg = network.config, n = cfg.width * cfg.height * 3
        let pixel = observed.withUnsafeBufferPointer { o in
            reference.withUnsafeBufferPointer { r in
                Inferrer.unexplainedPeak(observed: UnsafeBufferPointer(rebasing: o[k * n..<(k + 1) * n]),
                                         reference: UnsafeBufferPointer(rebasing: r[k * n..<(k + 1) * n]),
                                         width: cfg.width, height: cfg.height)
            }
        }
        guard let pixel, let p = cfg.camera.point(through: pixel, atHeight: cfg.glimpseHeight) else { return nil }
        return SIMD2(p.x, p.y)
    }

    /// The mean squared residual per pixel (three channels summed) a window must hold to be
    /// looked at: a bare table under sensor noise σ = 0.1 holds 0.03.
    static let minPeakEnergy = 0.05

    /// The image point (pixels) at the centre of the largest unexplained region of an image
    /// against its canvas: the window, a twelfth of the image wide on either side of its centre,
    /// holding the most squared residual, then the residual's centroid within it (a block's
    /// brightest face is not its centre). Nil when no window holds more than `minPeakEnergy`.
    static func unexplainedPeak(observed: UnsafeBufferPointer<Float>, reference: UnsafeBufferPointer<Float>,
                                width w: Int, height h: Int) -> SIMD2<Double>? {
        var energy = [Double](repeating: 0, count: w * h)
        for p in 0..<(w * h) {
            for c in 0..<3 { let d = Double(observed[3 * p + c]) - Double(reference[3 * p + c]); energy[p] += d * d }
        }
        let r = max(1, w / 12)
        // Summed-area table: every window's sum in four reads.
        var sat = [Double](repeating: 0, count: (w + 1) * (h + 1))
        for y in 0..<h {
            for x in 0..<w {
                sat[(y + 1) * (w + 1) + x + 1] = energy[y * w + x] + sat[y * (w + 1) + x + 1] + sat[(y + 1) * (w + 1) + x] - sat[y * (w + 1) + x]
            }
        }
        var best = -1.0, at = (0, 0)
        for y in 0..<h {
            for x in 0..<w {
                let x0 = max(0, x - r), x1 = min(w, x + r + 1), y0 = max(0, y - r), y1 = min(h, y + r + 1)
                let sum = sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0] + sat[y0 * (w + 1) + x0]
                let mean = sum / Double((x1 - x0) * (y1 - y0))
                if mean > best { best = mean; at = (x, y) }
            }
        }
        guard best > minPeakEnergy else { return nil }
        var centre = SIMD2<Double>(0, 0), mass = 0.0
        for y in max(0, at.1 - r)..<min(h, at.1 + r + 1) {
            for x in max(0, at.0 - r)..<min(w, at.0 + r + 1) {
                let e = energy[y * w + x]
                centre += e * SIMD2(Double(x) + 0.5, Double(y) + 0.5)
                mass += e
            }
        }
        return centre / mass
    }

    /// A step whose presence lies in (doubtFloor, 0.5] still takes its glimpse and reads its
    /// object (`InferredScene.doubtful`) before the image stops; nil: no such reading. The
    /// presence alone stops too early on a block half hidden by another: its step says 0.3–0.5
    /// where a bare table says 0.01.
    public var doubtFloor: Double? = nil

    /// The canvas with the newest object's albedo replaced by the least-squares one on its
    /// shading image (colour enters linearly: canvas += (a* − a) · shade, exact below the clamp),
    /// so that an object the network reads a little dark (a white block) leaves no residual the
    /// next step would take for another object. The reported colour stays the network's.
    /// `shade` is the newest object's shading plane ([H·W]).
    static func fitNewestColor(_ img: inout Image, scene: Scene, shade: [Float], observed: ArraySlice<Float>) {
        // Only the object's own pixels take part: the span of its nonzero shading.
        guard let lit = litSpan(shade, within: shade.indices) else { return }
        fitNewestColor(&img, scene: scene, shade: shade, observed: observed, lit: lit)
    }

    /// The pixels from the first to the last of `range` where `shade` is nonzero.
    static func litSpan(_ shade: [Float], within range: Range<Int>) -> ClosedRange<Int>? {
        guard let first = shade[range].firstIndex(where: { $0 != 0 }), let last = shade[range].lastIndex(where: { $0 != 0 }) else { return nil }
        return first...last
    }

    /// The same over the span `lit` of the object's nonzero shading (`litSpan`).
    /// Returns the fitted albedo (the colour read when nothing is lit).
    @discardableResult
    static func fitNewestColor(_ img: inout Image, scene: Scene, shade: [Float], observed: ArraySlice<Float>, lit: ClosedRange<Int>) -> SIMD3<Double> {
        let offset = observed.startIndex
        let c = scene.objects[scene.objects.count - 1].color.rgb
        var num = SIMD3<Double>(0, 0, 0), den = 0.0
        for p in lit {
            let s = Double(shade[p])
            if s == 0 { continue }
            for ch in 0..<3 {
                num[ch] += (Double(observed[offset + 3 * p + ch]) - Double(img.pixels[3 * p + ch]) + c[ch] * s) * s
            }
            den += s * s
        }
        guard den > 0 else { return c }
        let fitted = SIMD3((num / den).x.clamped, (num / den).y.clamped, (num / den).z.clamped)
        let delta = fitted - c
        for p in lit {
            let s = Double(shade[p])
            if s == 0 { continue }
            for ch in 0..<3 { img.pixels[3 * p + ch] = Float(Double(img.pixels[3 * p + ch]) + delta[ch] * s) }
        }
        return fitted
    }

    /// Where the what-path places the object relative to its glimpse's centre (scene units),
    /// from one row of its output.
    static func refineOffset(_ row: ArraySlice<Float>) -> SIMD2<Double> {
        let at = row.startIndex + WhatHeads.Layout.refineMean.lowerBound
        return SIMD2(Double(row[at]), Double(row[at + 1])) * GuideNetwork.refineScale
    }

    private func decode(_ w: [Float], center: SIMD2<Double>, theta: [Float], presence: Double, camera: Camera) -> InferredObject {
        typealias W = WhatHeads.Layout
        let logits = w[W.shape].map(Double.init)
        let m = logits.max()!
        let e = logits.map { exp($0 - m) }
        let z = e.reduce(0, +)
        let probs = e.map { $0 / z }
        let shape = Shape(rawValue: probs.indices.max(by: { probs[$0] < probs[$1] })!)!
        let rgb = SIMD3(w[W.colorMean].map { 1 / (1 + exp(-Double($0))) })
        let colorStd = SIMD3(w[W.colorLogStd].map { exp(min(max(Double($0), -6), 1)) })
        let s = GuideNetwork.refineScale
        let pos = center + Self.refineOffset(w[...])
        let posStd = SIMD2(w[W.refineLogStd].map { exp(min(max(Double($0), -6), 2)) * s })
        let j = W.yaw.lowerBound + 2 * shape.rawValue
        let point = SIMD2(w[j], w[j + 1])
        let yaw = LatentCode.yaw(from: point, shape: shape)
        var spread: Double? = nil
        if let period = shape.symmetryPeriod {
            // Circular standard deviation from the point's length (1 = certain).
            let r = min(max(Double((point * point).sum().squareRoot()), 1e-6), 1)
            spread = (-2 * log(r)).squareRoot() * period / (2 * Double.pi)
        }
        let color = Color(rgb: rgb, name: Palette.exactName(for: rgb))
        let object = SceneObject(shape: shape, color: color, position: pos, rotation: yaw)
        let side = Double(theta[0]) * Double(camera.width)
        let gc = SIMD2((Double(theta[2]) + 1) * Double(camera.width) / 2, (Double(theta[5]) + 1) * Double(camera.height) / 2)
        return InferredObject(object: object, presence: presence, shapeProbabilities: probs, positionStd: posStd,
                              rotationSpread: spread, colorStd: colorStd, glimpseCenter: gc, glimpseSide: side)
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

extension Double {
    fileprivate var clamped: Double { Swift.min(Swift.max(self, 0), 1) }
}
