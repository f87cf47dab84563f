/// What the processes of one job can do together: the single process of a plain run, or the
/// ranks of an MPI job (module MPI). Library code takes a `Collective` and never asks which.
public protocol Collective: AnyObject {
    /// This process's index, 0 ..< size.
    var rank: Int { get }
    var size: Int { get }
    func barrier() throws
    /// `bytes` from `root` to everyone (the others' argument is ignored).
    func broadcast(_ bytes: [UInt8], from root: Int) throws -> [UInt8]
    /// Every rank's bytes, in rank order, at `root` (empty elsewhere).
    func gather(_ bytes: [UInt8], to root: Int) throws -> [[UInt8]]
    /// The element-wise sum over ranks, in rank order (the same on every rank).
    func allReduceSum(_ values: inout [Float]) throws
    /// The two halves of `allReduceSum`, for a rank that needs only its chunk of the sum
    /// (`chunk(rank, of: values.count)`): that chunk of the element-wise sum, added in rank order.
    func reduceScatterSum(_ values: [Float]) throws -> [Float]
    /// The vector of `count` values whose chunk c is rank c's `chunk`, on every rank.
    func allGatherChunks(_ chunk: [Float], count: Int) throws -> [Float]
    /// `reduceScatterSum` of the `count` values at `values`, this rank's chunk of the sum
    /// written at `out` (which may be where that chunk lies in `values`).
    func reduceScatterSum(_ values: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) throws
    /// `allGatherChunks` in place: on entry chunk `rank` of the `count` values at `vector` is
    /// this rank's; on return every chunk is its rank's.
    func allGatherChunks(inPlace vector: UnsafeMutablePointer<Float>, count: Int) throws
}

extension Collective {
    public var isRoot: Bool { rank == 0 }

    /// Chunk c of a vector of n values split over the ranks: consecutive, as even as can be.
    public func chunk(_ c: Int, of n: Int) -> Range<Int> { (n * c / size)..<(n * (c + 1) / size) }

    /// Through `gather` and `broadcast` (ranks of `MPIWorld` exchange chunks directly).
    public func reduceScatterSum(_ values: [Float]) throws -> [Float] {
        var sum = values
        try allReduceSum(&sum)
        return Array(sum[chunk(rank, of: values.count)])
    }

    public func allGatherChunks(_ chunk: [Float], count: Int) throws -> [Float] {
        if size == 1 { return chunk }
        let parts = try allGather(chunk.map(Double.init))
        return parts.flatMap { $0.map(Float.init) }
    }

    public func reduceScatterSum(_ values: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) throws {
        let sum = try reduceScatterSum(Array(UnsafeBufferPointer(start: values, count: count)))
        sum.withUnsafeBufferPointer { if let b = $0.baseAddress { out.update(from: b, count: $0.count) } }
    }

    public func allGatherChunks(inPlace vector: UnsafeMutablePointer<Float>, count: Int) throws {
        let mine = chunk(rank, of: count)
        let all = try allGatherChunks(Array(UnsafeBufferPointer(start: vector + mine.lowerBound, count: mine.count)), count: count)
        all.withUnsafeBufferPointer { if let b = $0.baseAddress { vector.update(from: b, count: count) } }
    }

    /// An integer from rank 0 to everyone.
    public func broadcast(_ value: Int) throws -> Int {
        let bytes = withUnsafeBytes(of: Int64(value).littleEndian) { Array($0) }
        let got = try broadcast(bytes, from: 0)
        return Int(got.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) })
    }
}

/// A job of one process: every collective is the identity.
public final class SingleProcess: Collective {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func barrier() throws {}
    public func broadcast(_ bytes: [UInt8], from root: Int) throws -> [UInt8] { bytes }
    public func gather(_ bytes: [UInt8], to root: Int) throws -> [[UInt8]] { [bytes] }
    public func allReduceSum(_ values: inout [Float]) throws {}
}
