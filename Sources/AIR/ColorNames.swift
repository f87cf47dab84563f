import Scenes

/// The spec's eight named colours, for scoring a predicted RGB by the palette name it is
/// nearest to.
public enum ColorNames {
    /// SCENE-SPEC "Palette", in the spec's order.
    public static let palette: [(name: String, rgb: SIMD3<Double>)] = [
        ("red", [0.85, 0.15, 0.15]),
        ("green", [0.15, 0.70, 0.20]),
        ("blue", [0.15, 0.30, 0.85]),
        ("yellow", [0.90, 0.80, 0.15]),
        ("cyan", [0.15, 0.75, 0.80]),
        ("magenta", [0.80, 0.20, 0.75]),
        ("orange", [0.95, 0.50, 0.10]),
        ("white", [0.90, 0.90, 0.90]),
    ]

    /// The palette name nearest to `rgb` in Euclidean RGB distance (ties: the earlier name).
    public static func nearest(_ rgb: SIMD3<Double>) -> String {
        var best = palette[0].name
        var bestDistance = Double.infinity
        for (name, p) in palette {
            let d = rgb - p
            let distance = (d * d).sum()
            if distance < bestDistance {
                bestDistance = distance
                best = name
            }
        }
        return best
    }

    /// The name a colour is scored against: its palette name when it has one, else the
    /// nearest palette name (which, for a palette RGB, is its own name).
    public static func name(of color: Color) -> String {
        color.name ?? nearest(color.rgb)
    }
}
