import Scenes

/// Scene JSON (also the parser under every other JSON input): any bytes are read or refused
/// with an InputError, never a trap; and a scene that is accepted renders, since the reader's
/// checks claim to be the renderer's.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScene(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    let reader = JSONFieldReader(file: "fuzz.json")
    guard let value = try? reader.parse(bytes: bytes), var scene = try? SceneJSON.scene(from: value, reader: reader) else { return 0 }
    // Render small: the size is the camera's business, not the reader's.
    scene.camera.width = min(scene.camera.width, 16)
    scene.camera.height = min(scene.camera.height, 16)
    do {
        _ = try renderer.renderWithMask(scene, samplesPerPixel: 1, image: true, mask: true)
    } catch {
        fatalError("an accepted scene does not render: \(error)\n\(SceneJSON.writeLine(scene))")
    }
    // What is written reads back as the same scene.
    guard let again = try? SceneJSON.read(SceneJSON.writeLine(scene), file: "again.json"), again == scene else {
        fatalError("the written scene does not read back: \(SceneJSON.writeLine(scene))")
    }
    return 0
}

nonisolated(unsafe) let renderer = Rasterizer(threads: 1)
