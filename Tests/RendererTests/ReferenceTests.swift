import Random
import Renderer
import XCTest

/// The rasteriser against the independent ray caster: the spec allows disagreement only
/// where a sample lies on an edge within rounding.
final class ReferenceTests: XCTestCase {
    /// Renders `scenes` random scenes both ways. With `shadows`, each scene gets a random light
    /// with shadows on (`light`, default R.randomLight), and every other scene (every scene
    /// with `close`) packs its objects closer so that they shadow each other. Returns how many samples the reference
    /// found in shadow (objects, table).
    @discardableResult
    func compare(camera: air_camera, scenes: Int, seed: UInt64, shadows: Bool = false, close: Bool = false,
                 light makeLight: (inout RNG) -> air_light = R.randomLight,
                 file: StaticString = #filePath, line: UInt = #line) -> (objects: Int, table: Int) {
        var values = 0, badValues = 0, pixels = 0, badMasks = 0
        var shadowed = (objects: 0, table: 0)
        for s in 0..<scenes {
            var rng = RNG(seed: seed).split(UInt64(s))
            let objects = close || (shadows && s % 2 == 1) ? R.randomCloseScene(&rng) : R.randomScene(&rng)
            let light = shadows ? makeLight(&rng) : nil
            let ours = R.render(camera, objects, light: light)
            let ref = ReferenceRayCaster(camera: camera, objects: objects, light: light).render()
            shadowed.objects += ref.shadowedOnObjects
            shadowed.table += ref.shadowedOnTable
            for k in 0..<ref.rgb.count {
                values += 1
                if abs(R.byte(ref.rgb[k]) - R.byte(Double(ours.rgb[k]))) > 1 { badValues += 1 }
            }
            for k in 0..<ref.mask.count {
                pixels += 1
                if ref.mask[k] != ours.mask[k] { badMasks += 1 }
            }
        }
        print("reference comparison: \(badValues)/\(values) values, \(badMasks)/\(pixels) masks differ"
            + (shadows ? "; samples in shadow: \(shadowed.objects) on objects, \(shadowed.table) on the table" : ""))
        XCTAssertLessThanOrEqual(Double(badValues), 0.001 * Double(values), "8-bit values off by more than 1", file: file, line: line)
        XCTAssertLessThanOrEqual(Double(badMasks), 0.001 * Double(pixels), "mask pixels differ", file: file, line: line)
        return shadowed
    }

    func testDefaultCameraFiftyScenes() { compare(camera: R.camera(), scenes: 50, seed: 1) }

    /// Random lights with shadows, random table colours: the shadows must fall where the
    /// reference's second rays say, on the table and on other objects.
    func testShadowsFiftyScenes() {
        let shadowed = compare(camera: R.camera(), scenes: 50, seed: 6, shadows: true)
        XCTAssertGreaterThan(shadowed.table, 5000, "too few shadowed table samples to test anything")
        XCTAssertGreaterThan(shadowed.objects, 200, "too few shadowed object samples to test anything")
    }

    /// Low lights over close objects: many samples in other objects' shadows.
    func testShadowsOnObjects() {
        let shadowed = compare(camera: R.camera(), scenes: 20, seed: 10, shadows: true, close: true) { rng in
            var l = R.randomLight(&rng)
            let e = rng.uniform(30, 40) * Double.pi / 180, a = rng.uniform(0, 360) * Double.pi / 180
            l.direction = (cos(e) * cos(a), cos(e) * sin(a), sin(e))
            return l
        }
        XCTAssertGreaterThan(shadowed.objects, 1000, "too few shadowed object samples to test anything")
    }

    func testShadowsOtherCamerasAndSampleCounts() {
        var c = R.camera(width: 48, height: 40, spp: 9)
        c.eye = (3.0, -2.5, 2.0)
        c.target = (-0.2, 0.4, 0.3)
        c.fov_y_deg = 65
        compare(camera: c, scenes: 10, seed: 7, shadows: true)
        compare(camera: R.camera(width: 40, height: 40, spp: 1), scenes: 10, seed: 8, shadows: true)
        compare(camera: R.camera(width: 32, height: 32, spp: 16), scenes: 6, seed: 12, shadows: true, close: true)
        // Close to the table, some objects reaching behind the eye.
        var low = R.camera(width: 48, height: 48, spp: 4)
        low.eye = (0.0, -1.0, 0.6)
        low.target = (0.0, 1.0, 0.4)
        low.fov_y_deg = 140
        compare(camera: low, scenes: 10, seed: 9, shadows: true)
    }

    /// Grazing lights (shadows tens of units long, reaching behind the eye) and a light
    /// straight down (side faces exactly along it).
    func testShadowsExtremeLights() {
        for elevation in [2.0, 8.0, 90.0] {
            compare(camera: R.camera(width: 48, height: 48), scenes: 8, seed: 11, shadows: true, close: true) { rng in
                var l = R.randomLight(&rng)
                let e = elevation * Double.pi / 180, a = rng.uniform(0, 360) * Double.pi / 180
                l.direction = elevation == 90 ? (0, 0, 2) : (cos(e) * cos(a), cos(e) * sin(a), sin(e))
                return l
            }
        }
    }

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
