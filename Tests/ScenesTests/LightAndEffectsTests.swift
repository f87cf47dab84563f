import Random
import XCTest
@testable import Scenes

/// Spec v2 in the Swift layer: the light and table in scene JSON, dataset lines and batch
/// specs; the camera effects; area resampling.
final class LightAndEffectsTests: XCTestCase {
    func testSceneJSONReadsAndWritesTheLight() throws {
        let text = #"{"light": {"direction": [0.5, -0.3, 1.0], "ambient": 0.25, "diffuse": 0.8, "shadows": true}, "table": {"color": "white"}, "objects": []}"#
        let s = try SceneJSON.read(text, file: "l.json")
        XCTAssertEqual(s.light, Light(direction: [0.5, -0.3, 1.0], ambient: 0.25, diffuse: 0.8, shadows: true))
        XCTAssertEqual(s.tableColor, Palette.color(named: "white")!.rgb)
        XCTAssertEqual(try SceneJSON.read(SceneJSON.write(s), file: "w.json"), s)
        // A scene of the defaults writes no light or table: v1 files keep their bytes.
        let plain = try SceneJSON.read(#"{"objects": []}"#, file: "p.json")
        XCTAssertFalse(SceneJSON.write(plain).contains("light"))
        XCTAssertFalse(SceneJSON.write(plain).contains("table"))
    }

    func testBadLightsNameTheField() {
        let cases: [(String, String)] = [
            (#"{"light": {"direction": [0, 0, -1]}, "objects": []}"#, "light.direction"),
            (#"{"light": {"ambient": -0.1}, "objects": []}"#, "light.ambient"),
            (#"{"light": {"diffuse": "bright"}, "objects": []}"#, "light.diffuse"),
            (#"{"light": {"shadows": 1}, "objects": []}"#, "light.shadows"),
            (#"{"light": {"colour": [1, 1, 1]}, "objects": []}"#, "light"),
            (#"{"table": {"color": [1.2, 0, 0]}, "objects": []}"#, "table.color[0]"),
        ]
        for (text, field) in cases {
            XCTAssertThrowsError(try SceneJSON.read(text, file: "bad.json"), text) { e in
                XCTAssertTrue("\(e)".contains("bad.json:1: \(field)"), "\(e)")
            }
        }
    }

    func testLightChangesPixelsAndTheDefaultLightDoesNot() throws {
        let r = Rasterizer()
        let cube = SceneObject(shape: .cube, color: Palette.color(named: "red")!, position: [0, 0], rotation: 20)
        let plain = try r.render(Scene(objects: [cube]), samplesPerPixel: 4)
        XCTAssertEqual(try r.render(Scene(light: Light(), objects: [cube]), samplesPerPixel: 4), plain)
        var dim = Light()
        dim.ambient = 0.15
        dim.diffuse = 0.35
        let dark = try r.render(Scene(light: dim, objects: [cube]), samplesPerPixel: 4)
        // Half the light, half the (unclamped) values everywhere: table pixel (0, 0).
        XCTAssertEqual(Double(dark.pixels[0]), Double(plain.pixels[0]) / 2, accuracy: 1e-6)
    }

    func testBatchSpecDrawsLightsWithinTheirRangesAndKeepsV1Scenes() throws {
        let v1 = try BatchSpec.read(#"{"objects_per_scene": {"min": 1, "max": 2}}"#, file: "v1.json")
        var v2 = v1
        v2.light = .varied
        let r = Rasterizer()
        var shadows = 0
        for i in 0..<200 {
            let a = try v1.sample(index: i, seed: 3, renderer: r).scene
            let b = try v2.sample(index: i, seed: 3, renderer: r).scene
            XCTAssertEqual(a.light, Light())
            let (e, _) = b.light.elevationAzimuth
            XCTAssertTrue((29.99...90.01).contains(e), "elevation \(e)")
            XCTAssertTrue((0.15...0.45).contains(b.light.ambient) && (0.5...0.9).contains(b.light.diffuse))
            if b.light.shadows { shadows += 1 }
            // Placements do not depend on the light's stream unless the renderer's visibility check differs.
            if a.objects.count == b.objects.count && a.objects.count == 1 { XCTAssertEqual(a.objects, b.objects) }
        }
        XCTAssertTrue((60...140).contains(shadows), "shadows in \(shadows) of 200")
    }

    func testBatchSpecParsesLightAndEffects() throws {
        let s = try BatchSpec.read("""
        {"light": {"elevation": [30, 60], "azimuth": 45, "ambient": 0.2, "shadows": 0.25},
         "table": {"color": [0.4, 0.4, 0.4]},
         "effects": {"noise": [0, 0.1], "jpeg_quality": {"range": [70, 90], "probability": 0.5}, "contrast": 1.3}}
        """, file: "s.json")
        XCTAssertEqual(s.light?.elevation, Draw(30, 60))
        XCTAssertEqual(s.light?.azimuth, .fixed(45))
        XCTAssertEqual(s.light?.shadowProbability, 0.25)
        XCTAssertEqual(s.tableColor, [0.4, 0.4, 0.4])
        XCTAssertEqual(s.effects?.jpegQuality, Draw(70, 90, probability: 0.5))
        XCTAssertEqual(s.effects?.contrast, .fixed(1.3))
        for (text, field) in [(#"{"light": {"elevation": [30, 95]}}"#, "light.elevation[1]"),
                              (#"{"effects": {"noise": [0.2, 0.1]}}"#, "effects.noise"),
                              (#"{"effects": {"jpeg_quality": 0}}"#, "effects.jpeg_quality"),
                              (#"{"effects": {"blurr": 1}}"#, "effects"),
                              (#"{"light": {"direction": [0, 0, 1], "azimuth": 3}}"#, "light.direction")] {
            XCTAssertThrowsError(try BatchSpec.read(text, file: "b.json"), text) { e in
                XCTAssertTrue("\(e)".contains("b.json:1: \(field)"), "\(e)")
            }
        }
    }

    /// `"plain": p` shows a fraction p of the scenes as the spec's defaults (default light, no
    /// effects); the objects are the ones drawn without it, and without the key nothing changes.
    func testPlainScenesAreTheSpecDefaults() throws {
        let text = #"{"objects_per_scene": {"min": 1, "max": 2}, "size": [32, 32], "light": {"elevation": [30, 60], "shadows": 0.5}, "effects": {"noise": [0.05, 0.1]}"#
        let varied = try BatchSpec.read(text + "}", file: "v.json")
        let mixed = try BatchSpec.read(text + #", "plain": 0.5}"#, file: "p.json")
        XCTAssertEqual(mixed.plainProbability, 0.5)
        let r = Rasterizer()
        var plain = 0
        for i in 0..<100 {
            let a = try varied.sample(index: i, seed: 3, renderer: r).scene
            let b = try mixed.sample(index: i, seed: 3, renderer: r).scene
            XCTAssertFalse(varied.isPlain(index: i, seed: 3))
            if mixed.isPlain(index: i, seed: 3) {
                plain += 1
                XCTAssertEqual(b.light, Light())
                XCTAssertTrue(mixed.effects(index: i, seed: 3).effects.isNeutral)
                XCTAssertEqual(try mixed.observe(b, index: i, seed: 3, renderer: r).pixels, try r.render(b, samplesPerPixel: 4).pixels)
            } else {
                XCTAssertEqual(a, b)
                XCTAssertFalse(mixed.effects(index: i, seed: 3).effects.isNeutral)
            }
            if a.objects.count == 1 { XCTAssertEqual(a.objects, b.objects) }
        }
        XCTAssertTrue((30...70).contains(plain), "plain in \(plain) of 100")
        XCTAssertThrowsError(try BatchSpec.read(#"{"plain": 1.5}"#, file: "b.json")) { e in
            XCTAssertTrue("\(e)".contains("b.json:1: plain"), "\(e)")
        }
    }

    func testEffects() throws {
        let img = try Rasterizer().render(Scene(objects: [SceneObject(shape: .brick, color: Palette.color(named: "blue")!, position: [0.2, 0.1], rotation: 30)]), samplesPerPixel: 4)
        var rng = RNG(seed: 1)
        var same = img
        ImageEffects().apply(&same, rng: &rng)
        XCTAssertEqual(same, img, "neutral effects change nothing")

        func mean(_ i: Image) -> Double { i.pixels.reduce(0.0) { $0 + Double($1) } / Double(i.pixels.count) }
        func spread(_ i: Image) -> Double { let m = mean(i); return i.pixels.reduce(0.0) { $0 + abs(Double($1) - m) } / Double(i.pixels.count) }
        var e = ImageEffects()
        e.blur = 1
        var blurred = img
        e.apply(&blurred, rng: &rng)
        XCTAssertEqual(mean(blurred), mean(img), accuracy: 0.002, "blur keeps the mean")
        XCTAssertLessThan(spread(blurred), spread(img))

        e = ImageEffects()
        e.contrast = 0.5
        var flat = img
        e.apply(&flat, rng: &rng)
        XCTAssertEqual(spread(flat), spread(img) / 2, accuracy: 0.01)

        e = ImageEffects()
        e.noise = 0.1
        var noisy = img
        e.apply(&noisy, rng: &rng)
        let d = zip(noisy.pixels, img.pixels).map { Double($0 - $1) }
        let sd = (d.map { $0 * $0 }.reduce(0, +) / Double(d.count)).squareRoot()
        XCTAssertEqual(sd, 0.1, accuracy: 0.01)

        // JPEG: small errors at quality 90, larger at 30, none beyond 8-bit rounding of flat areas.
        func jpegError(_ q: Int) -> Double {
            var j = img
            var f = ImageEffects()
            f.jpegQuality = q
            f.apply(&j, rng: &rng)
            return zip(j.pixels, img.pixels).map { abs(Double($0 - $1)) }.reduce(0, +) / Double(img.pixels.count)
        }
        XCTAssertLessThan(jpegError(90), jpegError(30))
        XCTAssertLessThan(jpegError(90), 0.01)
        XCTAssertGreaterThan(jpegError(30), 0.002)
    }

    func testAreaResample() {
        // A 4×2 image halved: each output pixel is the mean of a 2×2 block.
        let px: [Float] = (0..<24).map { Float($0) / 24 }
        let img = Image(width: 4, height: 2, pixels: px)
        let half = img.areaResampled(width: 2, height: 1)
        for c in 0..<3 {
            let expected = (px[c] + px[3 + c] + px[12 + c] + px[15 + c]) / 4
            XCTAssertEqual(half.pixels[c], expected, accuracy: 1e-6)
        }
        XCTAssertTrue(img.hasAspect(width: 64, height: 32))
        XCTAssertFalse(img.hasAspect(width: 64, height: 64))
        // A factor of 1.5: fractional coverage keeps a flat image flat.
        let flat = Image(width: 96, height: 96, pixels: [Float](repeating: 0.25, count: 96 * 96 * 3))
        XCTAssertTrue(flat.areaResampled(width: 64, height: 64).pixels.allSatisfy { abs($0 - 0.25) < 1e-6 })
    }

    /// The blur's vector runs give, bit for bit, the one-value-at-a-time separable sum (kept
    /// here as the reference), on images narrower than the kernel, odd widths and tall ones.
    func testBlurEqualsTheScalarSeparableSum() {
        func reference(_ src: [Float], width w: Int, height h: Int, sigma: Double) -> [Float] {
            let r = max(1, Int((3 * sigma).rounded(.up)))
            var k = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
            let s = k.reduce(0, +)
            k = k.map { $0 / s }
            var tmp = [Float](repeating: 0, count: src.count), out = tmp
            for y in 0..<h { for x in 0..<w { for c in 0..<3 {
                var a: Float = 0
                for t in -r...r { a += k[t + r] * src[(y * w + min(max(x + t, 0), w - 1)) * 3 + c] }
                tmp[(y * w + x) * 3 + c] = a
            } } }
            for y in 0..<h { for x in 0..<w { for c in 0..<3 {
                var a: Float = 0
                for t in -r...r { a += k[t + r] * tmp[(min(max(y + t, 0), h - 1) * w + x) * 3 + c] }
                out[(y * w + x) * 3 + c] = a
            } } }
            return out
        }
        var rng = RNG(seed: 8)
        for (w, h) in [(64, 64), (5, 7), (13, 3), (33, 20), (1, 9)] {
            let src = (0..<(w * h * 3)).map { _ in rng.uniformFloat() }
            for sigma in [0.2, 0.6, 1.0, 2.5] {
                XCTAssertEqual(ImageEffects.gaussianBlur(src, width: w, height: h, sigma: sigma),
                               reference(src, width: w, height: h, sigma: sigma), "\(w)×\(h), σ \(sigma)")
            }
        }
    }

    func testDatasetLinesKeepEachScenesLight() throws {
        let dir = NSTemporaryDirectory() + "air-light-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var spec = try BatchSpec.read(#"{"objects_per_scene": {"min": 0, "max": 2}, "size": [32, 32]}"#, file: "s.json")
        spec.light = .varied
        _ = try DatasetGenerator(spec: spec, count: 6, seed: 5, folder: dir).run()
        let ds = try Dataset(folder: dir)
        let r = Rasterizer()
        for (i, e) in ds.entries.enumerated() {
            // The light reads back as the very numbers rendered.
            XCTAssertEqual(e.scene.light, try spec.sample(index: i, seed: 5, renderer: r).scene.light)
            XCTAssertEqual(PNG.quantized(try r.render(e.scene, samplesPerPixel: 4)), try ds.image(i), "scene \(i) re-renders to its image")
        }
    }
}

/// Hardening: inputs that used to read past an array's end, allocate without bound or block.
final class InputLimitTests: XCTestCase {
    func testSweepsEndWhereTheyEnd() throws {
        let spec = try BatchSpec.read(#"{"kind": "rotation_sweep", "shape": "cube", "color": "red", "rotation": {"from": 0, "to": 90, "step": 45}}"#, file: "s.json")
        XCTAssertEqual(spec.sweepLength, 2)
        XCTAssertNoThrow(try spec.sample(index: 1, seed: 0, renderer: Rasterizer()))
        XCTAssertThrowsError(try spec.sample(index: 2, seed: 0, renderer: Rasterizer())) { e in
            XCTAssertTrue("\(e)".contains("only 2 scenes"), "\(e)")
        }
    }

    func testSpecialFilesAndHugePNGsAreRefused() throws {
        XCTAssertThrowsError(try FileIO.read("/dev/zero")) { e in XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)") }
        let dir = NSTemporaryDirectory() + "air-limits-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.makeDirectories(dir)
        XCTAssertEqual(mkfifo(dir + "/fifo", 0o600), 0)
        XCTAssertThrowsError(try FileIO.read(dir + "/fifo")) { e in XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)") }
        // A valid 1×1 PNG whose header is changed to claim 100000 × 100000 pixels.
        var png = try PNG.encode([1, 2, 3], width: 1, height: 1, channels: 3)
        func put(_ value: UInt32, at offset: Int) {
            for k in 0..<4 { png[offset + k] = UInt8((value >> (8 * (3 - UInt32(k)))) & 0xFF) }
        }
        put(100_000, at: 16)
        put(100_000, at: 20)
        // The IHDR chunk's CRC over its type and data (bytes 12..<29), so that libpng accepts the header.
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in png[12..<29] {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        put(~crc, at: 29)
        XCTAssertThrowsError(try PNG.decode(png, channels: 3, name: "huge.png")) { e in
            XCTAssertTrue("\(e)".contains("huge.png: PNG claims 100000x100000 pixels"), "\(e)")
        }
    }
}
