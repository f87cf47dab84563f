import Scenes

/// The JSON a user gets for one image: the spec's scene format (camera, the inferred light, the
/// model's table), each object with its palette name and confidences, and what refinement did.
public enum InferenceJSON {
    public static func json(_ r: Reading, image: String?) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let image { members.append(("image", .str(image))) }
        members.append(("camera", SceneJSON.json(r.scene.camera)))
        let l = r.scene.light
        members.append(("light", .obj([
            ("direction", .nums([round4(l.direction.x), round4(l.direction.y), round4(l.direction.z)])),
            ("ambient", .num(round4(l.ambient))), ("diffuse", .num(round4(l.diffuse))), ("shadows", .bool(l.shadows)),
        ])))
        members.append(("table", SceneJSON.json(tableColor: r.scene.tableColor)))
        members.append(("objects", .arr(r.objects.map(object))))
        if !r.rejected.isEmpty { members.append(("rejected_objects", .arr(r.rejected.map(object)))) }
        members.append(("stop_probability", r.inferred.stopPresence.map { JSONValue.num(round4(1 - $0)) } ?? JSONValue(.null)))
        if let f = r.refinement {
            members.append(("refinement", .obj([
                ("log_likelihood_before", .num(round4(f.logLikelihoodBefore))),
                ("log_likelihood_after", .num(round4(f.logLikelihoodAfter))),
                ("sigma", .num(round4(f.sigma))),
                ("renders", .int(f.renders)),
                ("accepted", .obj(f.accepted.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ])))
        }
        return .obj(members)
    }

    static func object(_ r: ReadObject) -> JSONValue {
        let o = r.object
        let rgb = o.color.rgb
        var confidence: [(String, JSONValue)] = [("present", .num(round4(r.confidence)))]
        confidence.append(("network_presence", r.presence.map { JSONValue.num(round4($0)) } ?? JSONValue(.null)))
        confidence.append(("evidence_nats", .num(round4(r.evidence))))
        if let a = r.amortized {
            confidence.append(("shape", .obj(zip(Shape.allCases, a.shapeProbabilities).map { ($0.name, .num(round4($1))) })))
            confidence.append(("position_std", .nums([round4(a.positionStd.x), round4(a.positionStd.y)])))
            confidence.append(("color_std", .nums([round4(a.colorStd.x), round4(a.colorStd.y), round4(a.colorStd.z)])))
            confidence.append(("rotation_spread_deg", a.rotationSpread.map { JSONValue.num(round4($0)) } ?? JSONValue(.null)))
        }
        return .obj([
            ("shape", .str(o.shape.name)),
            ("color", .nums([round4(rgb.x), round4(rgb.y), round4(rgb.z)])),
            ("color_name", .str(Palette.nearestName(to: rgb))),
            ("position", .nums([round4(o.position.x), round4(o.position.y)])),
            ("rotation", .num(round4(o.rotation))),
            ("confidence", .obj(confidence)),
        ])
    }

    static func round4(_ v: Double) -> Double { (v * 10_000).rounded() / 10_000 }
}
