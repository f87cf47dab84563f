import XCTest
@testable import Scenes

/// The one atomic-write helper: what it refuses to replace, its temporary name, and the
/// refusal of outputs that are inputs.
final class AtomicFileTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = "/tmp/air-atomic-tests-\(getpid())-\(name.filter { $0.isLetter })"
        _ = try? FileManager.default.removeItem(atPath: root)
        try FileIO.makeDirectories(root)
    }

    override func tearDownWithError() throws {
        _ = try? FileManager.default.removeItem(atPath: root)
    }

    func kind(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
    }

    func testRefusesToReplaceSpecialFilesFoldersAndLinks() throws {
        XCTAssertEqual(mkfifo(root + "/fifo", 0o644), 0)
        try FileIO.makeDirectories(root + "/folder")
        try FileIO.writeAtomically(root + "/target", text: "keep")
        XCTAssertEqual(symlink(root + "/target", root + "/link"), 0)
        for (name, what) in [("fifo", "a FIFO"), ("folder", "a folder"), ("link", "a symbolic link")] {
            XCTAssertThrowsError(try FileIO.writeAtomically(root + "/" + name, text: "x")) { e in
                XCTAssertTrue(e is RefusedOutput, "\(e)")
                XCTAssertEqual("\(e)".hasPrefix(root + "/" + name + ": exists and is " + what), true, "\(e)")
            }
        }
        XCTAssertEqual(kind(root + "/fifo"), S_IFIFO)
        XCTAssertEqual(kind(root + "/folder"), S_IFDIR)
        XCTAssertEqual(kind(root + "/link"), S_IFLNK)
        XCTAssertEqual(try FileIO.readText(root + "/target"), "keep")
        XCTAssertEqual(try FileIO.list(root), ["fifo", "folder", "link", "target"], "no temporary file left")
        // A regular file is replaced.
        try FileIO.writeAtomically(root + "/target", text: "new")
        XCTAssertEqual(try FileIO.readText(root + "/target"), "new")
    }

    func testLongestLegalNameIsWritable() throws {
        let name = String(repeating: "n", count: 251) + ".png" // NAME_MAX: 255 bytes
        try FileIO.writeAtomically(root + "/" + name, [1, 2, 3])
        XCTAssertEqual(try FileIO.read(root + "/" + name), [1, 2, 3])
        XCTAssertEqual(try FileIO.list(root), [name])
    }

    func testOutputsThatAreInputsAreRefusedByIdentity() throws {
        try FileIO.makeDirectories(root + "/d")
        try FileIO.writeAtomically(root + "/d/in.json", text: "{}")
        XCTAssertEqual(link(root + "/d/in.json", root + "/hard.json"), 0)
        for output in [root + "/d/in.json", root + "/d/../d/./in.json", root + "/hard.json"] {
            XCTAssertThrowsError(try FileIO.checkOutputs([output], inputs: [root + "/d/in.json"])) { e in
                XCTAssertTrue(e is RefusedOutput, "\(e)")
                XCTAssertTrue("\(e)".contains("never writes over its inputs"), "\(e)")
            }
        }
        XCTAssertNoThrow(try FileIO.checkOutputs([root + "/d/out.json", root + "/missing"], inputs: [root + "/d/in.json", root + "/gone"]))
    }

    func testInvalidUTF8IsAnInputErrorNamingLineAndColumn() throws {
        try FileIO.writeAtomically(root + "/bad.json", Array("{\n  \"a\": \"".utf8) + [0xC3, 0x28] + Array("\"}\n".utf8))
        XCTAssertThrowsError(try FileIO.readText(root + "/bad.json")) { e in
            XCTAssertFalse(e is IOError, "bad input, not an I/O failure")
            XCTAssertEqual("\(e)", root + "/bad.json:2: not valid UTF-8 text (bad byte at column 9)")
        }
    }
}

