import Foundation
import Scenes

/// A smooth stand-in for the real renderer, for testing gradient estimators: each object is a
/// compactly supported elliptical bump (1 − q)³ centred at its position, elongated along its
/// yaw, with amplitude `gain · rgb`. The image is a C² function of (x, y, rotation) and linear
/// in rgb, with support bounded, so its one-object-moved session can be exactly incremental.
struct BlobRenderer: SceneRenderer {
    var pixelsPerUnit = 8.0
    /// Semi-axes of the bump in pixels.
    var major = 7.0, minor = 3.5
    var gain = 0.9
    var table: SIMD3<Double> = [0.3, 0.28, 0.25]

    private func centre(_ o: SceneObject, _ w: Int, _ h: Int) -> (Double, Double) {
        (Double(w) / 2 + pixelsPerUnit * o.position.x, Double(h) / 2 - pixelsPerUnit * o.position.y)
    }

    /// The bump of object `o` at pixel (i, j) (its centre), in Double.
    func bump(_ o: SceneObject, _ i: Int, _ j: Int, _ w: Int, _ h: Int) -> Double {
        let (cx, cy) = centre(o, w, h)
        let dx = Double(i) + 0.5 - cx, dy = Double(j) + 0.5 - cy
        let t = o.rotation * Double.pi / 180
        let u = cos(t) * dx + sin(t) * dy, v = -sin(t) * dx + cos(t) * dy
        let q = (u / major) * (u / major) + (v / minor) * (v / minor)
        return q < 1 ? (1 - q) * (1 - q) * (1 - q) : 0
    }

    /// The image in Double: the reference for gradients.
    func imageDouble(_ objects: [SceneObject], width w: Int, height h: Int) -> [Double] {
        var out = [Double](repeating: 0, count: w * h * 3)
        for j in 0..<h {
            for i in 0..<w {
                var p = table
                for o in objects { p += o.color.rgb * (gain * bump(o, i, j, w, h)) }
                for c in 0..<3 { out[(j * w + i) * 3 + c] = p[c] }
            }
        }
        return out
    }

    func render(_ scene: Scene, samplesPerPixel: Int) throws -> Image {
        let w = scene.camera.width, h = scene.camera.height
        return Image(width: w, height: h, pixels: imageDouble(scene.objects, width: w, height: h).map { Float($0) })
    }

    /// Per-object shading planes, shade[(k·H + j)·W + i], as air_render_shading lays them out.
    func shading(_ objects: [SceneObject], width w: Int, height h: Int) -> [Float] {
        var out = [Float](repeating: 0, count: objects.count * w * h)
        for (k, o) in objects.enumerated() {
            for j in 0..<h { for i in 0..<w { out[(k * h + j) * w + i] = Float(gain * bump(o, i, j, w, h)) } }
        }
        return out
    }

    /// Pixels whose centres may lie inside the bump: a box of half-size `major` around the centre.
    func support(_ o: SceneObject, _ w: Int, _ h: Int) -> PixelRegion {
        let (cx, cy) = centre(o, w, h)
        return PixelRegion(x0: max(0, Int((cx - major - 0.5).rounded(.down))),
                           y0: max(0, Int((cy - major - 0.5).rounded(.down))),
                           x1: min(w, Int((cx + major + 0.5).rounded(.up)) + 1),
                           y1: min(h, Int((cy + major + 0.5).rounded(.up)) + 1))
    }

    func session(base: Scene, samplesPerPixel: Int) throws -> any RenderSession {
        try BlobSession(renderer: self, base: base)
    }
}

/// Re-renders only the union of the moved object's old and new supports.
struct BlobSession: RenderSession {
    let renderer: BlobRenderer
    let base: Scene
    let baseImage: Image

    init(renderer: BlobRenderer, base: Scene) throws {
        self.renderer = renderer
        self.base = base
        self.baseImage = try renderer.render(base, samplesPerPixel: 1)
    }

    func renderMoved(index: Int, to object: SceneObject, into image: inout Image) throws -> PixelRegion {
        let w = image.width, h = image.height
        let a = renderer.support(base.objects[index], w, h), b = renderer.support(object, w, h)
        let region = PixelRegion(x0: min(a.x0, b.x0), y0: min(a.y0, b.y0), x1: max(a.x1, b.x1), y1: max(a.y1, b.y1))
        var objects = base.objects
        objects[index] = object
        for j in region.y0..<max(region.y0, region.y1) {
            for i in region.x0..<max(region.x0, region.x1) {
                var p = renderer.table
                for o in objects { p += o.color.rgb * (renderer.gain * renderer.bump(o, i, j, w, h)) }
                for c in 0..<3 { image.pixels[(j * w + i) * 3 + c] = Float(p[c]) }
            }
        }
        return region
    }
}

/// Counts the renders a session performs.
final class CountingSession: RenderSession {
    let inner: any RenderSession
    var renders = 0
    init(_ inner: any RenderSession) { self.inner = inner }
    var baseImage: Image { inner.baseImage }
    func renderMoved(index: Int, to object: SceneObject, into image: inout Image) throws -> PixelRegion {
        renders += 1
        return try inner.renderMoved(index: index, to: object, into: &image)
    }
}
