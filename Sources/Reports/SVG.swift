import Foundation

/// Small inline-SVG charts for self-contained HTML reports: no script, no network.
enum SVG {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a < 0.001 { return String(format: "%.2g", v) }
        if a >= 100 { return String(format: "%.0f", v) }
        if a >= 1 { return String(format: "%.2f", v) }
        return String(format: "%.3f", v)
    }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    /// A line chart of one or more series; `logY` plots log10 of positive values.
    static func lineChart(title: String, xLabel: String, series: [(name: String, points: [(Double, Double)])],
                          logY: Bool = false, width: Double = 460, height: Double = 260) -> String {
        let all = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite && (!logY || $0.1 > 0) }
        guard !all.isEmpty else { return "" }
        let tx = { (v: Double) in v }, ty = { (v: Double) in logY ? log10(v) : v }
        var (x0, x1) = (all.map { tx($0.0) }.min()!, all.map { tx($0.0) }.max()!)
        var (y0, y1) = (all.map { ty($0.1) }.min()!, all.map { ty($0.1) }.max()!)
        if x1 == x0 { x1 = x0 + 1 }
        if y1 == y0 { y0 -= 0.5; y1 += 0.5 }
        let (l, r, t, b) = (56.0, 12.0, 28.0, 38.0)
        func px(_ v: Double) -> Double { l + (tx(v) - x0) / (x1 - x0) * (width - l - r) }
        func py(_ v: Double) -> Double { height - b - (ty(v) - y0) / (y1 - y0) * (height - t - b) }
        var out = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        out += "<text x=\"\(l)\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>"
        out += "<rect x=\"\(l)\" y=\"\(t)\" width=\"\(width - l - r)\" height=\"\(height - t - b)\" fill=\"#fafafa\" stroke=\"#999\"/>"
        for k in 0...4 {
            let fy = y0 + Double(k) / 4 * (y1 - y0), yy = height - b - Double(k) / 4 * (height - t - b)
            let label = logY ? String(format: "%.3g", pow(10, fy)) : number(fy)
            out += "<line x1=\"\(l)\" x2=\"\(width - r)\" y1=\"\(yy)\" y2=\"\(yy)\" stroke=\"#e4e4e4\"/>"
            out += "<text x=\"\(l - 4)\" y=\"\(yy + 4)\" font-size=\"10\" text-anchor=\"end\">\(label)</text>"
            let fx = x0 + Double(k) / 4 * (x1 - x0), xx = l + Double(k) / 4 * (width - l - r)
            out += "<text x=\"\(xx)\" y=\"\(height - b + 14)\" font-size=\"10\" text-anchor=\"middle\">\(number(fx))</text>"
        }
        out += "<text x=\"\((l + width - r) / 2)\" y=\"\(height - 6)\" font-size=\"11\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        for (i, s) in series.enumerated() {
            let pts = s.points.filter { $0.0.isFinite && $0.1.isFinite && (!logY || $0.1 > 0) }
            guard !pts.isEmpty else { continue }
            let c = colors[i % colors.count]
            let path = pts.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"1.6\" points=\"\(path)\"/>"
            if pts.count <= 40 { for p in pts { out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"\(c)\"/>", px(p.0), py(p.1)) } }
            if series.count > 1 {
                out += "<text x=\"\(width - r - 4)\" y=\"\(t + 14 + 13 * Double(i))\" font-size=\"11\" text-anchor=\"end\" fill=\"\(c)\">\(escape(s.name))</text>"
            }
        }
        return out + "</svg>"
    }

    /// Vertical bars with labels under them.
    static func bars(title: String, labels: [String], values: [Double], width: Double = 460, height: Double = 220,
                     color: String = "#1f77b4", diagonal: [Double]? = nil) -> String {
        guard !values.isEmpty else { return "" }
        let top = max(values.max() ?? 1, diagonal?.max() ?? 0, 1e-12)
        let (l, r, t, b) = (44.0, 10.0, 28.0, 40.0)
        let w = (width - l - r) / Double(values.count)
        var out = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        out += "<text x=\"\(l)\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>"
        out += "<rect x=\"\(l)\" y=\"\(t)\" width=\"\(width - l - r)\" height=\"\(height - t - b)\" fill=\"#fafafa\" stroke=\"#999\"/>"
        for k in 0...4 {
            let yy = height - b - Double(k) / 4 * (height - t - b)
            out += "<text x=\"\(l - 4)\" y=\"\(yy + 4)\" font-size=\"10\" text-anchor=\"end\">\(number(top * Double(k) / 4))</text>"
        }
        for (i, v) in values.enumerated() {
            let h = v / top * (height - t - b)
            out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"\(color)\"/>",
                          l + Double(i) * w + 2, height - b - h, max(1, w - 4), h)
            out += "<text x=\"\(l + (Double(i) + 0.5) * w)\" y=\"\(height - b + 13)\" font-size=\"9\" text-anchor=\"middle\">\(escape(labels[i]))</text>"
        }
        if let diagonal {
            let path = diagonal.enumerated().map { String(format: "%.1f,%.1f", l + (Double($0.offset) + 0.5) * w, height - b - $0.element / top * (height - t - b)) }
            out += "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\" points=\"\(path.joined(separator: " "))\"/>"
        }
        return out + "</svg>"
    }
}
