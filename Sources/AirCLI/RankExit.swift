import ArgumentParser
import Collective
#if canImport(Glibc)
import Glibc
#endif

/// How a command of a multi-rank job fails: a rank that returns normally calls MPI_Finalize at
/// exit, which waits for the other ranks, and those may be waiting in a collective for this
/// one. A failing rank therefore reports and leaves at once (`_exit`), and mpirun ends the job.
func exitingTogether(_ world: any Collective, _ body: () throws -> Void) throws {
    guard world.size > 1 else { return try body() }
    do {
        try body()
    } catch let e as ExitCode {
        leave(e.rawValue)
    } catch {
        SceneCommandExit.say(error, in: world)
        leave(1)
    }
}

private func leave(_ code: Int32) -> Never {
    fflush(stdout)
    fflush(stderr)
    _exit(code == 0 ? 1 : code)
}

/// Runs `check` on rank 0 alone (checks and changes of shared files); when it throws, rank 0
/// fails with its error and the other ranks quietly with the same verdict.
func onRankZero(_ world: any Collective, _ check: () throws -> Void) throws {
    guard world.size > 1 else { return try check() }
    var failure: Error?
    if world.isRoot {
        do { try check() } catch { failure = error }
    }
    let verdict = try world.broadcast(failure == nil ? [] : [1], from: 0)
    if let failure { throw failure }
    if !verdict.isEmpty { throw ExitCode(1) }
}
