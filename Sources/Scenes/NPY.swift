/// NumPy .npy (format 1.0) headers, for `images.npy` (N x H x W x 3 uint8).
public enum NPY {
    /// The full header (magic, version, length, dict) for a C-ordered uint8 array,
    /// padded with spaces to a multiple of 64 bytes and ending in a newline.
    public static func headerUInt8(shape: [Int]) -> [UInt8] { header(descr: "|u1", shape: shape) }

    /// A whole little-endian float32 array file, C order.
    public static func float32(_ values: [Float], shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "NPY: \(values.count) values for shape \(shape)")
        var out = header(descr: "<f4", shape: shape)
        out.reserveCapacity(out.count + 4 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    static func header(descr: String, shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let n = dict.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(dict.utf8)
    }
}
