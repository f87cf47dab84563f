import Foundation
import Scenes
import XCTest
@testable import AIR

/// A table with grain under a fixed camera: the texture is read off the images, kept in the
/// model and divided out of what it reads.
final class TableTextureTests: XCTestCase {
    let w = 8, h = 8

    /// The bare table and its grain, the same for every image: 1 + 0.2 sin of a diagonal.
    func grain(_ p: Int) -> Float { 1 + 0.2 * sin(Float(p % 8) * 0.9 + Float(p / 8) * 0.4) }

    /// `count` images of the grained table, image k with a red 2 × 2 block at a place of its own.
    func images(count: Int, texture: (Int) -> Float) -> (bare: Image, shown: [Image]) {
        let bare = Image(width: w, height: h, pixels: (0..<(w * h)).flatMap { _ in [Float(0.5), 0.48, 0.45] })
        let shown = (0..<count).map { k -> Image in
            var image = bare
            for p in 0..<(w * h) { for c in 0..<3 { image.pixels[3 * p + c] *= texture(p) } }
            let x = (k * 3) % (w - 1), y = (k * 5) % (h - 1)
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let p = (y + dy) * w + x + dx
                image.pixels[3 * p] = 0.85; image.pixels[3 * p + 1] = 0.15; image.pixels[3 * p + 2] = 0.15
            }
            return image
        }
        return (bare, shown)
    }

    func testTheGrainIsReadOffImagesWithBlocksOnThem() throws {
        let (bare, shown) = images(count: 21, texture: grain)
        let texture = TableTexture.estimate(images: shown, bare: bare)
        // Normalised per channel by its median: the grain over the grain's median.
        var g = (0..<(w * h)).map(grain)
        let m = TableTexture.median(&g)
        for p in 0..<(w * h) { for c in 0..<3 { XCTAssertEqual(texture[3 * p + c], grain(p) / m, accuracy: 1e-5, "pixel \(p)") } }
        XCTAssertGreaterThan(TableTexture.departure(texture), TableTexture.smallestDeparture)
        // Divided out, the table is uniform again: the bare table times the grain's median.
        let flat = TableTexture.flattened(shown[0], by: texture)
        for p in 0..<(w * h) where flat.pixels[3 * p] != 0.85 / (grain(p) / m) {
            XCTAssertEqual(flat.pixels[3 * p + 1], 0.48 * m, accuracy: 1e-5)
        }
    }

    /// A table of one colour, brighter than the model's (a light level, a table colour): no texture.
    func testAUniformTableHasNone() {
        let (bare, shown) = images(count: 21) { _ in 1.1 }
        let texture = TableTexture.estimate(images: shown, bare: bare)
        XCTAssertEqual(TableTexture.departure(texture), 0, accuracy: 1e-6)
        XCTAssertLessThan(TableTexture.departure(texture), TableTexture.smallestDeparture)
    }

    func testAModelsTextureIsDividedOutOfWhatItReadsAndKeptInItsFile() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let n = cfg.width * cfg.height * 3
        let texture = (0..<n).map { Float(1 + 0.1 * sin(Double($0))) }
        let image = Image(width: cfg.width, height: cfg.height, pixels: [Float](repeating: 0.5, count: n))
        XCTAssertEqual(try SceneReader.fit(image, name: "a.png", config: cfg).image, image)
        network.setTableTexture(texture)
        let read = try SceneReader.fit(image, name: "a.png", config: network.config).image
        for i in 0..<n { XCTAssertEqual(read.pixels[i], min(0.5 / texture[i], 1), accuracy: 1e-6) }

        let path = NSTemporaryDirectory() + "air-texture-\(UInt32.random(in: 0...UInt32.max)).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(network, to: path)
        XCTAssertEqual(try ModelFile.load(path).network.config.tableTexture, texture)

        var bad = network.config
        bad.tableTexture = Array(texture.dropLast())
        XCTAssertEqual(bad.problem?.field, "tableTexture")
        bad.tableTexture = texture.enumerated().map { $0.offset == 7 ? 0 : $0.element }
        XCTAssertEqual(bad.problem?.field, "tableTexture")
    }
}
