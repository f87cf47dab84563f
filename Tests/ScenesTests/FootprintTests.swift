import XCTest
@testable import Scenes

final class FootprintTests: XCTestCase {
    /// A cube's footprint is the unit square about its position (half-width 0.5), turned by its yaw.
    func testContainsFollowsPositionAndYaw() {
        let cube = SceneObject(shape: .cube, color: Color(rgb: SIMD3(1, 0, 0)), position: SIMD2(1, -1), rotation: 0)
        XCTAssertTrue(Footprint.contains(cube, SIMD2(1.45, -0.55)))
        XCTAssertFalse(Footprint.contains(cube, SIMD2(1.55, -1)))
        XCTAssertFalse(Footprint.contains(cube, SIMD2(1, -1.55)))
        var turned = cube
        turned.rotation = 45                                   // a diamond: its corners reach 0.707
        XCTAssertTrue(Footprint.contains(turned, SIMD2(1.65, -1)))
        XCTAssertFalse(Footprint.contains(turned, SIMD2(1.45, -0.55)))
    }

    /// Two readings of one object (centres close) are the same object; touching neighbours are not.
    func testSameObjectSeparatesDoubleReadingsFromNeighbours() {
        let a = SceneObject(shape: .brick, color: Color(rgb: SIMD3(0, 1, 0)), position: SIMD2(0, 0), rotation: 10)
        var again = a
        again.position = SIMD2(0.2, -0.1)
        XCTAssertTrue(Footprint.sameObject(a, again))
        let neighbour = SceneObject(shape: .cube, color: Color(rgb: SIMD3(0, 0, 1)), position: SIMD2(0, 1.05), rotation: 0)
        XCTAssertFalse(Footprint.sameObject(a, neighbour))
    }
}
