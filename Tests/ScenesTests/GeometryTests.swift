import XCTest
@testable import Scenes

final class GeometryTests: XCTestCase {
    func testTargetProjectsToImageCentre() throws {
        var c = Camera()
        c.width = 64; c.height = 48
        let p = try XCTUnwrap(c.project(c.target))
        XCTAssertEqual(p.x, 32, accuracy: 1e-9)
        XCTAssertEqual(p.y, 24, accuracy: 1e-9)
    }

    func testProjectionByHand() throws {
        // Camera at the origin looking along +y: f = (0,1,0), r = f x up = (1,0,0), u = (0,0,1).
        var c = Camera()
        c.eye = [0, 0, 1]; c.target = [0, 1, 1]; c.up = [0, 0, 1]; c.fovY = 90
        c.width = 100; c.height = 50
        let b = c.basis
        XCTAssertEqual(b.r.x, 1, accuracy: 1e-12)
        XCTAssertEqual(b.u.z, 1, accuracy: 1e-12)
        // t = tan 45° = 1, a = 2: a point at depth 2, 1 to the right, 0.5 up.
        // px = (1 + 1 / (2 * 1 * 2)) * 50 = 62.5, py = (1 - 0.5 / 2) * 25 = 18.75.
        let p = try XCTUnwrap(c.project([1, 2, 1.5]))
        XCTAssertEqual(p.x, 62.5, accuracy: 1e-9)
        XCTAssertEqual(p.y, 18.75, accuracy: 1e-9)
        // Behind the camera: no projection.
        XCTAssertNil(c.project([0, -1, 1]))
    }

    func testMovingAlongRMovesRight() throws {
        let c = Camera()
        let b = c.basis
        let p0 = try XCTUnwrap(c.project([0.2, 0.1, 0.3]))
        let p1 = try XCTUnwrap(c.project(SIMD3(0.2, 0.1, 0.3) + 0.1 * b.r))
        XCTAssertGreaterThan(p1.x, p0.x)
        XCTAssertEqual(p1.y, p0.y, accuracy: 1e-9) // r is orthogonal to f and u: same row
        // Up in the world (+z) is up in the image (smaller y) for the default camera.
        let p2 = try XCTUnwrap(c.project([0.2, 0.1, 0.8]))
        XCTAssertLessThan(p2.y, p0.y)
    }

    func testRayInvertsProjection() throws {
        let c = Camera()
        for p in [SIMD3(0.3, -0.7, 0.5), SIMD3(-1.4, 1.2, 0), SIMD3(1.5, 1.5, 1)] {
            let q = try XCTUnwrap(c.project(p))
            let d = c.ray(through: q)
            let toP = p - c.eye
            let along = toP / (toP * toP).sum().squareRoot()
            XCTAssertEqual(d.x, along.x, accuracy: 1e-12)
            XCTAssertEqual(d.y, along.y, accuracy: 1e-12)
            XCTAssertEqual(d.z, along.z, accuracy: 1e-12)
        }
        let t = try XCTUnwrap(c.tablePoint(through: SIMD2(32, 32)))
        XCTAssertEqual(t.x, c.target.x, accuracy: 1e-9)
        XCTAssertEqual(t.y, c.target.y, accuracy: 1e-9)
    }

    func testCameraValidation() {
        XCTAssertNil(Camera().problem)
        var c = Camera(); c.eye.z = 0
        XCTAssertEqual(c.problem?.field, "eye")
        c = Camera(); c.fovY = 180
        XCTAssertEqual(c.problem?.field, "fov_y")
        c = Camera(); c.fovY = 0
        XCTAssertEqual(c.problem?.field, "fov_y")
        c = Camera(); c.width = 0
        XCTAssertEqual(c.problem?.field, "width")
        c = Camera(); c.up = [0, 4.8, -7.5] // parallel to the view direction
        XCTAssertEqual(c.problem?.field, "up")
    }

    func obj(_ shape: Shape, _ x: Double, _ y: Double, _ r: Double = 0) -> SceneObject {
        SceneObject(shape: shape, color: Palette.color(named: "red")!, position: [x, y], rotation: r)
    }

    func testTouchingIsAllowedOverlapIsNot() {
        XCTAssertFalse(Footprint.overlap(obj(.cube, 0, 0), obj(.cube, 1, 0)))        // share an edge
        XCTAssertFalse(Footprint.overlap(obj(.cube, 0, 0), obj(.cube, 1, 1)))        // share a corner
        XCTAssertTrue(Footprint.overlap(obj(.cube, 0, 0), obj(.cube, 0.999, 0)))
        XCTAssertFalse(Footprint.overlap(obj(.cube, 0, 0, 90), obj(.cube, 1, 0, 270))) // turned, still touching
        XCTAssertFalse(Footprint.overlap(obj(.brick, 0, 0), obj(.brick, 0, 0.8)))
        XCTAssertTrue(Footprint.overlap(obj(.brick, 0, 0), obj(.brick, 0, 0.79)))
        // A brick turned 90° is 0.8 wide along x: touching a cube at x = 0.9.
        XCTAssertFalse(Footprint.overlap(obj(.brick, 0, 0, 90), obj(.cube, 0.9, 0)))
        XCTAssertTrue(Footprint.overlap(obj(.brick, 0, 0, 0), obj(.cube, 0.9, 0)))
    }

    func testRotatedSquares() {
        // A square turned 45° reaches sqrt(0.5) ≈ 0.7071 along x.
        XCTAssertTrue(Footprint.overlap(obj(.cube, 0, 0, 45), obj(.cube, 1.2, 0)))   // corner pokes in (0.7071 > 0.7)
        XCTAssertFalse(Footprint.overlap(obj(.cube, 0, 0, 45), obj(.cube, 1.21, 0))) // 0.7071 < 0.71
        // Two diamonds side by side along the diagonal: touch along an edge at distance 1.
        let d = 1 / 2.0.squareRoot()
        XCTAssertFalse(Footprint.overlap(obj(.pyramid, 0, 0, 45), obj(.wedge, d, d, 45)))
        XCTAssertTrue(Footprint.overlap(obj(.pyramid, 0, 0, 45), obj(.wedge, d * 0.99, d * 0.99, 45)))
    }

    func testCylinderPolygon() {
        let p = Footprint.basePolygon(.cylinder)
        XCTAssertEqual(p.count, 24)
        // Side 0 (between the last and the first vertex) has normal +x at distance 0.5 cos 7.5°.
        XCTAssertEqual(p[0].x, 0.5 * cos(7.5 * .pi / 180), accuracy: 1e-12)
        XCTAssertEqual(p[23].x, p[0].x, accuracy: 1e-12)
        XCTAssertEqual(p[0].y, -p[23].y, accuracy: 1e-12)
        let apothem = 0.5 * cos(7.5 * .pi / 180)
        XCTAssertFalse(Footprint.overlap(obj(.cylinder, 0, 0), obj(.cylinder, 2 * apothem, 0)))
        XCTAssertTrue(Footprint.overlap(obj(.cylinder, 0, 0), obj(.cylinder, 2 * apothem - 0.001, 0)))
        XCTAssertFalse(Footprint.overlap(obj(.cylinder, 0, 0), obj(.cube, apothem + 0.5, 0)))
    }

    func testPalette() {
        XCTAssertEqual(Palette.names, ["red", "green", "blue", "yellow", "cyan", "magenta", "orange", "white"])
        XCTAssertEqual(Palette.color(named: "orange")?.rgb, [0.95, 0.50, 0.10])
        XCTAssertNil(Palette.color(named: "purple"))
        XCTAssertEqual(Palette.nearestName(to: [0.8, 0.2, 0.2]), "red")
        XCTAssertEqual(Palette.nearestName(to: [1, 1, 1]), "white")
        XCTAssertEqual(Palette.nearestName(to: [0.1, 0.3, 0.9]), "blue")
        XCTAssertEqual(Palette.exactName(for: [0.15, 0.75, 0.80]), "cyan")
        XCTAssertNil(Palette.exactName(for: [0.15, 0.75, 0.81]))
    }
}
