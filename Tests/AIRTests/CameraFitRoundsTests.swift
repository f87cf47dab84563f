@testable import AIR
import Random
import Scenes
import XCTest

final class CameraFitRoundsTests: XCTestCase {
    /// A camera looking straight down from 10 units with a 90° field of view on 64 pixels maps
    /// x at depth d to 32 + 32·x/d: moved 0.5 along x, the table (depth 10) moves 1.6 px and
    /// points at height 1 (depth 9) 32 · 0.5 / 9 = 1.78 px, the most.
    func testProjectionShiftOfAMovedOverheadCamera() {
        var a = Camera()
        a.eye = SIMD3(0, 0, 10)
        a.target = SIMD3(0, 0, 0)
        a.up = SIMD3(0, 1, 0)
        a.fovY = 90
        a.width = 64
        a.height = 64
        var b = a
        b.eye.x += 0.5
        b.target.x += 0.5
        XCTAssertEqual(CameraFitRounds.projectionShift(a, a, halfWidth: 1.5), 0)
        XCTAssertEqual(CameraFitRounds.projectionShift(a, b, halfWidth: 1.5), 32 * 0.5 / 9, accuracy: 1e-9)
    }

    /// Rounds stop once a round settles, or after `maxRounds`; the network keeps the last
    /// round's camera.
    func testRoundsStopWhenTheCameraSettles() throws {
        var cfg = tinyConfig(maxObjects: 1)
        cfg.samplesPerPixel = 1
        let r = Rasterizer(threads: 1)
        let images = try [SIMD2(0.5, 0.2), SIMD2(-0.4, -0.3)].map { p in
            PNG.quantized(try r.render(cfg.scene(objects: [SceneObject(shape: .cube, color: Color(rgb: SIMD3(0.9, 0.2, 0.1)), position: p, rotation: 10)]), samplesPerPixel: 1))
        }
        func rounds(max: Int, tolerance: Double) throws -> (rounds: [CameraFitRounds.Round], network: GuideNetwork) {
            var rng = RNG(seed: 5)
            let network = GuideNetwork(config: cfg, rng: &rng)
            var fit = CameraFitRounds()
            (fit.maxRounds, fit.tolerance, fit.searchImages, fit.polishRenders) = (max, tolerance, 1, 10)
            return (try fit.fit(network, images: images), network)
        }
        XCTAssertEqual(try rounds(max: 3, tolerance: .infinity).rounds.count, 1)
        let (two, network) = try rounds(max: 2, tolerance: -1)
        XCTAssertEqual(two.count, 2)
        XCTAssertEqual(network.config.camera, two[1].camera)
    }
}
