/// A renderer that also produces the spec's instance masks, which dataset generation
/// and labelling need. `Rasterizer` (the C renderer) conforms.
public protocol MaskRenderer: SceneRenderer {
    /// The image (if `image`) and the instance mask (if `mask`) of one scene.
    func renderWithMask(_ scene: Scene, samplesPerPixel: Int, image: Bool, mask: Bool) throws -> (image: Image?, mask: [UInt8]?)
}

/// A renderer failure, with the renderer's error code and text.
public struct RenderError: Error, CustomStringConvertible, Equatable {
    public var code: Int32
    public var message: String
    public init(code: Int32, message: String) { self.code = code; self.message = message }
    public var description: String { "render failed: \(message) (code \(code))" }
}
