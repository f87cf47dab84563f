import Files
import JSON
import XCTest
@testable import Scenes

final class COCOExportTests: XCTestCase {
    /// Runs down columns, starting with zeros; the compact string of hand-worked counts.
    func testRunsAndCompactStringsByHand() {
        // 3 wide, 2 high, row-major: [0 1 1 / 0 1 0] → column-major 0,0 | 1,1 | 1,0.
        let mask: [UInt8] = [0, 1, 1, 0, 1, 0]
        XCTAssertEqual(COCORLE.counts(width: 3, height: 2) { mask[$0] == 1 }, [2, 3, 1])
        XCTAssertEqual(COCORLE.counts(width: 2, height: 1) { _ in true }, [0, 2])
        // 0 → "0", 5 → "5", 31 = 0b11111: low group 31 has 0x10 set and 31 >> 5 = 0 ≠ −1, so a
        // second group 0 follows: (31 | 0x20) + 48 = 'o', then '0'.
        XCTAssertEqual(COCORLE.string([0]), "0")
        XCTAssertEqual(COCORLE.string([5]), "5")
        XCTAssertEqual(COCORLE.string([31]), "o0")
        // The fourth count is stored as its difference from the second: 3 − 7 = −4 → 0x1c + 48.
        XCTAssertEqual(COCORLE.string([1, 7, 2, 3]), "172" + String(UnicodeScalar(0x1c + 48)))
        for counts in [[0, 4096], [100, 3, 2000, 1, 1, 1], [7, 1, 9, 300, 2, 4000]] {
            XCTAssertEqual(COCORLE.decode(COCORLE.string(counts)), counts)
        }
    }

    /// A dataset written without masks exports the masks its scenes render to.
    func testMasksAreRenderedWhenTheDatasetHasNone() throws {
        let dir = NSTemporaryDirectory() + "air-coco-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var spec = BatchSpec.default
        spec.camera.width = 32; spec.camera.height = 32
        var g = DatasetGenerator(spec: spec, count: 6, seed: 4, folder: dir)
        g.threads = 1
        _ = try g.run()
        let out = dir + "/coco.json"
        let withMasks = try COCOExport(folder: dir).write(to: out)
        let first = try FileIO.read(out)
        // The same dataset with the mask fields dropped from every line.
        let lines = try FileIO.readText(dir + "/scenes.jsonl").split(separator: "\n").map {
            $0.replacingOccurrences(of: #""mask":"masks/[0-9]+\.png","#, with: "", options: .regularExpression)
        }
        try FileIO.writeAtomically(dir + "/scenes.jsonl", text: lines.joined(separator: "\n") + "\n")
        try FileManager.default.removeItem(atPath: dir + "/masks")
        let rendered = try COCOExport(folder: dir).write(to: out)
        XCTAssertEqual(withMasks.annotations, rendered.annotations)
        XCTAssertGreaterThan(rendered.annotations, 3)
        XCTAssertEqual(try FileIO.read(out), first)
    }
}
