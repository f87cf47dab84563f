import JSON
import Random

/// One number of a batch spec's distributions: fixed, or uniform on [lo, hi], applied with a
/// probability (otherwise the quantity keeps its neutral value).
///
/// JSON: `0.3` (fixed), `[lo, hi]` (uniform), or `{"range": [lo, hi], "probability": p}`.
public struct Draw: Equatable, Sendable {
    public var lo: Double
    public var hi: Double
    public var probability: Double

    public init(_ lo: Double, _ hi: Double, probability: Double = 1) {
        self.lo = lo
        self.hi = hi
        self.probability = probability
    }

    public static func fixed(_ v: Double) -> Draw { Draw(v, v) }

    /// A value, or `neutral` when the draw is skipped. Always consumes two numbers of `rng`,
    /// so later draws do not depend on whether this one applied.
    public func sample(_ rng: inout RNG, neutral: Double) -> Double {
        let apply = rng.uniformDouble() < probability
        let v = lo == hi ? lo : rng.uniform(lo, hi)
        return apply ? v : neutral
    }

    /// Reads a draw; every value must lie in `allowed`.
    public static func parse(_ v: JSONValue, _ path: String, reader: JSONFieldReader, allowed: ClosedRange<Double>) throws -> Draw {
        func checked(_ x: Double, _ node: JSONValue, _ p: String) throws -> Double {
            guard allowed.contains(x) else {
                throw reader.error(node, p, "\(JSONWriter.number(x)) is outside [\(JSONWriter.number(allowed.lowerBound)), \(JSONWriter.number(allowed.upperBound))]")
            }
            return x
        }
        switch v.kind {
        case .number:
            let x = try checked(reader.number(v, path), v, path)
            return .fixed(x)
        case .array:
            let r = try reader.numbers(v, path, count: 2)
            guard r[0] <= r[1] else { throw reader.error(v, path, "expected [low, high] with low <= high") }
            return Draw(try checked(r[0], v, path + "[0]"), try checked(r[1], v, path + "[1]"))
        default:
            _ = try reader.object(v, path, allowed: ["range", "probability"])
            var d = try parse(reader.required(v, path, "range"), JSONFieldReader.join(path, "range"), reader: reader, allowed: allowed)
            if let p = v["probability"] {
                d.probability = try reader.number(p, JSONFieldReader.join(path, "probability"))
                guard (0...1).contains(d.probability) else { throw reader.error(p, JSONFieldReader.join(path, "probability"), "must be in [0, 1]") }
            }
            return d
        }
    }
}
