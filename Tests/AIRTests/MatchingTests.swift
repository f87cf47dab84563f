import XCTest
import Random
@testable import AIR

final class MatchingTests: XCTestCase {
    /// The least total cost over every injective map from the smaller side to the larger.
    private func bruteForce(_ cost: [[Double]]) -> Double {
        let rows = cost.count, columns = cost.first?.count ?? 0
        if rows == 0 || columns == 0 { return 0 }
        if rows > columns {
            return bruteForce((0..<columns).map { c in (0..<rows).map { cost[$0][c] } })
        }
        var best = Double.infinity
        var used = [Bool](repeating: false, count: columns)
        func go(_ r: Int, _ sum: Double) {
            if r == rows { best = min(best, sum); return }
            for c in 0..<columns where !used[c] {
                used[c] = true
                go(r + 1, sum + cost[r][c])
                used[c] = false
            }
        }
        go(0, 0)
        return best
    }

    private func checkValid(_ pairs: [(row: Int, column: Int)], rows: Int, columns: Int,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(pairs.count, min(rows, columns), file: file, line: line)
        XCTAssertEqual(Set(pairs.map(\.row)).count, pairs.count, "row used twice", file: file, line: line)
        XCTAssertEqual(Set(pairs.map(\.column)).count, pairs.count, "column used twice", file: file, line: line)
        XCTAssertTrue(pairs.allSatisfy { (0..<rows).contains($0.row) && (0..<columns).contains($0.column) },
                      file: file, line: line)
        XCTAssertEqual(pairs.map(\.row), pairs.map(\.row).sorted(), file: file, line: line)
    }

    func testEmpty() {
        XCTAssertTrue(Matching.minimumCostAssignment([]).isEmpty)
        XCTAssertTrue(Matching.minimumCostAssignment([[], []]).isEmpty)
    }

    func testOneByN() {
        let pairs = Matching.minimumCostAssignment([[5, 2, 7, 3]])
        XCTAssertEqual(pairs.map(\.row), [0])
        XCTAssertEqual(pairs.map(\.column), [1])
        let column = Matching.minimumCostAssignment([[5], [2], [7], [3]])
        XCTAssertEqual(column.map(\.row), [1])
        XCTAssertEqual(column.map(\.column), [0])
    }

    func testHandCaseWhereGreedyFails() {
        // Greedy takes (0,0) at cost 1, leaving (1,1) at 100: total 101. Optimal is 2 + 3 = 5.
        let cost: [[Double]] = [[1, 2], [3, 100]]
        let pairs = Matching.minimumCostAssignment(cost)
        XCTAssertEqual(pairs.map(\.column), [1, 0])
        XCTAssertEqual(Matching.totalCost(cost, pairs), 5)
    }

    func testHandCaseThreeByThree() {
        // Classic example: optimum 0->1 (1), 1->0 (2), 2->2 (2) = 5.
        let cost: [[Double]] = [[4, 1, 3], [2, 0, 5], [3, 2, 2]]
        let pairs = Matching.minimumCostAssignment(cost)
        XCTAssertEqual(pairs.map(\.column), [1, 0, 2])
        XCTAssertEqual(Matching.totalCost(cost, pairs), 5)
    }

    func testAgainstBruteForceOnRandomMatrices() {
        var rng = RNG(seed: 7)
        for trial in 0..<300 {
            let rows = rng.int(below: 6), columns = rng.int(below: 6)
            // Small integers make ties common, which is where bookkeeping bugs show.
            let integers = trial % 2 == 0
            let cost = (0..<rows).map { _ in
                (0..<columns).map { _ in integers ? Double(rng.int(below: 4)) : rng.uniform(-3, 5) }
            }
            let pairs = Matching.minimumCostAssignment(cost)
            checkValid(pairs, rows: rows, columns: columns)
            XCTAssertEqual(Matching.totalCost(cost, pairs), bruteForce(cost), accuracy: 1e-9, "\(cost)")
        }
    }
}
