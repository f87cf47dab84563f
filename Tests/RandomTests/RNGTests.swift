import XCTest
@testable import Random

final class RNGTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = RNG(seed: 7), b = RNG(seed: 7), c = RNG(seed: 8)
        let xa = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xa, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(xa, (0..<5).map { _ in c.next() })
    }

    func testSplitDoesNotAdvanceAndDiffersByKey() {
        let r = RNG(seed: 1)
        var s1 = r.split(1), s1b = r.split(1), s2 = r.split(2)
        XCTAssertEqual(r, RNG(seed: 1))
        XCTAssertEqual(s1.next(), s1b.next())
        XCTAssertNotEqual(s1.next(), s2.next())
    }

    func testUniformAndNormalMoments() {
        var r = RNG(seed: 3)
        let n = 20000
        var su = 0.0, sn = 0.0, sn2 = 0.0
        for _ in 0..<n {
            let u = Double(r.uniformFloat())
            XCTAssert(u >= 0 && u < 1)
            su += u
            let z = r.normal(); sn += z; sn2 += z * z
        }
        XCTAssertEqual(su / Double(n), 0.5, accuracy: 0.01)
        XCTAssertEqual(sn / Double(n), 0, accuracy: 0.03)
        XCTAssertEqual(sn2 / Double(n), 1, accuracy: 0.04)
    }

    func testCategoricalFrequencies() {
        var r = RNG(seed: 5)
        var counts = [0, 0, 0]
        for _ in 0..<30000 { counts[r.categorical([1, 0, 3])] += 1 }
        XCTAssertEqual(counts[1], 0)
        XCTAssertEqual(Double(counts[0]) / 30000, 0.25, accuracy: 0.015)
    }
}
