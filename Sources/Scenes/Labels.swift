/// The spec's per-object labels of a rendered scene.
public struct ObjectLabel: Equatable, Sendable {
    /// Projection of (x, y, h/2); nil when that point is not in front of the camera.
    public var pixelCoords: SIMD2<Double>?
    /// Bounding box of the visible mask pixels, half-open; nil when none is visible.
    public var bbox: PixelRegion?
    public var visiblePixels: Int
}

public enum Labels {
    /// Labels for every object of `scene` from its instance mask (value k + 1 for object k).
    public static func compute(scene: Scene, mask: [UInt8]) -> [ObjectLabel] {
        let w = scene.camera.width, h = scene.camera.height
        precondition(mask.count == w * h)
        let n = scene.objects.count
        var counts = [Int](repeating: 0, count: n)
        var x0 = [Int](repeating: Int.max, count: n), y0 = x0
        var x1 = [Int](repeating: Int.min, count: n), y1 = x1
        mask.withUnsafeBufferPointer { m in
            for j in 0..<h {
                for i in 0..<w {
                    let v = Int(m[j * w + i])
                    guard v > 0, v <= n else { continue }
                    let k = v - 1
                    counts[k] += 1
                    x0[k] = min(x0[k], i); x1[k] = max(x1[k], i + 1)
                    y0[k] = min(y0[k], j); y1[k] = max(y1[k], j + 1)
                }
            }
        }
        return scene.objects.enumerated().map { k, o in
            let centre = SIMD3(o.position.x, o.position.y, o.shape.height / 2)
            return ObjectLabel(
                pixelCoords: scene.camera.project(centre),
                bbox: counts[k] > 0 ? PixelRegion(x0: x0[k], y0: y0[k], x1: x1[k], y1: y1[k]) : nil,
                visiblePixels: counts[k])
        }
    }
}
