import AIR
import Foundation

/// One self-contained HTML page (inline SVG and CSS, images as data URIs: no script, no
/// network) for a training run or an evaluation.
public enum ReportPage {
    /// A training run's curves from its metrics.jsonl text: the loss, the ELBO, held-out count
    /// and shape accuracy, position and yaw error, against step and against wall time.
    public static func training(metricsJSONL text: String, title: String) throws -> String {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var rows: [TrainingMetrics] = []
        for (n, line) in text.split(separator: "\n").enumerated() where !line.allSatisfy(\.isWhitespace) {
            do { rows.append(try decoder.decode(TrainingMetrics.self, from: Data(line.utf8))) } catch {
                throw ReportError(message: "\(title): line \(n + 1) is not a metrics line (\(error))")
            }
        }
        guard !rows.isEmpty else { throw ReportError(message: "\(title): no metrics logged yet") }
        func curve(_ key: (TrainingMetrics) -> Double?, x: (TrainingMetrics) -> Double?) -> [(Double, Double)] {
            rows.compactMap { m in
                guard let v = key(m), let xv = x(m) else { return nil }
                return (xv, v)
            }
        }
        let step = { (m: TrainingMetrics) -> Double? in Double(m.step) }
        let minutes = { (m: TrainingMetrics) -> Double? in m.elapsedSeconds.map { $0 / 60 } }
        let hasTime = rows.contains { $0.elapsedSeconds != nil }
        var charts: [String] = []
        for (label, x) in [("step", step)] + (hasTime ? [("wall time (minutes)", minutes)] : []) {
            charts.append(SVG.lineChart(title: "training loss", xLabel: label, series: [("loss", curve({ $0.loss }, x: x))]))
            charts.append(SVG.lineChart(title: "ELBO per image", xLabel: label,
                                        series: [("ELBO", curve({ $0.elbo }, x: x)), ("held-out (unlabelled)", curve({ $0.heldOutElbo }, x: x))]))
            charts.append(SVG.lineChart(title: "held-out accuracy", xLabel: label,
                                        series: [("count", curve({ $0.heldOutCountAccuracy }, x: x)),
                                                 ("shape", curve({ $0.heldOutShapeAccuracy }, x: x))]))
            charts.append(SVG.lineChart(title: "held-out position error median (units, log)", xLabel: label,
                                        series: [("position", curve({ $0.heldOutPositionErrorMedian }, x: x))], logY: true))
            charts.append(SVG.lineChart(title: "held-out yaw error median (degrees, log)", xLabel: label,
                                        series: [("yaw", curve({ $0.heldOutYawErrorMedian }, x: x))], logY: true))
            charts.append(SVG.lineChart(title: "held-out reconstruction MSE (unlabelled, log)", xLabel: label,
                                        series: [("MSE", curve({ $0.heldOutReconstructionMSE }, x: x))], logY: true))
        }
        let last = rows.last!
        var facts = [("steps logged", "\(last.step)"), ("objective", last.objective)]
        if let t = last.elapsedSeconds { facts.append(("wall time", String(format: "%.1f minutes", t / 60))) }
        if let c = rows.last(where: { $0.heldOutCountAccuracy != nil }) {
            facts.append(("last held-out count accuracy", String(format: "%.1f %% (step %d)", 100 * c.heldOutCountAccuracy!, c.step)))
        }
        var body = table(facts)
        if !hasTime { body += "<p>This run logged no wall time (it predates <code>elapsed_seconds</code>): curves against step only.</p>" }
        body += "<h2>Curves</h2><div class=\"grid\">" + charts.filter { !$0.isEmpty }.joined() + "</div>"
        return page(title: title, body: body)
    }

    /// An evaluation: the summary, the count confusion matrix, per-count figures, error
    /// histograms per shape, the reliability diagram of the confidences and the worst images.
    public static func evaluation(_ r: EvaluationReport, title: String) -> String {
        let o = r.overall
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f %%", 100 * $0) } ?? "–" }
        func num(_ v: Double?, _ f: String = "%.4f") -> String { v.map { String(format: f, $0) } ?? "–" }
        var body = table([
            ("images", "\(o.images)"), ("count accuracy", pct(o.countAccuracy)), ("shape accuracy", pct(o.shapeAccuracy)),
            ("colour name accuracy", pct(o.colorNameAccuracy)), ("position error median / p90 (units)", "\(num(o.positionErrorMedian)) / \(num(o.positionErrorP90))"),
            ("yaw error median / p90 (degrees)", "\(num(o.rotationErrorMedianDeg, "%.2f")) / \(num(o.rotationErrorP90Deg, "%.2f"))"),
            ("expected calibration error", num(r.calibration?.expectedCalibrationError)),
            ("images per second", num(r.imagesPerSecond, "%.0f")),
        ])
        // Count confusion: rows true, columns predicted, cells shaded by their share of the row.
        body += "<h2>Count confusion</h2><table class=\"confusion\"><tr><th>true \\ predicted</th>"
        body += r.countConfusion.indices.map { "<th>\($0)</th>" }.joined() + "</tr>"
        for (n, row) in r.countConfusion.enumerated() {
            let total = max(1, row.reduce(0, +))
            body += "<tr><th>\(n)</th>" + row.enumerated().map { k, v in
                let share = Double(v) / Double(total)
                let hue = k == n ? "31,119,180" : "214,39,40"
                return "<td style=\"background: rgba(\(hue),\(String(format: "%.2f", share)))\">\(v)</td>"
            }.joined() + "</tr>"
        }
        body += "</table>"
        body += "<h2>Per true count</h2>" + table(header: ["true count", "images", "count accuracy", "shape", "position median", "yaw median"],
                                                 rows: r.perCount.map { m in
            ["\(m.trueCount ?? -1)", "\(m.images)", pct(m.countAccuracy), pct(m.shapeAccuracy), num(m.positionErrorMedian), num(m.rotationErrorMedianDeg, "%.2f")]
        })
        if let bop = r.bop {
            func row(_ name: String, _ x: BOPRecall) -> [String] {
                [name, "\(x.objects)", num(x.ar, "%.3f"), num(x.arMSSD, "%.3f"), num(x.arMSPD, "%.3f"), num(x.arVSD, "%.3f")]
            }
            body += "<h2>BOP average recall</h2>" + table(header: ["group", "objects", "AR", "AR_MSSD", "AR_MSPD", "AR_VSD"],
                rows: [row("all", bop.overall)] + bop.perShape.sorted { $0.key < $1.key }.map { row($0.key, $0.value) }
                    + bop.perVisibleFraction.sorted { $0.key < $1.key }.map { row("visible " + $0.key, $0.value) })
        }
        var charts: [String] = []
        if let cal = r.calibration {
            let used = cal.bins.filter { $0.objects > 0 }
            charts.append(SVG.bars(title: "reliability: fraction real per confidence bin (dashed: ideal)",
                                   labels: used.map { String(format: "%.1f–%.1f", $0.low, $0.high) },
                                   values: used.map { $0.accuracy ?? 0 }, diagonal: used.map { $0.meanConfidence ?? 0 }))
            charts.append(SVG.bars(title: "objects per confidence bin", labels: used.map { String(format: "%.1f–%.1f", $0.low, $0.high) },
                                   values: used.map { Double($0.objects) }, color: "#7f7f7f"))
        }
        for s in r.perShape ?? [] where s.pairs > 0 {
            charts.append(SVG.bars(title: "\(s.shape): position error (units), \(s.pairs) objects, shape \(pct(s.shapeAccuracy))",
                                   labels: edgeLabels(ShapeErrors.positionEdges), values: s.positionHistogram.map(Double.init)))
            if !s.rotationHistogram.isEmpty {
                charts.append(SVG.bars(title: "\(s.shape): yaw error (degrees)", labels: edgeLabels(ShapeErrors.rotationEdges),
                                       values: s.rotationHistogram.map(Double.init), color: "#2ca02c"))
            }
        }
        body += "<h2>Errors and confidences</h2><div class=\"grid\">" + charts.filter { !$0.isEmpty }.joined() + "</div>"
        if let worst = r.worst, !worst.isEmpty {
            body += "<h2>Worst readings</h2><p>Each: the input | the rendering of the reading, glimpses boxed.</p><div class=\"gallery\">"
            for w in worst {
                body += "<figure><img src=\"data:image/png;base64,\(w.overlayPNG)\" alt=\"overlay\"><figcaption>\(SVG.escape(w.image))<br>true \(w.trueCount), read \(w.predictedCount)</figcaption></figure>"
            }
            body += "</div>"
        }
        return page(title: title, body: body)
    }

    static func edgeLabels(_ edges: [Double]) -> [String] {
        edges.map { "≥" + SVG.number($0) }
    }

    static func table(_ facts: [(String, String)]) -> String {
        "<table class=\"facts\">" + facts.map { "<tr><th>\(SVG.escape($0.0))</th><td>\(SVG.escape($0.1))</td></tr>" }.joined() + "</table>"
    }

    static func table(header: [String], rows: [[String]]) -> String {
        "<table class=\"facts\"><tr>" + header.map { "<th>\(SVG.escape($0))</th>" }.joined() + "</tr>"
            + rows.map { "<tr>" + $0.map { "<td>\(SVG.escape($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(SVG.escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
        table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #ccc; padding: 3px 8px; font-size: 13px; text-align: right; }
        table.facts th { text-align: left; background: #f3f3f3; }
        .grid { display: flex; flex-wrap: wrap; gap: 12px; }
        .gallery { display: flex; flex-wrap: wrap; gap: 10px; } figure { margin: 0; font-size: 11px; }
        figure img { image-rendering: pixelated; width: 256px; }
        </style></head>
        <body><h1>\(SVG.escape(title))</h1>
        \(body)
        </body></html>

        """
    }
}

public struct ReportError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
