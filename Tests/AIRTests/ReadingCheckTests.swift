@testable import AIR
import XCTest

/// `Inferrer.explains` and `Inferrer.unexplainedPeak` on hand-made images: a grey table (0.5)
/// with a white square block the canvas may or may not show.
final class ReadingCheckTests: XCTestCase {
    let w = 24, h = 24

    /// A w×h RGB image of the table with white squares of side 4 at the given top-left corners.
    func image(blocks: [(Int, Int)], noise: Float = 0, block: Float = 0.9) -> [Float] {
        var px = [Float](repeating: 0.5, count: w * h * 3)
        for (bx, by) in blocks {
            for y in by..<by + 4 { for x in bx..<bx + 4 { for c in 0..<3 { px[3 * (y * w + x) + c] = block } } }
        }
        if noise > 0 {
            for i in px.indices { px[i] += noise * (i % 2 == 0 ? 1 : -1) }
        }
        return px
    }

    func explains(_ observed: [Float], _ reference: [Float], _ candidate: [Float], tolerance: Double = 0) -> Bool {
        observed.withUnsafeBufferPointer { o in reference.withUnsafeBufferPointer { r in candidate.withUnsafeBufferPointer { c in
            Inferrer.explains(observed: o, reference: r, candidate: c, tolerance: tolerance)
        } } }
    }

    func peak(_ observed: [Float], _ reference: [Float]) -> SIMD2<Double>? {
        observed.withUnsafeBufferPointer { o in reference.withUnsafeBufferPointer { r in
            Inferrer.unexplainedPeak(observed: o, reference: r, width: w, height: h)
        } }
    }

    func testAReadingOfTheMissingBlockExplains() {
        let observed = image(blocks: [(4, 4), (14, 12)])
        let canvas = image(blocks: [(4, 4)])
        XCTAssertTrue(explains(observed, canvas, image(blocks: [(4, 4), (14, 12)])))
        // One pixel off still brings the canvas closer.
        XCTAssertTrue(explains(observed, canvas, image(blocks: [(4, 4), (15, 12)])))
        // Compared within the rows of the change, the same; within rows that miss it, nothing changed.
        let candidate = image(blocks: [(4, 4), (14, 12)])
        let row = w * 3
        observed.withUnsafeBufferPointer { o in canvas.withUnsafeBufferPointer { r in candidate.withUnsafeBufferPointer { c in
            XCTAssertTrue(Inferrer.explains(observed: o, reference: r, candidate: c, within: 10 * row..<18 * row))
            XCTAssertFalse(Inferrer.explains(observed: o, reference: r, candidate: c, within: 0..<10 * row))
        } } }
    }

    func testAPhantomOnBareTableDoesNotExplain() {
        let observed = image(blocks: [(4, 4), (14, 12)])
        let canvas = image(blocks: [(4, 4)])
        XCTAssertFalse(explains(observed, canvas, image(blocks: [(4, 4), (9, 18)])))
        XCTAssertFalse(explains(observed, canvas, image(blocks: [(4, 4), (9, 18)]), tolerance: 1), "nothing there to explain")
    }

    /// A faint block read two pixels off leaves the canvas as far from the image as before over
    /// the pixels it changes: not closer, but within the tolerance.
    func testTheToleranceKeepsAFaintBlockReadALittleOff() {
        let observed = image(blocks: [(14, 12)], block: 0.55)
        let table = image(blocks: [])
        let off = image(blocks: [(16, 12)], block: 0.55)
        XCTAssertFalse(explains(observed, table, off))
        XCTAssertTrue(explains(observed, table, off, tolerance: 1))
        // Four pixels off it overlaps nothing of the block: twice as far is not within 1.
        XCTAssertFalse(explains(observed, table, image(blocks: [(18, 12)], block: 0.55), tolerance: 1))
    }

    /// A shadow left unexplained (a dark square) is explained by a block read white once its
    /// colour fit turns it near black; drawn as read, white, it is not.
    func testAShadowExplainedOnlyByTheFitIsNotExplainedAsRead() {
        let observed = image(blocks: [(14, 12)], block: 0.1)
        let table = image(blocks: [])
        let fitted = image(blocks: [(14, 12)], block: 0.12)
        let asRead = image(blocks: [(14, 12)], block: 0.9)
        XCTAssertTrue(explains(observed, table, fitted, tolerance: 1))
        observed.withUnsafeBufferPointer { o in table.withUnsafeBufferPointer { r in fitted.withUnsafeBufferPointer { c in
            asRead.withUnsafeBufferPointer { a in
                XCTAssertFalse(Inferrer.explains(observed: o, reference: r, candidate: c, asRead: (0, a), tolerance: 1))
                // Only the values from `start` on are the as-read ones: past the square, nothing differs.
                let start = 3 * (16 * w)
                XCTAssertTrue(Inferrer.explains(observed: o, reference: r, candidate: c,
                                                asRead: (start, UnsafeBufferPointer(rebasing: a[start...])), tolerance: 1))
            }
        } } }
        // A real white block read as white passes both ways.
        let block = image(blocks: [(14, 12)])
        block.withUnsafeBufferPointer { o in table.withUnsafeBufferPointer { r in block.withUnsafeBufferPointer { c in
            XCTAssertTrue(Inferrer.explains(observed: o, reference: r, candidate: c, asRead: (0, c), tolerance: 1))
        } } }
    }

    func testACopyExplainsNothing() {
        let observed = image(blocks: [(4, 4), (14, 12)])
        let canvas = image(blocks: [(4, 4)])
        // A second block drawn where the first already is changes no pixel.
        XCTAssertFalse(explains(observed, canvas, canvas))
        // Everything read: a copy of a block shifted by one pixel makes the canvas worse.
        let full = image(blocks: [(4, 4), (14, 12)])
        XCTAssertFalse(explains(observed, full, image(blocks: [(4, 4), (14, 12), (5, 4)])))
    }

    func testThePeakIsTheMissingBlocksCentre() throws {
        let observed = image(blocks: [(4, 4), (14, 12)])
        let p = try XCTUnwrap(peak(observed, image(blocks: [(4, 4)])))
        // The square covers pixels 14…17 × 12…15: centre (16, 14) in pixel coordinates.
        XCTAssertEqual(p.x, 16, accuracy: 1e-9)
        XCTAssertEqual(p.y, 14, accuracy: 1e-9)
        let other = try XCTUnwrap(peak(observed, image(blocks: [(14, 12)])))
        XCTAssertEqual(other.x, 6, accuracy: 1e-9)
        XCTAssertEqual(other.y, 6, accuracy: 1e-9)
    }

    func testNoPeakWhereEverythingIsExplained() {
        let observed = image(blocks: [(4, 4), (14, 12)], noise: 0.1)
        // Residual 0.1 per channel everywhere: 0.03 per pixel, under the threshold.
        XCTAssertNil(peak(observed, image(blocks: [(4, 4), (14, 12)])))
        XCTAssertNotNil(peak(observed, image(blocks: [(4, 4)])))
    }
}
