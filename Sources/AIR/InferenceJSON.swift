import Scenes

/// The JSON a user gets for one image: the spec's scene format, each object with its palette
/// name and its confidences.
public enum InferenceJSON {
    public static func json(_ s: InferredScene, image: String?) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let image { members.append(("image", .str(image))) }
        members.append(("camera", SceneJSON.json(s.scene.camera)))
        members.append(("objects", .arr(s.objects.map(object))))
        members.append(("stop_probability", s.stopPresence.map { JSONValue.num(round4(1 - $0)) } ?? JSONValue(.null)))
        return .obj(members)
    }

    static func object(_ o: InferredObject) -> JSONValue {
        let rgb = o.object.color.rgb
        var confidence: [(String, JSONValue)] = [
            ("present", .num(round4(o.presence))),
            ("shape", .obj(zip(Shape.allCases, o.shapeProbabilities).map { ($0.name, .num(round4($1))) })),
            ("position_std", .nums([round4(o.positionStd.x), round4(o.positionStd.y)])),
            ("color_std", .nums([round4(o.colorStd.x), round4(o.colorStd.y), round4(o.colorStd.z)])),
        ]
        confidence.append(("rotation_spread_deg", o.rotationSpread.map { JSONValue.num(round4($0)) } ?? JSONValue(.null)))
        return .obj([
            ("shape", .str(o.object.shape.name)),
            ("color", .nums([round4(rgb.x), round4(rgb.y), round4(rgb.z)])),
            ("color_name", .str(Palette.nearestName(to: rgb))),
            ("position", .nums([round4(o.object.position.x), round4(o.object.position.y)])),
            ("rotation", .num(round4(o.object.rotation))),
            ("confidence", .obj(confidence)),
        ])
    }

    static func round4(_ v: Double) -> Double { (v * 10_000).rounded() / 10_000 }
}
