import Scenes

/// Where a step looks: a point on the table, projected through the known camera, becomes the
/// affine map of a spatial-transformer glimpse. The window covers `glimpseWorld` scene units at
/// that point's depth, so a block fills the glimpse the same way near and far from the camera.
public struct Attention: Sendable {
    public let camera: Camera
    public let basis: CameraBasis
    public let worldWindow: Double
    public let height: Double

    public init(config: ModelConfig) {
        camera = config.camera
        basis = camera.basis
        worldWindow = config.glimpseWorld
        height = config.glimpseHeight
    }

    /// The glimpse's affine map θ (row-major 2×3, normalised coordinates, y down) centred on the
    /// table point (x, y). A point behind the camera gets a whole-image view.
    public func theta(x: Double, y: Double) -> [Float] {
        let p = SIMD3(x, y, height)
        let q = p - camera.eye
        let depth = (q * basis.f).sum()
        guard depth > 1e-6, let px = camera.project(p) else { return [1, 0, 0, 0, 1, 0] }
        // Pixels per scene unit at this depth, the same along x and y for square pixels.
        let ppu = Double(camera.height) / 2 / (basis.t * depth)
        let windowPixels = worldWindow * ppu
        let sx = windowPixels / Double(camera.width), sy = windowPixels / Double(camera.height)
        let tx = 2 * px.x / Double(camera.width) - 1, ty = 2 * px.y / Double(camera.height) - 1
        return [Float(sx), 0, Float(tx), 0, Float(sy), Float(ty)]
    }
}
