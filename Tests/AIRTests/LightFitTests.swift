import Foundation
import Scenes
import XCTest
@testable import AIR

/// `LightFit`: the one light of a set-up with a fixed lamp, found from readings whose own
/// lights are off; refused where the images' lights differ; taken by a model's readings.
final class LightFitTests: XCTestCase {
    let shapes: [Shape] = [.wedge, .cube, .brick, .pyramid, .cylinder, .wedge]
    let colors: [SIMD3<Double>] = [[0.9, 0.9, 0.9], [0.85, 0.2, 0.15], [0.15, 0.7, 0.2], [0.15, 0.3, 0.85], [0.9, 0.8, 0.1], [0.9, 0.9, 0.9]]

    func objects(_ k: Int) -> [SceneObject] {
        (0..<(1 + k % 3)).map { j in
            let i = (k + j) % shapes.count
            return SceneObject(shape: shapes[i], color: Color(rgb: colors[i]), position: SIMD2(-0.9 + 0.9 * Double(j), 0.5 * Double(k % 3) - 0.5), rotation: 25 * Double(k + j))
        }
    }

    func images(_ lights: [Light], config cfg: ModelConfig) throws -> [Image] {
        let r = Rasterizer(threads: 1)
        return try lights.enumerated().map { k, l in PNG.quantized(try r.render(cfg.scene(light: l, objects: objects(k)), samplesPerPixel: cfg.samplesPerPixel)) }
    }

    /// Six images under one light, read with lights 8–15° off and levels 0.05 off: the common
    /// light comes back within a degree and 0.01.
    func testASharedLightIsRecoveredFromReadingsThatAreOff() throws {
        var cfg = tinyConfig(maxObjects: 3, light: true)
        cfg.samplesPerPixel = 1
        let truth = Light.from(elevation: 52, azimuth: -118, ambient: 0.3, diffuse: 0.7, shadows: false)
        let shown = try images([Light](repeating: truth, count: 6), config: cfg)
        let scenes = (0..<6).map { k -> Scene in
            let off = Light.from(elevation: 52 + (k % 2 == 0 ? 9 : -8), azimuth: -118 + 12 * Double(k - 3), ambient: 0.25 + 0.02 * Double(k), diffuse: 0.75, shadows: false)
            return cfg.scene(light: off, objects: objects(k))
        }
        let fit = try LightFit.fit(images: shown, scenes: scenes, samplesPerPixel: 1)
        let angle = acos(min(1, (fit.light.unitDirection * truth.unitDirection).sum())) * 180 / Double.pi
        XCTAssertLessThan(angle, 1)
        XCTAssertEqual(fit.light.ambient, 0.3, accuracy: 0.01)
        XCTAssertEqual(fit.light.diffuse, 0.7, accuracy: 0.01)
        XCTAssertFalse(fit.light.shadows)
        XCTAssert(fit.isShared, "median loss \(fit.medianLoss)")
    }

    /// Images under lights of the training prior's range, each read with its own light: no one
    /// light explains them.
    func testLightsThatDifferAreNotShared() throws {
        var cfg = tinyConfig(maxObjects: 3, light: true)
        cfg.samplesPerPixel = 1
        let lights = (0..<6).map { k in
            Light.from(elevation: 35 + 10 * Double(k), azimuth: 60 * Double(k), ambient: 0.15 + 0.05 * Double(k), diffuse: 0.85 - 0.05 * Double(k), shadows: false)
        }
        let shown = try images(lights, config: cfg)
        let scenes = lights.enumerated().map { k, l in cfg.scene(light: l, objects: objects(k)) }
        let fit = try LightFit.fit(images: shown, scenes: scenes, samplesPerPixel: 1)
        XCTAssertFalse(fit.isShared, "median loss \(fit.medianLoss)")
        XCTAssertGreaterThan(fit.medianLoss, 10 * LightFit.largestMedianLoss)
    }

    /// A model that knows its set-up's light reads every image under it, and its file keeps it.
    func testAModelsWorldLightIsTakenByItsReadingsAndKeptInItsFile() throws {
        let network = try ReadingFixtures.bundledNetwork()
        let cfg = network.config
        let world = Light.from(elevation: 70, azimuth: 20, ambient: 0.25, diffuse: 0.6, shadows: false)
        let image = try ReadingFixtures.image(cfg.scene(light: world, objects: [ReadingFixtures.red]), config: cfg)
        let read = try SceneReader(network: network, refine: false).read([image])[0]
        XCTAssertNotEqual(read.scene.light, world)

        network.setWorldLight(world)
        let reader = try SceneReader(network: network, refine: false)
        XCTAssertFalse(reader.refiner.options.lightMoves)
        XCTAssertEqual(try reader.read([image])[0].scene.light, world)

        let path = NSTemporaryDirectory() + "air-world-light-\(UInt32.random(in: 0...UInt32.max)).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(network, to: path)
        XCTAssertEqual(try ModelFile.load(path).network.config.worldLight?.light, world)

        var bad = cfg
        bad.worldLight = WorldLight(Light(direction: [0, 0, -1], ambient: 0.3, diffuse: 0.7, shadows: false))
        XCTAssertEqual(bad.problem?.field, "worldLight.direction")
    }
}
