import JSON

/// The spec's eight named colours, and colour parsing.
public enum Palette {
    /// In the spec's table order (left column, then right).
    public static let entries: [(name: String, rgb: SIMD3<Double>)] = [
        ("red", [0.85, 0.15, 0.15]),
        ("green", [0.15, 0.70, 0.20]),
        ("blue", [0.15, 0.30, 0.85]),
        ("yellow", [0.90, 0.80, 0.15]),
        ("cyan", [0.15, 0.75, 0.80]),
        ("magenta", [0.80, 0.20, 0.75]),
        ("orange", [0.95, 0.50, 0.10]),
        ("white", [0.90, 0.90, 0.90]),
    ]

    public static var names: [String] { entries.map(\.name) }

    /// The named palette colour, or nil for an unknown name.
    public static func color(named name: String) -> Color? {
        entries.first(where: { $0.name == name }).map { Color(rgb: $0.rgb, name: $0.name) }
    }

    /// The palette name whose RGB is closest (Euclidean) to `rgb`; ties go to the earlier entry.
    public static func nearestName(to rgb: SIMD3<Double>) -> String {
        var best = entries[0].name
        var bestDistance = Double.infinity
        for e in entries {
            let d = e.rgb - rgb
            let d2 = (d * d).sum()
            if d2 < bestDistance { bestDistance = d2; best = e.name }
        }
        return best
    }

    /// The palette name when `rgb` is exactly (to Float precision) a palette colour.
    public static func exactName(for rgb: SIMD3<Double>) -> String? {
        entries.first(where: { e in
            (0..<3).allSatisfy { Float(e.rgb[$0]) == Float(rgb[$0]) }
        })?.name
    }
}

extension Color {
    /// Reads a colour: a palette name or an RGB triple in [0, 1].
    public static func parse(_ v: JSONValue, _ path: String, reader: JSONFieldReader) throws -> Color {
        switch v.kind {
        case .string(let name):
            guard let c = Palette.color(named: name) else {
                throw reader.error(v, path, "unknown colour name \(Echo.quoted(name)) (palette: \(Palette.names.joined(separator: ", ")))")
            }
            return c
        case .array:
            let rgb = try reader.numbers(v, path, count: 3)
            for (i, x) in rgb.enumerated() where !(0...1).contains(x) {
                throw reader.error(v, "\(path)[\(i)]", "colour component \(JSONWriter.number(x)) is outside [0, 1]")
            }
            return Color(rgb: SIMD3(rgb[0], rgb[1], rgb[2]))
        default:
            throw reader.error(v, path, "expected a palette name or an [r, g, b] array, found \(v.typeName)")
        }
    }

    /// The palette name when it came from the palette, else the RGB triple.
    public var json: JSONValue {
        if let name, Palette.color(named: name)?.rgb == rgb { return .str(name) }
        return .nums([rgb.x, rgb.y, rgb.z])
    }
}
