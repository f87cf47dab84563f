import XCTest
import JSON

final class ParserWriterTests: XCTestCase {
    func testValuesAndOrder() throws {
        let v = try parseJSON(#"{"b": [1, -2.5, 3e2, 0], "a": true, "c": null, "d": false, "e": "x"}"#)
        guard case .object(let members) = v.kind else { return XCTFail("not an object") }
        XCTAssertEqual(members.map(\.key), ["b", "a", "c", "d", "e"])
        guard case .array(let items) = v["b"]!.kind else { return XCTFail("not an array") }
        let numbers = items.compactMap { item -> Double? in
            if case .number(let x, _) = item.kind { return x }
            return nil
        }
        XCTAssertEqual(numbers, [1, -2.5, 300, 0])
        XCTAssertEqual(v["a"]!.kind, .bool(true))
        XCTAssertEqual(v["c"]!.kind, .null)
        XCTAssertEqual(v["d"]!.kind, .bool(false))
        XCTAssertEqual(v["e"]!.kind, .string("x"))
    }

    func testEscapes() throws {
        let v = try parseJSON(#""a\"b\\c\/d\n\t\r\b\f\u00e9\ud83d\ude00""#)
        XCTAssertEqual(v.kind, .string("a\"b\\c/d\n\t\r\u{8}\u{c}é😀"))
        // The writer escapes what it must and the result parses back to the same string.
        let s = "quote \" backslash \\ newline \n tab \t bell \u{7} é"
        XCTAssertEqual(try parseJSON(JSONWriter.string(s)).kind, .string(s))
    }

    func testLineNumbers() throws {
        let text = "{\n  \"a\": 1,\n\n  \"b\": [\n    2,\n    {\"c\": 3}\n  ]\n}"
        let v = try parseJSON(text)
        XCTAssertEqual(v.line, 1)
        XCTAssertEqual(v["a"]!.line, 2)
        XCTAssertEqual(v["b"]!.line, 4)
        guard case .array(let items) = v["b"]!.kind else { return XCTFail() }
        XCTAssertEqual(items[0].line, 5)
        XCTAssertEqual(items[1]["c"]!.line, 6)
        XCTAssertEqual(try parseJSON("[1]", firstLine: 40).line, 40)
    }

    func testSyntaxErrorsNameTheLine() {
        let cases: [(String, Int)] = [
            ("{\n\"a\": 1,\n}", 3),            // trailing comma
            ("{\"a\" 1}", 1),                  // missing colon
            ("[1,\n2,\n03]", 3),               // leading zero
            ("[\n1.]", 2),                     // no fraction digits
            ("{\"a\": 1, \"a\": 2}", 1),       // duplicate key
            ("\"abc", 1),                      // unterminated string
            ("\"a\\q\"", 1),                   // bad escape
            ("[1] x", 1),                      // trailing garbage
            ("", 1),
            ("\n\n[tru]", 3),
            ("\"\\ud800\"", 1),                // lone surrogate
        ]
        for (text, line) in cases {
            XCTAssertThrowsError(try parseJSON(text), text) { e in
                XCTAssertEqual((e as? JSONSyntaxError)?.line, line, "\(text): \(e)")
            }
        }
    }

    func testNumbersKeepTextAndOverflowToInfinity() throws {
        XCTAssertEqual(try parseJSON("18446744073709551615").kind, .number(1.8446744073709552e19, text: "18446744073709551615"))
        guard case .number(let x, _) = try parseJSON("1e999").kind else { return XCTFail() }
        XCTAssertEqual(x, .infinity)
        guard case .number(let y, _) = try parseJSON("-1E+999").kind else { return XCTFail() }
        XCTAssertEqual(y, -.infinity)
    }

    func testIntegerValueIsExactAndOnlyForIntegerLiterals() throws {
        func int(_ text: String) throws -> Int? { try parseJSON(text).integerValue }
        XCTAssertEqual(try int("9007199254740993"), 9_007_199_254_740_993)   // 2^53 + 1: not a Double
        XCTAssertEqual(try int("-9223372036854775808"), Int.min)
        XCTAssertEqual(try int("-0"), 0)
        XCTAssertEqual(try int("12"), 12)
        XCTAssertNil(try int("9223372036854775808"))   // Int.max + 1
        XCTAssertNil(try int("8.0"))
        XCTAssertNil(try int("1e2"))
        XCTAssertNil(try int("1E2"))
        XCTAssertNil(try int("true"))
        XCTAssertNil(try int("\"1\""))
        XCTAssertNil(JSONValue.num(3).integerValue)
        XCTAssertEqual(JSONValue.int(-7).integerValue, -7)
    }

    func testDuplicateKeyErrorsCarryThePath() {
        let cases: [(String, String)] = [
            (#"{"a": 1, "a": 2}"#, "a"),
            (#"{"a": {"b": 1, "c": 2, "b": 3}}"#, "a.b"),
            (#"{"list": [{}, {"k": 0, "k": 1}]}"#, "list[1].k"),
            (#"[[{"x": 1, "x": 1}]]"#, "[0][0].x"),
        ]
        for (text, path) in cases {
            XCTAssertThrowsError(try parseJSON(text), text) { e in
                XCTAssertEqual((e as? JSONSyntaxError)?.duplicateKey, path, text)
            }
        }
        // Other syntax errors, even inside members, carry no duplicate key.
        for text in [#"{"a": [1,]}"#, #"{"a": {"b" 1}}"#, #"{"a": 1,}"#] {
            XCTAssertThrowsError(try parseJSON(text), text) { e in
                XCTAssertNotNil(e as? JSONSyntaxError, text)
                XCTAssertNil((e as? JSONSyntaxError)?.duplicateKey, text)
            }
        }
    }

    func testWriterNumbersRoundTrip() throws {
        XCTAssertEqual(JSONWriter.number(20), "20")
        XCTAssertEqual(JSONWriter.number(-0.0), "0")
        XCTAssertEqual(JSONWriter.number(0.85), "0.85")
        XCTAssertEqual(JSONWriter.number(Double(Float(0.1))), "0.1")
        for x in [0.1, 1.0 / 3, 1e-7, 123456.789, -2.5e300, Double(Float(1.0 / 3))] {
            guard case .number(let y, _) = try parseJSON(JSONWriter.number(x)).kind else { return XCTFail() }
            if Double(Float(x)) == x {
                XCTAssertEqual(Float(y), Float(x))
            } else {
                XCTAssertEqual(y, x)
            }
        }
    }

    func testWriterIsStableAndParsesBack() throws {
        let text = #"{"z": [1, 2.5, "s"], "a": {"k": [], "m": {}}, "b": [{"x": null}]}"#
        let v = try parseJSON(text)
        XCTAssertEqual(JSONWriter.compact(v), #"{"z":[1,2.5,"s"],"a":{"k":[],"m":{}},"b":[{"x":null}]}"#)
        let pretty = JSONWriter.pretty(v)
        XCTAssertEqual(JSONWriter.compact(try parseJSON(pretty)), JSONWriter.compact(v))
    }
}
