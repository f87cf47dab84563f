import Random

// Sampling where row r of a batch (its leading axis) draws from its own stream `rows[r]`: a
// row's sample then depends on its stream alone, not on which rows share its batch, so a
// batch split across processes samples what the whole batch would.

extension Tape {
    /// i.i.d. N(0, 1) draws, row r from `rows[r]` (shape[0] == rows.count).
    public func randn(_ shape: [Int], rows: inout [RNG]) -> Tensor {
        let t = full(shape, 0)
        let perRow = Self.perRow(shape, rows: rows.count, op: "randn")
        for r in 0..<rows.count {
            for j in 0..<perRow { t.data[r * perRow + j] = Float(rows[r].normal()) }
        }
        return t
    }

    static func perRow(_ shape: [Int], rows: Int, op: String) -> Int {
        precondition(shape.first == rows, "\(op): \(rows) streams for shape \(shape)")
        return shape.dropFirst().reduce(1, *)
    }
}

extension Normal {
    /// `rsample(rng:)` with one stream per row.
    public func rsample(rows: inout [RNG]) -> Tensor {
        let tape = tapeOf(mean, logStd, op: "Normal.rsample")
        return mean + std * tape.randn(mean.shape, rows: &rows)
    }
}

extension Bernoulli {
    /// `sample(rng:)` with one stream per row.
    public func sample(rows: inout [RNG]) -> Tensor {
        let tape = tapeOf(logits, op: "Bernoulli.sample")
        let s = tape.zeros(logits.shape)
        let perRow = Tape.perRow(logits.shape, rows: rows.count, op: "Bernoulli.sample")
        for r in 0..<rows.count {
            for j in 0..<perRow {
                let i = r * perRow + j
                s.data[i] = rows[r].uniformFloat() < sigmoidf(logits.data[i]) ? 1 : 0
            }
        }
        return s
    }
}

extension Categorical {
    /// `sample(rng:)` with one stream per row (rows: every axis but the last).
    public func sample(rows: inout [RNG]) -> [Int] {
        let n = logits.count / classes
        precondition(n == rows.count, "Categorical.sample: \(rows.count) streams for \(n) rows")
        return (0..<n).map { draw(row: $0, u: rows[$0].uniformFloat()) }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
