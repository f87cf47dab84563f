import Files

/// A JSON-lines file of scenes (one per line), as `air infer --json` writes them or any other
/// method might: each line an object with `objects` and optionally `image`; other keys (and
/// per-object extras such as `color_name` or `confidence`) are ignored. Objects may overlap:
/// these are readings, not scenes to render.
public enum SceneLines {
    public struct Line: Sendable {
        public var line: Int
        public var image: String?
        public var objects: [SceneObject]
    }

    public static func read(_ path: String) throws -> [Line] {
        let reader = JSONFieldReader(file: path)
        var out: [Line] = []
        for (k, text) in try FileIO.readText(path).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !text.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) else { continue }
            let v = try reader.parse(String(text), firstLine: k + 1)
            let items = try reader.array(reader.required(v, "", "objects"), "objects")
            let objects = try items.enumerated().map { i, item in
                try SceneJSON.object(from: item, "objects[\(i)]", reader: reader, extraKeys: nil)
            }
            var image: String? = nil
            if let im = v["image"] {
                guard case .string(let s) = im.kind else { throw reader.error(im, "image", "expected a string") }
                image = s
            }
            out.append(Line(line: k + 1, image: image, objects: objects))
        }
        return out
    }
}
