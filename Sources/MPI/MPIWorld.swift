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
        // MPI_Allreduce's order of summation is the library's; gathering to rank 0 and summing
        // in rank order, then broadcasting, makes the result the same for any run of N ranks.
        let bytes = values.withUnsafeBytes { Array($0) }
        let parts = try gather(bytes, to: 0)
        var sum = values
        if rank == 0 {
            sum = [Float](repeating: 0, count: values.count)
            for p in parts {
                p.withUnsafeBytes { raw in
                    for (i, v) in raw.bindMemory(to: Float.self).enumerated() { sum[i] += v }
                }
            }
        }
        let out = try broadcast(sum.withUnsafeBytes { Array($0) }, from: 0)
        out.withUnsafeBytes { raw in values = Array(raw.bindMemory(to: Float.self)) }
    }
}
