import CPNG
import Files

/// 8-bit PNG encoding and decoding through libpng's simplified API.
///
/// libpng's function-like macros (PNG_IMAGE_SIZE, ...) do not import into Swift,
/// so buffer sizes are computed here.
public enum PNG {
    private static let formatGray: UInt32 = 0      // PNG_FORMAT_GRAY
    private static let formatRGB: UInt32 = 0x02    // PNG_FORMAT_RGB
    private static let flagFast: UInt32 = 0x02     // PNG_IMAGE_FLAG_FAST: less compression, faster writes
    private static let imageVersion: UInt32 = 1    // PNG_IMAGE_VERSION

    /// The spec's 8-bit quantisation, floor(v * 255 + 0.5) after clamping to [0, 1].
    /// Evaluated in Double, where v * 255 + 0.5 is exact for every Float v.
    @inline(__always)
    public static func quantize(_ v: Float) -> UInt8 {
        let c = Double(min(max(v, 0), 1))
        return UInt8((c * 255 + 0.5).rounded(.down))
    }

    /// The image exactly as an 8-bit PNG of it reads back: each value quantised, over 255.
    /// Four values at a time, each lane the very arithmetic of `quantize` (a training step
    /// quantises every image it renders, and the one-at-a-time loop cost 4 % of the step); NaN
    /// reads as 0.
    public static func quantized(_ image: Image) -> Image {
        var q = image
        q.pixels.withUnsafeMutableBufferPointer { p in
            let n = p.count
            var i = 0
            let zero = SIMD4<Float>(repeating: 0), one = SIMD4<Float>(repeating: 1)
            while i + 4 <= n {
                var v = SIMD4<Float>(p[i], p[i + 1], p[i + 2], p[i + 3])
                v.replace(with: zero, where: .!(v .== v))
                let c = SIMD4<Double>(pointwiseMin(pointwiseMax(v, zero), one))
                let levels = SIMD4<Float>((c * 255 + 0.5).rounded(.down))
                let out = levels / 255
                p[i] = out[0]; p[i + 1] = out[1]; p[i + 2] = out[2]; p[i + 3] = out[3]
                i += 4
            }
            while i < n { p[i] = Float(quantize(p[i].isNaN ? 0 : p[i])) / 255; i += 1 }
        }
        return q
    }

    /// The image's pixels quantised to 8 bits (interleaved RGB).
    public static func bytes(of image: Image) -> [UInt8] {
        image.pixels.map(quantize)
    }

    /// Encodes interleaved 8-bit pixels (`channels` = 1 grey or 3 RGB) as PNG.
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        precondition(channels == 1 || channels == 3)
        precondition(pixels.count == width * height * channels)
        return try pixels.withUnsafeBytes {
            try write($0, width: width, height: height, format: channels == 3 ? formatRGB : formatGray, rowBytes: width * channels)
        }
    }

    /// Encodes 16-bit grey values as a 16-bit PNG (stored as given: libpng's linear format).
    public static func encodeGray16(_ values: [UInt16], width: Int, height: Int) throws -> [UInt8] {
        precondition(values.count == width * height)
        return try values.withUnsafeBytes {
            try write($0, width: width, height: height, format: UInt32(PNG_FORMAT_FLAG_LINEAR), rowBytes: width * 2)
        }
    }

    /// libpng's simplified writer into memory.
    static func write(_ pixels: UnsafeRawBufferPointer, width: Int, height: Int, format: UInt32, rowBytes: Int) throws -> [UInt8] {
        var image = png_image()
        image.version = imageVersion
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        image.flags = flagFast
        let raw = height * (rowBytes + 1)
        // Deflate's worst case (stored blocks) plus chunk overhead, with room to spare;
        // should libpng still need more it says how much and we retry once.
        var capacity = raw + raw / 8 + 1024
        for _ in 0..<2 {
            var out = [UInt8](repeating: 0, count: capacity)
            var size = png_alloc_size_t(capacity)
            let ok = out.withUnsafeMutableBytes { o in
                png_image_write_to_memory(&image, o.baseAddress, &size, 0, pixels.baseAddress, 0, nil)
            }
            if ok != 0 {
                out.removeLast(out.count - Int(size))
                return out
            }
            if Int(size) <= capacity { break }
            capacity = Int(size)
            image.warning_or_error = 0
        }
        let message = message(of: &image)
        png_image_free(&image)
        throw IOError(path: "<png>", message: "PNG encoding failed: \(message)")
    }

    public static func encode(_ image: Image) throws -> [UInt8] {
        try encode(bytes(of: image), width: image.width, height: image.height, channels: 3)
    }

    /// Encodes an instance mask (one byte per pixel) as 8-bit grey.
    public static func encodeMask(_ mask: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        try encode(mask, width: width, height: height, channels: 1)
    }

    /// Decodes a PNG to 8-bit pixels with `channels` = 3 (grey and alpha are converted)
    /// or 1 (grey).
    /// The largest image air decodes, in pixels (8192 × 8192; as floats, 768 MiB).
    public static let maxPixels = 8192 * 8192

    /// The 8 bytes every PNG file starts with.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Content that is not a PNG, or one air does not read, is an `InvalidFile` naming `name`,
    /// said in our words before libpng is asked (its messages name no file).
    public static func decode(_ data: [UInt8], channels: Int, name: String = "<png>") throws -> (width: Int, height: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3)
        if data.isEmpty { throw InvalidFile(path: name, message: "empty file, not a PNG") }
        guard data.starts(with: signature) else {
            throw InvalidFile(path: name, message: data.count < signature.count && signature.starts(with: data)
                ? "truncated PNG (\(data.count) bytes)" : "not a PNG (the file does not start with the PNG signature)")
        }
        var image = png_image()
        image.version = imageVersion
        let begun = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else {
            let m = message(of: &image)
            png_image_free(&image)
            throw InvalidFile(path: name, message: "not a readable PNG: \(m)")
        }
        image.format = channels == 3 ? formatRGB : formatGray
        let width = Int(image.width), height = Int(image.height)
        // The header's size is checked before anything is allocated for it.
        guard width * height <= maxPixels else {
            png_image_free(&image)
            throw InvalidFile(path: name, message: "PNG claims \(width)x\(height) pixels, more than the \(maxPixels) (8192 x 8192) air reads")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let ok = data.withUnsafeBytes { _ in
            pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        }
        guard ok != 0 else {
            let m = message(of: &image)
            png_image_free(&image)
            throw InvalidFile(path: name, message: "cannot decode PNG: \(m)")
        }
        return (width, height, pixels)
    }

    /// The width and height a PNG file's header gives, read without decoding the image.
    public static func size(ofFile path: String) throws -> (width: Int, height: Int) {
        let head = try FileIO.read(path, prefix: 24)
        if head.isEmpty { throw InvalidFile(path: path, message: "empty file, not a PNG") }
        guard head.count == 24, head.starts(with: signature), Array(head[12..<16]) == Array("IHDR".utf8) else {
            throw InvalidFile(path: path, message: "not a PNG (no PNG signature and header)")
        }
        func be32(_ i: Int) -> Int { head[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// Reads a PNG file as an RGB float image (v / 255).
    public static func readImage(_ path: String) throws -> Image {
        let (w, h, px) = try decode(FileIO.read(path), channels: 3, name: path)
        return Image(width: w, height: h, pixels: px.map { Float($0) / 255 })
    }

    /// Reads an 8-bit grey PNG file (an instance mask).
    public static func readMask(_ path: String) throws -> (width: Int, height: Int, mask: [UInt8]) {
        let (w, h, px) = try decode(FileIO.read(path), channels: 1, name: path)
        return (w, h, px)
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
