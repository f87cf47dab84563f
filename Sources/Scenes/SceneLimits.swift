import JSON

/// The ranges a scene's numbers must lie in, checked when a scene, a batch spec, a dataset or
/// a model's camera is read (errors name the file, the line and the field), so that nothing
/// valid JSON can say reaches the renderer only to fail there with a message naming neither.
///
/// The renderer takes positions, angles and the camera in single precision: 1e308 would become
/// infinity there and a field of view of 1e-300 zero. Every position, rotation (degrees) and
/// camera or light coordinate is at most 1e6 in magnitude — far beyond any table (single
/// precision still resolves 0.06 units at 1e6) — and the vertical field of view lies in
/// [0.01°, 179°].
public enum SceneLimits {
    public static let magnitude = 1e6
    public static let fovY: ClosedRange<Double> = 0.01...179

    /// Why `x` is out of range, or nil.
    public static func problem(_ x: Double) -> String? {
        guard x.isFinite else { return "must be finite" }
        guard abs(x) <= magnitude else { return "\(JSONWriter.number(x)) is outside -1e6...1e6 (scene numbers are bounded: the renderer works in single precision)" }
        return nil
    }

    /// The first out-of-range component of `v` as (index, message), or nil.
    public static func problem(_ v: [Double]) -> (index: Int, message: String)? {
        for (i, x) in v.enumerated() { if let m = problem(x) { return (i, m) } }
        return nil
    }
}

extension JSONFieldReader {
    /// A number within `SceneLimits.magnitude`.
    public func bounded(_ v: JSONValue, _ path: String) throws -> Double {
        let x = try number(v, path)
        if let m = SceneLimits.problem(x) { throw error(v, path, m) }
        return x
    }

    /// An array of exactly `count` numbers within `SceneLimits.magnitude`.
    public func boundedNumbers(_ v: JSONValue, _ path: String, count: Int) throws -> [Double] {
        let items = try array(v, path)
        guard items.count == count else { throw error(v, path, "expected \(count) numbers, found \(items.count) values") }
        return try items.enumerated().map { try bounded($0.element, "\(path)[\($0.offset)]") }
    }
}
