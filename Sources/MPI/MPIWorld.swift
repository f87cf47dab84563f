import CMPI
import Collective
#if canImport(Glibc)
import Glibc
#endif

/// A failed MPI call, with MPI's own message.
public struct MPIError: Error, CustomStringConvertible {
    public var call: String
    public var code: Int32
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        return "MPI: \(call) failed: \(String(cString: buffer))"
    }
}

/// The ranks of an MPI job (Open MPI's `mpirun`/`srun`), as a `Collective`. `start()` gives
/// it when the process was launched by mpirun and a `SingleProcess` otherwise, so that a
/// plain `air` never initialises MPI.
public final class MPIWorld: Collective {
    public let rank: Int
    public let size: Int
    let comm = air_mpi_comm_world()
    /// The all-reduce's receive buffer, kept: allocating megabytes afresh for every gradient
    /// costs as much as sending them (the kernel maps and zeroes new pages).
    private var received: [Float] = []

    /// Whether the launcher set the job's size (Open MPI, PMI, or Slurm's PMIx).
    public static var launched: Bool {
        ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].contains { (name: String) in getenv(name) != nil }
    }

    public static func start() throws -> any Collective {
        guard launched else { return SingleProcess() }
        return try MPIWorld()
    }

    init() throws {
        try MPIWorld.check("MPI_Init", MPI_Init(nil, nil))
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(air_mpi_comm_world(), &r)
        MPI_Comm_size(air_mpi_comm_world(), &s)
        rank = Int(r)
        size = Int(s)
        // Every rank finalises at exit; `air` keeps one world for the life of the process.
        atexit { MPI_Finalize() }
    }

    static func check(_ call: String, _ code: Int32) throws {
        if code != MPI_SUCCESS { throw MPIError(call: call, code: code) }
    }

    public func barrier() throws { try MPIWorld.check("MPI_Barrier", MPI_Barrier(comm)) }

    public func broadcast(_ bytes: [UInt8], from root: Int) throws -> [UInt8] {
        var n = Int64(bytes.count)
        try MPIWorld.check("MPI_Bcast", MPI_Bcast(&n, 1, air_mpi_long_long(), Int32(root), comm))
        var out = rank == root ? bytes : [UInt8](repeating: 0, count: Int(n))
        if n > 0 {
            try out.withUnsafeMutableBytes { try MPIWorld.check("MPI_Bcast", MPI_Bcast($0.baseAddress, Int32(n), air_mpi_byte(), Int32(root), comm)) }
        }
        return out
    }

    public func gather(_ bytes: [UInt8], to root: Int) throws -> [[UInt8]] {
        var mine = Int32(bytes.count)
        var counts = [Int32](repeating: 0, count: size)
        try MPIWorld.check("MPI_Gather", MPI_Gather(&mine, 1, air_mpi_int32(), &counts, 1, air_mpi_int32(), Int32(root), comm))
        var displacements = [Int32](repeating: 0, count: size)
        for i in 1..<max(1, size) { displacements[i] = displacements[i - 1] + counts[i - 1] }
        let total = Int(counts.reduce(0, +))
        var all = [UInt8](repeating: 0, count: rank == root ? max(1, total) : 1)
        var send = bytes.isEmpty ? [0] : bytes
        try send.withUnsafeMutableBytes { s in
            try all.withUnsafeMutableBytes { a in
                try MPIWorld.check("MPI_Gatherv", MPI_Gatherv(s.baseAddress, mine, air_mpi_byte(), a.baseAddress, &counts, &displacements,
                                                             air_mpi_byte(), Int32(root), comm))
            }
        }
        guard rank == root else { return [] }
        return (0..<size).map { Array(all[Int(displacements[$0])..<Int(displacements[$0] + counts[$0])]) }
    }

    public func allReduceSum(_ values: inout [Float]) throws {
        // MPI_Allreduce's order of summation is the library's. Here each rank sums one chunk of
        // the vector over all ranks, in rank order, and the summed chunks are shared: the sum is
        // the same for any run of N ranks (and the same as adding the ranks' vectors one after
        // the other), and each rank sends and receives 2·(N−1)/N of the vector, as a ring does.
        guard size > 1 else { return }
        values = try allGatherChunks(reduceScatterSum(values), count: values.count)
    }

    /// Chunk c of every rank's vector goes to rank c (`MPI_Alltoallv`), which adds them up in
    /// rank order.
    public func reduceScatterSum(_ values: [Float]) throws -> [Float] {
        guard size > 1 else { return values }
        let mine = chunk(rank, of: values.count).count
        // Megabytes: left uninitialised (every element is written), not zeroed.
        return try [Float](unsafeUninitializedCapacity: max(1, mine)) { s, initialised in
            try values.withUnsafeBufferPointer { try reduceScatterSum($0.baseAddress!, count: values.count, into: s.baseAddress!) }
            initialised = mine
        }
    }

    public func reduceScatterSum(_ values: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<Float>) throws {
        let ranks = size
        guard ranks > 1 else { if out != values { out.update(from: values, count: n) }; return }
        var sendCounts = (0..<ranks).map { Int32(chunk($0, of: n).count) }
        var sendDisplacements = (0..<ranks).map { Int32(chunk($0, of: n).lowerBound) }
        let mine = chunk(rank, of: n).count
        if received.count < max(1, mine * ranks) { received = [Float](repeating: 0, count: max(1, mine * ranks)) }
        var receiveCounts = [Int32](repeating: Int32(mine), count: ranks)
        var receiveDisplacements = (0..<ranks).map { Int32($0 * mine) }
        try received.withUnsafeMutableBufferPointer { r in
            try MPIWorld.check("MPI_Alltoallv", MPI_Alltoallv(values, &sendCounts, &sendDisplacements, air_mpi_float(),
                                                              r.baseAddress, &receiveCounts, &receiveDisplacements, air_mpi_float(), comm))
        }
        // `out` may be this rank's chunk of `values`: everything sent is in `received` now.
        received.withUnsafeBufferPointer { r in
            guard mine > 0 else { return }
            out.update(from: r.baseAddress!, count: mine)
            for from in 1..<ranks {
                let part = r.baseAddress! + from * mine
                for i in 0..<mine { out[i] += part[i] }
            }
        }
    }

    public func allGatherChunks(inPlace vector: UnsafeMutablePointer<Float>, count n: Int) throws {
        guard size > 1 else { return }
        var counts = (0..<size).map { Int32(chunk($0, of: n).count) }
        var displacements = (0..<size).map { Int32(chunk($0, of: n).lowerBound) }
        try MPIWorld.check("MPI_Allgatherv", MPI_Allgatherv(air_mpi_in_place(), 0, air_mpi_float(),
                                                            vector, &counts, &displacements, air_mpi_float(), comm))
    }

    /// Every rank's chunk to every rank (`MPI_Allgatherv`).
    public func allGatherChunks(_ chunk: [Float], count n: Int) throws -> [Float] {
        let ranks = size
        guard ranks > 1 else { return chunk }
        var counts = (0..<ranks).map { Int32(self.chunk($0, of: n).count) }
        var displacements = (0..<ranks).map { Int32(self.chunk($0, of: n).lowerBound) }
        precondition(chunk.count == Int(counts[rank]), "allGatherChunks: \(chunk.count) values for a chunk of \(counts[rank])")
        let send = chunk.isEmpty ? [0] : chunk
        // Every element is received: the megabytes are not zeroed first.
        return try [Float](unsafeUninitializedCapacity: max(1, n)) { o, initialised in
            try send.withUnsafeBufferPointer { s in
                try MPIWorld.check("MPI_Allgatherv", MPI_Allgatherv(s.baseAddress, Int32(chunk.count), air_mpi_float(),
                                                                    o.baseAddress, &counts, &displacements, air_mpi_float(), comm))
            }
            initialised = n
        }
    }
}
