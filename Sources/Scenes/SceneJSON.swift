import JSON
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// Reading and writing the spec's scene JSON.
///
/// Reading is strict: unknown keys, unknown shapes or colour names, non-finite numbers,
/// colours outside [0, 1], wrong types, overlapping footprints, more than 255 objects and
/// a bad camera are `InputError`s naming the file, the line and the field.
public enum SceneJSON {
    public static let maxObjects = 255
    public static let objectKeys = ["shape", "color", "position", "rotation"]
    public static let cameraKeys = ["eye", "target", "up", "fov_y", "width", "height"]
    public static let lightKeys = ["direction", "ambient", "diffuse", "shadows"]

    /// Parses a scene from text. `file` names the source in errors.
    public static func read(_ text: String, file: String, firstLine: Int = 1) throws -> Scene {
        let reader = JSONFieldReader(file: file)
        return try scene(from: reader.parse(text, firstLine: firstLine), reader: reader)
    }

    public static func scene(from v: JSONValue, reader: JSONFieldReader) throws -> Scene {
        _ = try reader.object(v, "", allowed: ["camera", "light", "table", "objects"])
        var camera = Camera()
        if let c = v["camera"] { camera = try Self.camera(from: c, "camera", base: camera, reader: reader) }
        var scene = Scene(camera: camera)
        try readLightAndTable(v, into: &scene, reader: reader)
        scene.objects = try Self.objects(from: reader.required(v, "", "objects"), "objects", reader: reader, extraKeys: [])
        return scene
    }

    /// Reads the optional `light` and `table` members of `v` over `scene`'s values.
    public static func readLightAndTable(_ v: JSONValue, into scene: inout Scene, reader: JSONFieldReader) throws {
        if let l = v["light"] { scene.light = try light(from: l, "light", base: scene.light, reader: reader) }
        if let t = v["table"] {
            _ = try reader.object(t, "table", allowed: ["color"])
            if let c = t["color"] { scene.tableColor = try Color.parse(c, "table.color", reader: reader).rgb }
        }
    }

    /// Reads a light object; missing keys keep `base`'s values.
    public static func light(from v: JSONValue, _ path: String, base: Light, reader: JSONFieldReader) throws -> Light {
        _ = try reader.object(v, path, allowed: lightKeys)
        var l = base
        let join = { (key: String) in JSONFieldReader.join(path, key) }
        if let d = v["direction"] {
            let n = try reader.boundedNumbers(d, join("direction"), count: 3)
            l.direction = SIMD3(n[0], n[1], n[2])
        }
        if let a = v["ambient"] { l.ambient = try reader.number(a, join("ambient")) }
        if let d = v["diffuse"] { l.diffuse = try reader.number(d, join("diffuse")) }
        if let s = v["shadows"] {
            guard case .bool(let b) = s.kind else { throw reader.error(s, join("shadows"), "expected true or false") }
            l.shadows = b
        }
        if let (field, message) = l.problem { throw reader.error(v[String(field.prefix(while: { $0 != "[" }))] ?? v, join(field), message) }
        return l
    }

    /// Reads a camera object; missing keys keep `base`'s values.
    public static func camera(from v: JSONValue, _ path: String, base: Camera, reader: JSONFieldReader) throws -> Camera {
        _ = try reader.object(v, path, allowed: cameraKeys)
        var c = base
        func vec(_ key: String) throws -> SIMD3<Double>? {
            guard let x = v[key] else { return nil }
            let n = try reader.boundedNumbers(x, JSONFieldReader.join(path, key), count: 3)
            return SIMD3(n[0], n[1], n[2])
        }
        if let e = try vec("eye") { c.eye = e }
        if let t = try vec("target") { c.target = t }
        if let u = try vec("up") { c.up = u }
        if let f = v["fov_y"] { c.fovY = try reader.number(f, JSONFieldReader.join(path, "fov_y")) }
        if let w = v["width"] { c.width = try reader.integer(w, JSONFieldReader.join(path, "width"), in: 1...Camera.maxSide) }
        if let h = v["height"] { c.height = try reader.integer(h, JSONFieldReader.join(path, "height"), in: 1...Camera.maxSide) }
        if let (field, message) = c.problem {
            let key = String(field.prefix(while: { $0 != "[" }))
            throw reader.error(v[key] ?? v, JSONFieldReader.join(path, field), message)
        }
        return c
    }

    /// Reads the object list and checks the count and the footprints.
    /// `extraKeys` are further keys tolerated (and ignored) in each object.
    public static func objects(from v: JSONValue, _ path: String, reader: JSONFieldReader, extraKeys: [String]?) throws -> [SceneObject] {
        let items = try reader.array(v, path)
        guard items.count <= maxObjects else {
            throw reader.error(v, path, "\(items.count) objects, at most \(maxObjects) are allowed (the mask is 8-bit)")
        }
        var objects: [SceneObject] = []
        objects.reserveCapacity(items.count)
        for (k, item) in items.enumerated() {
            let o = try object(from: item, "\(path)[\(k)]", reader: reader, extraKeys: extraKeys)
            for (i, other) in objects.enumerated() where Footprint.overlap(other, o) {
                throw reader.error(item["position"] ?? item, "\(path)[\(k)].position",
                                   "footprint overlaps that of \(path)[\(i)] (\(other.shape) at [\(JSONWriter.number(other.position.x)), \(JSONWriter.number(other.position.y))])")
            }
            objects.append(o)
        }
        return objects
    }

    /// `extraKeys == nil` tolerates any further key.
    public static func object(from v: JSONValue, _ path: String, reader: JSONFieldReader, extraKeys: [String]?) throws -> SceneObject {
        _ = try reader.object(v, path, allowed: extraKeys.map { objectKeys + $0 })
        let join = { (key: String) in JSONFieldReader.join(path, key) }
        let shapeValue = try reader.required(v, path, "shape")
        let shapeName = try reader.string(shapeValue, join("shape"))
        guard let shape = Shape(name: shapeName) else {
            throw reader.error(shapeValue, join("shape"),
                               "unknown shape \(Echo.quoted(shapeName)) (shapes: \(Shape.allCases.map(\.name).joined(separator: ", ")))")
        }
        let color = try Color.parse(reader.required(v, path, "color"), join("color"), reader: reader)
        let p = try reader.boundedNumbers(reader.required(v, path, "position"), join("position"), count: 2)
        let rotation = try v["rotation"].map { try reader.bounded($0, join("rotation")) } ?? 0
        return SceneObject(shape: shape, color: color, position: SIMD2(p[0], p[1]), rotation: rotation)
    }

    // MARK: Writing

    public static func json(_ camera: Camera) -> JSONValue {
        .obj([
            ("eye", .nums([camera.eye.x, camera.eye.y, camera.eye.z])),
            ("target", .nums([camera.target.x, camera.target.y, camera.target.z])),
            ("up", .nums([camera.up.x, camera.up.y, camera.up.z])),
            ("fov_y", .num(camera.fovY)),
            ("width", .int(camera.width)),
            ("height", .int(camera.height)),
        ])
    }

    public static func json(_ object: SceneObject) -> JSONValue {
        .obj([
            ("shape", .str(object.shape.name)),
            ("color", object.color.json),
            ("position", .nums([object.position.x, object.position.y])),
            ("rotation", .num(object.rotation)),
        ])
    }

    public static func json(_ light: Light) -> JSONValue {
        .obj([
            ("direction", .nums([light.direction.x, light.direction.y, light.direction.z])),
            ("ambient", .num(light.ambient)),
            ("diffuse", .num(light.diffuse)),
            ("shadows", .bool(light.shadows)),
        ])
    }

    public static func json(tableColor c: SIMD3<Double>) -> JSONValue { .obj([("color", .nums([c.x, c.y, c.z]))]) }

    /// The `light` and `table` members, each only when it differs from the spec's default
    /// (so v1 scenes write the bytes they always did).
    public static func lightAndTableMembers(_ scene: Scene) -> [(String, JSONValue)] {
        var m: [(String, JSONValue)] = []
        if scene.light != Light() { m.append(("light", json(scene.light))) }
        if scene.tableColor != Scene.defaultTableColor { m.append(("table", json(tableColor: scene.tableColor))) }
        return m
    }

    public static func json(_ scene: Scene) -> JSONValue {
        .obj([("camera", json(scene.camera))] + lightAndTableMembers(scene) + [("objects", .arr(scene.objects.map(json)))])
    }

    /// Pretty text (one key per line; vectors on one line), ending with a newline.
    public static func write(_ scene: Scene) -> String { JSONWriter.pretty(json(scene)) }

    /// One line, no newline: for streaming and JSONL.
    public static func writeLine(_ scene: Scene) -> String { JSONWriter.compact(json(scene)) }
}
