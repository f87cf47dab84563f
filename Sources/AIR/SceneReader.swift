import Scenes

/// One object of a reading, with the confidence reported to the user.
public struct ReadObject: Sendable {
    public var object: SceneObject
    /// P(the object is real): calibrated when the model carries a calibration, else the
    /// network's presence probability.
    public var confidence: Double
    /// The network's presence probability; nil for an object that refinement added.
    public var presence: Double?
    /// Log-likelihood ratio of the scene with and without the object (nats).
    public var evidence: Double
    /// The image's noise level the evidence was measured with.
    public var noise: Double
    /// How many pixels of the reading it changes (`SceneReader.changedPixels`), for an object
    /// the reading added (presence nil); nil for the network's own.
    public var pixels: Int? = nil
    /// The network's reading of it (shape probabilities, spreads, glimpse), when it made one.
    public var amortized: InferredObject?
}

/// What the system says about one image.
public struct Reading: Sendable {
    /// The network's own reading.
    public var inferred: InferredScene
    /// The final scene (refined, or the network's), its objects with confidences.
    public var scene: Scene
    public var objects: [ReadObject]
    /// Objects the network proposed (or refinement kept) whose confidence fell below the
    /// reader's threshold: not part of `scene`, listed for the curious.
    public var rejected: [ReadObject] = []
    public var refinement: RefinementReport?
    /// The object of a step that stopped in doubt, weighed (`SceneReader.weigh`); part of
    /// `objects` when its confidence reached ½.
    public var doubtful: ReadObject? = nil
}

/// Reads images: the amortized network, optionally render-and-compare refinement, and a
/// confidence for every reported object. The one entry point of `infer`, `eval`, `calibrate`
/// and `demo`.
public final class SceneReader {
    public let network: GuideNetwork
    public let inferrer: Inferrer
    public let refiner: Refiner
    public let refine: Bool
    /// Without refinement: look again for blocks the network stopped before (`lookAgain`) and
    /// where it read one block for two (`relook`), with at most this many renders per search;
    /// nil: no.
    public var lookAgainRenders: Int? = nil
    /// Objects below this calibrated confidence are not reported (only with a calibrated model).
    /// 0 by default: on clean scenes a threshold of 0.5 lowered count accuracy from 97.8 % to
    /// 96.6 % (a misread real object is as weak as a phantom), while raising shape accuracy.
    public var minimumConfidence = 0.0
    /// The look-again keeps a birth at least this confident (0 when births are gathered to
    /// calibrate them, `ConfidenceCalibration.fitBirths`).
    var birthConfidenceFloor = 0.5
    /// Whether the look-again is followed by the relook (`relook`). Not when births are gathered
    /// at floor 0: there the relook would replace the network's blocks with births the reading
    /// refuses, and the sample would not be the reading's.
    var relooks = true

    /// Steps that stop in doubt (presence in (`doubtFloor`, 0.5]) still read their object; with a
    /// calibrated model it is reported when its calibrated confidence — the pixels' evidence for
    /// it weighed with the network's doubt — is at least ½ (`Reading.doubtful` either way).
    public var doubtFloor: Double? {
        get { inferrer.doubtFloor }
        set { inferrer.doubtFloor = newValue }
    }

    public init(network: GuideNetwork, refine: Bool, refinement: RefinementOptions = RefinementOptions()) throws {
        self.network = network
        self.refine = refine
        inferrer = try Inferrer(network: network)
        inferrer.doubtFloor = 0.1
        var options = refinement
        // A model of a set-up with a fixed lamp knows its light (`ModelConfig.worldLight`).
        if network.config.worldLight != nil { options.lightMoves = false }
        refiner = Refiner(config: network.config, options: options)
    }

    /// Images of the model's size.
    public func read(_ images: [Image], batchSize: Int = 64) throws -> [Reading] {
        let inferred = try inferrer.infer(images, batchSize: batchSize)
        return try zip(images, inferred).map { try finish($0, $1) }
    }

    func finish(_ image: Image, _ read: InferredScene) throws -> Reading {
        var s = read
        let doubtful = try weigh(image, s)
        if let d = doubtful, d.confidence >= 0.5, let a = d.amortized {
            s.objects.append(a)
            s.scene.objects.append(a.object)
        }
        var scene = s.scene
        var report: RefinementReport?
        var weighed: Refiner.Weighing?
        if refine {
            (scene, report) = try refiner.refine(image, start: s.scene)
        } else {
            // Without the look-again no birth follows to find a block dropped wrongly.
            scene = try refiner.separated(image, scene, copiesOnly: lookAgainRenders == nil)
            if let budget = lookAgainRenders {
                let read = scene
                scene = try lookAgain(image, read, renders: budget)
                if relooks { (scene, weighed) = try relook(image, read: read, looked: scene, renders: budget) }
            }
        }
        let w = try weighed ?? refiner.weigh(image, scene: scene, of: Array(scene.objects.indices))
        // Which of the network's objects each final object is (refinement may add, remove and move).
        let source = Matching.partners(of: scene.objects.map(\.position), among: s.objects.map(\.object.position),
                                       within: ConfidenceCalibration.matchDistance)
        let calibration = network.config.calibration
        let objects = scene.objects.enumerated().map { k, o -> ReadObject in
            let amortized = source[k].map { s.objects[$0] }
            let presence = amortized?.presence
            let f = ConfidenceCalibration.features(presence: presence, evidence: w.evidence[k], noise: w.sigma)
            // Only a block the reading added is weighed by its pixels (the births' map).
            let pixels = presence == nil ? SceneReader.changedPixels(with: w.rendered, without: w.without[k]) : nil
            // A block the look-again added has the features of one refinement added, and the
            // births' map when the model has one.
            let confidence = (refine ? calibration?.confidence(f, refined: true)
                : presence == nil ? calibration?.birthConfidence(evidence: w.evidence[k], noise: w.sigma, pixels: pixels ?? 0)
                : calibration?.confidence(f, refined: false)) ?? presence ?? 0.5
            return ReadObject(object: o, confidence: confidence, presence: presence, evidence: w.evidence[k], noise: w.sigma,
                              pixels: pixels, amortized: amortized)
        }
        guard calibration != nil else { return Reading(inferred: s, scene: scene, objects: objects, refinement: report, doubtful: doubtful) }
        let kept = objects.filter { $0.confidence >= minimumConfidence }
        var reported = scene
        reported.objects = kept.map(\.object)
        return Reading(inferred: s, scene: reported, objects: kept,
                       rejected: objects.filter { $0.confidence < minimumConfidence }, refinement: report, doubtful: doubtful)
    }

    /// The doubtful step's object with its evidence (the scene with it against the scene
    /// without) and calibrated confidence; 0 where it cannot stand (off the table area, its
    /// footprint overlapping one found before, or its evidence negative). Nil without a
    /// doubtful reading.
    func weigh(_ image: Image, _ s: InferredScene) throws -> ReadObject? {
        guard let d = s.doubtful else { return nil }
        let half = network.config.tableHalfWidth
        let fits = abs(d.object.position.x) <= half && abs(d.object.position.y) <= half
            && !s.scene.objects.contains { Footprint.overlap($0, d.object, gap: Search.separationGap) }
        var with = s.scene
        with.objects.append(d.object)
        // Only the doubtful object's evidence: two renders, not one per object.
        let (evidence, sigma) = try refiner.evidenceAndNoise(image, scene: with, of: [with.objects.count - 1])
        let e = evidence[0]
        let f = ConfidenceCalibration.features(presence: d.presence, evidence: e, noise: sigma)
        // Pixels that speak against it (negative evidence) rule it out whatever the calibration
        // says: with readings checked against the image, the calibration meets few such.
        let confidence = fits && e > 0 ? network.config.calibration?.confidence(f, refined: false) ?? d.presence : 0
        return ReadObject(object: d.object, confidence: confidence, presence: d.presence, evidence: e, noise: sigma, amortized: d)
    }

    /// Brings an image to the model's view: the same aspect ratio is area-resampled (`resized`
    /// says so), another is an error naming `name`; a model that knows its table's texture
    /// divides it out (`TableTexture.flattened`).
    public static func fit(_ image: Image, name: String, config: ModelConfig) throws -> (image: Image, resized: Bool) {
        var fitted = image, resized = false
        if image.width != config.width || image.height != config.height {
            guard image.hasAspect(width: config.width, height: config.height) else {
                throw TrainingError.unsupported("\(name): image is \(image.width)x\(image.height); the model reads \(config.width)x\(config.height) and accepts any size of that aspect ratio (\(config.width):\(config.height))")
            }
            fitted = image.areaResampled(width: config.width, height: config.height)
            resized = true
        }
        if let t = config.tableTexture { fitted = TableTexture.flattened(fitted, by: t) }
        return (fitted, resized)
    }
}
