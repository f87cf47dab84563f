/// NumPy broadcasting of two shapes, compiled to rows: the output is walked as rows of `inner`
/// elements; in each row the operands advance by `strideA` / `strideB` (0 where broadcast, else 1).
/// Adjacent dimensions that broadcast the same way are merged, so equal shapes form a single row.
struct Broadcast {
    let outShape: [Int]
    /// Collapsed output dims (outermost first) and the operands' strides over them.
    private let dims: [Int]
    private let stridesA: [Int]
    private let stridesB: [Int]

    init(_ a: [Int], _ b: [Int], op: StaticString = "broadcast") {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            precondition(pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1,
                         "\(op): shapes \(a) and \(b) do not broadcast")
            out[i] = pa[i] == 1 ? pb[i] : pa[i]         // a size-1 dim takes the other size, even 0
        }
        outShape = out
        // Row-major strides of each operand in its own (padded) shape, 0 where broadcast.
        var sa = [Int](repeating: 0, count: rank), sb = sa
        var ra = 1, rb = 1
        for i in stride(from: rank - 1, through: 0, by: -1) {
            sa[i] = pa[i] == 1 && out[i] != 1 ? 0 : ra
            sb[i] = pb[i] == 1 && out[i] != 1 ? 0 : rb
            ra *= pa[i]; rb *= pb[i]
        }
        // Merge dim i into i+1 when both operands are contiguous across the pair (or both broadcast).
        var d: [Int] = [], da: [Int] = [], db: [Int] = []
        for i in 0..<rank where out[i] != 1 {
            d.append(out[i]); da.append(sa[i]); db.append(sb[i])
        }
        var md: [Int] = [], ma: [Int] = [], mb: [Int] = []
        for i in 0..<d.count {
            if let n = md.last,
               (ma.last! == da[i] * d[i] || (ma.last! == 0 && da[i] == 0)),
               (mb.last! == db[i] * d[i] || (mb.last! == 0 && db[i] == 0)) {
                md[md.count - 1] = n * d[i]
                ma[ma.count - 1] = da[i]
                mb[mb.count - 1] = db[i]
            } else {
                md.append(d[i]); ma.append(da[i]); mb.append(db[i])
            }
        }
        if md.isEmpty { md = [1]; ma = [1]; mb = [1] }
        dims = md; stridesA = ma; stridesB = mb
    }

    var inner: Int { dims[dims.count - 1] }
    var strideA: Int { stridesA[stridesA.count - 1] }
    var strideB: Int { stridesB[stridesB.count - 1] }

    /// Calls `body(outOffset, aOffset, bOffset)` for each row of `inner` elements.
    @inline(__always)
    func forEachRow(_ body: (Int, Int, Int) -> Void) {
        if outShape.contains(0) { return }          // empty result: nothing to visit
        let outer = dims.count - 1
        if outer == 0 { body(0, 0, 0); return }
        let n = inner
        var index = [Int](repeating: 0, count: outer)
        var offA = 0, offB = 0, offO = 0
        while true {
            body(offO, offA, offB)
            offO += n
            var k = outer - 1
            while k >= 0 {
                index[k] += 1
                offA += stridesA[k]; offB += stridesB[k]
                if index[k] < dims[k] { break }
                offA -= stridesA[k] * dims[k]; offB -= stridesB[k] * dims[k]
                index[k] = 0
                k -= 1
            }
            if k < 0 { return }
        }
    }
}
