import Foundation
import XCTest
@testable import Engine

final class SafeTensorsTests: XCTestCase {
    /// A file from a header text and raw data bytes, the length prefix computed here.
    private func file(header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        var out: [UInt8] = []
        var n = UInt64(h.count)
        for _ in 0..<8 { out.append(UInt8(n & 0xFF)); n >>= 8 }
        return out + h + data
    }

    private func expectError(_ bytes: [UInt8], _ kind: SafeTensorsError.Kind, mentioning field: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try SafeTensors.decode(bytes, source: "bad.safetensors")
            XCTFail("decoded a corrupt file", file: file, line: line)
        } catch let e as SafeTensorsError {
            XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains("bad.safetensors"), "\(e)", file: file, line: line)
            if let field {
                XCTAssertTrue(e.description.contains(field), "\(e) does not name \(field)", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    // MARK: Layout

    func testTinyFileBytesMatchHandComputedLayout() {
        let bytes = SafeTensors.encode(["a": StoredTensor(shape: [2], values: [1.0, -2.0])], metadata: ["k": "v"])
        // The header is 79 characters; one space pads it to 80, a multiple of 8.
        let header = #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"# + " "
        var expected: [UInt8] = [80, 0, 0, 0, 0, 0, 0, 0]
        expected += Array(header.utf8)
        expected += [0x00, 0x00, 0x80, 0x3F]  // 1.0 = 0x3F800000, little-endian
        expected += [0x00, 0x00, 0x00, 0xC0]  // -2.0 = 0xC0000000
        XCTAssertEqual(bytes.count, 8 + 80 + 8)
        XCTAssertEqual(bytes, expected)
    }

    func testTensorsPackedInNameOrderAndDataAligned() throws {
        let tensors = [
            "zeta": StoredTensor(shape: [1], values: [3]),
            "alpha": StoredTensor(shape: [3], values: [0, 1, 2]),
        ]
        let bytes = SafeTensors.encode(tensors, metadata: [:])
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        XCTAssertEqual((8 + n) % 8, 0)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        XCTAssertTrue(header.contains(#""alpha":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}"#), header)
        XCTAssertTrue(header.contains(#""zeta":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}"#), header)
        XCTAssertFalse(header.contains("__metadata__"))
        // Data: alpha's 0, 1, 2 then zeta's 3.
        let data = Array(bytes[(8 + n)...])
        XCTAssertEqual(data.count, 16)
        XCTAssertEqual(Array(data[12..<16]), [0x00, 0x00, 0x40, 0x40])  // 3.0 = 0x40400000
    }

    // MARK: Round trip

    func testRoundTripIsExactAndDeterministic() throws {
        var rng = UInt64(12345)
        func next() -> Float {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: rng) >> 40) / 1000
        }
        var tensors: [String: StoredTensor] = [
            "scalar": StoredTensor(shape: [], values: [next()]),
            "empty": StoredTensor(shape: [0, 3], values: []),
            "we\"ird\\näme ✓": StoredTensor(shape: [2, 3], values: (0..<6).map { _ in next() }),
            "special": StoredTensor(shape: [4], values: [.infinity, -.infinity, -0.0, .leastNonzeroMagnitude]),
        ]
        tensors["big"] = StoredTensor(shape: [7, 5, 3], values: (0..<105).map { _ in next() })
        let metadata = ["format": "pt", "note": "quote \" backslash \\ tab \t ctl \u{01} ünï"]
        let bytes = SafeTensors.encode(tensors, metadata: metadata)
        let back = try SafeTensors.decode(bytes, source: "mem")
        XCTAssertEqual(back.tensors, tensors)
        XCTAssertEqual(back.metadata, metadata)
        XCTAssertEqual(back.tensors["special"]!.values[2].sign, .minus)

        // Same content inserted in another order: the same bytes.
        var reordered: [String: StoredTensor] = [:]
        for k in tensors.keys.sorted().reversed() { reordered[k] = tensors[k] }
        XCTAssertEqual(SafeTensors.encode(reordered, metadata: metadata), bytes)
    }

    func testWriteReadRoundTripLeavesNoTemporaryFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.safetensors").path
        let tensors = ["w": StoredTensor(shape: [2, 2], values: [1, 2, 3, 4])]
        try SafeTensors.write(tensors, metadata: ["step": "7"], to: path)
        // Overwrite: the rename replaces the old file.
        let tensors2 = ["w": StoredTensor(shape: [1], values: [9])]
        try SafeTensors.write(tensors2, metadata: [:], to: path)
        let back = try SafeTensors.read(path: path)
        XCTAssertEqual(back.tensors, tensors2)
        XCTAssertEqual(back.metadata, [:])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["w.safetensors"])
    }

    /// Models go through the one atomic-write helper: a FIFO (or device, folder, link) in the
    /// way is refused, not replaced, and reading one does not block.
    func testWriteRefusesAFIFOAndReadDoesNotBlockOnIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        XCTAssertThrowsError(try SafeTensors.write(["w": StoredTensor(shape: [1], values: [1])], metadata: [:], to: path)) { e in
            XCTAssertTrue("\(e)".contains(path + ": exists and is a FIFO"), "\(e)")
        }
        XCTAssertThrowsError(try SafeTensors.read(path: path)) { e in
            XCTAssertEqual((e as? SafeTensorsError)?.kind, .io)
            XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)")
        }
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["m.safetensors"])
    }

    func testReadMissingFileNamesIt() {
        XCTAssertThrowsError(try SafeTensors.read(path: "/nonexistent/dir/x.safetensors")) { e in
            let err = e as? SafeTensorsError
            XCTAssertEqual(err?.kind, .io)
            XCTAssertTrue("\(e)".contains("/nonexistent/dir/x.safetensors"))
        }
    }

    func testReadingAFolderOrEmptyFileThrows() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try SafeTensors.read(path: dir.path)) { e in
            XCTAssertEqual((e as? SafeTensorsError)?.kind, .io)
        }
        let empty = dir.appendingPathComponent("empty.safetensors").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertThrowsError(try SafeTensors.read(path: empty)) { e in
            XCTAssertEqual((e as? SafeTensorsError)?.kind, .truncated)
            XCTAssertTrue("\(e)".contains("empty.safetensors"))
        }
    }

    func testWriteIntoMissingFolderThrows() {
        XCTAssertThrowsError(try SafeTensors.write([:], metadata: [:], to: "/nonexistent/dir/x.safetensors")) { e in
            XCTAssertEqual((e as? SafeTensorsError)?.kind, .io)
        }
    }

    // MARK: Other dtypes

    func testDecodesOtherDtypesFromHandMadeBytes() throws {
        // Offsets: f64 [0,8), i64 [8,16), i32 [16,20), f16 [20,28), bf16 [28,30).
        let header = #"{"f64":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"#
            + #""i64":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},"#
            + #""i32":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},"#
            + #""f16":{"dtype":"F16","shape":[2,2],"data_offsets":[20,28]},"#
            + #""bf16":{"dtype":"BF16","shape":[1],"data_offsets":[28,30]}}"#
        var data: [UInt8] = []
        data += [0, 0, 0, 0, 0, 0, 0xF8, 0x3F]                    // 1.5 = 0x3FF8000000000000
        data += [0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]  // -3
        data += [7, 0, 0, 0]                                      // 7
        data += [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00]  // 1, -2, 65504, 2^-24 (smallest subnormal)
        data += [0x80, 0x3F]                                      // bf16 1.0 = 0x3F80
        let (t, m) = try SafeTensors.decode(file(header: header, data: data), source: "dtypes")
        XCTAssertEqual(m, [:])
        XCTAssertEqual(t["f64"], StoredTensor(shape: [1], values: [1.5]))
        XCTAssertEqual(t["i64"], StoredTensor(shape: [1], values: [-3]))
        XCTAssertEqual(t["i32"], StoredTensor(shape: [1], values: [7]))
        XCTAssertEqual(t["f16"], StoredTensor(shape: [2, 2], values: [1, -2, 65504, 0x1p-24]))
        XCTAssertEqual(t["bf16"], StoredTensor(shape: [1], values: [1]))
    }

    func testHalfConversionSpecialValues() {
        XCTAssertEqual(SafeTensors.halfToFloat(0x7C00), .infinity)
        XCTAssertEqual(SafeTensors.halfToFloat(0xFC00), -.infinity)
        XCTAssertTrue(SafeTensors.halfToFloat(0x7E00).isNaN)
        XCTAssertEqual(SafeTensors.halfToFloat(0x8000).sign, .minus)
        XCTAssertEqual(SafeTensors.halfToFloat(0x03FF), 1023 * 0x1p-24)   // largest subnormal
        XCTAssertEqual(SafeTensors.halfToFloat(0x0400), 0x1p-14)           // smallest normal
        XCTAssertEqual(SafeTensors.halfToFloat(0x3555), 0x1.554p-2)        // 0.333251953125
    }

    // MARK: Corruption

    private let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    private let eight: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]

    func testGoodBaselineDecodes() throws {
        let (t, _) = try SafeTensors.decode(file(header: good, data: eight), source: "ok")
        XCTAssertEqual(t["a"], StoredTensor(shape: [2], values: [1, 2]))
    }

    func testTooShortForHeaderLength() {
        expectError([1, 2, 3], .truncated)
        expectError([], .truncated)
    }

    func testHeaderLengthTooLargeOrPastEnd() {
        var huge = file(header: good, data: eight)
        huge[7] = 0x7F
        expectError(huge, .headerLength)
        var past = file(header: good, data: eight)
        past[0] = UInt8(good.utf8.count + 20)   // longer than header + data
        expectError(past, .truncated)
        expectError(file(header: "", data: []), .headerLength)
    }

    func testEveryTruncationIsAnErrorNotACrash() {
        let whole = SafeTensors.encode(["a": StoredTensor(shape: [3], values: [1, 2, 3]),
                                        "b": StoredTensor(shape: [1], values: [4])], metadata: ["m": "x"])
        for n in 0..<whole.count {
            XCTAssertThrowsError(try SafeTensors.decode(Array(whole[0..<n]), source: "cut"), "prefix \(n)")
        }
    }

    func testRandomByteCorruptionNeverCrashes() {
        let whole = SafeTensors.encode(["a": StoredTensor(shape: [3], values: [1, 2, 3])], metadata: ["m": "x"])
        var state: UInt64 = 99
        for _ in 0..<2000 {
            var b = whole
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let i = Int(state >> 33) % b.count
            b[i] = UInt8(truncatingIfNeeded: state >> 20)
            _ = try? SafeTensors.decode(b, source: "flip")   // either outcome is fine; it must return
        }
    }

    func testBadJSON() {
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, data: eight), .json)
        expectError(file(header: #"{"a" {}}"#, data: []), .json)
        expectError(file(header: #"{"a":{}} x"#, data: []), .json)
        expectError(file(header: "{\"a\u{01}\":1}", data: []), .json)
        expectError(file(header: #"[1, 2]  "#, data: []), .header)
    }

    func testMissingFieldsNameTensorAndField() {
        expectError(file(header: #"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, data: eight), .header, mentioning: "a.dtype")
        expectError(file(header: #"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, data: eight), .header, mentioning: "a.shape")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2]}}"#, data: eight), .header, mentioning: "a.data_offsets")
        expectError(file(header: #"{"a":[1]}"#, data: eight), .header, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                         data: eight), .header, mentioning: "a")
    }

    func testUnknownDtype() {
        expectError(file(header: #"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, data: eight), .dtype, mentioning: "Q7")
        expectError(file(header: #"{"a":{"dtype":3,"shape":[2],"data_offsets":[0,8]}}"#, data: eight), .dtype, mentioning: "a.dtype")
    }

    func testBadShape() {
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight), .shape, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, data: eight), .shape, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,8]}}"#, data: eight), .shape, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}"#, data: eight), .shape, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: eight), .shape, mentioning: "a")
    }

    func testShapeOffsetMismatch() {
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight), .shape, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}"#, data: eight), .shape, mentioning: "a")
    }

    func testOffsetsOutOfRangeOrMalformed() {
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: eight), .offsets, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: eight), .offsets, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, data: eight), .offsets, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, data: eight), .offsets, mentioning: "a")
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}}"#, data: eight), .offsets, mentioning: "a")
    }

    func testOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectError(file(header: header, data: eight), .overlap, mentioning: "b")
        // Touching is fine, and so is an empty tensor anywhere inside another's range.
        let touching = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]}}"#
        XCTAssertNoThrow(try SafeTensors.decode(file(header: touching, data: eight), source: "ok"))
    }

    func testRepeatedKeysInsideEntriesNameTheirPath() {
        expectError(file(header: #"{"a":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}}"#, data: eight),
                    .header, mentioning: "a.dtype")
        expectError(file(header: #"{"__metadata__":{"k":"x","k":"y"}}"#, data: []), .header, mentioning: "__metadata__.k")
    }

    func testOffsetsBeyond2To53AreReadExactly() {
        // 2^53 + 1 has no Double; the error quotes it digit for digit.
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,9007199254740993]}}"#, data: eight),
                    .offsets, mentioning: "9007199254740993")
    }

    func testBadMetadata() {
        expectError(file(header: #"{"__metadata__":{"k":1}}"#, data: []), .metadata, mentioning: "__metadata__.k")
        expectError(file(header: #"{"__metadata__":"x"}"#, data: []), .metadata, mentioning: "__metadata__")
    }
}
