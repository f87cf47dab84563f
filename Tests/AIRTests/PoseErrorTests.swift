import Scenes
import XCTest
@testable import AIR

/// BOP's error functions on hand-worked cases.
final class PoseErrorTests: XCTestCase {
    func obj(_ shape: Shape, _ x: Double = 0, _ y: Double = 0, yaw: Double = 0) -> SceneObject {
        SceneObject(shape: shape, color: Color(rgb: SIMD3(0.5, 0.5, 0.5)), position: SIMD2(x, y), rotation: yaw)
    }

    /// Straight down from (0, 0, 10): a point at height z and offset d (units) lies
    /// (W/2) d / ((10 − z) tan(fov/2)) pixels from the centre.
    func topDown(size: Int, fov: Double) -> Camera {
        var c = Camera()
        c.eye = SIMD3(0, 0, 10); c.target = SIMD3(0, 0, 0); c.up = SIMD3(0, 1, 0)
        c.fovY = fov; c.width = size; c.height = size
        return c
    }

    func testMSSDByHand() {
        XCTAssertEqual(PoseErrors.mssd(estimate: obj(.wedge, 0.3, -0.2, yaw: 17), truth: obj(.wedge, 0.3, -0.2, yaw: 17)), 0, accuracy: 1e-9)
        // Every vertex moves 0.1 units = 10 mm.
        XCTAssertEqual(PoseErrors.mssd(estimate: obj(.cube, 0.1), truth: obj(.cube)), 10, accuracy: 1e-9)
        // A quarter turn is a symmetry of the cube and the pyramid; any turn of the cylinder.
        XCTAssertEqual(PoseErrors.mssd(estimate: obj(.cube, yaw: 90), truth: obj(.cube)), 0, accuracy: 1e-9)
        XCTAssertEqual(PoseErrors.mssd(estimate: obj(.cylinder, yaw: 33), truth: obj(.cylinder)), 0, accuracy: 1e-6)
        // The pyramid turned 45°: the apex stays, the base corners (radius √½) move by the chord
        // 2 √½ sin 22.5° = 0.5412 units, whichever quarter turn is the reference.
        XCTAssertEqual(PoseErrors.mssd(estimate: obj(.pyramid, yaw: 45), truth: obj(.pyramid)), 100 * 2 * 0.5.squareRoot() * sin(22.5 * .pi / 180), accuracy: 1e-6)
        XCTAssertEqual(PoseErrors.mssd(estimate: obj(.brick), truth: obj(.cube)), .infinity)
    }

    func testMSPDByHand() {
        let cam = topDown(size: 64, fov: 90)   // tan 45° = 1: 32 px per unit at distance 1
        XCTAssertEqual(PoseErrors.mspd(estimate: obj(.cube), truth: obj(.cube), camera: cam), 0, accuracy: 1e-9)
        // Shifted 0.1 units: the top corners (distance 9) move the most, 32 × 0.1 / 9 px.
        XCTAssertEqual(PoseErrors.mspd(estimate: obj(.cube, 0.1), truth: obj(.cube), camera: cam), 32 * 0.1 / 9, accuracy: 1e-9)
        XCTAssertEqual(PoseErrors.mspd(estimate: obj(.cube, yaw: 270), truth: obj(.cube), camera: cam), 0, accuracy: 1e-9)
        XCTAssertEqual(PoseErrors.mspd(estimate: obj(.cylinder, yaw: 33), truth: obj(.cylinder), camera: cam), 0, accuracy: 1e-6)
        // The pyramid turned 45°: base corners at distance 10 move by the chord 0.5412 units.
        XCTAssertEqual(PoseErrors.mspd(estimate: obj(.pyramid, yaw: 45), truth: obj(.pyramid), camera: cam),
                       32 * 2 * 0.5.squareRoot() * sin(22.5 * .pi / 180) / 10, accuracy: 1e-6)
        XCTAssertEqual(PoseErrors.mspd(estimate: obj(.wedge), truth: obj(.pyramid), camera: cam), .infinity)
    }

    func testVSDByHand() throws {
        let r = Rasterizer(threads: 1)
        // 256 px, 30°: the cube's top face (1 × 1 at distance 9) is a square of about 53 px; seen
        // from straight above its sides are hidden, so only the top shows, all at one depth.
        var scene = Scene(camera: topDown(size: 256, fov: 30))
        let truth = obj(.cube)
        scene.objects = [truth]
        let depth = try r.geometry(scene).depth
        let taus = [5.0, 20, 50]
        func vsd(_ e: SceneObject) throws -> [Double] {
            try PoseErrors.vsd(estimate: e, truth: truth, scene: scene, sceneDepth: depth, taus: taus, renderer: r)
        }
        XCTAssertEqual(try vsd(truth), [0, 0, 0])
        XCTAssertEqual(try vsd(obj(.brick)), [1, 1, 1])
        XCTAssertEqual(try vsd(obj(.cube, 1.5)), [1, 1, 1], "no overlap")
        // Shifted by 0.1: two squares of side s offset by δ = 0.1/1 of a side: 1 − (1 − δ)/(1 + δ).
        for e in try vsd(obj(.cube, 0.1)) { XCTAssertEqual(e, 1 - 0.9 / 1.1, accuracy: 0.02) }
        // Turned 45°: the square and its turned copy meet in a regular octagon of area
        // 2(√2 − 1) and cover 2 − 2(√2 − 1).
        let octagon = 2 * (2.0.squareRoot() - 1)
        for e in try vsd(obj(.cube, yaw: 45)) { XCTAssertEqual(e, 1 - octagon / (2 - octagon), accuracy: 0.02) }
    }

    /// Estimates in any 6D pose (BOP results): a symmetry of the truth scores 0, a lift scores
    /// its height, whatever pose resting on the table is nearest.
    func testBOPSixDofEstimates() {
        let truth = obj(.cube, 0.2, -0.1, yaw: 20)
        let p = PoseErrors.Pose(truth)
        // The cube turned half a turn about its own x axis through its centre (50 mm up).
        let flipped = PoseErrors.Pose(shape: .cube, r: PoseErrors.multiply(p.r, [1, 0, 0, 0, -1, 0, 0, 0, -1]),
                                      t: p.t + SIMD3(0, 0, 100))
        XCTAssertEqual(PoseErrors.mssd(estimate: flipped, truth: truth), 0, accuracy: 1e-9)
        XCTAssertEqual(PoseErrors.mspd(estimate: flipped, truth: truth, camera: Camera()), 0, accuracy: 1e-9)
        var lifted = p
        lifted.t.z += 10
        XCTAssertEqual(PoseErrors.mssd(estimate: lifted, truth: truth), 10, accuracy: 1e-9)
        // The flipped pose reads as the truth on the table.
        let reading = BOPEstimates.tableReading(flipped)
        XCTAssertEqual(reading.position.x, 0.2, accuracy: 1e-9)
        XCTAssertEqual(reading.position.y, -0.1, accuracy: 1e-9)
        XCTAssertEqual(PoseErrors.mssd(estimate: reading, truth: truth), 0, accuracy: 1e-9)
        // A quarter turn about y (x axis to the vertical) keeps its yaw too.
        // (The reading took its yaw from the x axis, which is vertical here, and lost it.)
        let r = PoseErrors.multiply(p.r, [0, 0, 1, 0, 1, 0, -1, 0, 0]), c = SIMD3<Double>(0, 0, 50)
        let quarter = PoseErrors.Pose(shape: .cube, r: r, t: p.t + PoseErrors.apply(p.r, c) - PoseErrors.apply(r, c))
        XCTAssertEqual(PoseErrors.mssd(estimate: quarter, truth: truth), 0, accuracy: 1e-9)
        let turned = BOPEstimates.tableReading(quarter)
        XCTAssertEqual((turned.rotation.truncatingRemainder(dividingBy: 90) + 90).truncatingRemainder(dividingBy: 90), 20, accuracy: 1e-6)
        XCTAssertEqual(PoseErrors.mssd(estimate: turned, truth: truth), 0, accuracy: 1e-6)
    }

    /// Average recall over BOP's thresholds on hand-made errors.
    func testAverageRecallByHand() {
        let d = PoseErrors.diameter(.cube)
        XCTAssertEqual(d, 100 * 3.0.squareRoot(), accuracy: 1e-9)
        func row(mssd: Double, mspd: Double, vsd: Double) -> BOPObjectScore {
            BOPObjectScore(image: 0, object: 0, shape: .cube, trueCount: 1, visibleFraction: 1, mssd: mssd, mspd: mspd,
                           vsd: [Double](repeating: vsd, count: 10), width: 640)
        }
        // MSSD 0.12 d passes θ = 0.15 … 0.5 d (8 of 10); MSPD 12 px passes 15 … 50 (8 of 10);
        // VSD 0.22 passes θ = 0.25 … 0.5 (6 of 10) at every τ.
        let r = BOPScores.recall([row(mssd: 0.12 * d, mspd: 12, vsd: 0.22)])
        XCTAssertEqual(r.arMSSD, 0.8, accuracy: 1e-12)
        XCTAssertEqual(r.arMSPD, 0.8, accuracy: 1e-12)
        XCTAssertEqual(r.arVSD, 0.6, accuracy: 1e-12)
        XCTAssertEqual(r.ar, (0.8 + 0.8 + 0.6) / 3, accuracy: 1e-12)
        let missed = BOPScores.recall([row(mssd: 0, mspd: 0, vsd: 0), row(mssd: .infinity, mspd: .infinity, vsd: 1)])
        XCTAssertEqual(missed.ar, 0.5, accuracy: 1e-12)
    }
}
