/// An RGB float image, interleaved, row-major from the top row (as the renderer writes it).
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == width * height * 3)
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [Float](repeating: 0, count: width * height * 3))
    }
}

/// A half-open pixel rectangle [x0, x1) x [y0, y1).
public struct PixelRegion: Equatable, Sendable {
    public var x0: Int, y0: Int, x1: Int, y1: Int
    public init(x0: Int, y0: Int, x1: Int, y1: Int) { self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1 }
    public var isEmpty: Bool { x0 >= x1 || y0 >= y1 }
}

/// What the learning code may ask of a renderer: render a scene. Nothing else is assumed.
/// Any implementation of the spec can conform.
public protocol SceneRenderer {
    /// The scene's image at `samplesPerPixel` (1, 4, 9 or 16).
    func render(_ scene: Scene, samplesPerPixel: Int) throws -> Image

    /// A session for many variations of one base scene (finite differences).
    /// The default re-renders the whole scene each time; a renderer may do better.
    func session(base: Scene, samplesPerPixel: Int) throws -> any RenderSession
}

/// Renders variations of one base scene in which a single object changed.
public protocol RenderSession {
    /// The base scene's image.
    var baseImage: Image { get }

    /// Writes into `image` (which must hold `baseImage`) the scene with object `index`
    /// replaced by `object`, touching only the pixels of the returned region; all other
    /// pixels of the changed scene equal the base image's.
    func renderMoved(index: Int, to object: SceneObject, into image: inout Image) throws -> PixelRegion
}

/// The fallback session: a full render per variation.
public struct FullRenderSession: RenderSession {
    public let renderer: any SceneRenderer
    public let base: Scene
    public let samplesPerPixel: Int
    public let baseImage: Image

    public init(renderer: any SceneRenderer, base: Scene, samplesPerPixel: Int) throws {
        self.renderer = renderer
        self.base = base
        self.samplesPerPixel = samplesPerPixel
        self.baseImage = try renderer.render(base, samplesPerPixel: samplesPerPixel)
    }

    public func renderMoved(index: Int, to object: SceneObject, into image: inout Image) throws -> PixelRegion {
        var scene = base
        scene.objects[index] = object
        image = try renderer.render(scene, samplesPerPixel: samplesPerPixel)
        return PixelRegion(x0: 0, y0: 0, x1: image.width, y1: image.height)
    }
}

extension SceneRenderer {
    public func session(base: Scene, samplesPerPixel: Int) throws -> any RenderSession {
        try FullRenderSession(renderer: self, base: base, samplesPerPixel: samplesPerPixel)
    }
}

/// A renderer that can also give each object's shading image, the exact derivative of the
/// image by that object's albedo: image = table part + Σ_k albedo_k · shade_k, with
/// shade[(k·H + j)·W + i]. Learning code uses it when present and finite differences otherwise.
public protocol ShadingRenderer: SceneRenderer {
    func shading(_ scene: Scene, samplesPerPixel: Int) throws -> [Float]
    /// The image and the shading images together (a renderer that makes both in one pass says so).
    func renderWithShading(_ scene: Scene, samplesPerPixel: Int) throws -> (image: Image, shade: [Float])
    /// The image and object `object`'s shading image alone ([H·W]).
    func renderWithShading(_ scene: Scene, samplesPerPixel: Int, object: Int) throws -> (image: Image, shade: [Float])
    /// `renderWithShading(scene, samplesPerPixel:, object: last)` drawn onto `image`, which holds
    /// the image of the scene without its last object, and into `shade` (resized to [H·W]):
    /// only the pixels in the returned box are written, the rest are already the scene's. A
    /// canvas that grows by one object a step costs that object's box, not the scene, and no
    /// memory of its own.
    func renderAdded(_ scene: Scene, samplesPerPixel: Int, onto image: inout Image, shade: inout [Float]) throws
        -> (rows: Range<Int>, columns: Range<Int>)
}

extension ShadingRenderer {
    public func renderWithShading(_ scene: Scene, samplesPerPixel: Int) throws -> (image: Image, shade: [Float]) {
        (try render(scene, samplesPerPixel: samplesPerPixel), try shading(scene, samplesPerPixel: samplesPerPixel))
    }

    public func renderWithShading(_ scene: Scene, samplesPerPixel: Int, object: Int) throws -> (image: Image, shade: [Float]) {
        let (image, shade) = try renderWithShading(scene, samplesPerPixel: samplesPerPixel)
        let plane = scene.camera.width * scene.camera.height
        return (image, Array(shade[object * plane..<(object + 1) * plane]))
    }

    public func renderAdded(_ scene: Scene, samplesPerPixel: Int, onto image: inout Image, shade: inout [Float]) throws
        -> (rows: Range<Int>, columns: Range<Int>) {
        let full: Image
        (full, shade) = try renderWithShading(scene, samplesPerPixel: samplesPerPixel, object: scene.objects.count - 1)
        image = full
        return (0..<full.height, 0..<full.width)
    }
}
