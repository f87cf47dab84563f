import Renderer

/// The C rasteriser (renderer/include/air_renderer.h) behind the `SceneRenderer` protocol.
///
/// One instance may be used from one thread at a time; `renderBatch` spreads scenes over
/// its own thread pool. Error codes become `RenderError`s with `air_error_string`'s text.
public final class Rasterizer: MaskRenderer, ShadingRenderer {
    private let pool: OpaquePointer?
    /// Threads of the batch pool (1 means the calling thread renders everything).
    public let threads: Int

    /// `threads` <= 0 means one per hardware thread.
    public init(threads: Int = 1) {
        if threads == 1 {
            pool = nil
            self.threads = 1
        } else {
            pool = air_pool_create(Int32(threads))
            self.threads = pool.map { Int(air_pool_threads($0)) } ?? 1
        }
    }

    deinit { if let pool { air_pool_destroy(pool) } }

    static func check(_ code: Int32) throws {
        guard code == AIR_OK else { throw RenderError(code: code, message: String(cString: air_error_string(code))) }
    }

    public static func cCamera(_ c: Camera, samplesPerPixel: Int) -> air_camera {
        var cam = air_default_camera()
        cam.eye = (Float(c.eye.x), Float(c.eye.y), Float(c.eye.z))
        cam.target = (Float(c.target.x), Float(c.target.y), Float(c.target.z))
        cam.up = (Float(c.up.x), Float(c.up.y), Float(c.up.z))
        cam.fov_y_deg = Float(c.fovY)
        cam.width = Int32(clamping: c.width)
        cam.height = Int32(clamping: c.height)
        cam.spp = Int32(clamping: samplesPerPixel)
        return cam
    }

    public static func cLight(_ s: Scene) -> air_light {
        let d = s.light.direction, t = s.tableColor
        return air_light(direction: (d.x, d.y, d.z), ambient: s.light.ambient, diffuse: s.light.diffuse,
                         shadows: s.light.shadows ? 1 : 0, table_color: (Float(t.x), Float(t.y), Float(t.z)))
    }

    public static func cObject(_ o: SceneObject) -> air_object {
        air_object(shape: Int32(o.shape.rawValue),
                   color: (Float(o.color.rgb.x), Float(o.color.rgb.y), Float(o.color.rgb.z)),
                   x: Float(o.position.x), y: Float(o.position.y), rotation_deg: Float(o.rotation))
    }

    public func render(_ scene: Scene, samplesPerPixel: Int) throws -> Image {
        try renderWithMask(scene, samplesPerPixel: samplesPerPixel, image: true, mask: false).image!
    }

    public func renderWithMask(_ scene: Scene, samplesPerPixel: Int, image wantImage: Bool, mask wantMask: Bool) throws -> (image: Image?, mask: [UInt8]?) {
        var cam = Self.cCamera(scene.camera, samplesPerPixel: samplesPerPixel)
        var light = Self.cLight(scene)
        let objects = scene.objects.map(Self.cObject)
        let n = scene.camera.width * scene.camera.height
        var rgb = [Float](repeating: 0, count: wantImage ? n * 3 : 0)
        var mask = [UInt8](repeating: 0, count: wantMask ? n : 0)
        let code = rgb.withUnsafeMutableBufferPointer { r in
            mask.withUnsafeMutableBufferPointer { m in
                air_render(&cam, &light, objects, Int32(objects.count), wantImage ? r.baseAddress : nil, wantMask ? m.baseAddress : nil)
            }
        }
        try Self.check(code)
        return (wantImage ? Image(width: scene.camera.width, height: scene.camera.height, pixels: rgb) : nil, wantMask ? mask : nil)
    }

    /// Many scenes with one camera (`camera`, not the scenes' own) on the pool, each under its
    /// own light and table: images (width*height*3 floats each) and masks (width*height bytes
    /// each), concatenated in scene order.
    public func renderBatch(_ scenes: [Scene], camera: Camera, samplesPerPixel: Int, images: Bool = true, masks: Bool = false) throws -> (images: [Float], masks: [UInt8]) {
        var cam = Self.cCamera(camera, samplesPerPixel: samplesPerPixel)
        var offsets: [Int32] = [0]
        var objects: [air_object] = []
        for s in scenes {
            objects.append(contentsOf: s.objects.map(Self.cObject))
            offsets.append(Int32(objects.count))
        }
        let lights = scenes.map(Self.cLight)
        let n = camera.width * camera.height * scenes.count
        var rgb = [Float](repeating: 0, count: images ? n * 3 : 0)
        var mask = [UInt8](repeating: 0, count: masks ? n : 0)
        let code = rgb.withUnsafeMutableBufferPointer { r in
            mask.withUnsafeMutableBufferPointer { m in
                air_render_batch(pool, &cam, lights, objects, offsets, Int32(scenes.count), images ? r.baseAddress : nil, masks ? m.baseAddress : nil)
            }
        }
        try Self.check(code)
        return (rgb, mask)
    }

    /// Per-object shading coverage: shade[(k * height + j) * width + i], the derivative of
    /// pixel (i, j)'s colour by object k's albedo (see air_render_shading).
    public func shading(_ scene: Scene, samplesPerPixel: Int) throws -> [Float] {
        var cam = Self.cCamera(scene.camera, samplesPerPixel: samplesPerPixel)
        var light = Self.cLight(scene)
        let objects = scene.objects.map(Self.cObject)
        var shade = [Float](repeating: 0, count: objects.count * scene.camera.width * scene.camera.height)
        let code = shade.withUnsafeMutableBufferPointer { air_render_shading(&cam, &light, objects, Int32(objects.count), $0.baseAddress) }
        try Self.check(code)
        return shade
    }

    /// The image and the shading images from one pass of the rasteriser.
    public func renderWithShading(_ scene: Scene, samplesPerPixel: Int) throws -> (image: Image, shade: [Float]) {
        try renderWithShading(scene, samplesPerPixel: samplesPerPixel, only: nil)
    }

    /// One pass as `renderWithShading`, but only object `object`'s shading plane is cleared and
    /// written: a canvas of n objects whose newest one is fitted costs one plane, not n.
    public func renderWithShading(_ scene: Scene, samplesPerPixel: Int, object: Int) throws -> (image: Image, shade: [Float]) {
        precondition(scene.objects.indices.contains(object), "renderWithShading: object \(object) of \(scene.objects.count)")
        return try renderWithShading(scene, samplesPerPixel: samplesPerPixel, only: object)
    }

    public func renderAdded(_ scene: Scene, samplesPerPixel: Int, onto image: inout Image, shade: inout [Float]) throws
        -> (rows: Range<Int>, columns: Range<Int>) {
        precondition(!scene.objects.isEmpty && image.width == scene.camera.width && image.height == scene.camera.height,
                     "renderAdded: \(scene.objects.count) objects onto a \(image.width)×\(image.height) image")
        var cam = Self.cCamera(scene.camera, samplesPerPixel: samplesPerPixel)
        var light = Self.cLight(scene)
        let objects = scene.objects.map(Self.cObject)
        if shade.count != scene.camera.width * scene.camera.height { shade = [Float](repeating: 0, count: scene.camera.width * scene.camera.height) }
        var region = [Int32](repeating: 0, count: 4)
        let code = image.pixels.withUnsafeMutableBufferPointer { r in
            shade.withUnsafeMutableBufferPointer { s in
                air_render_added(&cam, &light, objects, Int32(objects.count), r.baseAddress, s.baseAddress, &region)
            }
        }
        try Self.check(code)
        let columns = Int(region[0])..<max(Int(region[0]), Int(region[2])), rows = Int(region[1])..<max(Int(region[1]), Int(region[3]))
        return (rows, columns)
    }

    /// The image and every object's shading plane, or object `only`'s alone.
    private func renderWithShading(_ scene: Scene, samplesPerPixel: Int, only: Int?) throws -> (image: Image, shade: [Float]) {
        var cam = Self.cCamera(scene.camera, samplesPerPixel: samplesPerPixel)
        var light = Self.cLight(scene)
        let objects = scene.objects.map(Self.cObject)
        let n = scene.camera.width * scene.camera.height
        var rgb = [Float](repeating: 0, count: n * 3)
        var shade = [Float](repeating: 0, count: (only == nil ? objects.count : 1) * n)
        let code = rgb.withUnsafeMutableBufferPointer { r in
            shade.withUnsafeMutableBufferPointer { s in
                if let only {
                    air_render_with_object_shading(&cam, &light, objects, Int32(objects.count), Int32(only), r.baseAddress, s.baseAddress)
                } else {
                    air_render_with_shading(&cam, &light, objects, Int32(objects.count), r.baseAddress, s.baseAddress)
                }
            }
        }
        try Self.check(code)
        return (Image(width: scene.camera.width, height: scene.camera.height, pixels: rgb), shade)
    }

    /// Geometry at the pixel centres: each ray's depth along the view axis (scene units; 0 where
    /// it hits nothing), the outward world normal of the surface it hits (row-major, 3 per
    /// pixel) and the instance mask. Light and shadows play no part.
    public func geometry(_ scene: Scene) throws -> (depth: [Float], normals: [Float], mask: [UInt8]) {
        var cam = Self.cCamera(scene.camera, samplesPerPixel: 1)
        let objects = scene.objects.map(Self.cObject)
        let n = scene.camera.width * scene.camera.height
        var depth = [Float](repeating: 0, count: n), normals = [Float](repeating: 0, count: 3 * n)
        var mask = [UInt8](repeating: 0, count: n)
        let code = depth.withUnsafeMutableBufferPointer { d in
            normals.withUnsafeMutableBufferPointer { nr in
                mask.withUnsafeMutableBufferPointer { m in
                    air_render_geometry(&cam, objects, Int32(objects.count), d.baseAddress, nr.baseAddress, m.baseAddress)
                }
            }
        }
        try Self.check(code)
        return (depth, normals, mask)
    }

    /// A session backed by air_cache: re-rendering with one object moved costs that
    /// object's rasterisation plus re-compositing the changed region.
    public func session(base: Scene, samplesPerPixel: Int) throws -> any RenderSession {
        try CachedRenderSession(base: base, samplesPerPixel: samplesPerPixel)
    }
}

/// A `RenderSession` over an air_cache. Serves one thread at a time.
public final class CachedRenderSession: RenderSession {
    private let cache: OpaquePointer
    public let base: Scene
    public let baseImage: Image

    public init(base: Scene, samplesPerPixel: Int) throws {
        guard let cache = air_cache_create() else { throw RenderError(code: Int32(AIR_ERR_MEMORY), message: "cannot create a render cache") }
        self.cache = cache
        self.base = base
        var cam = Rasterizer.cCamera(base.camera, samplesPerPixel: samplesPerPixel)
        var light = Rasterizer.cLight(base)
        let objects = base.objects.map(Rasterizer.cObject)
        var rgb = [Float](repeating: 0, count: base.camera.width * base.camera.height * 3)
        let code = rgb.withUnsafeMutableBufferPointer { air_cache_set_scene(cache, &cam, &light, objects, Int32(objects.count), $0.baseAddress) }
        if code != AIR_OK {
            air_cache_destroy(cache)
            throw RenderError(code: code, message: String(cString: air_error_string(code)))
        }
        baseImage = Image(width: base.camera.width, height: base.camera.height, pixels: rgb)
    }

    deinit { air_cache_destroy(cache) }

    public func renderMoved(index: Int, to object: SceneObject, into image: inout Image) throws -> PixelRegion {
        guard image.width == baseImage.width, image.height == baseImage.height else {
            throw RenderError(code: Int32(AIR_ERR_ARGUMENT), message: "image size differs from the session's base image")
        }
        var moved = Rasterizer.cObject(object)
        var region: [Int32] = [0, 0, 0, 0]
        let code = image.pixels.withUnsafeMutableBufferPointer { air_cache_render_moved(cache, Int32(index), &moved, $0.baseAddress, &region) }
        try Rasterizer.check(code)
        return PixelRegion(x0: Int(region[0]), y0: Int(region[1]), x1: Int(region[2]), y1: Int(region[3]))
    }
}
