import Collective
import Foundation

/// The ranks of a job as threads of this process, for tests of data-parallel code without
/// mpirun: every collective is an all-gather through shared slots between two barriers, and
/// sums run in rank order, as `MPIWorld`'s do.
final class ThreadGroup: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var slots: [[UInt8]]
    private var arrived = 0, generation = 0

    init(size: Int) {
        self.size = size
        slots = Array(repeating: [], count: size)
    }

    func rank(_ r: Int) -> ThreadRank { ThreadRank(group: self, rank: r) }

    func barrier() {
        condition.lock()
        defer { condition.unlock() }
        let mine = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
    }

    func allGather(rank: Int, _ bytes: [UInt8]) -> [[UInt8]] {
        barrier()   // everyone has read the previous exchange
        condition.lock(); slots[rank] = bytes; condition.unlock()
        barrier()   // everyone has written
        condition.lock(); defer { condition.unlock() }
        return slots
    }
}

final class ThreadRank: Collective {
    let group: ThreadGroup
    let rank: Int
    init(group: ThreadGroup, rank: Int) { self.group = group; self.rank = rank }
    var size: Int { group.size }
    func barrier() throws { group.barrier() }
    func broadcast(_ bytes: [UInt8], from root: Int) throws -> [UInt8] { group.allGather(rank: rank, bytes)[root] }
    func gather(_ bytes: [UInt8], to root: Int) throws -> [[UInt8]] {
        let all = group.allGather(rank: rank, bytes)
        return rank == root ? all : []
    }
    func allReduceSum(_ values: inout [Float]) throws {
        let all = group.allGather(rank: rank, values.withUnsafeBytes { Array($0) })
        var sum = [Float](repeating: 0, count: values.count)
        for part in all {
            part.withUnsafeBytes { raw in for (i, v) in raw.bindMemory(to: Float.self).enumerated() { sum[i] += v } }
        }
        values = sum
    }
}

/// Runs `body(rank)` on `size` threads at once (rank 0 on this one) and rethrows the first error.
func onThreads(_ size: Int, _ body: @escaping (Int) throws -> Void) throws {
    final class FirstError: @unchecked Sendable {
        let lock = NSLock()
        var error: Error?
        func keep(_ e: Error) { lock.lock(); error = error ?? e; lock.unlock() }
    }
    let done = DispatchSemaphore(value: 0)
    let failure = FirstError()
    for r in 1..<size {
        let thread = Thread {
            do { try body(r) } catch { failure.keep(error) }
            done.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
    }
    do { try body(0) } catch { failure.keep(error) }
    for _ in 1..<size { done.wait() }
    if let error = failure.error { throw error }
}
