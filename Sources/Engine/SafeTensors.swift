#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
private let posixRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
private let posixRead = Darwin.read
#endif

/// A tensor as stored in a file: its shape (row-major) and its values as Float.
public struct StoredTensor: Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// A failure reading or writing a safetensors file, naming the file and the tensor or field.
public struct SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// What went wrong, coarsely (tests and callers can branch on it).
    public enum Kind: Equatable, Sendable {
        case truncated, headerLength, json, header, metadata, dtype, shape, offsets, overlap, io
    }

    public var kind: Kind
    /// The file (or whatever `source` the caller named).
    public var source: String
    /// The tensor name or header field concerned, when there is one.
    public var field: String?
    public var message: String

    public init(_ kind: Kind, source: String, field: String? = nil, _ message: String) {
        self.kind = kind
        self.source = source
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(source): \(field): \(message)" }
        return "\(source): \(message)"
    }
}

/// The safetensors format (https://github.com/huggingface/safetensors), so that
/// `safetensors.numpy.load_file` or `safetensors.torch.load_file` in Python opens our weights.
///
/// Layout: an 8-byte little-endian header length N; N bytes of UTF-8 JSON mapping each tensor
/// name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data
/// section) plus an optional "__metadata__" object of string → string; then the raw
/// little-endian data. We write F32 only, tensors sorted by name and packed in that order, the
/// header padded with spaces so the data starts 8-byte aligned: the same input gives the same
/// bytes. We read F32, F64, F16, BF16, I64 and I32, converting to Float.
public enum SafeTensors {
    /// The reference implementation refuses headers above 100 MB; so do we (it also guards
    /// against a corrupt length asking for an absurd allocation).
    public static let maxHeaderBytes = 100_000_000

    // MARK: Encoding

    /// The file's bytes. Every tensor's `values.count` must equal the product of its shape
    /// (a programming error otherwise, not a data error: it traps).
    public static func encode(_ tensors: [String: StoredTensor], metadata: [String: String]) -> [UInt8] {
        let names = tensors.keys.sorted()
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(entries.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            precondition(t.shape.allSatisfy { $0 >= 0 } && t.values.count == t.shape.reduce(1, *),
                         "SafeTensors.encode: tensor \(name) has \(t.values.count) values for shape \(t.shape)")
            let end = offset + 4 * t.values.count
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        appendLittleEndian(UInt64(headerBytes.count), to: &out)
        out += headerBytes
        for name in names {
            let values = tensors[name]!.values
            if hostIsLittleEndian {
                values.withUnsafeBytes { out.append(contentsOf: $0) }
            } else {
                for v in values { appendLittleEndian(v.bitPattern, to: &out) }
            }
        }
        return out
    }

    /// Writes `encode(tensors, metadata:)` to `path` atomically: a temporary file in the same
    /// folder, then a rename, so a reader never sees a partial file.
    public static func write(_ tensors: [String: StoredTensor], metadata: [String: String], to path: String) throws {
        let bytes = encode(tensors, metadata: metadata)
        let temp = path + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ioError(path, "cannot create temporary file \(temp)") }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return fsync(fd) == 0
        }
        let closed = close(fd) == 0
        guard ok, closed else {
            let why = errnoText()
            unlink(temp)
            throw ioError(path, "cannot write \(temp): \(why)")
        }
        guard rename(temp, path) == 0 else {
            let why = errnoText()
            unlink(temp)
            throw ioError(path, "cannot rename \(temp) into place: \(why)")
        }
    }

    // MARK: Decoding

    /// Parses a whole file's bytes; `source` names it in errors.
    public static func decode(_ bytes: [UInt8], source: String) throws -> (tensors: [String: StoredTensor], metadata: [String: String]) {
        guard bytes.count >= 8 else {
            throw SafeTensorsError(.truncated, source: source, "file has \(bytes.count) bytes, fewer than the 8-byte header length")
        }
        var n64: UInt64 = 0
        for i in 0..<8 { n64 |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n64 <= UInt64(maxHeaderBytes) else {
            throw SafeTensorsError(.headerLength, source: source, "header length \(n64) exceeds \(maxHeaderBytes) bytes")
        }
        let n = Int(n64)
        guard n >= 2 else {
            throw SafeTensorsError(.headerLength, source: source, "header length \(n) is too small for a JSON object")
        }
        guard 8 + n <= bytes.count else {
            throw SafeTensorsError(.truncated, source: source, "header length \(n) runs past the end of the file (\(bytes.count) bytes)")
        }
        let root: JSON
        do {
            var parser = JSONParser(bytes: bytes, start: 8, end: 8 + n)
            root = try parser.parseDocument()
        } catch let e as JSONParser.Failure {
            throw SafeTensorsError(.json, source: source, "invalid JSON header at byte \(e.position): \(e.message)")
        }
        guard case .object(let entries) = root else {
            throw SafeTensorsError(.header, source: source, "header is not a JSON object")
        }

        let dataStart = 8 + n
        let dataCount = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var tensors: [String: StoredTensor] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []
        var seen = Set<String>()

        for (name, value) in entries {
            guard seen.insert(name).inserted else {
                throw SafeTensorsError(.header, source: source, field: name, "appears twice in the header")
            }
            if name == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw SafeTensorsError(.metadata, source: source, field: name, "must be an object of strings")
                }
                for (key, v) in pairs {
                    guard case .string(let s) = v else {
                        throw SafeTensorsError(.metadata, source: source, field: "__metadata__.\(key)", "value is not a string")
                    }
                    metadata[key] = s
                }
                continue
            }
            let info = try tensorInfo(name: name, value: value, source: source)
            guard info.end <= dataCount else {
                throw SafeTensorsError(.offsets, source: source, field: name,
                                       "data_offsets [\(info.begin), \(info.end)] run past the data section (\(dataCount) bytes)")
            }
            let elements = info.shape.reduce(1, *)
            guard info.end - info.begin == elements * info.dtype.size else {
                throw SafeTensorsError(.shape, source: source, field: name,
                                       "shape \(info.shape) of \(info.dtype.name) needs \(elements * info.dtype.size) bytes but data_offsets [\(info.begin), \(info.end)] hold \(info.end - info.begin)")
            }
            ranges.append((info.begin, info.end, name))
            tensors[name] = StoredTensor(shape: info.shape,
                                         values: convert(bytes, from: dataStart + info.begin, count: elements, dtype: info.dtype))
        }

        // Overlapping tensors would alias each other's bytes: the file is corrupt. Empty tensors
        // occupy no bytes and overlap nothing.
        let sorted = ranges.filter { $0.end > $0.begin }.sorted { ($0.begin, $0.name) < ($1.begin, $1.name) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.begin < a.end {
            throw SafeTensorsError(.overlap, source: source, field: b.name,
                                   "data_offsets [\(b.begin), \(b.end)] overlap tensor \(a.name) at [\(a.begin), \(a.end)]")
        }
        return (tensors, metadata)
    }

    /// Reads and decodes the file at `path`; errors name the path.
    public static func read(path: String) throws -> (tensors: [String: StoredTensor], metadata: [String: String]) {
        try decode(readBytes(path), source: path)
    }

    // MARK: Details

    enum DType {
        case f32, f64, f16, bf16, i64, i32

        init?(name: String) {
            switch name {
            case "F32": self = .f32
            case "F64": self = .f64
            case "F16": self = .f16
            case "BF16": self = .bf16
            case "I64": self = .i64
            case "I32": self = .i32
            default: return nil
            }
        }

        var name: String {
            switch self {
            case .f32: return "F32"
            case .f64: return "F64"
            case .f16: return "F16"
            case .bf16: return "BF16"
            case .i64: return "I64"
            case .i32: return "I32"
            }
        }

        var size: Int {
            switch self {
            case .f64, .i64: return 8
            case .f32, .i32: return 4
            case .f16, .bf16: return 2
            }
        }
    }

    private static func tensorInfo(name: String, value: JSON, source: String) throws -> (dtype: DType, shape: [Int], begin: Int, end: Int) {
        guard case .object(let fields) = value else {
            throw SafeTensorsError(.header, source: source, field: name, "entry is not an object")
        }
        func field(_ key: String) throws -> JSON {
            guard let v = fields.first(where: { $0.key == key })?.value else {
                throw SafeTensorsError(.header, source: source, field: "\(name).\(key)", "missing")
            }
            return v
        }
        guard case .string(let dtypeName) = try field("dtype") else {
            throw SafeTensorsError(.dtype, source: source, field: "\(name).dtype", "is not a string")
        }
        guard let dtype = DType(name: dtypeName) else {
            throw SafeTensorsError(.dtype, source: source, field: "\(name).dtype",
                                   "unsupported dtype \"\(dtypeName)\" (expected F32, F64, F16, BF16, I64 or I32)")
        }
        guard case .array(let dims) = try field("shape") else {
            throw SafeTensorsError(.shape, source: source, field: "\(name).shape", "is not an array")
        }
        var shape: [Int] = []
        var elements = 1
        for d in dims {
            guard case .integer(let k) = d, k >= 0 else {
                throw SafeTensorsError(.shape, source: source, field: "\(name).shape", "dimensions must be non-negative integers")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: k)
            guard !overflow, product <= Int.max / 8 else {
                throw SafeTensorsError(.shape, source: source, field: "\(name).shape", "shape \(dims.map { "\($0)" }) is too large")
            }
            elements = product
            shape.append(k)
        }
        guard case .array(let offs) = try field("data_offsets"), offs.count == 2,
              case .integer(let begin) = offs[0], case .integer(let end) = offs[1] else {
            throw SafeTensorsError(.offsets, source: source, field: "\(name).data_offsets", "must be an array of two integers")
        }
        guard begin >= 0, begin <= end else {
            throw SafeTensorsError(.offsets, source: source, field: name, "data_offsets [\(begin), \(end)] are not an ordered pair of non-negative integers")
        }
        return (dtype, shape, begin, end)
    }

    private static let hostIsLittleEndian = 1.littleEndian == 1

    private static func convert(_ bytes: [UInt8], from start: Int, count: Int, dtype: DType) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        if dtype == .f32 && hostIsLittleEndian {
            out.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<(start + 4 * count)]))
                }
            }
            return out
        }
        bytes.withUnsafeBufferPointer { b in
            @inline(__always) func u16(_ i: Int) -> UInt16 {
                let p = start + 2 * i
                return UInt16(b[p]) | UInt16(b[p + 1]) << 8
            }
            @inline(__always) func u32(_ i: Int) -> UInt32 {
                let p = start + 4 * i
                return UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
            }
            @inline(__always) func u64(_ i: Int) -> UInt64 {
                let p = start + 8 * i
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(b[p + k]) << (8 * UInt64(k)) }
                return v
            }
            for i in 0..<count {
                switch dtype {
                case .f32: out[i] = Float(bitPattern: u32(i))
                case .f64: out[i] = Float(Double(bitPattern: u64(i)))
                case .f16: out[i] = halfToFloat(u16(i))
                case .bf16: out[i] = Float(bitPattern: UInt32(u16(i)) << 16)
                case .i64: out[i] = Float(Int64(bitPattern: u64(i)))
                case .i32: out[i] = Float(Int32(bitPattern: u32(i)))
                }
            }
        }
        return out
    }

    /// IEEE binary16 → binary32, exact (subnormals, infinities and NaN included); written out
    /// rather than using `Float16`, which is not available on every platform we build on.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        var x = v.littleEndian
        withUnsafeBytes(of: &x) { out.append(contentsOf: $0) }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    private static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ioError(path, "cannot open: \(errnoText())") }
        defer { close(fd) }
        // Read straight into a buffer of the file's size; keep reading past it in case the
        // file grew, so the result is whatever the file held at the end.
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError(path, "cannot stat: \(errnoText())") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw ioError(path, "not a regular file") }
        let size = max(0, Int(info.st_size))
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: max(1 << 16, count)) }
            let n = bytes.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError(path, "cannot read: \(errnoText())")
            }
            if n == 0 { break }
            count += n
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    private static func ioError(_ path: String, _ message: String) -> SafeTensorsError {
        SafeTensorsError(.io, source: path, message)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

// MARK: - The header's JSON

extension SafeTensors {
    /// A JSON value; objects keep their key order (and duplicates, which the caller rejects).
    enum JSON: Equatable {
        case object([(key: String, value: JSON)])
        case array([JSON])
        case string(String)
        /// A number written without fraction or exponent that fits in Int.
        case integer(Int)
        case number(Double)
        case bool(Bool)
        case null

        static func == (a: JSON, b: JSON) -> Bool {
            switch (a, b) {
            case let (.object(x), .object(y)):
                return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            case let (.array(x), .array(y)): return x == y
            case let (.string(x), .string(y)): return x == y
            case let (.integer(x), .integer(y)): return x == y
            case let (.number(x), .number(y)): return x == y
            case let (.bool(x), .bool(y)): return x == y
            case (.null, .null): return true
            default: return false
            }
        }
    }

    /// A strict RFC 8259 parser over a byte range; we parse the header ourselves because
    /// Foundation's JSONSerialization cannot tell `true` from `1` on Linux and reports no position.
    struct JSONParser {
        struct Failure: Error {
            var position: Int
            var message: String
        }

        let bytes: [UInt8]
        var pos: Int
        let end: Int
        let start: Int
        private var depth = 0

        init(bytes: [UInt8], start: Int, end: Int) {
            self.bytes = bytes
            self.start = start
            self.pos = start
            self.end = end
        }

        /// One value, surrounded only by whitespace (the format pads the header with spaces).
        mutating func parseDocument() throws -> JSON {
            let v = try parseValue()
            skipSpace()
            if pos < end { throw fail("unexpected content after the JSON value") }
            return v
        }

        private func fail(_ message: String) -> Failure { Failure(position: pos - start, message: message) }

        private mutating func skipSpace() {
            while pos < end, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
        }

        private mutating func parseValue() throws -> JSON {
            skipSpace()
            guard pos < end else { throw fail("unexpected end of header") }
            switch bytes[pos] {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw fail("unexpected character '\(Character(Unicode.Scalar(bytes[pos])))'")
            }
        }

        private mutating func literal(_ word: String) throws {
            for c in word.utf8 {
                guard pos < end, bytes[pos] == c else { throw fail("invalid literal (expected \(word))") }
                pos += 1
            }
        }

        private mutating func nest() throws {
            depth += 1
            if depth > 64 { throw fail("nesting deeper than 64") }
        }

        private mutating func parseObject() throws -> JSON {
            try nest(); defer { depth -= 1 }
            pos += 1
            var entries: [(key: String, value: JSON)] = []
            skipSpace()
            if pos < end, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(entries) }
            while true {
                skipSpace()
                guard pos < end, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let key = try parseString()
                skipSpace()
                guard pos < end, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after key \"\(key)\"") }
                pos += 1
                entries.append((key, try parseValue()))
                skipSpace()
                guard pos < end else { throw fail("unexpected end of header inside an object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(entries) }
                throw fail("expected ',' or '}' in an object")
            }
        }

        private mutating func parseArray() throws -> JSON {
            try nest(); defer { depth -= 1 }
            pos += 1
            var items: [JSON] = []
            skipSpace()
            if pos < end, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                items.append(try parseValue())
                skipSpace()
                guard pos < end else { throw fail("unexpected end of header inside an array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw fail("expected ',' or ']' in an array")
            }
        }

        private mutating func hex4() throws -> UInt32 {
            guard pos + 4 <= end else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[pos]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("invalid hex digit in \\u escape")
                }
                v = v << 4 | d
                pos += 1
            }
            return v
        }

        private mutating func parseString() throws -> String {
            pos += 1 // opening quote
            var utf8: [UInt8] = []
            while true {
                guard pos < end else { throw fail("unterminated string") }
                let c = bytes[pos]
                pos += 1
                switch c {
                case UInt8(ascii: "\""):
                    guard let s = String(validating: utf8, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    guard pos < end else { throw fail("unterminated escape") }
                    let e = bytes[pos]
                    pos += 1
                    var scalar: UInt32
                    switch e {
                    case UInt8(ascii: "\""): scalar = 0x22
                    case UInt8(ascii: "\\"): scalar = 0x5C
                    case UInt8(ascii: "/"): scalar = 0x2F
                    case UInt8(ascii: "b"): scalar = 0x08
                    case UInt8(ascii: "f"): scalar = 0x0C
                    case UInt8(ascii: "n"): scalar = 0x0A
                    case UInt8(ascii: "r"): scalar = 0x0D
                    case UInt8(ascii: "t"): scalar = 0x09
                    case UInt8(ascii: "u"):
                        scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard pos + 2 <= end, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                                throw fail("unpaired surrogate in \\u escape")
                            }
                            pos += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00..<0xE000).contains(scalar) {
                            throw fail("unpaired surrogate in \\u escape")
                        }
                    default: throw fail("invalid escape")
                    }
                    utf8 += Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    if c < 0x20 { throw fail("control character in string") }
                    utf8.append(c)
                }
            }
        }

        private mutating func parseNumber() throws -> JSON {
            let begin = pos
            var isInteger = true
            if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            func digits() -> Int {
                let s = pos
                while pos < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
                return pos - s
            }
            guard pos < end else { throw fail("invalid number") }
            if bytes[pos] == UInt8(ascii: "0") {
                pos += 1
            } else if digits() == 0 {
                throw fail("invalid number")
            }
            if pos < end, bytes[pos] == UInt8(ascii: ".") {
                isInteger = false
                pos += 1
                guard digits() > 0 else { throw fail("invalid number: no digits after '.'") }
            }
            if pos < end, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
                isInteger = false
                pos += 1
                if pos < end, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
                guard digits() > 0 else { throw fail("invalid number: no digits in exponent") }
            }
            let text = String(decoding: bytes[begin..<pos], as: UTF8.self)
            if isInteger, let i = Int(text) { return .integer(i) }
            guard let d = Double(text) else { throw fail("invalid number \(text)") }
            return .number(d)
        }
    }
}
