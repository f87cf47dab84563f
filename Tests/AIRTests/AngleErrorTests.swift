import XCTest
import Scenes
@testable import AIR

final class AngleErrorTests: XCTestCase {
    func testWrap() {
        XCTAssertEqual(Angles.wrap(180), 180)
        XCTAssertEqual(Angles.wrap(-180), 180)
        XCTAssertEqual(Angles.wrap(181), -179)
        XCTAssertEqual(Angles.wrap(-181), 179)
        XCTAssertEqual(Angles.wrap(720 + 30), 30)
        XCTAssertEqual(Angles.wrap(-540), 180)
        XCTAssertEqual(Angles.wrap(0), 0)
    }

    func testHandMadeErrors() {
        XCTAssertEqual(Angles.error(predicted: 89, truth: 1, shape: .cube), 2)
        XCTAssertEqual(Angles.error(predicted: 179, truth: -1, shape: .brick), 0)
        XCTAssertEqual(Angles.error(predicted: 350, truth: 10, shape: .wedge), 20)
        XCTAssertEqual(Angles.error(predicted: 10, truth: 350, shape: .wedge), 20)
        XCTAssertEqual(Angles.error(predicted: 45, truth: 0, shape: .pyramid), 45)   // the worst case for P = 90
        XCTAssertEqual(Angles.error(predicted: 100, truth: 0, shape: .brick), 80)
        XCTAssertEqual(Angles.error(predicted: 180, truth: 0, shape: .wedge), 180)
        XCTAssertEqual(Angles.error(predicted: -30, truth: 400, shape: .cube), 20)   // −430 ≡ 20 (mod 90)
        XCTAssertNil(Angles.error(predicted: 10, truth: 50, shape: .cylinder))
    }

    func testErrorMatchesDefinitionByBruteForceOverK() {
        // min over k of |wrap(p − t + kP)|, evaluated literally.
        for period in [90.0, 180, 360] {
            var p = -725.0
            while p < 725 {
                let t = 37.5
                let literal = (-10...10).map { abs(Angles.wrap(p - t + Double($0) * period)) }.min()!
                XCTAssertEqual(Angles.error(predicted: p, truth: t, period: period), literal, accuracy: 1e-9, "p \(p) P \(period)")
                p += 12.25
            }
        }
    }

    /// The network's yaw code (`LatentCode`): one point per pose modulo the symmetry.
    func testYawPointAndBack() {
        func point(_ yaw: Double, _ shape: Shape) -> SIMD2<Float> {
            LatentCode.yawPoint(SceneObject(shape: shape, color: Color(rgb: .zero), position: .zero, rotation: yaw))
        }
        // Cube: 30° and 120° are the same pose, so the same point; 45° is the opposite point.
        let a = point(30, .cube), b = point(120, .cube), c = point(45, .cube)
        XCTAssertEqual(a.x, b.x, accuracy: 1e-6)
        XCTAssertEqual(a.y, b.y, accuracy: 1e-6)
        XCTAssertEqual(c.x, -1, accuracy: 1e-6)
        XCTAssertEqual(c.y, 0, accuracy: 1e-6)
        // 30° of 90 is a third of the circle: (cos 120°, sin 120°).
        XCTAssertEqual(a.x, -0.5, accuracy: 1e-6)
        XCTAssertEqual(a.y, Float(3.0.squareRoot() / 2), accuracy: 1e-6)
        XCTAssertEqual(LatentCode.yaw(from: a, shape: .cube), 30, accuracy: 1e-4)
        XCTAssertEqual(LatentCode.yaw(from: point(-10, .brick), shape: .brick), 170, accuracy: 1e-4)
        XCTAssertEqual(LatentCode.yaw(from: SIMD2(0, -5), shape: .wedge), 270, accuracy: 1e-4)   // unnormalised
        XCTAssertEqual(LatentCode.yaw(from: SIMD2(0, 0), shape: .cube), 0)
        for theta in stride(from: -400.0, to: 400, by: 7.3) {
            for shape in [Shape.cube, .brick, .wedge] {
                let period = shape.symmetryPeriod!
                let d = LatentCode.yaw(from: point(theta, shape), shape: shape)
                XCTAssertTrue(d >= 0 && d < period)
                XCTAssertEqual(Angles.error(predicted: d, truth: theta, period: period), 0, accuracy: 1e-3)
            }
        }
    }

    func testCanonical() {
        XCTAssertEqual(Angles.canonical(-10, period: 90), 80)
        XCTAssertEqual(Angles.canonical(180, period: 180), 0)
        XCTAssertEqual(Angles.canonical(-1e-18, period: 90), 0)
    }
}
