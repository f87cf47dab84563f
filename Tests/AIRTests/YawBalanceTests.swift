import Engine
import Random
import Scenes
import XCTest
@testable import AIR

/// The yaw term's per-shape weight (P / 90°)^yawBalance: a wedge's (P = 360°) yaw counts 16
/// times at balance 2, a brick's 4 times, a cube's once; nothing else in the loss moves.
final class YawBalanceTests: XCTestCase {
    private func terms(shape: String, balance: Double) throws -> SleepObjective.Terms {
        var config = tinyConfig(maxObjects: 2)
        config.samplesPerPixel = 1
        var rng = RNG(seed: 4)
        let network = GuideNetwork(config: config, rng: &rng)
        let spec = try BatchSpec.read("""
        {"kind": "random", "objects_per_scene": {"min": 1, "max": 2}, "shapes": {"\(shape)": 1}, "size": [32, 32], "spp": 1,
         "min_visible_pixels": 8, "x": [-1.2, 1.2], "y": [-1.2, 1.2]}
        """, file: "yaw.json")
        let builder = try BatchBuilder(source: SpecSource(spec: spec, seed: 5), config: config, threads: 1)
        let batch = try builder.batch(first: 0, count: 6, noiseSeed: 2)
        var objective = SleepObjective(network: network)
        objective.yawBalance = balance
        var rows = (0..<batch.size).map { RNG(seed: 90 + UInt64($0)) }
        return objective.loss(batch, table: builder.tableColor, tape: Tape(), rows: &rows, total: 1)
    }

    func testTheYawTermIsWeighedBySymmetryPeriod() throws {
        for (shape, factor) in [("wedge", 16.0), ("brick", 4.0), ("cube", 1.0), ("pyramid", 1.0)] {
            let plain = try terms(shape: shape, balance: 0), balanced = try terms(shape: shape, balance: 2)
            XCTAssertGreaterThan(plain.yaw, 0, shape)
            XCTAssertEqual(balanced.yaw, plain.yaw * factor, accuracy: 1e-5 * plain.yaw * factor, shape)
            XCTAssertEqual(balanced.shape, plain.shape, shape)
            XCTAssertEqual(balanced.position, plain.position, shape)
            XCTAssertEqual(Double(balanced.loss.item) - Double(plain.loss.item), plain.yaw * (factor - 1),
                           accuracy: 1e-4 * max(1, abs(Double(plain.loss.item))), shape)
        }
        // A cylinder has no yaw to weigh.
        XCTAssertEqual(try terms(shape: "cylinder", balance: 2).yaw, 0)
    }
}
