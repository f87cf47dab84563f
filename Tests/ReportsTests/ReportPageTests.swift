import AIR
import Foundation
import Scenes
import XCTest
@testable import Reports

final class ReportPageTests: XCTestCase {
    /// A hand-made evaluation: the page holds every part, with the numbers it was given.
    func testEvaluationPageShowsEveryPart() throws {
        var e = Evaluation()
        let cube = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.85, 0.15, 0.15)), position: SIMD2(0, 0), rotation: 10)
        var moved = cube
        moved.position.x += 0.03
        e.add(truth: [cube], predicted: [moved], confidences: [0.9])
        e.add(truth: [cube], predicted: [cube, moved], confidences: [0.95, 0.2])
        var r = e.report()
        r.bop = BOPReport(overall: BOPRecall(objects: 3, arMSSD: 0.5, arMSPD: 0.25, arVSD: 0.75, ar: 0.5),
                          perShape: ["cube": BOPRecall(objects: 3, arMSSD: 0.5, arMSPD: 0.25, arVSD: 0.75, ar: 0.5)],
                          perTrueCount: [:], perVisibleFraction: [:])
        r.worst = [WorstImage(image: "images/000001.png", trueCount: 1, predictedCount: 2, badness: 10, overlayPNG: "AAAA")]
        // Through JSON and back, as `air report EVAL.json` reads it.
        let encoded = try JSONEncoder().encode(r)
        let back = try JSONDecoder().decode(EvaluationReport.self, from: encoded)
        XCTAssertEqual(back, r)
        let html = ReportPage.evaluation(back, title: "t")
        XCTAssert(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertEqual(r.perShape?.first { $0.shape == "cube" }?.positionHistogram, [1, 0, 0, 0, 1, 0, 0, 0, 0])
        XCTAssert(html.contains("50.0 %"), "count accuracy 1 of 2")
        XCTAssert(html.contains("reliability"))
        XCTAssert(html.contains("BOP average recall") && html.contains("0.250"))
        XCTAssert(html.contains("cube: position error"))
        XCTAssert(html.contains("data:image/png;base64,AAAA"))
        XCTAssertFalse(html.contains("<script"), "no script")
        XCTAssertFalse(html.contains("http://") && html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"), "no network")
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "<svg").count - 1, 4)
    }

    /// Curves against step and against wall time; a line that is not metrics is an error naming it.
    func testTrainingPageHasCurvesAndRefusesGarbage() throws {
        let lines = (1...6).map { s in
            #"{"step":\#(s * 50),"objective":"sleep","loss":\#(10.0 / Double(s)),"gradient_norm":1,"learning_rate":0.001,"images_per_second":500,"elapsed_seconds":\#(Double(s) * 3.5)\#(s % 2 == 0 ? #","held_out_count_accuracy":0.\#(5 + s)"# : "")}"#
        }
        let html = try ReportPage.training(metricsJSONL: lines.joined(separator: "\n"), title: "run")
        XCTAssert(html.contains("wall time (minutes)"))
        XCTAssert(html.contains("held-out accuracy"))
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "<polyline").count - 1, 4)
        XCTAssertThrowsError(try ReportPage.training(metricsJSONL: lines[0] + "\nnot json", title: "run")) {
            XCTAssert("\($0)".contains("line 2"))
        }
    }
}
