/// Minimum-cost bipartite matching (the Hungarian method), used to pair predicted objects
/// with true ones: the scene's object order carries no meaning, so scoring must not depend on it.
public enum Matching {
    /// The assignment of rows to columns of `cost` (cost[row][column], every row the same
    /// length, every entry finite) that pairs min(rows, columns) of them at the least total
    /// cost. Returns the pairs sorted by row. O(n² m) time for n = min and m = max of the sides.
    public static func minimumCostAssignment(_ cost: [[Double]]) -> [(row: Int, column: Int)] {
        let rows = cost.count
        let columns = cost.first?.count ?? 0
        precondition(cost.allSatisfy { $0.count == columns }, "Matching: rows of different lengths")
        precondition(cost.allSatisfy { $0.allSatisfy { $0.isFinite } }, "Matching: non-finite cost")
        if rows == 0 || columns == 0 { return [] }
        // The algorithm below needs n <= m: solve the transpose when there are more rows.
        if rows > columns {
            let transposed = (0..<columns).map { c in (0..<rows).map { r in cost[r][c] } }
            return minimumCostAssignment(transposed)
                .map { (row: $0.column, column: $0.row) }
                .sorted { $0.row < $1.row }
        }
        let n = rows, m = columns
        // Shortest augmenting paths with potentials u (rows) and v (columns), 1-based with a
        // virtual column 0 holding the row being inserted: the classic O(n² m) formulation.
        var u = [Double](repeating: 0, count: n + 1)
        var v = [Double](repeating: 0, count: m + 1)
        var rowOfColumn = [Int](repeating: 0, count: m + 1)   // 0 = free
        var previous = [Int](repeating: 0, count: m + 1)
        for r in 1...n {
            rowOfColumn[0] = r
            var column0 = 0
            var minSlack = [Double](repeating: .infinity, count: m + 1)
            var used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[column0] = true
                let row0 = rowOfColumn[column0]
                var delta = Double.infinity
                var column1 = 0
                for c in 1...m where !used[c] {
                    let slack = cost[row0 - 1][c - 1] - u[row0] - v[c]
                    if slack < minSlack[c] {
                        minSlack[c] = slack
                        previous[c] = column0
                    }
                    if minSlack[c] < delta {
                        delta = minSlack[c]
                        column1 = c
                    }
                }
                for c in 0...m {
                    if used[c] {
                        u[rowOfColumn[c]] += delta
                        v[c] -= delta
                    } else {
                        minSlack[c] -= delta
                    }
                }
                column0 = column1
            } while rowOfColumn[column0] != 0
            // Augment: shift the rows along the path back to the virtual column.
            repeat {
                let column1 = previous[column0]
                rowOfColumn[column0] = rowOfColumn[column1]
                column0 = column1
            } while column0 != 0
        }
        var pairs: [(row: Int, column: Int)] = []
        for c in 1...m where rowOfColumn[c] != 0 {
            pairs.append((row: rowOfColumn[c] - 1, column: c - 1))
        }
        return pairs.sorted { $0.row < $1.row }
    }

    /// For each of `points`, the index among `others` the minimum-cost assignment on distance
    /// pairs it with, when that pair lies within `within`; nil otherwise. Which reading an object
    /// is, where a search may have added, removed and moved objects.
    public static func partners(of points: [SIMD2<Double>], among others: [SIMD2<Double>], within: Double) -> [Int?] {
        let cost = points.map { p in others.map { q in
            let d = p - q
            return (d * d).sum().squareRoot()
        } }
        var partner = [Int?](repeating: nil, count: points.count)
        for pair in minimumCostAssignment(cost) where cost[pair.row][pair.column] <= within {
            partner[pair.row] = pair.column
        }
        return partner
    }

    /// The total cost of `pairs` under `cost`.
    public static func totalCost(_ cost: [[Double]], _ pairs: [(row: Int, column: Int)]) -> Double {
        pairs.reduce(0) { $0 + cost[$1.row][$1.column] }
    }
}
