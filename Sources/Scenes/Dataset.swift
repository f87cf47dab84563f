import Files
import JSON

/// The spec's dataset folder: meta.json, scenes.jsonl, images/, masks/, optional images.npy.
public enum DatasetLayout {
    public static let meta = "meta.json"
    public static let scenes = "scenes.jsonl"
    public static let npy = "images.npy"
    /// Written by `air generate` while it runs; holds the meta.json to come (see DatasetGenerator).
    public static let state = ".air-generate.json"

    /// images/000000.png: at least six digits.
    public static func name(_ index: Int) -> String {
        let s = String(index)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s + ".png"
    }
    public static func image(_ index: Int) -> String { "images/" + name(index) }
    public static func mask(_ index: Int) -> String { "masks/" + name(index) }
    /// Depth PNGs store round(depth / depthUnit) as 16-bit grey (0: no surface): 0.001 scene
    /// units, up to 65.535.
    public static let depthUnit = 0.001
    public static func depth(_ index: Int) -> String { "depth/" + name(index) }
    public static func depthNPY(_ index: Int) -> String { "depth/" + name(index).dropLast(4) + ".npy" }
    public static func normals(_ index: Int) -> String { "normals/" + name(index).dropLast(4) + ".npy" }
    public static func amodal(_ index: Int, object k: Int) -> String {
        let kk = String(k)
        return "amodal/" + name(index).dropLast(4) + "_" + String(repeating: "0", count: max(0, 3 - kk.count)) + kk + ".png"
    }

    /// One scenes.jsonl line (without the newline).
    public static func line(index: Int, scene: Scene, labels: [ObjectLabel], mask: Bool, extra: [(String, JSONValue)] = []) -> String {
        let objects: [JSONValue] = zip(scene.objects, labels).map { o, l in
            var m: [(String, JSONValue)] = [
                ("shape", .str(o.shape.name)),
                ("color", .nums([o.color.rgb.x, o.color.rgb.y, o.color.rgb.z])),
            ]
            if let name = o.color.name { m.append(("color_name", .str(name))) }
            m.append(("position", .nums([o.position.x, o.position.y])))
            m.append(("rotation", .num(o.rotation)))
            if let p = l.pixelCoords { m.append(("pixel_coords", .nums([Double(Float(p.x)), Double(Float(p.y))]))) }
            if let b = l.bbox { m.append(("bbox", .arr([.int(b.x0), .int(b.y0), .int(b.x1), .int(b.y1)]))) }
            m.append(("visible_pixels", .int(l.visiblePixels)))
            return .obj(m)
        }
        var members: [(String, JSONValue)] = [("index", .int(index)), ("image", .str(image(index)))]
        if mask { members.append(("mask", .str(Self.mask(index)))) }
        members += extra
        members += SceneJSON.lightAndTableMembers(scene)
        members.append(("objects", .arr(objects)))
        return JSONWriter.compact(.obj(members))
    }
}

/// One scene of a dataset as a reader sees it.
public struct DatasetEntry: Equatable, Sendable {
    public var index: Int
    /// Paths relative to the dataset folder.
    public var image: String
    public var mask: String?
    public var scene: Scene
}

/// A dataset's meta.json: the camera, light and table every line starts from, and the count.
public struct DatasetHeader: Sendable {
    public var folder: String
    public var camera: Camera
    /// meta.json's light and table (the spec's defaults when it has none), over which each line's own apply.
    public var base: Scene
    public var samplesPerPixel: Int
    public var count: Int

    public init(folder: String) throws {
        self.folder = folder
        let metaPath = folder + "/" + DatasetLayout.meta
        let metaReader = JSONFieldReader(file: metaPath)
        let meta = try metaReader.parse(FileIO.readText(metaPath))
        _ = try metaReader.object(meta, "", allowed: nil)
        let format = try metaReader.string(metaReader.required(meta, "", "format"), "format")
        guard format == "air-scenes" else { throw metaReader.error(meta["format"]!, "format", "expected \"air-scenes\", found \(Echo.quoted(format))") }
        let version = try metaReader.integer(metaReader.required(meta, "", "version"), "version", in: 0...Int(Int32.max))
        guard version == 1 else { throw metaReader.error(meta["version"]!, "version", "unsupported version \(version) (this reader knows 1)") }
        count = try metaReader.integer(metaReader.required(meta, "", "count"), "count", in: 0...Int(Int32.max))
        camera = try meta["camera"].map { try SceneJSON.camera(from: $0, "camera", base: Camera(), reader: metaReader) } ?? Camera()
        samplesPerPixel = try meta["spp"].map { try metaReader.integer($0, "spp", in: 1...16) } ?? 4
        var base = Scene(camera: camera)
        try SceneJSON.readLightAndTable(meta, into: &base, reader: metaReader)
        self.base = base
    }
}

/// A dataset read back: needs only meta.json, scenes.jsonl (image and each object's
/// shape, color, position, rotation) and the images. A line's own `camera`, `light` and
/// `table` override meta's; label fields and unknown keys are ignored.
///
/// A line's `image` and `mask` must name files inside the folder: relative paths without
/// `..`, and (where the file exists) not resolving through a symbolic link to a file outside
/// it; anything else is an `InputError` naming scenes.jsonl, the line and the field, so a
/// dataset from elsewhere cannot make air read (or a command write next to) other files.
public struct Dataset: Sendable {
    public var folder: String
    public var camera: Camera
    /// meta.json's light and table (the spec's defaults when it has none), over which each line's own apply.
    public var base: Scene
    public var samplesPerPixel: Int
    public var entries: [DatasetEntry]

    public init(folder: String) throws {
        let header = try DatasetHeader(folder: folder)
        self.folder = folder
        camera = header.camera
        base = header.base
        samplesPerPixel = header.samplesPerPixel
        var entries: [DatasetEntry] = []
        try Dataset.forEachEntry(header) { entries.append($0) }
        self.entries = entries
    }

    /// Every entry of the dataset's scenes.jsonl in index order, reading one line at a time
    /// (constant memory, for exporters over millions of scenes). Checks the count against
    /// meta.json at the end.
    public static func forEachEntry(_ header: DatasetHeader, _ body: (DatasetEntry) throws -> Void) throws {
        let linesPath = header.folder + "/" + DatasetLayout.scenes
        let reader = JSONFieldReader(file: linesPath)
        let inside = PathInside(folder: header.folder)
        let lines = try LineReader(path: linesPath)
        var seen = 0
        while let line = try lines.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let v = try reader.parse(bytes: Array(line), firstLine: lines.lineNumber)
            try body(try entry(v, reader: reader, base: header.base, expected: seen, inside: inside))
            seen += 1
        }
        guard seen == header.count else {
            throw InputError(file: linesPath, line: lines.lineNumber, field: "",
                             message: "\(seen) scenes, but \(header.folder)/\(DatasetLayout.meta) says count \(header.count)")
        }
    }

    static func entry(_ v: JSONValue, reader: JSONFieldReader, base: Scene, expected: Int, inside: PathInside) throws -> DatasetEntry {
        _ = try reader.object(v, "", allowed: nil)
        let index = try v["index"].map { try reader.integer($0, "index", in: 0...Int(Int32.max)) } ?? expected
        guard index == expected else { throw reader.error(v["index"]!, "index", "expected \(expected) (lines are in index order)") }
        let image = try inside.check(reader.required(v, "", "image"), "image", reader: reader)
        let mask = try v["mask"].map { try inside.check($0, "mask", reader: reader) }
        var scene = base
        if let c = v["camera"] { scene.camera = try SceneJSON.camera(from: c, "camera", base: base.camera, reader: reader) }
        try SceneJSON.readLightAndTable(v, into: &scene, reader: reader)
        var objects = try SceneJSON.objects(from: reader.required(v, "", "objects"), "objects", reader: reader, extraKeys: nil)
        if case .array(let items) = v["objects"]!.kind {
            for (k, item) in items.enumerated() {
                if let nameValue = item["color_name"], case .string(let name) = nameValue.kind,
                   Palette.exactName(for: objects[k].color.rgb) == name {
                    objects[k].color.name = name
                }
            }
        }
        scene.objects = objects
        return DatasetEntry(index: index, image: image, mask: mask, scene: scene)
    }

    /// Every file the dataset is read from (meta.json, scenes.jsonl, images and masks): the
    /// files no output of a command reading it may replace.
    public var files: [String] {
        var out = [folder + "/" + DatasetLayout.meta, folder + "/" + DatasetLayout.scenes]
        for e in entries {
            out.append(folder + "/" + e.image)
            if let m = e.mask { out.append(folder + "/" + m) }
        }
        return out
    }

    /// Checks, from the PNG headers alone, that every image has its scene's camera size
    /// (training reads images at that size; reading them resamples only other sizes).
    /// A mismatch is an `InvalidFile` naming the image.
    public func checkImageSizes() throws {
        for e in entries {
            let path = folder + "/" + e.image
            let (w, h) = try PNG.size(ofFile: path)
            let c = e.scene.camera
            guard w == c.width && h == c.height else {
                throw InvalidFile(path: path, message: "image is \(w)x\(h), but the dataset's camera for scene \(e.index) is \(c.width)x\(c.height) (meta.json, or the line's own camera in \(DatasetLayout.scenes))")
            }
        }
    }

    /// The image of entry `i`, as floats v / 255.
    public func image(_ i: Int) throws -> Image {
        try PNG.readImage(folder + "/" + entries[i].image)
    }
}

/// Checks that a dataset line's file path stays inside the dataset folder.
struct PathInside {
    let folder: String
    /// The folder with every link resolved (nil when it cannot be resolved: then only the
    /// lexical checks apply, and reading the file will fail by itself).
    let resolvedFolder: String?

    init(folder: String) {
        self.folder = folder
        resolvedFolder = FileIO.resolved(folder)
    }

    func check(_ v: JSONValue, _ field: String, reader: JSONFieldReader) throws -> String {
        let path = try reader.string(v, field)
        let shown = Echo.quoted(path)
        if path.isEmpty { throw reader.error(v, field, "empty path") }
        if path.hasPrefix("/") { throw reader.error(v, field, "\(shown) is an absolute path; paths are relative to the dataset folder") }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw reader.error(v, field, "\(shown) contains a control character")
        }
        if path.split(separator: "/", omittingEmptySubsequences: true).contains("..") {
            throw reader.error(v, field, "\(shown) contains \"..\"; paths must stay inside the dataset folder")
        }
        if let root = resolvedFolder, let real = FileIO.resolved(folder + "/" + path), !real.hasPrefix(root == "/" ? "/" : root + "/") {
            throw reader.error(v, field, "\(shown) resolves (through a symbolic link) to \(Echo.quoted(real, limit: 4096)), outside the dataset folder")
        }
        return path
    }
}
