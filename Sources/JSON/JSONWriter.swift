/// Writes `JSONValue`s as compact or indented text with keys in the order given,
/// so outputs are byte-stable.
///
/// Numbers: integral values up to 2^53 print without a fraction; a value that is
/// exactly a Float prints with Float's shortest round-trip text (sampled latents are
/// Float-quantised, so files read "0.4172" rather than "0.41720000147819519");
/// anything else prints with Double's shortest round-trip text.
public enum JSONWriter {
    public static func compact(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: nil, level: 0)
        return out
    }

    /// Indented with two spaces; arrays of scalars stay on one line.
    public static func pretty(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: "  ", level: 0)
        out += "\n"
        return out
    }

    public static func number(_ v: Double) -> String {
        precondition(v.isFinite, "JSON has no non-finite numbers")
        if v == v.rounded() && abs(v) <= 9_007_199_254_740_992 {
            return v == 0 ? "0" : String(Int64(v))
        }
        let f = Float(v)
        if Double(f) == v { return jsonFloatText(f.description) }
        return jsonFloatText(v.description)
    }

    /// Swift prints e.g. "1e-05" and "5e+20"; both are valid JSON, kept as they are.
    private static func jsonFloatText(_ s: String) -> String { s }

    public static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func isScalar(_ v: JSONValue) -> Bool {
        switch v.kind {
        case .array, .object: return false
        default: return true
        }
    }

    private static func write(_ value: JSONValue, into out: inout String, indent: String?, level: Int) {
        switch value.kind {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        // Parsed numbers and exact integers keep their source text.
        case .number(let v, let text): out += text.isEmpty ? number(v) : text
        case .string(let s): out += string(s)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            if indent == nil || items.allSatisfy(isScalar) {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    write(item, into: &out, indent: indent, level: level + 1)
                }
                out += "]"
            } else {
                out += "["
                for (i, item) in items.enumerated() {
                    out += i > 0 ? ",\n" : "\n"
                    out += String(repeating: indent!, count: level + 1)
                    write(item, into: &out, indent: indent, level: level + 1)
                }
                out += "\n" + String(repeating: indent!, count: level) + "]"
            }
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, m) in members.enumerated() {
                if let indent {
                    out += i > 0 ? ",\n" : "\n"
                    out += String(repeating: indent, count: level + 1)
                } else if i > 0 {
                    out += ","
                }
                out += string(m.key) + (indent == nil ? ":" : ": ")
                write(m.value, into: &out, indent: indent, level: level + 1)
            }
            if let indent { out += "\n" + String(repeating: indent, count: level) }
            out += "}"
        }
    }
}

/// Builders, so writers read as the JSON they produce.
extension JSONValue {
    public static func num(_ v: Double) -> JSONValue { JSONValue(.number(v, text: "")) }
    public static func int(_ v: Int) -> JSONValue { JSONValue(.number(Double(v), text: String(v))) }
    public static func uint(_ v: UInt64) -> JSONValue { JSONValue(.number(Double(v), text: String(v))) }
    public static func str(_ s: String) -> JSONValue { JSONValue(.string(s)) }
    public static func bool(_ b: Bool) -> JSONValue { JSONValue(.bool(b)) }
    public static func arr(_ items: [JSONValue]) -> JSONValue { JSONValue(.array(items)) }
    public static func nums(_ items: [Double]) -> JSONValue { JSONValue(.array(items.map { .num($0) })) }
    public static func obj(_ members: [(String, JSONValue)]) -> JSONValue {
        JSONValue(.object(members.map { JSONMember($0.0, $0.1) }))
    }
}
