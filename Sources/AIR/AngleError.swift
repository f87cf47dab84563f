#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Scenes

/// Yaw angles under a shape's rotational symmetry (AIR-NOTES, "Angles and symmetry").
///
/// A shape with period P (degrees) looks the same at θ and θ + P, so its yaw is identifiable
/// only modulo P. Errors are measured modulo P, and a network predicts the yaw as a point on the
/// circle (`LatentCode.yawPoint`), which is continuous across the identification.
public enum Angles {
    /// `degrees` wrapped into (−180, 180].
    public static func wrap(_ degrees: Double) -> Double {
        var r = fmod(degrees, 360)          // (−360, 360)
        if r > 180 { r -= 360 }
        if r <= -180 { r += 360 }
        return r
    }

    /// `degrees` reduced into [0, period).
    public static func canonical(_ degrees: Double, period: Double) -> Double {
        var r = fmod(degrees, period)
        if r < 0 { r += period }
        if r >= period { r = 0 }            // a tiny negative plus period can round up to period
        return r
    }

    /// min_k |wrap(predicted − truth + k·period)| in degrees, in [0, period/2].
    /// `period` must divide 360 (90, 180 and 360 do): then the minimum over k is the distance
    /// of the difference, reduced mod `period`, to the nearest multiple of `period`.
    public static func error(predicted: Double, truth: Double, period: Double) -> Double {
        precondition(period > 0 && fmod(360, period) == 0, "Angles.error: period \(period) does not divide 360")
        let r = canonical(predicted - truth, period: period)
        return min(r, period - r)
    }

    /// The rotation error for an object of `shape`; nil where the yaw is not identifiable
    /// (cylinder), so that such objects are left out of rotation statistics.
    public static func error(predicted: Double, truth: Double, shape: Shape) -> Double? {
        shape.symmetryPeriod.map { error(predicted: predicted, truth: truth, period: $0) }
    }
}
