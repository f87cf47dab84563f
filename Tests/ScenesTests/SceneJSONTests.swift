import XCTest
@testable import Scenes

final class SceneJSONTests: XCTestCase {
    static let example = """
    {
      "camera": {"eye": [0, -4.5, 7.5], "target": [0, 0.3, 0], "up": [0, 0, 1],
                 "fov_y": 40, "width": 64, "height": 64},
      "objects": [
        {"shape": "cube",  "color": "red",             "position": [-0.9, -0.9], "rotation": 20},
        {"shape": "brick", "color": [0.15, 0.3, 0.85], "position": [0.8, -0.7],  "rotation": -35}
      ]
    }
    """

    func testReadsTheSpecExample() throws {
        let s = try SceneJSON.read(Self.example, file: "example.json")
        XCTAssertEqual(s.camera, Camera())
        XCTAssertEqual(s.objects.count, 2)
        XCTAssertEqual(s.objects[0].shape, .cube)
        XCTAssertEqual(s.objects[0].color, Color(rgb: [0.85, 0.15, 0.15], name: "red"))
        XCTAssertEqual(s.objects[0].position, [-0.9, -0.9])
        XCTAssertEqual(s.objects[0].rotation, 20)
        XCTAssertEqual(s.objects[1].color, Color(rgb: [0.15, 0.3, 0.85]))
        XCTAssertEqual(s.objects[1].rotation, -35)
    }

    func testDefaults() throws {
        let s = try SceneJSON.read(#"{"objects": [{"shape": "wedge", "color": "white", "position": [0, 0]}], "camera": {"width": 32}}"#, file: "s.json")
        XCTAssertEqual(s.objects[0].rotation, 0)
        XCTAssertEqual(s.camera.width, 32)
        XCTAssertEqual(s.camera.height, 64)
        XCTAssertEqual(s.camera.eye, Camera().eye)
        XCTAssertEqual(try SceneJSON.read(#"{"objects": []}"#, file: "e.json").objects, [])
    }

    func testRoundTrip() throws {
        let s = try SceneJSON.read(Self.example, file: "example.json")
        let text = SceneJSON.write(s)
        XCTAssertTrue(text.contains("\"red\""), "palette names are kept")
        XCTAssertEqual(try SceneJSON.read(text, file: "again.json"), s)
        XCTAssertEqual(SceneJSON.write(try SceneJSON.read(text, file: "again.json")), text, "byte-stable")
        XCTAssertEqual(try SceneJSON.read(SceneJSON.writeLine(s), file: "line"), s)
    }

    /// Every bad-input class names the file, the line and the field (object index included).
    func testBadInputNamesFileLineAndField() {
        func scene(_ objects: String, camera: String = "") -> String {
            "{\n" + (camera.isEmpty ? "" : "\"camera\": \(camera),\n") + "\"objects\": [\n" + objects + "\n]\n}"
        }
        let one = #"{"shape": "cube", "color": "red", "position": [0, 0]}"#
        let ok = one + ","
        let cases: [(text: String, line: Int, field: String, says: String)] = [
            (scene(ok + "\n" + #"{"shape": "cube", "color": "purple", "position": [2, 2]}"#), 4, "objects[1].color", "unknown colour name \"purple\""),
            (scene(ok + "\n" + #"{"shape": "sphere", "color": "red", "position": [2, 2]}"#), 4, "objects[1].shape", "unknown shape"),
            (scene(ok + "\n" + #"{"shape": "cube", "colour": "red", "position": [2, 2]}"#), 4, "objects[1].colour", "unknown key"),
            (scene(ok + "\n" + #"{"shape": "cube", "color": "red", "position": [2, 1e999]}"#), 4, "objects[1].position[1]", "non-finite"),
            (scene(ok + "\n" + #"{"shape": "cube", "color": "red", "position": [2, 2], "rotation": -1e400}"#), 4, "objects[1].rotation", "non-finite"),
            (scene(ok + "\n" + #"{"shape": "cube", "color": [0.1, 1.2, 0], "position": [2, 2]}"#), 4, "objects[1].color[1]", "outside [0, 1]"),
            (scene(ok + "\n" + #"{"shape": "cube", "color": [0.1, -0.01, 0], "position": [2, 2]}"#), 4, "objects[1].color[1]", "outside [0, 1]"),
            (scene(ok + "\n" + #"{"shape": "brick", "color": "red", "position": [1.2, 0.1]}"#), 4, "objects[1].position", "overlaps that of objects[0]"),
            (scene(ok + "\n" + #"{"shape": "cube", "color": "red", "position": "here"}"#), 4, "objects[1].position", "expected an array"),
            (scene(ok + "\n" + #"{"shape": "cube", "color": "red", "position": [1, 2, 3]}"#), 4, "objects[1].position", "expected 2 numbers"),
            (scene(ok + "\n" + #"{"shape": 3, "color": "red", "position": [2, 2]}"#), 4, "objects[1].shape", "expected a string"),
            (scene(ok + "\n" + #"{"shape": "cube", "color": 7, "position": [2, 2]}"#), 4, "objects[1].color", "palette name"),
            (scene(ok + "\n" + #"{"shape": "cube", "color": "red", "position": [2, 2], "rotation": "10"}"#), 4, "objects[1].rotation", "expected a number"),
            (scene(ok + "\n" + #"{"shape": "cube", "position": [2, 2]}"#), 4, "objects[1].color", "missing required key"),
            (scene(one, camera: #"{"width": 0}"#), 2, "camera.width", "outside 1"),
            (scene(one, camera: #"{"width": 12.5}"#), 2, "camera.width", "whole number"),
            (scene(one, camera: #"{"height": "64"}"#), 2, "camera.height", "expected a number"),
            (scene(one, camera: #"{"fov_y": 180}"#), 2, "camera.fov_y", "[0.01, 179]"),
            (scene(one, camera: #"{"eye": [0, -4, -1]}"#), 2, "camera.eye", "above the table"),
            (scene(one, camera: #"{"zoom": 2}"#), 2, "camera.zoom", "unknown key"),
            ("{\n\"objects\": [],\n\"lights\": 1\n}", 3, "lights", "unknown key"),
            ("{\n\"camera\": {}\n}", 1, "objects", "missing required key"),
            ("{\n\"objects\": {}\n}", 2, "objects", "expected an array"),
            ("{\n\"objects\": [\n{\"shape\": \"cube\",, }\n]}", 3, "", "malformed JSON"),
        ]
        for c in cases {
            XCTAssertThrowsError(try SceneJSON.read(c.text, file: "scene.json"), c.field) { error in
                guard let e = error as? InputError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.file, "scene.json")
                XCTAssertEqual(e.line, c.line, "\(e)")
                XCTAssertEqual(e.field, c.field, "\(e)")
                XCTAssertTrue(e.description.contains(c.says), "\(e) should say \(c.says)")
                XCTAssertTrue(e.description.hasPrefix("scene.json:\(c.line): "), "\(e)")
            }
        }
    }

    /// Valid JSON whose numbers the renderer cannot take (it works in single precision) is
    /// refused when read, naming the field, and what is accepted renders.
    func testOutOfRangeNumbersNameTheField() throws {
        let cube = { (p: String, r: String) in #"{"objects": [{"shape": "cube", "color": "red", "position": \#(p), "rotation": \#(r)}]"# }
        let cases: [(text: String, field: String, says: String)] = [
            (cube("[1e308, 0]", "0") + "}", "objects[0].position[0]", "1e+308 is outside -1e6...1e6"),
            (cube("[0, -2e6]", "0") + "}", "objects[0].position[1]", "outside -1e6...1e6"),
            (cube("[0, 0]", "1e7") + "}", "objects[0].rotation", "outside -1e6...1e6"),
            (cube("[0, 0]", "0") + #", "camera": {"fov_y": 1e-300}}"#, "camera.fov_y", "fov_y must be in [0.01, 179] degrees, found 1e-300"),
            (cube("[0, 0]", "0") + #", "camera": {"eye": [0, 1e300, 5]}}"#, "camera.eye[1]", "outside -1e6...1e6"),
            (cube("[0, 0]", "0") + #", "camera": {"eye": [0, 0, 1], "target": [0, 0, 1.00000001]}}"#, "camera.target", "target equals eye"),
            (cube("[0, 0]", "0") + #", "camera": {"eye": [0, 0, 1e-50]}}"#, "camera.eye", "above the table"),
            (cube("[0, 0]", "0") + #", "light": {"ambient": 1e300}}"#, "light.ambient", "outside -1e6...1e6"),
            (cube("[0, 0]", "0") + #", "light": {"direction": [1e300, 0, 1]}}"#, "light.direction[0]", "outside -1e6...1e6"),
        ]
        for c in cases {
            XCTAssertThrowsError(try SceneJSON.read(c.text, file: "s.json"), c.field) { error in
                guard let e = error as? InputError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.field, c.field, "\(e)")
                XCTAssertTrue(e.message.contains(c.says), "\(e) should say \(c.says)")
            }
        }
        XCTAssertThrowsError(try BatchSpec.read(#"{"x": [-1e308, 0]}"#, file: "spec.json")) { e in
            XCTAssertEqual((e as? InputError)?.field, "x[0]", "\(e)")
        }
        // The extremes that are accepted render.
        let r = Rasterizer()
        for text in [cube("[1e6, -1e6]", "-1e6") + "}", cube("[0, 0]", "0") + #", "camera": {"fov_y": 0.01, "width": 8, "height": 8}}"#,
                     cube("[0, 0]", "0") + #", "camera": {"fov_y": 179, "eye": [0, -1e6, 1e6], "width": 8, "height": 8}}"#] {
            let s = try SceneJSON.read(text, file: "ok.json")
            XCTAssertNoThrow(try r.render(s, samplesPerPixel: 1), text)
        }
    }

    func testTooManyObjects() {
        // 256 cubes on a grid, touching but not overlapping.
        let objects = (0..<256).map { i in #"{"shape": "cube", "color": "red", "position": [\#(i % 16), \#(i / 16)]}"# }
        let text = "{\"objects\": [\n" + objects.joined(separator: ",\n") + "\n]}"
        XCTAssertThrowsError(try SceneJSON.read(text, file: "many.json")) { error in
            let e = error as? InputError
            XCTAssertEqual(e?.field, "objects")
            XCTAssertEqual(e?.line, 1)
            XCTAssertTrue(e?.message.contains("at most 255") ?? false)
        }
        let ok = "{\"objects\": [\n" + objects.dropLast().joined(separator: ",\n") + "\n]}"
        XCTAssertEqual(try SceneJSON.read(ok, file: "ok.json").objects.count, 255)
    }
}
