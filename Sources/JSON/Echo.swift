/// User strings echoed in messages (an unknown key, shape or colour name, a path from a
/// file): quoted, with control characters escaped — a NUL would cut the message short on a
/// terminal and an escape sequence would rewrite it — and cut to `limit` characters with "…",
/// so a 10 MB key is not printed back in full.
public enum Echo {
    public static let limit = 80

    public static func quoted(_ s: String, limit: Int = Echo.limit) -> String {
        let (text, cut) = escaped(s, limit: limit)
        return cut ? "\"" + text + "…\" (\(s.count) characters)" : "\"" + text + "\""
    }

    /// The same without quotes, for a key inside a field path (`objects[0].KEY`).
    public static func truncated(_ s: String, limit: Int = Echo.limit) -> String {
        let (text, cut) = escaped(s, limit: limit)
        return cut ? text + "…" : text
    }

    static func escaped(_ s: String, limit: Int) -> (text: String, cut: Bool) {
        var out = ""
        var shown = 0
        for character in s {
            if shown == limit { return (out, true) }
            shown += 1
            for scalar in character.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        return (out, false)
    }
}
