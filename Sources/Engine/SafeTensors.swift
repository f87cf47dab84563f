import Files
import JSON

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
        if let field { return "\(source): \(Echo.truncated(field)): \(message)" }
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
        var members: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .obj(metadata.keys.sorted().map { ($0, .str(metadata[$0]!)) })))
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            precondition(t.shape.allSatisfy { $0 >= 0 } && t.values.count == t.shape.reduce(1, *),
                         "SafeTensors.encode: tensor \(name) has \(t.values.count) values for shape \(t.shape)")
            let end = offset + 4 * t.values.count
            members.append((name, .obj([("dtype", .str("F32")),
                                        ("shape", .arr(t.shape.map { .int($0) })),
                                        ("data_offsets", .arr([.int(offset), .int(end)]))])))
            offset = end
        }
        // Compact: no spaces, so the layout is the one the tests compute by hand.
        let header = JSONWriter.compact(.obj(members))
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

    /// Writes `encode(tensors, metadata:)` to `path` atomically and durably (`FileIO.writeAtomically`:
    /// a temporary file in the same folder, flushed, then renamed), so a reader never sees a
    /// partial file. A target that is not a regular file is refused (`RefusedOutput`).
    public static func write(_ tensors: [String: StoredTensor], metadata: [String: String], to path: String) throws {
        do {
            try FileIO.writeAtomically(path, encode(tensors, metadata: metadata), durable: true)
        } catch let e as IOError {
            throw ioError(path, e.message)
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
        let root: JSONValue
        do {
            root = try parseJSON(bytes: Array(bytes[8..<(8 + n)]))
        } catch let e as JSONSyntaxError {
            // The parser rejects repeated keys; a repeated tensor name is a header error naming it.
            if let key = e.duplicateKey {
                throw SafeTensorsError(.header, source: source, field: key, "appears twice in the header")
            }
            throw SafeTensorsError(.json, source: source, "invalid JSON header at line \(e.line), column \(e.column): \(e.message)")
        }
        guard case .object(let entries) = root.kind else {
            throw SafeTensorsError(.header, source: source, "header is not a JSON object")
        }

        let dataStart = 8 + n
        let dataCount = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var tensors: [String: StoredTensor] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []

        for member in entries {
            let (name, value) = (member.key, member.value)
            if name == "__metadata__" {
                guard case .object(let pairs) = value.kind else {
                    throw SafeTensorsError(.metadata, source: source, field: name, "must be an object of strings")
                }
                for pair in pairs {
                    guard case .string(let s) = pair.value.kind else {
                        throw SafeTensorsError(.metadata, source: source, field: "__metadata__.\(pair.key)", "value is not a string")
                    }
                    metadata[pair.key] = s
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

    private static func tensorInfo(name: String, value: JSONValue, source: String) throws -> (dtype: DType, shape: [Int], begin: Int, end: Int) {
        guard case .object = value.kind else {
            throw SafeTensorsError(.header, source: source, field: name, "entry is not an object")
        }
        func field(_ key: String) throws -> JSONValue.Kind {
            guard let v = value[key] else {
                throw SafeTensorsError(.header, source: source, field: "\(name).\(key)", "missing")
            }
            return v.kind
        }
        guard case .string(let dtypeName) = try field("dtype") else {
            throw SafeTensorsError(.dtype, source: source, field: "\(name).dtype", "is not a string")
        }
        guard let dtype = DType(name: dtypeName) else {
            throw SafeTensorsError(.dtype, source: source, field: "\(name).dtype",
                                   "unsupported dtype \(Echo.quoted(dtypeName)) (expected F32, F64, F16, BF16, I64 or I32)")
        }
        guard case .array(let dims) = try field("shape") else {
            throw SafeTensorsError(.shape, source: source, field: "\(name).shape", "is not an array")
        }
        var shape: [Int] = []
        var elements = 1
        for d in dims {
            // Integer literals only, read exactly: 2.5, 2.0, 2e0 and true are not dimensions.
            guard let k = d.integerValue, k >= 0 else {
                throw SafeTensorsError(.shape, source: source, field: "\(name).shape", "dimensions must be non-negative integers")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: k)
            guard !overflow, product <= Int.max / 8 else {
                throw SafeTensorsError(.shape, source: source, field: "\(name).shape", "shape \(JSONWriter.compact(.arr(dims))) is too large")
            }
            elements = product
            shape.append(k)
        }
        guard case .array(let offs) = try field("data_offsets"), offs.count == 2,
              let begin = offs[0].integerValue, let end = offs[1].integerValue else {
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

    /// The file's bytes (`FileIO.read`: regular files only, at most 1 GiB).
    private static func readBytes(_ path: String) throws -> [UInt8] {
        do {
            return try FileIO.read(path)
        } catch let e as IOError {
            throw ioError(path, e.message)
        }
    }

    private static func ioError(_ path: String, _ message: String) -> SafeTensorsError {
        SafeTensorsError(.io, source: path, message)
    }
}
