/// A JSON value that remembers the line it started on.
///
/// Foundation's JSONSerialization drops positions, and every input error of the
/// project must name its line, so scenes, batch specs and dataset lines are read
/// with this small RFC 8259 parser instead.
public struct JSONValue: Equatable, Sendable {
    public indirect enum Kind: Equatable, Sendable {
        case null
        case bool(Bool)
        /// The value and its source text (so integers such as seeds can be read exactly).
        case number(Double, text: String)
        case string(String)
        case array([JSONValue])
        /// Members in source order; keys are unique (duplicates are a parse error).
        case object([JSONMember])
    }

    public var kind: Kind
    /// 1-based line of the value's first character.
    public var line: Int

    public init(_ kind: Kind, line: Int = 0) {
        self.kind = kind
        self.line = line
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch kind {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The number as an `Int` when its source text is an integer literal (no fraction, no
    /// exponent) that fits in Int: exact beyond 2^53, and nil for `8.0`, `1e2`, `true` or a
    /// number built without text (`.num`). For formats whose integers must be written as such.
    public var integerValue: Int? {
        guard case .number(_, let text) = kind,
              !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return nil }
        return Int(text)
    }

    /// The member named `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = kind else { return nil }
        return members.first(where: { $0.key == key })?.value
    }
}

public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A syntax error, with the 1-based line and column where it was found.
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String
    /// For a duplicate key, its path from the document's root (`a.b`, `list[2].key`), so that
    /// a reader can report it as a field error; nil for every other error.
    public var duplicateKey: String? = nil
    public var description: String { "\(line):\(column): \(message)" }
}

/// Parses one JSON text (surrounding whitespace allowed, nothing else after the value).
/// `firstLine` is the line number of the text's first line (for one line of a JSONL file).
public func parseJSON(_ text: String, firstLine: Int = 1) throws -> JSONValue {
    var parser = JSONParser(bytes: Array(text.utf8), line: firstLine)
    return try parser.parseDocument()
}

/// Parses JSON from raw bytes (UTF-8).
public func parseJSON(bytes: [UInt8], firstLine: Int = 1) throws -> JSONValue {
    var parser = JSONParser(bytes: bytes, line: firstLine)
    return try parser.parseDocument()
}

private struct JSONParser {
    let bytes: [UInt8]
    var pos = 0
    var line: Int
    var lineStart = 0
    /// Nesting limit: deeper input is an error rather than a stack overflow.
    let maxDepth = 512

    init(bytes: [UInt8], line: Int) {
        self.bytes = bytes
        self.line = line
    }

    func fail(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(line: line, column: pos - lineStart + 1, message: message)
    }

    mutating func parseDocument() throws -> JSONValue {
        skipSpace()
        if pos == bytes.count { throw fail("empty input, expected a JSON value") }
        let value = try parseValue(depth: 0)
        skipSpace()
        if pos < bytes.count { throw fail("unexpected \(describe(bytes[pos])) after the JSON value") }
        return value
    }

    mutating func skipSpace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0D: pos += 1
            case 0x0A: pos += 1; line += 1; lineStart = pos
            default: return
            }
        }
    }

    func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        guard pos < bytes.count else { throw fail("unexpected end of input, expected a value") }
        let startLine = line
        switch bytes[pos] {
        case UInt8(ascii: "{"): return JSONValue(try parseObject(depth: depth), line: startLine)
        case UInt8(ascii: "["): return JSONValue(try parseArray(depth: depth), line: startLine)
        case UInt8(ascii: "\""): return JSONValue(.string(try parseString()), line: startLine)
        case UInt8(ascii: "t"): try literal("true"); return JSONValue(.bool(true), line: startLine)
        case UInt8(ascii: "f"): try literal("false"); return JSONValue(.bool(false), line: startLine)
        case UInt8(ascii: "n"): try literal("null"); return JSONValue(.null, line: startLine)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONValue(try parseNumber(), line: startLine)
        default: throw fail("unexpected \(describe(bytes[pos])), expected a value")
        }
    }

    mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos..<pos + w.count]) == w else {
            throw fail("invalid literal, expected '\(word)'")
        }
        pos += w.count
    }

    mutating func parseObject(depth: Int) throws -> JSONValue.Kind {
        pos += 1
        var members: [JSONMember] = []
        skipSpace()
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
        while true {
            skipSpace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
                throw fail(pos < bytes.count ? "expected a string key, found \(describe(bytes[pos]))" : "unexpected end of input in an object")
            }
            let key = try parseString()
            if members.contains(where: { $0.key == key }) {
                var e = fail("duplicate key \(Echo.quoted(key))")
                e.duplicateKey = key
                throw e
            }
            skipSpace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after key \(Echo.quoted(key))") }
            pos += 1
            skipSpace()
            members.append(JSONMember(key, try parseChild(depth: depth, at: key)))
            skipSpace()
            guard pos < bytes.count else { throw fail("unexpected end of input in an object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            throw fail("expected ',' or '}' in an object, found \(describe(bytes[pos]))")
        }
    }

    mutating func parseArray(depth: Int) throws -> JSONValue.Kind {
        pos += 1
        var items: [JSONValue] = []
        skipSpace()
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try parseChild(depth: depth, at: "[\(items.count)]"))
            skipSpace()
            guard pos < bytes.count else { throw fail("unexpected end of input in an array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            throw fail("expected ',' or ']' in an array, found \(describe(bytes[pos]))")
        }
    }

    /// A member's value or an array's item, at `step` (a key or `[i]`, only built on error)
    /// below its container: a duplicate key found inside gets `step` prefixed to its path.
    mutating func parseChild(depth: Int, at step: @autoclosure () -> String) throws -> JSONValue {
        do {
            return try parseValue(depth: depth + 1)
        } catch var e as JSONSyntaxError where e.duplicateKey != nil {
            let inner = e.duplicateKey!
            e.duplicateKey = step() + (inner.hasPrefix("[") ? inner : "." + inner)
            throw e
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("unexpected end of input in a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit \(describe(c)) in a \\u escape")
            }
            v = v * 16 + d
            pos += 1
        }
        return v
    }

    mutating func parseString() throws -> String {
        pos += 1 // opening quote
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw fail("unterminated string") }
            let c = bytes[pos]
            switch c {
            case UInt8(ascii: "\""):
                pos += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                return s
            case UInt8(ascii: "\\"):
                pos += 1
                guard pos < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if code >= 0xD800 && code < 0xDC00 {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in a \\u escape")
                        }
                        pos += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if code >= 0xDC00 && code < 0xE000 {
                        throw fail("unpaired surrogate in a \\u escape")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(code)!)).utf8))
                default: throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
            default:
                if c < 0x20 { throw fail(c == 0x0A ? "unterminated string (newline inside)" : "control character \(describe(c)) in a string") }
                out.append(c)
                pos += 1
            }
        }
    }

    mutating func parseNumber() throws -> JSONValue.Kind {
        let start = pos
        func digits() -> Int {
            let s = pos
            while pos < bytes.count && bytes[pos] >= UInt8(ascii: "0") && bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
            return pos - s
        }
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count else { throw fail("invalid number: no digits") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count && bytes[pos] >= UInt8(ascii: "0") && bytes[pos] <= UInt8(ascii: "9") {
                throw fail("invalid number: leading zero")
            }
        } else if digits() == 0 {
            throw fail("invalid number: no digits")
        }
        if pos < bytes.count && bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            if digits() == 0 { throw fail("invalid number: no digits after '.'") }
        }
        if pos < bytes.count && (bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E")) {
            pos += 1
            if pos < bytes.count && (bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-")) { pos += 1 }
            if digits() == 0 { throw fail("invalid number: no digits in the exponent") }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        // Huge exponents overflow to ±infinity here; readers reject non-finite numbers
        // with the field's name, which the parser does not know.
        guard let v = Double(text) else { throw fail("invalid number '\(text)'") }
        return .number(v, text: text)
    }
}
