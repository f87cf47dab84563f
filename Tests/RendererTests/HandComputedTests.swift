import Foundation
import Renderer
import XCTest

/// Pixels worked out by hand from the spec's formulas (projection, shading, sample grid).
final class HandComputedTests: XCTestCase {
    let lightZ = 1.0 / (0.16 + 0.36 + 1.0).squareRoot()  // L = (-0.4, -0.6, 1) / |.|
    let table = SIMD3<Double>(0.50, 0.48, 0.45)
    let red: (Float, Float, Float) = (0.85, 0.15, 0.15)
    var redD: SIMD3<Double> { SIMD3(Double(red.0), Double(red.1), Double(red.2)) }

    /// The spec's projection of a world point (pixel coordinates, y down).
    func project(_ p: SIMD3<Double>, _ c: air_camera) -> (Double, Double) {
        let eye = SIMD3(Double(c.eye.0), Double(c.eye.1), Double(c.eye.2))
        let target = SIMD3(Double(c.target.0), Double(c.target.1), Double(c.target.2))
        let up = SIMD3(Double(c.up.0), Double(c.up.1), Double(c.up.2))
        let f = ReferenceRayCaster.normalize(target - eye)
        let r = ReferenceRayCaster.normalize(ReferenceRayCaster.cross(f, up))
        let u = ReferenceRayCaster.cross(r, f)
        let t = tan(Double(c.fov_y_deg) * .pi / 360), a = Double(c.width) / Double(c.height)
        let d = p - eye, z = (d * f).sum()
        return ((1 + (d * r).sum() / (z * t * a)) * Double(c.width) / 2, (1 - (d * u).sum() / (z * t)) * Double(c.height) / 2)
    }

    func assertClose(_ a: SIMD3<Double>, _ b: SIMD3<Double>, _ what: String, _ tol: Double = 1e-6, line: UInt = #line) {
        let d = a - b
        XCTAssertLessThanOrEqual(max(abs(d.x), abs(d.y), abs(d.z)), tol, "\(what): got \(a), expected \(b)", line: line)
    }

    func testEmptySceneIsTableEverywhere() {
        let c = R.camera(width: 9, height: 7)
        let out = R.render(c, [])
        let expected = table * (0.3 + 0.7 * lightZ)
        for j in 0..<7 { for i in 0..<9 { assertClose(R.pixel(out.rgb, c, i, j), expected, "table (\(i), \(j))") } }
        assertSame(out.mask, [UInt8](repeating: 0, count: 63), "mask")
    }

    /// The pixel under the projection of `point`, after checking its four corners lie inside
    /// the projected convex face `corners` (so all of its samples do).
    func pixelInside(_ point: SIMD3<Double>, face corners: [SIMD3<Double>], _ c: air_camera, line: UInt = #line) -> (Int, Int) {
        let (px, py) = project(point, c)
        let (i, j) = (Int(px.rounded(.down)), Int(py.rounded(.down)))
        let poly = corners.map { project($0, c) }
        for (x, y) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
            let (qx, qy) = (Double(i) + x, Double(j) + y)
            let sides = (0..<poly.count).map { k -> Double in
                let (a, b) = (poly[k], poly[(k + 1) % poly.count])
                return (b.0 - a.0) * (qy - a.1) - (b.1 - a.1) * (qx - a.0)
            }
            XCTAssertTrue(sides.allSatisfy { $0 > 0 } || sides.allSatisfy { $0 < 0 }, "pixel (\(i), \(j)) not inside the face", line: line)
        }
        return (i, j)
    }

    func testCubeTopAndFrontFace() {
        let c = R.camera()
        let out = R.render(c, [R.object(0, red, 0, 0)])
        // Top face z = 1, normal +z.
        let top = [SIMD3(-0.5, -0.5, 1.0), SIMD3(0.5, -0.5, 1), SIMD3(0.5, 0.5, 1), SIMD3(-0.5, 0.5, 1)]
        let (ti, tj) = pixelInside([0, 0, 1], face: top, c)
        assertClose(R.pixel(out.rgb, c, ti, tj), redD * (0.3 + 0.7 * lightZ), "top face")
        XCTAssertEqual(out.mask[tj * 64 + ti], 1)
        // Front face y = -0.5, normal (0, -1, 0): n.L = 0.6 |L|^-1.
        let front = [SIMD3(-0.5, -0.5, 0.0), SIMD3(0.5, -0.5, 0), SIMD3(0.5, -0.5, 1), SIMD3(-0.5, -0.5, 1)]
        let (fi, fj) = pixelInside([0, -0.5, 0.5], face: front, c)
        assertClose(R.pixel(out.rgb, c, fi, fj), redD * (0.3 + 0.7 * 0.6 * lightZ), "front face")
    }

    /// A cube turned 30 degrees counter-clockwise: its front face's normal is
    /// Rz(30) (0, -1, 0) = (sin 30, -cos 30, 0), so n.L = (-0.4 sin 30 + 0.6 cos 30) |L|^-1.
    func testRotatedCubeFace() {
        let c = R.camera()
        let out = R.render(c, [R.object(0, red, 0.2, 0, 30)])
        let th = 30.0 * Double.pi / 180
        func world(_ x: Double, _ y: Double, _ z: Double) -> SIMD3<Double> {
            SIMD3(cos(th) * x - sin(th) * y + 0.2, sin(th) * x + cos(th) * y, z)
        }
        let face = [world(-0.5, -0.5, 0), world(0.5, -0.5, 0), world(0.5, -0.5, 1), world(-0.5, -0.5, 1)]
        let (i, j) = pixelInside(world(0, -0.5, 0.5), face: face, c)
        let nl = (-0.4 * sin(th) + 0.6 * cos(th)) * lightZ
        assertClose(R.pixel(out.rgb, c, i, j), redD * (0.3 + 0.7 * nl), "rotated front face")
    }

    /// The cylinder's side k = 18 faces -y (normal angle 270 degrees), its corners at
    /// 262.5 and 277.5 degrees; k = 19 (285 degrees) is lit differently. At 256 x 256 the
    /// faces are a few pixels wide.
    func testCylinderSideFaces() {
        let c = R.camera(width: 256, height: 256)
        let out = R.render(c, [R.object(2, red, 0, 0)])
        for k in [18, 19] {
            let a = Double(15 * k) * Double.pi / 180, h = 7.5 * Double.pi / 180
            let corners = [SIMD3(0.5 * cos(a - h), 0.5 * sin(a - h), 0.0), SIMD3(0.5 * cos(a + h), 0.5 * sin(a + h), 0),
                           SIMD3(0.5 * cos(a + h), 0.5 * sin(a + h), 1), SIMD3(0.5 * cos(a - h), 0.5 * sin(a - h), 1)]
            let centre = SIMD3(0.5 * cos(7.5 * Double.pi / 180) * cos(a), 0.5 * cos(7.5 * Double.pi / 180) * sin(a), 0.5)
            let (i, j) = pixelInside(centre, face: corners, c)
            let nl = (-0.4 * cos(a) - 0.6 * sin(a)) * lightZ
            assertClose(R.pixel(out.rgb, c, i, j), redD * (0.3 + 0.7 * max(0, nl)), "cylinder side \(k)")
        }
    }

    /// The back top edge of a cube at x = 0 is parallel to the camera's right vector, so it
    /// projects to a horizontal line py = e. In the pixel row it crosses, the samples below
    /// the line see the top face and the others the table behind.
    func testHorizontalSilhouetteEdgeCoverage() {
        for spp: Int32 in [4, 16] {
            let c = R.camera(spp: spp)
            let n = Int(Double(spp).squareRoot())
            // Slide the cube until the edge crosses a row between its first and last sample rows.
            var y = 0.0, e = 0.0
            repeat {
                y += 0.01
                e = project([0, y + 0.5, 1], c).1
            } while !(e - e.rounded(.down) > 0.5 / Double(n) + 0.01 && e - e.rounded(.down) < 1 - 0.5 / Double(n) - 0.01)
            let out = R.render(c, [R.object(0, red, 0, Float(y))])
            let j = Int(e.rounded(.down))
            let covered = (0..<n).filter { Double(j) + (Double($0) + 0.5) / Double(n) > e }.count
            XCTAssertTrue(covered > 0 && covered < n)
            let fraction = Double(covered) / Double(n)
            let topShade = 0.3 + 0.7 * lightZ
            let expected = fraction * redD * topShade + (1 - fraction) * table * topShade
            let (i, _) = project([0, y, 1], c)
            assertClose(R.pixel(out.rgb, c, Int(i), j), expected, "edge pixel at spp \(spp)")
        }
    }

    /// Cube B stands behind cube A as seen from a low camera. B is first in the list, so
    /// only the depth test can put A in front.
    func testOcclusionAndMasks() {
        var c = R.camera()
        c.eye = (0, -6, 2.5)
        c.target = (0, 0, 0.5)
        c.fov_y_deg = 25
        let green: (Float, Float, Float) = (0.15, 0.70, 0.20)
        let back = R.object(0, green, 0, 0.6), front = R.object(0, red, 0, -1)
        let out = R.render(c, [back, front])
        // The ray to B's point (0, 0.1, 0.2) crosses y = -1.5 at z = 2.5 - 4.5 * 2.3 / 6.1 = 0.80:
        // it meets A's front face (normal -y) first.
        let aFront = [SIMD3(-0.5, -1.5, 0.0), SIMD3(0.5, -1.5, 0), SIMD3(0.5, -1.5, 1), SIMD3(-0.5, -1.5, 1)]
        let (hi, hj) = pixelInside([0, 0.1, 0.2], face: aFront, c)
        XCTAssertEqual(out.mask[hj * 64 + hi], 2)
        assertClose(R.pixel(out.rgb, c, hi, hj), redD * (0.3 + 0.7 * 0.6 * lightZ), "A in front")
        // The ray to B's top centre (0, 0.6, 1) passes A's back top edge at z = 2.5 - 5.5 * 1.5 / 6.6 = 1.25.
        let bTop = [SIMD3(-0.5, 0.1, 1.0), SIMD3(0.5, 0.1, 1), SIMD3(0.5, 1.1, 1), SIMD3(-0.5, 1.1, 1)]
        let (vi, vj) = pixelInside([0, 0.6, 1], face: bTop, c)
        XCTAssertEqual(out.mask[vj * 64 + vi], 1)
        assertClose(R.pixel(out.rgb, c, vi, vj), SIMD3(Double(green.0), Double(green.1), Double(green.2)) * (0.3 + 0.7 * lightZ), "B's top")
        // Swapping the list order swaps the mask labels and nothing else.
        let swapped = R.render(c, [front, back])
        assertSame(swapped.rgb, out.rgb, "swapped image")
        assertSame(swapped.mask, out.mask.map { $0 == 0 ? 0 : 3 - $0 }, "swapped mask")
        // B alone shows more pixels than B behind A.
        let alone = R.render(c, [back])
        XCTAssertGreaterThan(alone.mask.filter { $0 == 1 }.count, out.mask.filter { $0 == 1 }.count + 20)
    }

    /// At spp 4 the mask's ray goes through the pixel centre, which is not a sample: a
    /// horizontal edge between the centre and the lower samples shows in the mask only.
    func testMaskUsesPixelCentre() {
        let c = R.camera()
        var y = 0.0, e = 0.0
        repeat {
            y += 0.002
            e = project([0, y + 0.5, 1], c).1
        } while !(e - e.rounded(.down) > 0.55 && e - e.rounded(.down) < 0.7)
        let out = R.render(c, [R.object(0, red, 0, Float(y))])
        let j = Int(e.rounded(.down)), i = Int(project([0, y, 1], c).0)
        // The centre (0.5) is above the edge: table in the mask, though the lower samples (0.75) see the cube.
        XCTAssertEqual(out.mask[j * 64 + i], 0)
        XCTAssertEqual(out.mask[(j + 1) * 64 + i], 1)
        let topShade = 0.3 + 0.7 * lightZ
        assertClose(R.pixel(out.rgb, c, i, j), 0.5 * redD * topShade + 0.5 * table * topShade, "half covered")
    }

    // MARK: shadows

    /// A cube at the origin under a light from +y at 45 degrees: its top's corners (x, y, 1)
    /// fall along -L = (0, -1, -1) onto (x, y - 1, 0), so the table is in shadow over
    /// [-0.5, 0.5] x [-1.5, 0.5], of which y < -0.5 is seen in front of the cube.
    func testCubeShadowOnTheTable() {
        let c = R.camera()
        let table: (Float, Float, Float) = (0.6, 0.5, 0.4)
        let tableD = SIMD3<Double>(0.6, 0.5, 0.4)
        let light = R.light(elevation: 45, azimuth: 90, ambient: 0.25, diffuse: 0.6, table: table)
        let out = R.render(c, [R.object(0, red, 0, 0)], light: light)
        let shadow = [SIMD3(-0.5, -1.5, 0.0), SIMD3(0.5, -1.5, 0), SIMD3(0.5, -0.5, 0), SIMD3(-0.5, -0.5, 0)]
        let (si, sj) = pixelInside([0, -1, 0], face: shadow, c)
        assertClose(R.pixel(out.rgb, c, si, sj), tableD * 0.25, "table in the shadow")
        XCTAssertEqual(out.mask[sj * 64 + si], 0, "shadows do not touch the mask")
        let lit = tableD * (0.25 + 0.6 * (0.5).squareRoot())
        let right = [SIMD3(0.5, -1.5, 0.0), SIMD3(0.9, -1.5, 0), SIMD3(0.9, -0.5, 0), SIMD3(0.5, -0.5, 0)]
        let (ri, rj) = pixelInside([0.7, -1, 0], face: right, c)
        assertClose(R.pixel(out.rgb, c, ri, rj), lit, "table right of the shadow")
        let front = [SIMD3(-0.5, -1.9, 0.0), SIMD3(0.5, -1.9, 0), SIMD3(0.5, -1.5, 0), SIMD3(-0.5, -1.5, 0)]
        let (fi, fj) = pixelInside([0, -1.7, 0], face: front, c)
        assertClose(R.pixel(out.rgb, c, fi, fj), lit, "table in front of the shadow")
        // The cube's own faces: the top is lit (n.L = cos 45), the front faces away (ambient only).
        let top = [SIMD3(-0.5, -0.5, 1.0), SIMD3(0.5, -0.5, 1), SIMD3(0.5, 0.5, 1), SIMD3(-0.5, 0.5, 1)]
        let (ti, tj) = pixelInside([0, 0, 1], face: top, c)
        assertClose(R.pixel(out.rgb, c, ti, tj), redD * (0.25 + 0.6 * (0.5).squareRoot()), "top face")
        let face = [SIMD3(-0.5, -0.5, 0.0), SIMD3(0.5, -0.5, 0), SIMD3(0.5, -0.5, 1), SIMD3(-0.5, -0.5, 1)]
        let (ci, cj) = pixelInside([0, -0.5, 0.5], face: face, c)
        assertClose(R.pixel(out.rgb, c, ci, cj), redD * 0.25, "front face")
        // The same light without shadows: the table is lit everywhere.
        var off = light
        off.shadows = 0
        assertClose(R.pixel(R.render(c, [R.object(0, red, 0, 0)], light: off).rgb, c, si, sj), lit, "no shadows")
    }

    /// A wedge at (-0.5, 0) (ramp z = -x for x in [-1, 0], normal (1, 0, 1)/sqrt 2) and a cube
    /// at (0.6, 0) (x in [0.1, 1.1]) under a light from +x at 45 degrees, so n.L = 1 on the
    /// ramp. From the ramp point (x, y, -x) the ray along (1, 0, 1) reaches the cube's side
    /// x = 0.1 at height 0.1 - 2x, below the cube's top for x >= -0.45: that part of the
    /// ramp is in the cube's shadow, the rest is lit.
    func testObjectInAnothersShadow() {
        let c = R.camera()
        let green: (Float, Float, Float) = (0.15, 0.70, 0.20)
        let greenD = SIMD3<Double>(0.15, 0.70, 0.20)
        let light = R.light(elevation: 45, azimuth: 0, ambient: 0.3, diffuse: 0.6)
        let out = R.render(c, [R.object(3, green, -0.5, 0), R.object(0, red, 0.6, 0)], light: light)
        let dark = [SIMD3(-0.45, -0.5, 0.45), SIMD3(0, -0.5, 0), SIMD3(0, 0.5, 0), SIMD3(-0.45, 0.5, 0.45)]
        let (di, dj) = pixelInside([-0.225, 0, 0.225], face: dark, c)
        assertClose(R.pixel(out.rgb, c, di, dj), greenD * 0.3, "ramp in the cube's shadow")
        XCTAssertEqual(out.mask[dj * 64 + di], 1)
        let bright = [SIMD3(-1, -0.5, 1), SIMD3(-0.45, -0.5, 0.45), SIMD3(-0.45, 0.5, 0.45), SIMD3(-1, 0.5, 1)]
        let (bi, bj) = pixelInside([-0.725, 0, 0.725], face: bright, c)
        assertClose(R.pixel(out.rgb, c, bi, bj), greenD * 0.9, "lit part of the ramp")
        // The cube alone casts no shadow on itself; the wedge alone is lit all over its ramp.
        let alone = R.render(c, [R.object(3, green, -0.5, 0)], light: light)
        assertClose(R.pixel(alone.rgb, c, di, dj), greenD * 0.9, "ramp without the cube")
    }
}
