import XCTest
import Foundation
import Scenes
@testable import AIR

final class EvaluationTests: XCTestCase {
    private func obj(_ shape: Shape, _ rgb: SIMD3<Double>, _ x: Double, _ y: Double, _ rot: Double, name: String? = nil) -> SceneObject {
        SceneObject(shape: shape, color: Color(rgb: rgb, name: name), position: [x, y], rotation: rot)
    }

    private let red: SIMD3<Double> = [0.85, 0.15, 0.15]
    private let green: SIMD3<Double> = [0.15, 0.70, 0.20]
    private let blue: SIMD3<Double> = [0.15, 0.30, 0.85]

    /// Three hand-made images; every figure below is worked out in the comments.
    private func handMadeEvaluation() -> Evaluation {
        var e = Evaluation()
        // A: two true objects, two predicted in the other order.
        //   t0 cube red (0,0) 10°  <->  p1 brick, exact red, (0.3,0.4) 95°: position 0.5, shape wrong,
        //      colour error 0, name right, rotation (cube period 90, the TRUE shape's) 85 -> 5°.
        //   t1 cylinder blue (1,0) <->  p0 cylinder (0.15,0.30,0.75) (1,0.3): position 0.3, shape right,
        //      colour error 0.1, name blue right, rotation left out (cylinder).
        //   The other pairing costs 1.044 + 0.806 > 0.8.
        e.add(truth: [obj(.cube, red, 0, 0, 10, name: "red"), obj(.cylinder, blue, 1, 0, 0)],
              predicted: [obj(.cylinder, [0.15, 0.30, 0.75], 1, 0.3, 77), obj(.brick, red, 0.3, 0.4, 95)],
              observed: Image(width: 1, height: 1, pixels: [0.5, 0.5, 0.5]),
              reconstruction: Image(width: 1, height: 1, pixels: [0.5, 0.6, 0.2]))   // MSE 0.1/3
        // B: one true wedge, two predicted (count wrong).
        //   t0 wedge green (0,0) 350°  <->  p0 wedge red (0,0.2) 10°: position 0.2, shape right,
        //      colour error sqrt(0.7² + 0.55² + 0.05²) = sqrt(0.795), name wrong, rotation 20°.
        //   p1 at (5,5) stays unmatched.
        e.add(truth: [obj(.wedge, green, 0, 0, 350)],
              predicted: [obj(.wedge, red, 0, 0.2, 10), obj(.cube, blue, 5, 5, 0)],
              observed: Image(width: 1, height: 1, pixels: [0, 0, 0]),
              reconstruction: Image(width: 1, height: 1, pixels: [1, 0, 0]))         // MSE 1/3
        // C: empty scene, predicted empty.
        e.add(truth: [], predicted: [])
        return e
    }

    func testPairsOfImageA() {
        let s = handMadeEvaluation().images[0]
        XCTAssertEqual(s.pairs.map(\.trueIndex), [0, 1])
        XCTAssertEqual(s.pairs.map(\.predictedIndex), [1, 0])
        XCTAssertEqual(s.pairs[0].positionError, 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.pairs[1].positionError, 0.3, accuracy: 1e-12)
        XCTAssertEqual(s.pairs.map(\.shapeCorrect), [false, true])
        XCTAssertEqual(s.pairs[0].rotationError!, 5, accuracy: 1e-12)
        XCTAssertNil(s.pairs[1].rotationError)
        XCTAssertEqual(s.pairs[1].colorRGBError, 0.1, accuracy: 1e-12)
        XCTAssertTrue(s.countCorrect)
    }

    func testOverallFigures() {
        let r = handMadeEvaluation().report(seconds: 1.5)
        let o = r.overall
        XCTAssertEqual(o.images, 3)
        XCTAssertEqual(o.countAccuracy!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(o.predictedCountMean!, 4.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.countConfusion, [[1, 0, 0], [0, 0, 1], [0, 0, 1]])
        XCTAssertEqual(o.matchedObjects, 3)
        XCTAssertEqual(o.shapeAccuracy!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(o.colorNameAccuracy!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(o.colorRGBErrorMean!, (0 + 0.1 + 0.795.squareRoot()) / 3, accuracy: 1e-12)
        XCTAssertEqual(o.colorRGBErrorMedian!, 0.1, accuracy: 1e-12)
        // Position errors {0.2, 0.3, 0.5}: p90 at rank 1.8 = 0.3 + 0.8 × 0.2.
        XCTAssertEqual(o.positionErrorMean!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(o.positionErrorMedian!, 0.3, accuracy: 1e-12)
        XCTAssertEqual(o.positionErrorP90!, 0.46, accuracy: 1e-12)
        // Rotation errors {5, 20} (the cylinder left out): p90 at rank 0.9 = 5 + 0.9 × 15.
        XCTAssertEqual(o.rotationPairs, 2)
        XCTAssertEqual(o.rotationErrorMeanDeg!, 12.5, accuracy: 1e-12)
        XCTAssertEqual(o.rotationErrorMedianDeg!, 12.5, accuracy: 1e-12)
        XCTAssertEqual(o.rotationErrorP90Deg!, 18.5, accuracy: 1e-12)
        XCTAssertEqual(o.reconstructionMSE!, (0.1 / 3 + 1.0 / 3) / 2, accuracy: 1e-7)
        XCTAssertEqual(r.imagesPerSecond!, 2, accuracy: 1e-12)
    }

    func testPerCountFigures() {
        let r = handMadeEvaluation().report()
        XCTAssertNil(r.imagesPerSecond)
        XCTAssertEqual(r.perCount.map(\.trueCount), [0, 1, 2])
        let zero = r.perCount[0], one = r.perCount[1], two = r.perCount[2]
        XCTAssertEqual(zero.images, 1)
        XCTAssertEqual(zero.countAccuracy, 1)
        XCTAssertEqual(zero.matchedObjects, 0)
        XCTAssertNil(zero.shapeAccuracy)
        XCTAssertNil(zero.positionErrorMean)
        XCTAssertNil(zero.rotationErrorMedianDeg)
        XCTAssertNil(zero.reconstructionMSE)

        XCTAssertEqual(one.countAccuracy, 0)
        XCTAssertEqual(one.predictedCountMean, 2)
        XCTAssertEqual(one.shapeAccuracy, 1)
        XCTAssertEqual(one.colorNameAccuracy, 0)
        XCTAssertEqual(one.positionErrorP90!, 0.2, accuracy: 1e-12)
        XCTAssertEqual(one.rotationErrorMeanDeg!, 20, accuracy: 1e-12)
        XCTAssertEqual(one.reconstructionMSE!, 1.0 / 3, accuracy: 1e-7)

        XCTAssertEqual(two.countAccuracy, 1)
        XCTAssertEqual(two.shapeAccuracy, 0.5)
        XCTAssertEqual(two.colorNameAccuracy, 1)
        XCTAssertEqual(two.positionErrorMean!, 0.4, accuracy: 1e-12)
        XCTAssertEqual(two.positionErrorP90!, 0.48, accuracy: 1e-12)   // 0.3 + 0.9 × 0.2
        XCTAssertEqual(two.rotationPairs, 1)
        XCTAssertEqual(two.rotationErrorP90Deg!, 5, accuracy: 1e-12)
    }

    func testColorNameUsesNearestPaletteEntry() {
        XCTAssertEqual(Palette.nearestName(to: [0.9, 0.1, 0.1]), "red")
        XCTAssertEqual(Palette.nearestName(to: [0.95, 0.55, 0.05]), "orange")
        XCTAssertEqual(Palette.nearestName(to: [1, 1, 1]), "white")
        for (name, rgb) in Palette.entries { XCTAssertEqual(Palette.nearestName(to: rgb), name) }
        // The truth's own palette name wins over its RGB's nearest name.
        let blue = SIMD3<Double>(0.2, 0.3, 0.9)
        let named = SceneObject(shape: .cube, color: Color(rgb: blue, name: "cyan"), position: .zero)
        let unnamed = SceneObject(shape: .cube, color: Color(rgb: blue), position: .zero)
        let predicted = SceneObject(shape: .cube, color: Color(rgb: blue), position: .zero)
        XCTAssertFalse(ImageScore(truth: [named], predicted: [predicted]).pairs[0].colorNameCorrect)
        XCTAssertTrue(ImageScore(truth: [unnamed], predicted: [predicted]).pairs[0].colorNameCorrect)
    }

    func testJSONHasStableSnakeCaseKeysAndRoundTrips() throws {
        let r = handMadeEvaluation().report(seconds: 3)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(r)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for key in ["count_accuracy", "count_confusion", "shape_accuracy", "color_name_accuracy", "color_rgb_error_mean",
                    "position_error_mean", "position_error_median", "position_error_p90", "rotation_error_median_deg",
                    "rotation_error_mean_deg", "rotation_error_p90_deg", "reconstruction_mse", "images_per_second",
                    "images", "per_count"] {
            XCTAssertNotNil(object[key], "missing \(key)")
        }
        XCTAssertNil(object["true_count"])
        let perCount = object["per_count"] as! [[String: Any]]
        XCTAssertEqual(perCount.count, 3)
        // Empty statistics are present as null, so every entry has the same keys.
        XCTAssertTrue(perCount[0]["shape_accuracy"] is NSNull)
        XCTAssertEqual(Set(perCount[0].keys), Set(perCount[2].keys))
        XCTAssertEqual(try JSONDecoder().decode(EvaluationReport.self, from: data), r)
        // No timing: the key is still there, as null.
        let untimed = try JSONSerialization.jsonObject(with: encoder.encode(handMadeEvaluation().report())) as! [String: Any]
        XCTAssertTrue(untimed["images_per_second"] is NSNull)
    }

    func testEmptyEvaluationEncodes() throws {
        let r = Evaluation().report(seconds: 1)
        XCTAssertEqual(r.overall.images, 0)
        XCTAssertNil(r.overall.countAccuracy)
        XCTAssertEqual(r.countConfusion, [[0]])
        XCTAssertNoThrow(try JSONEncoder().encode(r))
        XCTAssertFalse(r.summary.isEmpty)
    }

    func testSummaryShowsFigures() {
        let text = handMadeEvaluation().report(seconds: 1.5).summary
        XCTAssertTrue(text.contains("count accuracy 0.667"), text)
        XCTAssertTrue(text.contains("(2.0 images/s)"), text)
        XCTAssertTrue(text.contains("p90 0.460"), text)
        XCTAssertTrue(text.contains("median 12.5"), text)
        // Confusion row for true count 1: one image predicted as 2.
        XCTAssertTrue(text.contains("   1   0   0   1"), text)
    }

    func testQuantilesByHand() {
        XCTAssertNil(SampleStatistics.median([]))
        XCTAssertEqual(SampleStatistics.median([3]), 3)
        XCTAssertEqual(SampleStatistics.median([4, 1, 3, 2]), 2.5)
        XCTAssertEqual(SampleStatistics.quantile([10, 0, 20, 30, 40], 0.9)!, 36, accuracy: 1e-12)  // rank 3.6
        XCTAssertEqual(SampleStatistics.quantile([1, 2], 1), 2)
        XCTAssertEqual(SampleStatistics.quantile([1, 2], 0), 1)
    }
}
