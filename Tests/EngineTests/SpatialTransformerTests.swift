import XCTest
import Random
@testable import Engine

final class SpatialTransformerTests: XCTestCase {
    /// θ for scale s, translation (x, y), small rotation/shear, per batch item.
    let thetas: (shape: [Int], values: [Float]) = ([2, 2, 3], [0.61, 0.07, 0.13, -0.05, 0.53, -0.21,
                                                              0.9, -0.11, -0.3, 0.08, 1.1, 0.27])

    func testAffineGridGradient() {
        checkGradients("affineGrid", inputs: [thetas]) { _, t in affineGrid(t[0], height: 3, width: 4) }
    }

    func testGridSampleGradients() {
        let image = input([2, 6, 7, 2], seed: 1)
        // Sample positions in pixels from −1.5 to 7.5 (some partly outside), with fractional parts in
        // [0.1, 0.9]: bilinear sampling has kinks at integer positions, where differences are not derivatives.
        var rng = RNG(seed: 2)
        var gv: [Float] = []
        for _ in 0..<(2 * 3 * 4) {
            for size in [7, 6] {
                let pixel = Float(rng.int(below: 9) - 2) + 0.1 + 0.8 * rng.uniformFloat()
                gv.append((2 * pixel + 1) / Float(size) - 1)
            }
        }
        let grid: (shape: [Int], values: [Float]) = ([2, 3, 4, 2], gv)
        checkGradients("gridSample", inputs: [image, grid], h: 1e-3, maxCoords: 80) { _, t in gridSample(t[0], t[1]) }
    }

    func testGlimpseGradientsToImageAndTheta() {
        let image = input([2, 8, 9, 3], seed: 3)
        checkGradients("glimpse", inputs: [image, thetas], h: 1e-3, maxCoords: 80) { _, t in
            glimpse(t[0], theta: t[1], height: 4, width: 5)
        }
    }

    /// Identity θ with the output size of the input reproduces the image exactly; a translation by
    /// one pixel (2/W in normalised units) shifts it, with zeros entering at the border.
    func testIdentityAndShift() {
        let tape = Tape()
        let values = (0..<(1 * 4 * 5 * 2)).map { Float($0) }
        let img = tape.constant(shape: [1, 4, 5, 2], values: values)
        let id = tape.constant(shape: [1, 2, 3], values: [1, 0, 0, 0, 1, 0])
        XCTAssertEqual(glimpse(img, theta: id, height: 4, width: 5).values, values, accuracy: 1e-5)
        let shift = tape.constant(shape: [1, 2, 3], values: [1, 0, 2.0 / 5, 0, 1, 0])
        let out = glimpse(img, theta: shift, height: 4, width: 5).values
        for i in 0..<4 {
            for j in 0..<5 {
                for c in 0..<2 {
                    let expected: Float = j + 1 < 5 ? values[(i * 5 + j + 1) * 2 + c] : 0
                    XCTAssertEqual(out[(i * 5 + j) * 2 + c], expected, accuracy: 1e-4)
                }
            }
        }
        // Zoom: scale 0.5 samples the central half; at the exact centre of a 2×2 block it averages.
        let single = tape.constant(shape: [1, 2, 2, 1], values: [1, 2, 3, 4])
        let centre = tape.constant(shape: [1, 2, 3], values: [0, 0, 0, 0, 0, 0])   // every output samples (0, 0)
        XCTAssertEqual(glimpse(single, theta: centre, height: 1, width: 1).values, [2.5], accuracy: 1e-6)
    }
}
