/// COCO's run-length encoding of a binary mask (pycocotools' `maskApi`): runs in column-major
/// order (down each column, then the next column), starting with a run of zeros (possibly
/// empty), stored as the compact string form in which each count after the second is the
/// difference from the count two before, written as 5-bit groups (low first) of a signed
/// number, each group + 48 as a character, bit 0x20 marking that more groups follow.
public enum COCORLE {
    /// The runs of `mask(x, y)` (row-major, width × height) in COCO's column-major order.
    public static func counts(width: Int, height: Int, _ isSet: (Int) -> Bool) -> [Int] {
        var counts: [Int] = []
        var current = false, run = 0
        for x in 0..<width {
            for y in 0..<height {
                let v = isSet(y * width + x)
                if v != current {
                    counts.append(run)
                    run = 0
                    current = v
                }
                run += 1
            }
        }
        counts.append(run)
        return counts
    }

    /// The compact string of a list of runs.
    public static func string(_ counts: [Int]) -> String {
        var out: [UInt8] = []
        for i in counts.indices {
            var x = counts[i]
            if i > 2 { x -= counts[i - 2] }
            var more = true
            while more {
                var c = UInt8(x & 0x1f)
                x >>= 5   // arithmetic: a negative difference ends in a run of −1
                more = (c & 0x10) != 0 ? x != -1 : x != 0
                if more { c |= 0x20 }
                out.append(c + 48)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The runs back from the compact string (the inverse of `string`), for tests and readers.
    public static func decode(_ s: String) -> [Int] {
        var counts: [Int] = []
        let bytes = Array(s.utf8)
        var p = 0
        while p < bytes.count {
            var x = 0, k = 0, more = true
            while more {
                let c = Int(bytes[p]) - 48
                x |= (c & 0x1f) << (5 * k)
                more = (c & 0x20) != 0
                p += 1
                k += 1
                if !more && (c & 0x10) != 0 { x |= -1 << (5 * k) }
            }
            if counts.count > 2 { x += counts[counts.count - 2] }
            counts.append(x)
        }
        return counts
    }
}
