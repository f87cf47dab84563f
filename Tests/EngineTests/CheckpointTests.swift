import XCTest
import Foundation
import Random
@testable import Engine

final class CheckpointTests: XCTestCase {
    final class Net: Module {
        let conv: Conv2d, cell: LSTMCell, head: MLP
        init(rng: inout RNG) {
            conv = Conv2d(1, 2, kernel: 3, stride: 2, padding: 1, rng: &rng)
            cell = LSTMCell(8, 4, rng: &rng)
            head = MLP([4, 6, 2], rng: &rng)
        }
        func loss(_ tape: Tape, rng: inout RNG) -> Tensor {
            let x = tape.randn([3, 4, 4, 1], rng: &rng)
            let f = relu(conv(x)).flattened()                 // [3, 8]
            let s = cell(f, cell.zeroState(batch: 3, on: tape))
            let y = head(s.h)
            let noise = Normal(mean: y, logStd: tape.full(y.shape, -1)).rsample(rng: &rng)
            return mean(square(noise - 0.5))
        }
    }

    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "engine-ckpt-\(getpid())-\(name.hashValue & 0xffff)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testParameterRoundTripAndErrors() throws {
        let dir = try temporaryDirectory()
        var rng = RNG(seed: 1)
        let a = Net(rng: &rng), b = Net(rng: &rng)
        XCTAssertNotEqual(a.conv.weight.values, b.conv.weight.values)
        try Checkpoint.saveParameters(a, to: dir + "/p.safetensors", metadata: ["note": "x"])
        let meta = try Checkpoint.loadParameters(into: b, from: dir + "/p.safetensors")
        XCTAssertEqual(meta["note"], "x")
        for (pa, pb) in zip(a.namedParameters(), b.namedParameters()) {
            XCTAssertEqual(pa.name, pb.name)
            XCTAssertEqual(pa.tensor.values, pb.tensor.values)
        }
        // a different architecture is refused with the offending tensor named, and nothing changes
        final class Other: Module { let head: MLP; init(rng: inout RNG) { head = MLP([4, 7, 2], rng: &rng) } }
        let other = Other(rng: &rng)
        let before = other.parameters.map(\.values)
        XCTAssertThrowsError(try Checkpoint.loadParameters(into: other, from: dir + "/p.safetensors", allowExtra: true)) { e in
            XCTAssertTrue("\(e)".contains("head.layers.0.weight") && "\(e)".contains("shape"), "\(e)")
        }
        XCTAssertEqual(other.parameters.map(\.values), before)
        XCTAssertThrowsError(try Checkpoint.loadParameters(into: other, from: dir + "/missing.safetensors"))
    }

    /// Train 6 steps straight; versus 3 steps, save, rebuild everything from other seeds, load, 3 more.
    func testResumeIsBitExact() throws {
        let dir = try temporaryDirectory()
        func train(_ net: Net, _ opt: Adam, _ rng: inout RNG, steps: Int) {
            let tape = Tape()
            for _ in 0..<steps {
                net.loss(tape, rng: &rng).backward()
                opt.clipGradNorm(1)
                opt.step()
                tape.reset()
            }
        }
        func makeOptimizer(_ net: Net) -> Adam {
            Adam([ParameterGroup(net.conv, prefix: "conv", learningRate: 1e-2),
                  ParameterGroup(net.cell, prefix: "cell", learningRate: 3e-3),
                  ParameterGroup(net.head, prefix: "head", learningRate: 1e-2)],
                 schedule: .warmupCosine(warmup: 2, total: 10))
        }
        var init1 = RNG(seed: 7)
        let straight = Net(rng: &init1)
        let straightOpt = makeOptimizer(straight)
        var data1 = RNG(seed: 99)
        train(straight, straightOpt, &data1, steps: 6)

        var init2 = RNG(seed: 7)
        let first = Net(rng: &init2)
        let firstOpt = makeOptimizer(first)
        var data2 = RNG(seed: 99)
        train(first, firstOpt, &data2, steps: 3)
        try Checkpoint.saveTrainingState(module: first, optimizer: firstOpt, rngs: ["data": data2],
                                         to: dir + "/state.safetensors", metadata: ["run": "test"])

        var init3 = RNG(seed: 12345)
        let resumed = Net(rng: &init3)
        let resumedOpt = makeOptimizer(resumed)
        let (rngs, meta) = try Checkpoint.loadTrainingState(module: resumed, optimizer: resumedOpt, from: dir + "/state.safetensors")
        XCTAssertEqual(meta["run"], "test")
        XCTAssertEqual(resumedOpt.stepCount, 3)
        var data3 = try XCTUnwrap(rngs["data"])
        train(resumed, resumedOpt, &data3, steps: 3)

        for (s, r) in zip(straight.namedParameters(), resumed.namedParameters()) {
            XCTAssertEqual(s.tensor.values.map(\.bitPattern), r.tensor.values.map(\.bitPattern), s.name)
        }
        XCTAssertEqual(straightOpt.state, resumedOpt.state)
        XCTAssertEqual(data1, data3)
    }
}
