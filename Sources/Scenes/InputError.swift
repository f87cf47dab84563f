import JSON

/// Bad input: names the file, the line and the field (e.g. `objects[1].color`).
///
/// Printed as `scene.json:7: objects[1].color: unknown colour name "purple"`.
public struct InputError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// A path such as `objects[1].color` or `camera.fov_y`; empty for the whole document.
    public var field: String
    public var message: String

    public init(file: String, line: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(file):\(line): \(message)" : "\(file):\(line): \(field): \(message)"
    }
}

/// Reads typed fields out of `JSONValue`s, throwing `InputError`s that carry the
/// file name, the value's line and its path.
public struct JSONFieldReader {
    public var file: String

    public init(file: String) { self.file = file }

    public func error(_ v: JSONValue, _ path: String, _ message: String) -> InputError {
        InputError(file: file, line: v.line, field: path, message: message)
    }

    /// Parses text, turning syntax errors into `InputError`s for this file.
    public func parse(_ text: String, firstLine: Int = 1) throws -> JSONValue {
        do {
            return try parseJSON(text, firstLine: firstLine)
        } catch let e as JSONSyntaxError {
            throw InputError(file: file, line: e.line, field: "", message: "malformed JSON (column \(e.column)): \(e.message)")
        }
    }

    public func parse(bytes: [UInt8], firstLine: Int = 1) throws -> JSONValue {
        do {
            return try parseJSON(bytes: bytes, firstLine: firstLine)
        } catch let e as JSONSyntaxError {
            throw InputError(file: file, line: e.line, field: "", message: "malformed JSON (column \(e.column)): \(e.message)")
        }
    }

    public static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The object's members, after checking that every key is in `allowed`.
    public func object(_ v: JSONValue, _ path: String, allowed: [String]?) throws -> [JSONMember] {
        guard case .object(let members) = v.kind else {
            throw error(v, path, "expected an object, found \(v.typeName)")
        }
        if let allowed {
            for m in members where !allowed.contains(m.key) {
                throw error(m.value, Self.join(path, Echo.truncated(m.key)),
                            "unknown key \(Echo.quoted(m.key)) (allowed: \(allowed.joined(separator: ", ")))")
            }
        }
        return members
    }

    public func required(_ object: JSONValue, _ path: String, _ key: String) throws -> JSONValue {
        guard let v = object[key] else { throw error(object, Self.join(path, key), "missing required key \"\(key)\"") }
        return v
    }

    public func array(_ v: JSONValue, _ path: String) throws -> [JSONValue] {
        guard case .array(let items) = v.kind else { throw error(v, path, "expected an array, found \(v.typeName)") }
        return items
    }

    public func string(_ v: JSONValue, _ path: String) throws -> String {
        guard case .string(let s) = v.kind else { throw error(v, path, "expected a string, found \(v.typeName)") }
        return s
    }

    public func bool(_ v: JSONValue, _ path: String) throws -> Bool {
        guard case .bool(let b) = v.kind else { throw error(v, path, "expected true or false, found \(v.typeName)") }
        return b
    }

    /// A finite number.
    public func number(_ v: JSONValue, _ path: String) throws -> Double {
        guard case .number(let x, let text) = v.kind else { throw error(v, path, "expected a number, found \(v.typeName)") }
        guard x.isFinite else { throw error(v, path, "non-finite number \(text) (out of range)") }
        return x
    }

    /// A whole number in `range`.
    public func integer(_ v: JSONValue, _ path: String, in range: ClosedRange<Int>) throws -> Int {
        let x = try number(v, path)
        guard x == x.rounded() else { throw error(v, path, "expected a whole number, found \(JSONWriter.number(x))") }
        guard x >= Double(range.lowerBound) && x <= Double(range.upperBound) else {
            throw error(v, path, "\(JSONWriter.number(x)) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(x)
    }

    /// A non-negative integer up to 2^64 - 1, read exactly from the source text.
    public func uint64(_ v: JSONValue, _ path: String) throws -> UInt64 {
        guard case .number(_, let text) = v.kind else { throw error(v, path, "expected a whole number, found \(v.typeName)") }
        guard let u = UInt64(text) else { throw error(v, path, "expected a whole number in 0...\(UInt64.max), found \(text)") }
        return u
    }

    /// An array of exactly `count` finite numbers.
    public func numbers(_ v: JSONValue, _ path: String, count: Int) throws -> [Double] {
        let items = try array(v, path)
        guard items.count == count else { throw error(v, path, "expected \(count) numbers, found \(items.count) values") }
        return try items.enumerated().map { try number($0.element, "\(path)[\($0.offset)]") }
    }
}
