import Scenes

/// The PNG reader (our checks in front of libpng): any bytes decode or fail with an error
/// naming the file, never a trap; what decodes has the pixels its size says.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    for channels in [3, 1] {
        guard let png = try? PNG.decode(bytes, channels: channels, name: "fuzz.png") else { continue }
        if png.pixels.count != png.width * png.height * channels { fatalError("\(png.width)x\(png.height) with \(png.pixels.count) values") }
    }
    return 0
}
