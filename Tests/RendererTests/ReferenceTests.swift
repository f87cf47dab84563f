import Random
import Renderer
import XCTest

/// The rasteriser against the independent ray caster: the spec allows disagreement only
/// where a sample lies on an edge within rounding.
final class ReferenceTests: XCTestCase {
    func compare(camera: air_camera, scenes: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var values = 0, badValues = 0, pixels = 0, badMasks = 0
        for s in 0..<scenes {
            var rng = RNG(seed: seed).split(UInt64(s))
            let objects = R.randomScene(&rng)
            let ours = R.render(camera, objects)
            let ref = ReferenceRayCaster(camera: camera, objects: objects).render()
            for k in 0..<ref.rgb.count {
                values += 1
                if abs(R.byte(ref.rgb[k]) - R.byte(Double(ours.rgb[k]))) > 1 { badValues += 1 }
            }
            for k in 0..<ref.mask.count {
                pixels += 1
                if ref.mask[k] != ours.mask[k] { badMasks += 1 }
            }
        }
        print("reference comparison: \(badValues)/\(values) values, \(badMasks)/\(pixels) masks differ")
        XCTAssertLessThanOrEqual(Double(badValues), 0.001 * Double(values), "8-bit values off by more than 1", file: file, line: line)
        XCTAssertLessThanOrEqual(Double(badMasks), 0.001 * Double(pixels), "mask pixels differ", file: file, line: line)
    }

    func testDefaultCameraFiftyScenes() { compare(camera: R.camera(), scenes: 50, seed: 1) }

    func testOtherSampleCounts() {
        for spp: Int32 in [1, 9, 16] { compare(camera: R.camera(width: 32, height: 32, spp: spp), scenes: 6, seed: 2) }
    }

    func testOtherCameraAndSize() {
        var c = R.camera(width: 48, height: 40, spp: 4)
        c.eye = (3.0, -2.5, 2.0)
        c.target = (-0.2, 0.4, 0.3)
        c.fov_y_deg = 65
        compare(camera: c, scenes: 8, seed: 3)
    }

    /// The eye sits between the two back slots (y = -1), so the objects there reach behind
    /// it and must be clipped at the near plane without wrapping around.
    func testEyeAmongObjects() {
        var c = R.camera(width: 48, height: 48, spp: 4)
        c.eye = (0.0, -1.0, 0.6)
        c.target = (0.0, 1.0, 0.4)
        c.fov_y_deg = 140
        compare(camera: c, scenes: 16, seed: 4)
    }
}
