import Engine

/// The safetensors reader: any bytes decode or fail with a SafeTensorsError, never a trap;
/// what decodes re-encodes (as F32) to a file that decodes to the same tensors.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    guard let (tensors, metadata) = try? SafeTensors.decode(bytes, source: "fuzz.safetensors") else { return 0 }
    guard let (again, meta2) = try? SafeTensors.decode(SafeTensors.encode(tensors, metadata: metadata), source: "again"),
          meta2 == metadata, again.keys.sorted() == tensors.keys.sorted(),
          again.allSatisfy({ name, t in t.shape == tensors[name]!.shape && t.values.map(\.bitPattern) == tensors[name]!.values.map(\.bitPattern) })
    else { fatalError("a decoded file does not round-trip") }
    return 0
}
