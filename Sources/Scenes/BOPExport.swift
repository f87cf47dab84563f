#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Files
import JSON

/// Writes a dataset in the BOP layout (Hodaň et al.; one BOP "scene" folder, 000000, holding
/// every image), streamed like the COCO export:
/// - `models/obj_00000K.ply` (K = `Shape` order + 1; millimetres, origin at the centre of the
///   model's 3D bounding box, z up, as BOP's format prescribes) and `models/models_info.json`
///   (diameter, extents, and the exact symmetries: discrete for cube, brick and pyramid, the
///   cylinder's continuous axis (with its discrete flips), none for the wedge);
/// - `000000/scene_camera.json` (`cam_K`, `cam_R_w2c`, `cam_t_w2c`, `depth_scale`),
///   `scene_gt.json` (`cam_R_m2c`, `cam_t_m2c`, `obj_id` per object), `scene_gt_info.json`
///   (`bbox_obj`, `bbox_visib` in the toolkit's [x, y, w, h] with w = x_max − x_min, `px_count_all`, `px_count_valid`, `px_count_visib`,
///   `visib_fract`), `rgb/` (the dataset's PNGs), `depth/` (16-bit, `depth_scale` mm per unit),
///   `mask/` (each object's full silhouette) and `mask_visib/` (its visible part).
/// Units: 1 scene unit = `millimetresPerUnit` mm. Camera frame: OpenCV's (x right, y down,
/// z forward), pixel centres at whole coordinates (so cx = W/2 − ½).
public struct BOPExport {
    public static let millimetresPerUnit = 100.0
    /// Depth PNG units: 0.001 scene units = 0.1 mm.
    public static let depthScale = DatasetLayout.depthUnit * millimetresPerUnit
    public let header: DatasetHeader
    public init(folder: String) throws { header = try DatasetHeader(folder: folder) }

    /// World-to-camera rotation (row-major) and translation (mm), and the intrinsics, of a camera.
    public static func camera(_ c: Camera) -> (k: [Double], r: [Double], t: [Double]) {
        let f = c.basis.f, right = c.basis.r, up = c.basis.u
        let rows = [right, -up, f]
        let r = rows.flatMap { [$0.x, $0.y, $0.z] }
        let t = rows.map { -(($0 * c.eye).sum()) * millimetresPerUnit }
        let fy = Double(c.height) / (2 * c.basis.t)
        let k = [fy, 0, Double(c.width) / 2 - 0.5, 0, fy, Double(c.height) / 2 - 0.5, 0, 0, 1]
        return (k, r, t)
    }

    /// The centre of the shape's 3D bounding box in our mesh frame (scene units; our meshes
    /// stand on z = 0): BOP's model frame has its origin there, so a BOP model point is our
    /// mesh point − `modelOrigin`.
    public static func modelOrigin(_ shape: Shape) -> SIMD3<Double> {
        let v = ShapeMeshes.mesh(shape).vertices
        let lo = v.reduce(SIMD3(repeating: Double.infinity)) { pointwiseMin($0, $1) }
        let hi = v.reduce(SIMD3(repeating: -Double.infinity)) { pointwiseMax($0, $1) }
        return (lo + hi) / 2
    }

    /// Model-to-camera rotation (row-major) and translation (mm; of the BOP model's origin, the
    /// centre of its bounding box) of an object.
    public static func pose(_ o: SceneObject, camera c: Camera) -> (r: [Double], t: [Double]) {
        let cam = camera(c)
        let a = o.rotation * .pi / 180, cs = cos(a), sn = sin(a)
        let yaw = [cs, -sn, 0, sn, cs, 0, 0, 0, 1]
        var r = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { r[3 * i + j] += cam.r[3 * i + k] * yaw[3 * k + j] } } }
        let m = modelOrigin(o.shape)
        let p = [(o.position.x + cs * m.x - sn * m.y) * millimetresPerUnit, (o.position.y + sn * m.x + cs * m.y) * millimetresPerUnit,
                 m.z * millimetresPerUnit]
        let t = (0..<3).map { i in (0..<3).map { cam.r[3 * i + $0] * p[$0] }.reduce(0, +) + cam.t[i] }
        return (r, t)
    }

    public func write(to out: String, threads: Int = 1, progress: (Int) -> Void = { _ in }) throws -> (images: Int, objects: Int) {
        try FileIO.makeDirectories(out + "/models")
        try Self.writeModels(out + "/models")
        let scene = out + "/000000"
        for sub in ["rgb", "depth", "mask", "mask_visib"] { try FileIO.makeDirectories(scene + "/" + sub) }
        let cameraFile = try AtomicFileWriter(path: scene + "/scene_camera.json")
        let gtFile = try AtomicFileWriter(path: scene + "/scene_gt.json")
        let infoFile = try AtomicFileWriter(path: scene + "/scene_gt_info.json")
        for f in [cameraFile, gtFile, infoFile] { try f.write("{\n") }
        // Chunks of scenes are written on `threads` workers (each with its own renderer); the
        // JSON members are appended in index order, so the files do not depend on the thread count.
        let workers = max(1, threads)
        let renderers = (0..<workers).map { _ in Rasterizer(threads: 1) }
        var images = 0, objects = 0
        var chunk: [DatasetEntry] = []
        func flush() throws {
            var results = [Result<(camera: String, gt: String, info: String, objects: Int), Error>?](repeating: nil, count: chunk.count)
            let entries = chunk
            results.withUnsafeMutableBufferPointer { out in
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    for k in stride(from: w, to: entries.count, by: workers) {
                        out[k] = Result { try self.writeImage(entries[k], into: scene, renderer: renderers[w]) }
                    }
                }
            }
            for r in results {
                let (camera, gt, info, n) = try r!.get()
                let sep = images == 0 ? "" : ",\n"
                try cameraFile.write(sep + camera)
                try gtFile.write(sep + gt)
                try infoFile.write(sep + info)
                images += 1
                objects += n
            }
            chunk.removeAll(keepingCapacity: true)
            progress(images)
        }
        try Dataset.forEachEntry(header) { e in
            chunk.append(e)
            if chunk.count == 256 { try flush() }
        }
        if !chunk.isEmpty { try flush() }
        for f in [cameraFile, gtFile, infoFile] {
            try f.write("\n}\n")
            try f.commit()
        }
        return (images, objects)
    }

    static func padded(_ i: Int) -> String {
        let s = String(i)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }

    /// One image's files (rgb, depth, masks) and its three JSON members.
    func writeImage(_ e: DatasetEntry, into scene: String, renderer: Rasterizer) throws -> (camera: String, gt: String, info: String, objects: Int) {
        let s = e.scene, w = s.camera.width, h = s.camera.height
        let name = Self.padded(e.index)
        let cam = Self.camera(s.camera)
        let camera = "  \"\(e.index)\": " + JSONWriter.compact(.obj([
            ("cam_K", .nums(cam.k)), ("cam_R_w2c", .nums(cam.r)), ("cam_t_w2c", .nums(cam.t)), ("depth_scale", .num(Self.depthScale)),
        ]))
        // rgb: the dataset's image as it is; depth: exact, from the renderer.
        try FileIO.writeAtomically(scene + "/rgb/\(name).png", FileIO.read(header.folder + "/" + e.image))
        let g = try renderer.geometry(s)
        let depth = g.depth.map { UInt16(min(max(($0 / Float(DatasetLayout.depthUnit)).rounded(), 0), 65535)) }
        try FileIO.writeAtomically(scene + "/depth/\(name).png", PNG.encodeGray16(depth, width: w, height: h))
        var gts: [JSONValue] = [], infos: [JSONValue] = []
        for (k, o) in s.objects.enumerated() {
            let pose = Self.pose(o, camera: s.camera)
            gts.append(.obj([("cam_R_m2c", .nums(pose.r)), ("cam_t_m2c", .nums(pose.t)), ("obj_id", .int(o.shape.rawValue + 1))]))
            var alone = s
            alone.objects = [o]
            let full = try renderer.renderWithMask(alone, samplesPerPixel: 1, image: false, mask: true).mask!
            let mine = g.mask.map { $0 == UInt8(k + 1) ? UInt8(255) : 0 }
            let all = full.map { $0 > 0 ? UInt8(255) : 0 }
            let file = "\(name)_\(Self.padded(k)).png"
            try FileIO.writeAtomically(scene + "/mask/" + file, PNG.encodeMask(all, width: w, height: h))
            try FileIO.writeAtomically(scene + "/mask_visib/" + file, PNG.encodeMask(mine, width: w, height: h))
            let nInside = all.filter { $0 > 0 }.count, nVisib = mine.filter { $0 > 0 }.count
            // As the toolkit's calc_gt_info.py: px_count_all and bbox_obj cover the whole
            // silhouette, also its part outside the image (px_count_valid only the part inside);
            // both boxes [-1, -1, -1, -1] for a wholly hidden object.
            var whole = (count: nInside, box: Self.box(all, width: w))
            if Self.touchesBorder(all, width: w, height: h) { whole = try Self.wholeSilhouette(alone, renderer: renderer) }
            let none = [-1, -1, -1, -1]
            infos.append(.obj([
                ("bbox_obj", .arr((nVisib > 0 ? whole.box : none).map { .int($0) })),
                ("bbox_visib", .arr((nVisib > 0 ? Self.box(mine, width: w) : none).map { .int($0) })),
                ("px_count_all", .int(whole.count)), ("px_count_valid", .int(nInside)), ("px_count_visib", .int(nVisib)),
                ("visib_fract", .num(whole.count > 0 ? Double(nVisib) / Double(whole.count) : 0)),
            ]))
        }
        return (camera, "  \"\(e.index)\": " + JSONWriter.compact(.arr(gts)), "  \"\(e.index)\": " + JSONWriter.compact(.arr(infos)), s.objects.count)
    }

    static func touchesBorder(_ mask: [UInt8], width w: Int, height h: Int) -> Bool {
        for x in 0..<w where mask[x] > 0 || mask[(h - 1) * w + x] > 0 { return true }
        for y in 0..<h where mask[y * w] > 0 || mask[y * w + w - 1] > 0 { return true }
        return false
    }

    /// The object's whole silhouette, also outside the image, rendered as calc_gt_info.py does
    /// on a canvas three times the image's size (the same focal length, the image in its
    /// middle): its pixel count and its box in the image's coordinates.
    static func wholeSilhouette(_ scene: Scene, renderer: Rasterizer) throws -> (count: Int, box: [Int]) {
        var large = scene
        let w = scene.camera.width, h = scene.camera.height
        large.camera.width = 3 * w
        large.camera.height = 3 * h
        large.camera.fovY = 2 * atan(3 * tan(scene.camera.fovY * .pi / 360)) * 180 / .pi
        let mask = try renderer.renderWithMask(large, samplesPerPixel: 1, image: false, mask: true).mask!
        let b = box(mask, width: 3 * w)
        return (mask.filter { $0 > 0 }.count, b[0] < 0 ? b : [b[0] - w, b[1] - h, b[2], b[3]])
    }

    /// BOP's box of the set pixels (the toolkit's `misc.calc_2d_bbox`, as calc_gt_info.py
    /// writes it): [x_min, y_min, x_max − x_min, y_max − y_min] over the pixels' whole
    /// coordinates, so a one-pixel mask has w = h = 0; [-1, -1, -1, -1] when none is set.
    public static func box(_ mask: [UInt8], width: Int) -> [Int] {
        var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        for (p, v) in mask.enumerated() where v > 0 {
            let x = p % width, y = p / width
            x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
        }
        return x1 < 0 ? [-1, -1, -1, -1] : [x0, y0, x1 - x0, y1 - y0]
    }

    /// PLY meshes (ASCII, millimetres, triangles) and models_info.json.
    static func writeModels(_ folder: String) throws {
        var info: [(String, JSONValue)] = []
        for shape in Shape.allCases {
            let m = ShapeMeshes.mesh(shape)
            let origin = modelOrigin(shape)
            let v = m.vertices.map { ($0 - origin) * millimetresPerUnit }
            let triangles = m.faces.flatMap { f in (1..<(f.count - 1)).map { [f[0], f[$0], f[$0 + 1]] } }
            var ply = "ply\nformat ascii 1.0\ncomment air \(shape.name), millimetres, z up, origin at the bounding box centre\n"
            ply += "element vertex \(v.count)\nproperty float x\nproperty float y\nproperty float z\n"
            ply += "element face \(triangles.count)\nproperty list uchar int vertex_indices\nend_header\n"
            for p in v { ply += "\(JSONWriter.number(p.x)) \(JSONWriter.number(p.y)) \(JSONWriter.number(p.z))\n" }
            for t in triangles { ply += "3 \(t[0]) \(t[1]) \(t[2])\n" }
            try FileIO.writeAtomically(folder + "/obj_\(padded(shape.rawValue + 1)).ply", text: ply)
            let lo = v.reduce(SIMD3(repeating: Double.infinity)) { pointwiseMin($0, $1) }
            let hi = v.reduce(SIMD3(repeating: -Double.infinity)) { pointwiseMax($0, $1) }
            var diameter = 0.0
            for a in v { for b in v { diameter = max(diameter, ((a - b) * (a - b)).sum().squareRoot()) } }
            var members: [(String, JSONValue)] = [
                ("diameter", .num(diameter)), ("min_x", .num(lo.x)), ("min_y", .num(lo.y)), ("min_z", .num(lo.z)),
                ("size_x", .num(hi.x - lo.x)), ("size_y", .num(hi.y - lo.y)), ("size_z", .num(hi.z - lo.z)),
            ]
            // 4×4 row-major [R t; 0 1], t in mm. The cylinder: a continuous symmetry about its axis
            // (the rotations about z are left to it) and the discrete flips.
            var discrete = ShapeMeshes.discreteSymmetries(shape)
            if shape == .cylinder { discrete = discrete.filter { $0.rotation[8] != 1 } }
            if !discrete.isEmpty {
                members.append(("symmetries_discrete", .arr(discrete.map { s in
                    // x ↦ R x + t on our mesh is x' ↦ R x' + (R o + t − o) on the BOP model (x = x' + o).
                    let r = s.rotation
                    let ro = SIMD3(r[0] * origin.x + r[1] * origin.y + r[2] * origin.z, r[3] * origin.x + r[4] * origin.y + r[5] * origin.z,
                                   r[6] * origin.x + r[7] * origin.y + r[8] * origin.z)
                    let t = (ro + s.translation - origin) * millimetresPerUnit
                    return .nums([r[0], r[1], r[2], t.x, r[3], r[4], r[5], t.y, r[6], r[7], r[8], t.z, 0, 0, 0, 1].map { abs($0) < 1e-9 ? 0 : $0 })
                })))
            }
            if shape == .cylinder {
                // The axis through the bounding box's centre (the BOP model's origin).
                let axisOffset = (SIMD3<Double>.zero - SIMD3(origin.x, origin.y, 0)) * millimetresPerUnit
                members.append(("symmetries_continuous", .arr([.obj([("axis", .nums([0, 0, 1])),
                                                                     ("offset", .nums([axisOffset.x, axisOffset.y, axisOffset.z]))])])))
            }
            info.append((String(shape.rawValue + 1), .obj(members)))
        }
        try FileIO.writeAtomically(folder + "/models_info.json", text: JSONWriter.pretty(.obj(info)))
    }
}
