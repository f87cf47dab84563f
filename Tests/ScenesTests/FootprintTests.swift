import XCTest
@testable import Scenes

/// The no-overlap rule and the shortest move out of an overlap, on hand-made footprints.
final class FootprintTests: XCTestCase {
    func block(_ shape: Shape, _ x: Double, _ y: Double, _ yaw: Double = 0) -> SceneObject {
        SceneObject(shape: shape, color: Palette.color(named: "red")!, position: SIMD2(x, y), rotation: yaw)
    }

    func testTouchingIsAllowedAndAGapIsAsked() {
        let a = block(.cube, 0, 0), b = block(.cube, 1, 0)
        XCTAssertFalse(Footprint.overlap(a, b), "side by side: touching")
        XCTAssertTrue(Footprint.overlap(a, b, gap: 1e-3), "closer than the gap")
        XCTAssertFalse(Footprint.overlap(a, block(.cube, 1.002, 0), gap: 1e-3))
        XCTAssertTrue(Footprint.overlap(a, block(.cube, 0.9, 0)))
    }

    func testSeparationIsTheShortestMoveAwayFromTheOther() throws {
        // Two cubes 0.2 into each other along x, 0.9 apart along y: the move is along x.
        let a = block(.cube, 0, 0), b = block(.cube, 0.8, 0.1)
        let m = try XCTUnwrap(Footprint.separation(a, from: b))
        XCTAssertEqual(m.x, -0.2, accuracy: 1e-12)
        XCTAssertEqual(m.y, 0, accuracy: 1e-12)
        let g = try XCTUnwrap(Footprint.separation(a, from: b, gap: 0.01))
        XCTAssertEqual(g.x, -0.21, accuracy: 1e-12)
        var moved = a
        moved.position += g
        XCTAssertFalse(Footprint.overlap(moved, b, gap: 0.009))
        XCTAssertNil(Footprint.separation(block(.cube, -0.3, 0), from: b), "apart already")

        // A brick turned 90° (0.8 wide along x) and a cylinder: 0.2 deep, away along +x.
        let brick = block(.brick, 0, 0, 90), disc = block(.cylinder, -0.7, 0)
        let n = try XCTUnwrap(Footprint.separation(brick, from: disc))
        XCTAssertEqual(n.x, 0.2, accuracy: 0.01)
        XCTAssertEqual(n.y, 0, accuracy: 0.01)
        moved = brick
        moved.position += n
        XCTAssertFalse(Footprint.overlap(moved, disc))

        // A block exactly on another still gets a way out, of one block's width.
        let same = try XCTUnwrap(Footprint.separation(a, from: a))
        XCTAssertEqual((same * same).sum().squareRoot(), 1, accuracy: 1e-12)
    }
}
