import Foundation
import Scenes

/// The scores of one group of images (all of them, or those with one true count).
/// A statistic over an empty set (no images, no matched pairs, no non-cylinder pair, no
/// reconstructions) is nil, written as JSON null.
public struct EvaluationMetrics: Codable, Equatable, Sendable {
    /// The group's true object count; nil for the whole data set.
    public var trueCount: Int?
    public var images: Int
    /// Fraction of images whose predicted count equals the true count.
    public var countAccuracy: Double?
    public var predictedCountMean: Double?
    /// Matched (true, predicted) pairs: min(true count, predicted count) per image.
    public var matchedObjects: Int
    /// Over matched pairs.
    public var shapeAccuracy: Double?
    public var colorNameAccuracy: Double?
    public var colorRGBErrorMean: Double?
    public var colorRGBErrorMedian: Double?
    /// Scene units.
    public var positionErrorMean: Double?
    public var positionErrorMedian: Double?
    public var positionErrorP90: Double?
    /// Matched pairs whose true shape has an identifiable yaw (not cylinders).
    public var rotationPairs: Int
    /// Degrees, modulo the true shape's symmetry period.
    public var rotationErrorMeanDeg: Double?
    public var rotationErrorMedianDeg: Double?
    public var rotationErrorP90Deg: Double?
    /// Mean over images (that supplied images) of their per-channel mean squared error.
    public var reconstructionMSE: Double?

    public init(trueCount: Int?, images: Int, countAccuracy: Double?, predictedCountMean: Double?,
                matchedObjects: Int, shapeAccuracy: Double?, colorNameAccuracy: Double?,
                colorRGBErrorMean: Double?, colorRGBErrorMedian: Double?,
                positionErrorMean: Double?, positionErrorMedian: Double?, positionErrorP90: Double?,
                rotationPairs: Int, rotationErrorMeanDeg: Double?, rotationErrorMedianDeg: Double?,
                rotationErrorP90Deg: Double?, reconstructionMSE: Double?) {
        self.trueCount = trueCount
        self.images = images
        self.countAccuracy = countAccuracy
        self.predictedCountMean = predictedCountMean
        self.matchedObjects = matchedObjects
        self.shapeAccuracy = shapeAccuracy
        self.colorNameAccuracy = colorNameAccuracy
        self.colorRGBErrorMean = colorRGBErrorMean
        self.colorRGBErrorMedian = colorRGBErrorMedian
        self.positionErrorMean = positionErrorMean
        self.positionErrorMedian = positionErrorMedian
        self.positionErrorP90 = positionErrorP90
        self.rotationPairs = rotationPairs
        self.rotationErrorMeanDeg = rotationErrorMeanDeg
        self.rotationErrorMedianDeg = rotationErrorMedianDeg
        self.rotationErrorP90Deg = rotationErrorP90Deg
        self.reconstructionMSE = reconstructionMSE
    }

    enum CodingKeys: String, CodingKey {
        case trueCount = "true_count"
        case images
        case countAccuracy = "count_accuracy"
        case predictedCountMean = "predicted_count_mean"
        case matchedObjects = "matched_objects"
        case shapeAccuracy = "shape_accuracy"
        case colorNameAccuracy = "color_name_accuracy"
        case colorRGBErrorMean = "color_rgb_error_mean"
        case colorRGBErrorMedian = "color_rgb_error_median"
        case positionErrorMean = "position_error_mean"
        case positionErrorMedian = "position_error_median"
        case positionErrorP90 = "position_error_p90"
        case rotationPairs = "rotation_pairs"
        case rotationErrorMeanDeg = "rotation_error_mean_deg"
        case rotationErrorMedianDeg = "rotation_error_median_deg"
        case rotationErrorP90Deg = "rotation_error_p90_deg"
        case reconstructionMSE = "reconstruction_mse"
    }

    /// Every key is always written (null when empty) so the JSON has a stable set of keys;
    /// `true_count` only in per-count entries.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(trueCount, forKey: .trueCount)
        try c.encode(images, forKey: .images)
        try c.encode(countAccuracy, forKey: .countAccuracy)
        try c.encode(predictedCountMean, forKey: .predictedCountMean)
        try c.encode(matchedObjects, forKey: .matchedObjects)
        try c.encode(shapeAccuracy, forKey: .shapeAccuracy)
        try c.encode(colorNameAccuracy, forKey: .colorNameAccuracy)
        try c.encode(colorRGBErrorMean, forKey: .colorRGBErrorMean)
        try c.encode(colorRGBErrorMedian, forKey: .colorRGBErrorMedian)
        try c.encode(positionErrorMean, forKey: .positionErrorMean)
        try c.encode(positionErrorMedian, forKey: .positionErrorMedian)
        try c.encode(positionErrorP90, forKey: .positionErrorP90)
        try c.encode(rotationPairs, forKey: .rotationPairs)
        try c.encode(rotationErrorMeanDeg, forKey: .rotationErrorMeanDeg)
        try c.encode(rotationErrorMedianDeg, forKey: .rotationErrorMedianDeg)
        try c.encode(rotationErrorP90Deg, forKey: .rotationErrorP90Deg)
        try c.encode(reconstructionMSE, forKey: .reconstructionMSE)
    }
}

/// An evaluation's result: the overall metrics (at the top level of the JSON), the count
/// confusion matrix, the throughput, and the metrics per true count.
public struct EvaluationReport: Codable, Equatable, Sendable {
    public var overall: EvaluationMetrics
    /// countConfusion[true count][predicted count] = number of images; square, sized by the
    /// largest count seen plus one.
    public var countConfusion: [[Int]]
    public var imagesPerSecond: Double?
    /// One entry per true count present, in increasing count.
    public var perCount: [EvaluationMetrics]
    /// Reliability of the reported objects' confidences (when the readings carried them).
    public var calibration: CalibrationReport?
    /// Per true shape: shape accuracy and histograms of the position and yaw errors.
    public var perShape: [ShapeErrors]?
    /// The worst-read images with their overlays (`air eval --json`), for reports.
    public var worst: [WorstImage]?
    /// BOP's average recalls (MSSD, MSPD, VSD), overall and broken down.
    public var bop: BOPReport?

    public init(overall: EvaluationMetrics, countConfusion: [[Int]], imagesPerSecond: Double?, perCount: [EvaluationMetrics]) {
        self.overall = overall
        self.countConfusion = countConfusion
        self.imagesPerSecond = imagesPerSecond
        self.perCount = perCount
    }

    enum CodingKeys: String, CodingKey {
        case countConfusion = "count_confusion"
        case imagesPerSecond = "images_per_second"
        case perCount = "per_count"
        case calibration
        case perShape = "per_shape"
        case worst
        case bop
    }

    public init(from decoder: Decoder) throws {
        overall = try EvaluationMetrics(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        countConfusion = try c.decode([[Int]].self, forKey: .countConfusion)
        imagesPerSecond = try c.decodeIfPresent(Double.self, forKey: .imagesPerSecond)
        perCount = try c.decode([EvaluationMetrics].self, forKey: .perCount)
        calibration = try c.decodeIfPresent(CalibrationReport.self, forKey: .calibration)
        perShape = try c.decodeIfPresent([ShapeErrors].self, forKey: .perShape)
        worst = try c.decodeIfPresent([WorstImage].self, forKey: .worst)
        bop = try c.decodeIfPresent(BOPReport.self, forKey: .bop)
    }

    /// The overall metrics' keys and ours share one JSON object.
    public func encode(to encoder: Encoder) throws {
        try overall.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(countConfusion, forKey: .countConfusion)
        try c.encode(imagesPerSecond, forKey: .imagesPerSecond)
        try c.encode(perCount, forKey: .perCount)
        try c.encodeIfPresent(calibration, forKey: .calibration)
        try c.encodeIfPresent(perShape, forKey: .perShape)
        try c.encodeIfPresent(worst, forKey: .worst)
        try c.encodeIfPresent(bop, forKey: .bop)
    }

    /// A few lines for a terminal: overall figures, the confusion matrix, then one line per count.
    public var summary: String {
        func f(_ v: Double?, _ digits: Int = 3) -> String {
            guard let v else { return "-" }
            return String(format: "%.\(digits)f", v)
        }
        let o = overall
        var lines: [String] = []
        var head = "images \(o.images)  count accuracy \(f(o.countAccuracy))"
        if let r = imagesPerSecond { head += "  (\(f(r, 1)) images/s)" }
        lines.append(head)
        lines.append("matched objects \(o.matchedObjects): shape accuracy \(f(o.shapeAccuracy)), colour name accuracy \(f(o.colorNameAccuracy)), colour RGB error mean \(f(o.colorRGBErrorMean)) median \(f(o.colorRGBErrorMedian))")
        lines.append("position error (units): mean \(f(o.positionErrorMean)) median \(f(o.positionErrorMedian)) p90 \(f(o.positionErrorP90))")
        lines.append("rotation error (deg, modulo symmetry, \(o.rotationPairs) non-cylinder pairs): mean \(f(o.rotationErrorMeanDeg, 1)) median \(f(o.rotationErrorMedianDeg, 1)) p90 \(f(o.rotationErrorP90Deg, 1))")
        if o.reconstructionMSE != nil { lines.append("reconstruction MSE \(f(o.reconstructionMSE, 5))") }
        lines.append("count confusion (rows: true count, columns: predicted count):")
        let width = max(4, String(countConfusion.flatMap { $0 }.max() ?? 0).count + 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        lines.append(pad("") + countConfusion.indices.map { pad(String($0)) }.joined())
        for (n, row) in countConfusion.enumerated() {
            lines.append(pad(String(n)) + row.map { pad(String($0)) }.joined())
        }
        if let cal = calibration {
            lines.append("confidence calibration over \(cal.objects) reported objects: expected calibration error \(f(cal.expectedCalibrationError, 4))")
            lines.append("  confidence bin   objects  mean confidence  fraction real")
            for b in cal.bins where b.objects > 0 {
                lines.append(String(format: "  [%.1f, %.1f)  %9d  %15.3f  %13.3f", b.low, b.high, b.objects, b.meanConfidence ?? 0, b.accuracy ?? 0))
            }
        }
        if let b = bop {
            let o = b.overall
            lines.append("BOP average recall over \(o.objects) true objects: AR \(f(o.ar)) (MSSD \(f(o.arMSSD)), MSPD \(f(o.arMSPD)), VSD \(f(o.arVSD)))")
            for (name, r) in b.perShape.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(name): \(r.objects) objects, AR \(f(r.ar)) (MSSD \(f(r.arMSSD)), MSPD \(f(r.arMSPD)), VSD \(f(r.arVSD)))")
            }
        }
        lines.append("per true count:")
        for m in perCount {
            lines.append("  \(m.trueCount ?? -1): images \(m.images), count acc \(f(m.countAccuracy)), mean predicted \(f(m.predictedCountMean, 2)), shape \(f(m.shapeAccuracy)), colour name \(f(m.colorNameAccuracy)), position median \(f(m.positionErrorMedian)), rotation median \(f(m.rotationErrorMedianDeg, 1))")
        }
        return lines.joined(separator: "\n")
    }
}

/// The errors of the matched objects of one true shape, as histograms over fixed edges.
public struct ShapeErrors: Codable, Equatable, Sendable {
    public var shape: String
    public var pairs: Int
    public var shapeAccuracy: Double?
    /// Position error (scene units) bin edges; the last bin is [last edge, ∞).
    public static let positionEdges = [0, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    /// Yaw error (degrees, modulo symmetry) bin edges; the last bin is [last edge, ∞).
    public static let rotationEdges = [0.0, 0.25, 0.5, 1, 2, 5, 10, 20, 45]
    public var positionHistogram: [Int]
    /// Empty for cylinders (no identifiable yaw).
    public var rotationHistogram: [Int]

    enum CodingKeys: String, CodingKey {
        case shape, pairs
        case shapeAccuracy = "shape_accuracy"
        case positionHistogram = "position_histogram"
        case rotationHistogram = "rotation_histogram"
    }

    public init(shape: Shape, pairs: [PairScore]) {
        self.shape = shape.name
        self.pairs = pairs.count
        shapeAccuracy = SampleStatistics.fraction(pairs.map(\.shapeCorrect))
        positionHistogram = ShapeErrors.histogram(pairs.map(\.positionError), edges: ShapeErrors.positionEdges)
        let rotations = pairs.compactMap(\.rotationError)
        rotationHistogram = rotations.isEmpty ? [] : ShapeErrors.histogram(rotations, edges: ShapeErrors.rotationEdges)
    }

    /// counts[i] = values in [edges[i], edges[i + 1]) (the last bin open above).
    public static func histogram(_ values: [Double], edges: [Double]) -> [Int] {
        var counts = [Int](repeating: 0, count: edges.count)
        for v in values {
            guard let i = edges.lastIndex(where: { $0 <= v }) else { continue }
            counts[i] += 1
        }
        return counts
    }
}

/// One of the worst-read images of an evaluation.
public struct WorstImage: Codable, Equatable, Sendable {
    public var image: String
    public var trueCount: Int
    public var predictedCount: Int
    /// 10 · |count error| + wrong shapes + Σ position errors (units): what ranks them.
    public var badness: Double
    /// The overlay (input | reconstruction, glimpses boxed) as a base64 PNG.
    public var overlayPNG: String

    public init(image: String, trueCount: Int, predictedCount: Int, badness: Double, overlayPNG: String) {
        self.image = image
        self.trueCount = trueCount
        self.predictedCount = predictedCount
        self.badness = badness
        self.overlayPNG = overlayPNG
    }

    enum CodingKeys: String, CodingKey {
        case image, badness
        case trueCount = "true_count"
        case predictedCount = "predicted_count"
        case overlayPNG = "overlay_png"
    }

    public static func badness(_ s: ImageScore) -> Double {
        10 * Double(abs(s.trueCount - s.predictedCount)) + Double(s.pairs.filter { !$0.shapeCorrect }.count)
            + s.pairs.map(\.positionError).reduce(0, +)
    }
}
