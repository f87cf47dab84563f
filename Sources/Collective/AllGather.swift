/// Exact reductions of small statistics: every rank's values, in rank order, on every rank.
/// `allReduceSum` of floats suits gradients (rounding is harmless there); the learning-signal
/// statistics and the logged metrics are doubles whose sums, done once over the concatenation
/// in rank order, then equal the single process's sums bit for bit when the ranks hold
/// consecutive parts of its batch.
extension Collective {
    /// Every rank's `values`, in rank order (the same on every rank).
    public func allGather(_ values: [Double]) throws -> [[Double]] {
        if size == 1 { return [values] }
        let mine = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let parts = try gather(mine, to: 0)
        // Rank 0 frames the parts (a count, then the values) so one broadcast carries them all.
        var framed: [UInt8] = []
        if isRoot {
            for p in parts {
                withUnsafeBytes(of: Int64(p.count / 8).littleEndian) { framed += $0 }
                framed += p
            }
        }
        let all = try broadcast(framed, from: 0)
        var out: [[Double]] = [], at = 0
        while at < all.count {
            let n = all.withUnsafeBytes { Int(Int64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: Int64.self))) }
            at += 8
            let start = at
            out.append(all.withUnsafeBytes { raw in
                (0..<n).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * $0, as: UInt64.self))) }
            })
            at += 8 * n
        }
        return out
    }

    /// The element-wise sum over ranks of `values` (the same length on every rank), added in
    /// rank order.
    public func sumInRankOrder(_ values: [Double]) throws -> [Double] {
        if size == 1 { return values }
        let parts = try allGather(values)
        var sum = parts[0]
        for p in parts.dropFirst() {
            precondition(p.count == sum.count, "sumInRankOrder: ranks sent \(sum.count) and \(p.count) values")
            for i in sum.indices { sum[i] += p[i] }
        }
        return sum
    }
}
