import Random
import Scenes
import XCTest
@testable import AIR

/// A step that stops in doubt still reads its object; the reader reports it only when the
/// calibrated confidence (its pixels' evidence weighed with the doubt) is at least ½.
final class DoubtfulStepTests: XCTestCase {
    func testAnObjectThePixelsShowIsReportedAndAPhantomIsNot() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let red = ReadingFixtures.red
        let blue = SceneObject(shape: .brick, color: Color(rgb: SIMD3(0.15, 0.3, 0.85)), position: SIMD2(0.7, 0.6), rotation: 50)
        let image = try ReadingFixtures.image(cfg.scene(objects: [red, blue]), config: cfg)
        let reader = try SceneReader(network: network, refine: false)
        let found = InferredScene(objects: [ReadingFixtures.reading(red, presence: 0.99)], stopPresence: 0.4, scene: cfg.scene(objects: [red]))

        // The blue brick is in the image: the doubtful reading of it is reported.
        var real = found
        real.doubtful = ReadingFixtures.reading(blue, presence: 0.4)
        let r = try reader.finish(image, real)
        XCTAssertEqual(r.scene.objects.count, 2)
        XCTAssertGreaterThan(try XCTUnwrap(r.doubtful).evidence, 0)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(r.doubtful).confidence, 0.5)
        XCTAssertEqual(r.objects.last?.presence, 0.4)

        // A block where the table is bare: the pixels speak against it.
        var phantom = found
        phantom.doubtful = ReadingFixtures.reading(SceneObject(shape: .wedge, color: Color(rgb: SIMD3(0.9, 0.9, 0.9)), position: SIMD2(0.9, -1.1)), presence: 0.4)
        let p = try reader.finish(image, phantom)
        XCTAssertEqual(p.scene.objects.count, 1)
        XCTAssertLessThan(try XCTUnwrap(p.doubtful).confidence, 0.5)

        // One standing in another's footprint cannot be.
        var overlapping = found
        var inside = blue
        inside.position = red.position + SIMD2(0.1, 0)
        overlapping.doubtful = ReadingFixtures.reading(inside, presence: 0.45)
        XCTAssertEqual(try XCTUnwrap(try reader.finish(image, overlapping).doubtful).confidence, 0)
    }

    /// The doubtful reading changes nothing the network found: same objects, same scene. (To
    /// float rounding: a doubtful step's glimpse joins its step's batch, and OpenBLAS may sum a
    /// row's products in another order when a matrix has more rows.)
    func testDoubtfulReadingsLeaveTheFoundObjectsAlone() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let spec = try BatchSpec.read(FileIO.readText(BundledModelTests.root.appendingPathComponent("scenes/varied.json").path), file: "varied.json")
        let (_, images) = try spec.observedScenes(count: 48, seed: 20_261_201, renderer: Rasterizer(threads: 1))
        let plain = try Inferrer(network: network)
        let doubting = try Inferrer(network: network)
        doubting.doubtFloor = 0.1
        // Unchecked, so that the doubtful readings of bare table (which the check rejects) count too.
        plain.checksReadings = false
        doubting.checksReadings = false
        let a = try plain.infer(images), b = try doubting.infer(images)
        var doubts = 0
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.scene.light, y.scene.light)
            XCTAssertEqual(x.scene.objects.map(\.shape), y.scene.objects.map(\.shape))
            for (o, p) in zip(x.scene.objects, y.scene.objects) {
                XCTAssertEqual(o.position.x, p.position.x, accuracy: 1e-5)
                XCTAssertEqual(o.position.y, p.position.y, accuracy: 1e-5)
                XCTAssertEqual(o.rotation, p.rotation, accuracy: 1e-4)
                XCTAssertEqual(o.color.rgb.x, p.color.rgb.x, accuracy: 1e-5)
                XCTAssertEqual(o.color.rgb.y, p.color.rgb.y, accuracy: 1e-5)
                XCTAssertEqual(o.color.rgb.z, p.color.rgb.z, accuracy: 1e-5)
            }
            if y.doubtful != nil { doubts += 1 }
            XCTAssertNil(x.doubtful)
            if let d = y.doubtful { XCTAssertTrue((0.1...0.5).contains(d.presence), "\(d.presence)") }
        }
        XCTAssertGreaterThan(doubts, 0, "some of 48 scenes of the varied prior end in doubt")
    }
}
