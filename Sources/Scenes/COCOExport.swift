import Files
import JSON

/// Writes a dataset as COCO instances (one JSON file, streamed: constant memory whatever the
/// number of scenes):
/// - `images`: id (the scene index + 1: COCO tools treat id 0 as missing), `file_name` (the
///   image path relative to the dataset folder), width, height, and under `air` the scene's
///   index, light and table;
/// - `categories`: the five shapes, id = `Shape` order + 1, supercategory "block";
/// - `annotations`: one per object with at least one visible pixel: `segmentation` as compact
///   RLE of the visible instance mask, `bbox` [x, y, w, h] of the visible pixels, `area` their
///   count, `iscrowd` 0, and under `air` the object's latents (shape, colour, palette name,
///   position, rotation) and its index in the scene. Objects hidden entirely have no mask and
///   are left out (COCO has no annotation without pixels).
/// The masks are the dataset's (`masks/*.png`) or, for a dataset written without them,
/// rendered from the scenes (the same pixels: the mask ignores light and samples per pixel).
public struct COCOExport {
    public let header: DatasetHeader
    public init(folder: String) throws { header = try DatasetHeader(folder: folder) }

    public static var categories: JSONValue {
        .arr(Shape.allCases.map { .obj([("id", .int($0.rawValue + 1)), ("name", .str($0.name)), ("supercategory", .str("block"))]) })
    }

    /// Writes the COCO file to `out` (atomically); `progress` is called after each scene with the
    /// number done. Returns the numbers of images and annotations.
    @discardableResult
    public func write(to out: String, progress: (Int) -> Void = { _ in }) throws -> (images: Int, annotations: Int) {
        let file = try AtomicFileWriter(path: out)
        // The annotations go to a scratch file, appended after the images.
        let annotations = try ScratchFile(near: out)
        let renderer = Rasterizer(threads: 1)
        try file.write(#"{"info":{"description":"air scenes","version":"1.0"},"licenses":[],"categories":"#)
        try file.write(JSONWriter.compact(Self.categories))
        try file.write(#","images":["#)
        var images = 0, annotationCount = 0
        try Dataset.forEachEntry(header) { e in
            let scene = e.scene, w = scene.camera.width, h = scene.camera.height
            let mask = try self.mask(e, renderer: renderer)
            var air: [(String, JSONValue)] = [("index", .int(e.index))]
            air += SceneJSON.lightAndTableMembers(scene)
            let image: JSONValue = .obj([("id", .int(e.index + 1)), ("file_name", .str(e.image)), ("width", .int(w)),
                                         ("height", .int(h)), ("air", .obj(air))])
            try file.write((images == 0 ? "" : ",") + JSONWriter.compact(image))
            images += 1
            let labels = Labels.compute(scene: scene, mask: mask)
            for (k, o) in scene.objects.enumerated() {
                guard let box = labels[k].bbox else { continue }
                let value = UInt8(k + 1)
                let runs = COCORLE.counts(width: w, height: h) { mask[$0] == value }
                var latents: [(String, JSONValue)] = [("object_index", .int(k)), ("shape", .str(o.shape.name)),
                                                      ("color", .nums([o.color.rgb.x, o.color.rgb.y, o.color.rgb.z]))]
                if let name = o.color.name { latents.append(("color_name", .str(name))) }
                latents += [("position", .nums([o.position.x, o.position.y])), ("rotation", .num(o.rotation))]
                annotationCount += 1
                let a: JSONValue = .obj([
                    ("id", .int(annotationCount)), ("image_id", .int(e.index + 1)), ("category_id", .int(o.shape.rawValue + 1)),
                    ("segmentation", .obj([("size", .arr([.int(h), .int(w)])), ("counts", .str(COCORLE.string(runs)))])),
                    ("area", .int(labels[k].visiblePixels)),
                    ("bbox", .arr([.int(box.x0), .int(box.y0), .int(box.x1 - box.x0), .int(box.y1 - box.y0)])),
                    ("iscrowd", .int(0)), ("air", .obj(latents)),
                ])
                try annotations.write((annotationCount == 1 ? "" : ",") + JSONWriter.compact(a))
            }
            progress(images)
        }
        try file.write(#"],"annotations":["#)
        try file.append(contentsOf: annotations)
        try file.write("]}\n")
        try file.commit()
        return (images, annotationCount)
    }

    /// The instance mask of an entry: the dataset's file, else rendered.
    func mask(_ e: DatasetEntry, renderer: Rasterizer) throws -> [UInt8] {
        let w = e.scene.camera.width, h = e.scene.camera.height
        if let m = e.mask {
            let path = header.folder + "/" + m
            let read = try PNG.readMask(path)
            guard read.width == w && read.height == h else {
                throw InvalidFile(path: path, message: "mask is \(read.width)x\(read.height), but scene \(e.index)'s camera is \(w)x\(h)")
            }
            return read.mask
        }
        return try renderer.renderWithMask(e.scene, samplesPerPixel: 1, image: false, mask: true).mask!
    }
}
