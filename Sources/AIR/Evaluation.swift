import Scenes

/// How one predicted object compares with the true object it was matched to.
public struct PairScore: Equatable, Sendable {
    public var trueIndex: Int
    public var predictedIndex: Int
    public var trueShape: Shape
    /// Euclidean distance between the (x, y) positions, in scene units.
    public var positionError: Double
    public var shapeCorrect: Bool
    /// Euclidean distance between the RGB albedos.
    public var colorRGBError: Double
    /// Whether the predicted RGB's nearest palette name is the true colour's name.
    public var colorNameCorrect: Bool
    /// Yaw error in degrees modulo the TRUE shape's symmetry period, also when the predicted
    /// shape differs (the truth fixes which poses are equivalent); nil for a true cylinder,
    /// whose yaw is not identifiable.
    public var rotationError: Double?
}

/// One image's score: its counts, its matched pairs and optionally its reconstruction error.
public struct ImageScore: Equatable, Sendable {
    public var trueCount: Int
    public var predictedCount: Int
    /// min(trueCount, predictedCount) pairs, matched by the Hungarian method on position
    /// distance, sorted by true index. Unmatched objects only affect the count.
    public var pairs: [PairScore]
    /// Mean squared error over every pixel channel between the observed image and the
    /// rendering of the prediction, when both were given.
    public var reconstructionMSE: Double?

    public var countCorrect: Bool { trueCount == predictedCount }

    public init(truth: [SceneObject], predicted: [SceneObject], observed: Image? = nil, reconstruction: Image? = nil) {
        trueCount = truth.count
        predictedCount = predicted.count
        let cost = truth.map { t in predicted.map { p in Self.distance(t.position, p.position) } }
        pairs = Matching.minimumCostAssignment(cost).map { pair in
            let t = truth[pair.row], p = predicted[pair.column]
            let d = p.color.rgb - t.color.rgb
            return PairScore(
                trueIndex: pair.row,
                predictedIndex: pair.column,
                trueShape: t.shape,
                positionError: cost[pair.row][pair.column],
                shapeCorrect: p.shape == t.shape,
                colorRGBError: (d * d).sum().squareRoot(),
                colorNameCorrect: Palette.nearestName(to: p.color.rgb) == (t.color.name ?? Palette.nearestName(to: t.color.rgb)),
                rotationError: Angles.error(predicted: p.rotation, truth: t.rotation, shape: t.shape))
        }
        if let observed, let reconstruction {
            reconstructionMSE = Self.meanSquaredError(observed, reconstruction)
        }
    }

    private static func distance(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
        let d = a - b
        return (d * d).sum().squareRoot()
    }

    /// Mean over every pixel channel of the squared difference, accumulated in Double.
    public static func meanSquaredError(_ a: Image, _ b: Image) -> Double {
        precondition(a.width == b.width && a.height == b.height, "images of different sizes")
        var sum = 0.0
        for i in 0..<a.pixels.count {
            let d = Double(a.pixels[i]) - Double(b.pixels[i])
            sum += d * d
        }
        return a.pixels.isEmpty ? 0 : sum / Double(a.pixels.count)
    }
}

/// Accumulates image scores over a data set and summarises them as an `EvaluationReport`.
public struct Evaluation: Sendable {
    public private(set) var images: [ImageScore] = []
    /// (confidence, real) of every reported object, once readings came with confidences.
    public private(set) var confidences: [(confidence: Double, real: Bool)]?

    public init() {}

    public mutating func add(_ score: ImageScore) { images.append(score) }

    /// Scores one image: true objects against predicted ones, and optionally the observed
    /// image against the rendering of the prediction.
    public mutating func add(truth: [SceneObject], predicted: [SceneObject],
                             observed: Image? = nil, reconstruction: Image? = nil) {
        add(ImageScore(truth: truth, predicted: predicted, observed: observed, reconstruction: reconstruction))
    }

    /// The same, recording each predicted object's confidence and whether it is real (matched to
    /// a true object within `ConfidenceCalibration.matchDistance`).
    public mutating func add(truth: [SceneObject], predicted: [SceneObject], confidences: [Double],
                             observed: Image? = nil, reconstruction: Image? = nil) {
        let score = ImageScore(truth: truth, predicted: predicted, observed: observed, reconstruction: reconstruction)
        add(score)
        var recorded = self.confidences ?? []
        for (k, c) in confidences.enumerated() {
            let real = score.pairs.contains { $0.predictedIndex == k && $0.positionError <= ConfidenceCalibration.matchDistance }
            recorded.append((c, real))
        }
        self.confidences = recorded
    }

    /// The report over every image added. `seconds`, the time inference took for them,
    /// gives `images_per_second`.
    public func report(seconds: Double? = nil) -> EvaluationReport {
        let maxCount = images.map { max($0.trueCount, $0.predictedCount) }.max() ?? 0
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: maxCount + 1), count: maxCount + 1)
        for s in images { confusion[s.trueCount][s.predictedCount] += 1 }
        let perCount = Set(images.map(\.trueCount)).sorted().map { n in
            EvaluationMetrics(images.filter { $0.trueCount == n }, trueCount: n)
        }
        var rate: Double?
        if let seconds, seconds > 0 { rate = Double(images.count) / seconds }
        var report = EvaluationReport(overall: EvaluationMetrics(images, trueCount: nil),
                                      countConfusion: confusion, imagesPerSecond: rate, perCount: perCount)
        if let confidences { report.calibration = CalibrationReport(confidences) }
        let pairs = images.flatMap(\.pairs)
        report.perShape = Shape.allCases.map { shape in
            ShapeErrors(shape: shape, pairs: pairs.filter { $0.trueShape == shape })
        }
        return report
    }
}

extension EvaluationMetrics {
    /// The metrics of a group of images (all of them, or those with one true count).
    init(_ group: [ImageScore], trueCount: Int?) {
        let pairs = group.flatMap(\.pairs)
        let positions = pairs.map(\.positionError)
        let colors = pairs.map(\.colorRGBError)
        let rotations = pairs.compactMap(\.rotationError)
        let reconstructions = group.compactMap(\.reconstructionMSE)
        self.init(
            trueCount: trueCount,
            images: group.count,
            countAccuracy: SampleStatistics.fraction(group.map(\.countCorrect)),
            predictedCountMean: SampleStatistics.mean(group.map { Double($0.predictedCount) }),
            matchedObjects: pairs.count,
            shapeAccuracy: SampleStatistics.fraction(pairs.map(\.shapeCorrect)),
            colorNameAccuracy: SampleStatistics.fraction(pairs.map(\.colorNameCorrect)),
            colorRGBErrorMean: SampleStatistics.mean(colors),
            colorRGBErrorMedian: SampleStatistics.median(colors),
            positionErrorMean: SampleStatistics.mean(positions),
            positionErrorMedian: SampleStatistics.median(positions),
            positionErrorP90: SampleStatistics.quantile(positions, 0.9),
            rotationPairs: rotations.count,
            rotationErrorMeanDeg: SampleStatistics.mean(rotations),
            rotationErrorMedianDeg: SampleStatistics.median(rotations),
            rotationErrorP90Deg: SampleStatistics.quantile(rotations, 0.9),
            reconstructionMSE: SampleStatistics.mean(reconstructions))
    }
}
