import XCTest
@testable import Scenes

/// The BOP conventions the official toolkit reads (checked against it by
/// scripts/check_bop_toolkit.py and python/tests/test_bop_toolkit.py).
final class BOPExportTests: XCTestCase {
    /// misc.calc_2d_bbox as calc_gt_info.py uses it: [x_min, y_min, x_max − x_min, y_max − y_min].
    func testBoxIsTheToolkits() {
        var mask = [UInt8](repeating: 0, count: 8 * 6)
        XCTAssertEqual(BOPExport.box(mask, width: 8), [-1, -1, -1, -1])
        mask[2 * 8 + 3] = 255
        XCTAssertEqual(BOPExport.box(mask, width: 8), [3, 2, 0, 0])
        mask[4 * 8 + 6] = 255
        XCTAssertEqual(BOPExport.box(mask, width: 8), [3, 2, 3, 2])
    }

    /// BOP's model origin is the centre of the model's 3D bounding box; our meshes stand on z = 0.
    func testModelOriginIsTheBoundingBoxCentre() {
        for shape in Shape.allCases {
            let o = BOPExport.modelOrigin(shape)
            let top = ShapeMeshes.mesh(shape).vertices.map(\.z).max()!
            XCTAssertEqual(o.x, 0, accuracy: 1e-12)
            XCTAssertEqual(o.y, 0, accuracy: 1e-12)
            XCTAssertEqual(o.z, top / 2, accuracy: 1e-12)
        }
    }

    /// cam_t_m2c is the camera-frame position (mm) of the model's origin: the object's
    /// bounding-box centre in the world, through cam_R_w2c and cam_t_w2c.
    func testPoseTranslationIsTheCentresInTheCameraFrame() {
        let camera = Camera()
        let o = SceneObject(shape: .brick, color: Color(rgb: SIMD3(1, 0, 0)), position: SIMD2(0.4, -0.3), rotation: 30)
        let pose = BOPExport.pose(o, camera: camera), cam = BOPExport.camera(camera)
        let centre = SIMD3(40.0, -30.0, 40.0)   // the brick is 0.8 units tall
        for i in 0..<3 {
            let expected = (0..<3).map { cam.r[3 * i + $0] * centre[$0] }.reduce(0, +) + cam.t[i]
            XCTAssertEqual(pose.t[i], expected, accuracy: 1e-9)
        }
    }

    /// px_count_all and bbox_obj cover the silhouette's part outside the image too, as the
    /// toolkit's calc_gt_info.py renders it on a canvas three times the image's size.
    func testWholeSilhouetteOfATruncatedObject() throws {
        let r = Rasterizer(threads: 1)
        func inside(_ scene: Scene) throws -> [UInt8] { try r.renderWithMask(scene, samplesPerPixel: 1, image: false, mask: true).mask! }
        var scene = Scene(camera: Camera())
        // In the middle: the large canvas gives the very same silhouette.
        scene.objects = [SceneObject(shape: .cube, color: Color(rgb: SIMD3(1, 0, 0)), position: SIMD2(0.2, 0.4), rotation: 25)]
        let m = try inside(scene)
        XCTAssertFalse(BOPExport.touchesBorder(m, width: 64, height: 64))
        let whole = try BOPExport.wholeSilhouette(scene, renderer: r)
        XCTAssertEqual(whole.count, m.filter { $0 > 0 }.count)
        XCTAssertEqual(whole.box, BOPExport.box(m, width: 64))
        // Half out of the image on the left.
        scene.objects[0].position = SIMD2(-3.3, 0.4)
        let cut = try inside(scene)
        XCTAssertTrue(BOPExport.touchesBorder(cut, width: 64, height: 64))
        let all = try BOPExport.wholeSilhouette(scene, renderer: r)
        XCTAssertGreaterThan(all.count, cut.filter { $0 > 0 }.count)
        XCTAssertLessThan(all.box[0], 0)
        let b = BOPExport.box(cut, width: 64)
        XCTAssertEqual(all.box[0] + all.box[2], b[0] + b[2])
    }
}
