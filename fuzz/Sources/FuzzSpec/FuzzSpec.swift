import Scenes

/// Batch specs: any bytes are read or refused with an InputError; an accepted spec with a
/// small camera samples scene 0 or fails with a SamplingError, within its time bound.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpec(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    guard let spec = try? BatchSpec.read(text, file: "fuzz.json") else { return 0 }
    guard spec.camera.width * spec.camera.height <= 32 * 32 else { return 0 }
    do {
        let s = try spec.sample(index: 0, seed: 1, renderer: renderer, timeLimit: 0.05)
        _ = try spec.observe(s.scene, index: 0, seed: 1, renderer: renderer)
    } catch is SamplingError {
    } catch {
        fatalError("an accepted spec fails to sample or render: \(error)\n\(text)")
    }
    return 0
}

nonisolated(unsafe) let renderer = Rasterizer(threads: 1)
