import XCTest
@testable import Scenes

final class DatasetTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = "/tmp/air-scenes-tests-\(getpid())-\(name.filter { $0.isLetter })"
        _ = try? FileManager.default.removeItem(atPath: root)
        try FileIO.makeDirectories(root)
    }

    override func tearDownWithError() throws {
        _ = try? FileManager.default.removeItem(atPath: root)
    }

    func spec() throws -> BatchSpec {
        try BatchSpec.read(#"{"size": [24, 20], "min_visible_pixels": 4, "objects_per_scene": {"min": 0, "max": 3}}"#, file: "spec.json")
    }

    func generator(_ folder: String, count: Int = 70, threads: Int = 1) throws -> DatasetGenerator {
        var g = DatasetGenerator(spec: try spec(), count: count, seed: 3, folder: root + "/" + folder)
        g.threads = threads
        g.npy = true
        return g
    }

    /// Every file under `folder`, relative path → bytes.
    func files(_ folder: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        func walk(_ rel: String) throws {
            let p = rel.isEmpty ? folder : folder + "/" + rel
            for name in try FileIO.list(p) {
                let r = rel.isEmpty ? name : rel + "/" + name
                if FileIO.isDirectory(folder + "/" + r) { try walk(r) } else { out[r] = try FileIO.read(folder + "/" + r) }
            }
        }
        try walk("")
        return out
    }

    func testThreadsGiveIdenticalBytes() throws {
        XCTAssertTrue(try generator("one", threads: 1).run().complete)
        XCTAssertTrue(try generator("two", threads: 2).run().complete)
        let a = try files(root + "/one"), b = try files(root + "/two")
        XCTAssertEqual(a.count, 3 + 2 * 70)
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted())
        for (k, v) in a { XCTAssertEqual(v, b[k], k) }
        XCTAssertNil(a[DatasetLayout.state], "no state file once complete")
    }

    func testResumeAfterInterruptionGivesIdenticalBytes() throws {
        XCTAssertTrue(try generator("whole").run().complete)
        var g = try generator("cut")
        g.stopAfter = 10
        let first = try g.run()
        XCTAssertFalse(first.complete)
        let cut = root + "/cut"
        XCTAssertFalse(FileIO.exists(cut + "/meta.json"), "no meta.json before the end")
        // What a kill leaves behind: a torn line, a temporary file, an image without a line.
        let fd = open(cut + "/scenes.jsonl", O_WRONLY | O_APPEND)
        _ = write(fd, "{\"index\": 32, \"ima", 18)
        close(fd)
        try FileIO.writeAtomically(cut + "/images/000040.png", [1, 2, 3])
        try FileIO.writeAtomically(cut + "/masks/.000033.png.tmp", [4, 5])
        // Without --resume the folder is refused.
        XCTAssertThrowsError(try generator("cut").run()) { XCTAssertTrue($0 is DatasetGenerator.Refusal) }
        // A resume with other settings is refused.
        var other = try generator("cut", count: 71)
        other.resume = true
        XCTAssertThrowsError(try other.run()) { XCTAssertTrue($0 is DatasetGenerator.Refusal) }
        var r = try generator("cut", threads: 2)
        r.resume = true
        let second = try r.run()
        XCTAssertTrue(second.complete)
        XCTAssertEqual(second.resumedFrom, 32)
        let a = try files(root + "/whole"), b = try files(cut)
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted())
        for (k, v) in a { XCTAssertEqual(v, b[k], k) }
        // Resuming a complete dataset does nothing.
        XCTAssertEqual(try r.run().generated, 0)
    }

    func testRefusesToClobber() throws {
        _ = try generator("d", count: 5).run()
        XCTAssertThrowsError(try generator("d", count: 5).run()) { e in
            XCTAssertTrue("\(e)".contains("--force"), "\(e)")
        }
        var f = try generator("d", count: 4)
        f.force = true
        _ = try f.run()
        let names = try FileIO.list(root + "/d/images")
        XCTAssertEqual(names, (0..<4).map(DatasetLayout.name), "--force removes the old images")
        // A folder with foreign files is refused too.
        try FileIO.makeDirectories(root + "/foreign")
        try FileIO.writeAtomically(root + "/foreign/notes.txt", text: "mine")
        XCTAssertThrowsError(try generator("foreign", count: 2).run())
        XCTAssertEqual(try FileIO.list(root + "/foreign"), ["notes.txt"])
    }

    func testUnwritableOutputLeavesNothing() throws {
        try FileIO.writeAtomically(root + "/file", text: "x")
        XCTAssertThrowsError(try generator("file/sub", count: 3).run()) { e in
            XCTAssertTrue(e is IOError, "\(e)")
            XCTAssertTrue("\(e)".contains("file"), "\(e)")
        }
        XCTAssertEqual(try FileIO.list(root), ["file"])
    }

    func testReaderRoundTripAndLabels() throws {
        _ = try generator("d", count: 12).run()
        let d = try Dataset(folder: root + "/d")
        XCTAssertEqual(d.entries.count, 12)
        XCTAssertEqual(d.camera.width, 24)
        let r = Rasterizer()
        var seen = 0
        for e in d.entries {
            // The stored latents re-render to the stored image, byte for byte.
            let (image, mask) = try r.renderWithMask(e.scene, samplesPerPixel: d.samplesPerPixel, image: true, mask: true)
            XCTAssertEqual(try PNG.decode(FileIO.read(d.folder + "/" + e.image), channels: 3).pixels, PNG.bytes(of: image!))
            XCTAssertEqual(try PNG.readMask(d.folder + "/" + e.mask!).mask, mask!)
            seen += e.scene.objects.count
            XCTAssertTrue(e.scene.objects.allSatisfy { $0.color.name != nil })
        }
        XCTAssertGreaterThan(seen, 5)
        // npy: valid v1 header, shape (12, 20, 24, 3), data equal to the PNGs.
        let npy = try FileIO.read(root + "/d/images.npy")
        XCTAssertEqual(Array(npy.prefix(8)), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(npy[8]) + 256 * Int(npy[9])
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let dict = String(decoding: npy[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(dict.contains("'shape': (12, 20, 24, 3)"), dict)
        XCTAssertTrue(dict.hasSuffix("\n"))
        XCTAssertEqual(npy.count, 10 + headerLength + 12 * 20 * 24 * 3)
        let px5 = try PNG.decode(FileIO.read(root + "/d/images/000005.png"), channels: 3).pixels
        let start = 10 + headerLength + 5 * 20 * 24 * 3
        XCTAssertEqual(Array(npy[start..<(start + px5.count)]), px5)
    }

    /// A line's image or mask must name a file inside the dataset folder.
    func testImagePathsMustStayInsideTheFolder() throws {
        _ = try generator("d", count: 3).run()
        let path = root + "/d/scenes.jsonl"
        let lines = try FileIO.readText(path).split(separator: "\n").map(String.init)
        try FileIO.writeAtomically(root + "/outside.png", FileIO.read(root + "/d/images/000001.png"))
        XCTAssertEqual(symlink(root + "/outside.png", root + "/d/images/link.png"), 0)
        XCTAssertEqual(symlink("000001.png", root + "/d/images/fine.png"), 0)
        let cases: [(field: String, value: String, message: String)] = [
            ("image", "../outside.png", #""../outside.png" contains "..""#),
            ("image", "images/../../outside.png", #""images/../../outside.png" contains "..""#),
            ("image", root + "/outside.png", "is an absolute path"),
            ("image", "images/link.png", #""images/link.png" resolves (through a symbolic link) to "\#(root)/outside.png", outside the dataset folder"#),
            ("mask", "/etc/passwd", #""/etc/passwd" is an absolute path"#),
            ("image", "", "empty path"),
        ]
        for c in cases {
            var l = lines
            let image = c.field == "image" ? c.value : "images/000001.png"
            let mask = c.field == "mask" ? c.value : "masks/000001.png"
            l[1] = #"{"index": 1, "image": \#(JSONWriter.string(image)), "mask": \#(JSONWriter.string(mask)), "objects": []}"#
            try FileIO.writeAtomically(path, text: l.joined(separator: "\n") + "\n")
            XCTAssertThrowsError(try Dataset(folder: root + "/d"), c.value) { e in
                XCTAssertTrue(e is InputError, "\(e)")
                XCTAssertTrue("\(e)".hasPrefix("\(path):2: \(c.field): "), "\(e)")
                XCTAssertTrue("\(e)".contains(c.message), "\(e)")
            }
        }
        // A link that stays inside the folder is fine.
        var l = lines
        l[1] = #"{"index": 1, "image": "images/fine.png", "objects": []}"#
        try FileIO.writeAtomically(path, text: l.joined(separator: "\n") + "\n")
        XCTAssertEqual(try Dataset(folder: root + "/d").image(1), try PNG.readImage(root + "/outside.png"))
    }

    func testReaderErrorsNameFileLineAndField() throws {
        _ = try generator("d", count: 3).run()
        let path = root + "/d/scenes.jsonl"
        var lines = try FileIO.readText(path).split(separator: "\n").map(String.init)
        lines[1] = #"{"index": 1, "image": "images/000001.png", "objects": [{"shape": "cube", "color": [2, 0, 0], "position": [0, 0]}]}"#
        try FileIO.writeAtomically(path, text: lines.joined(separator: "\n") + "\n")
        XCTAssertThrowsError(try Dataset(folder: root + "/d")) { e in
            XCTAssertEqual("\(e)", "\(path):2: objects[0].color[0]: colour component 2 is outside [0, 1]")
        }
        // A line's own camera overrides meta's.
        lines[1] = #"{"index": 1, "image": "images/000001.png", "camera": {"width": 8}, "objects": []}"#
        try FileIO.writeAtomically(path, text: lines.joined(separator: "\n") + "\n")
        let d = try Dataset(folder: root + "/d")
        XCTAssertEqual(d.entries[1].scene.camera.width, 8)
        XCTAssertEqual(d.entries[1].scene.camera.height, 20)
        XCTAssertEqual(d.entries[0].scene.camera.width, 24)
    }
}
