import XCTest
import Random
@testable import Engine

/// Reproducibility: with a fixed BLAS thread count, a training step gives the same bits every
/// time (fresh tapes, so no reliance on recycled arena contents). Across thread counts OpenBLAS
/// may split reductions differently: results then differ in the last bits (measured: 1 vs 2
/// threads differ), so training runs pin the thread count (BLAS.setThreads(1)).
final class ThreadDeterminismTests: XCTestCase {
    func step(threads: Int) -> [UInt32] {
        BLAS.setThreads(threads)
        defer { BLAS.setThreads(1) }
        var rng = RNG(seed: 3)
        let mlp = MLP([384, 256, 128], rng: &rng)
        let conv = Conv2d(3, 16, kernel: 3, stride: 1, padding: 1, rng: &rng)
        let tape = Tape()
        let x = tape.randn([128, 384], rng: &rng)
        let img = tape.randn([8, 16, 16, 3], rng: &rng)
        (mean(square(mlp(x))) + mean(square(conv(img)))).backward()
        return (mlp.parameters + conv.parameters).flatMap { $0.grad! }.map(\.bitPattern)
    }

    func testSameBitsForAFixedThreadCount() {
        XCTAssertEqual(step(threads: 1), step(threads: 1))
        XCTAssertEqual(step(threads: 2), step(threads: 2))
    }
}
