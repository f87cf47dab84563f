import Random
import Renderer
import XCTest

/// Small helpers around the C API for the tests.
enum R {
    static func object(_ shape: Int32, _ color: (Float, Float, Float), _ x: Float, _ y: Float, _ rotation: Float = 0) -> air_object {
        air_object(shape: shape, color: color, x: x, y: y, rotation_deg: rotation)
    }

    static func camera(width: Int32 = 64, height: Int32 = 64, spp: Int32 = 4) -> air_camera {
        var c = air_default_camera()
        c.width = width
        c.height = height
        c.spp = spp
        return c
    }

    /// air_render, failing the test on an error code.
    static func render(_ camera: air_camera, _ objects: [air_object], file: StaticString = #filePath, line: UInt = #line) -> (rgb: [Float], mask: [UInt8]) {
        var c = camera
        let n = Int(camera.width) * Int(camera.height)
        var rgb = [Float](repeating: -1, count: 3 * n)
        var mask = [UInt8](repeating: 77, count: n)
        let status = objects.withUnsafeBufferPointer { air_render(&c, nil, $0.baseAddress, Int32($0.count), &rgb, &mask) }
        XCTAssertEqual(status, 0, "air_render: \(String(cString: air_error_string(status)))", file: file, line: line)
        return (rgb, mask)
    }

    static func pixel(_ rgb: [Float], _ camera: air_camera, _ i: Int, _ j: Int) -> SIMD3<Double> {
        let p = (j * Int(camera.width) + i) * 3
        return SIMD3(Double(rgb[p]), Double(rgb[p + 1]), Double(rgb[p + 2]))
    }

    static let palette: [(Float, Float, Float)] = [
        (0.85, 0.15, 0.15), (0.15, 0.70, 0.20), (0.15, 0.30, 0.85), (0.90, 0.80, 0.15),
        (0.15, 0.75, 0.80), (0.80, 0.20, 0.75), (0.95, 0.50, 0.10), (0.90, 0.90, 0.90),
    ]

    /// 1...maxObjects objects in distinct slots of a 2 x 2 layout 2 units apart, jittered by
    /// at most 0.05: footprints (circumradius <= 0.9) never overlap.
    static func randomScene(_ rng: inout RNG, maxObjects: Int = 4) -> [air_object] {
        var slots: [(Float, Float)] = [(-1, -1), (1, -1), (-1, 1), (1, 1)]
        for i in stride(from: slots.count - 1, to: 0, by: -1) { slots.swapAt(i, rng.int(below: i + 1)) }
        let count = 1 + rng.int(below: maxObjects)
        return (0..<count).map { k in
            let color = rng.bernoulli(0.5) ? palette[rng.int(below: palette.count)]
                : (rng.uniformFloat(), rng.uniformFloat(), rng.uniformFloat())
            return object(Int32(rng.int(below: 5)), color,
                          slots[k].0 + Float(rng.uniform(-0.05, 0.05)), slots[k].1 + Float(rng.uniform(-0.05, 0.05)),
                          Float(rng.uniform(-180, 180)))
        }
    }

    /// The spec's PNG quantisation.
    static func byte(_ v: Double) -> Int { Int((v * 255 + 0.5).rounded(.down)) }
}

/// Equality of big arrays without printing them: reports the first differing index.
func assertSame<T: Equatable>(_ a: [T], _ b: [T], _ what: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) {
    guard a != b else { return }
    let k = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
    XCTFail("\(what()): counts \(a.count) vs \(b.count), first difference at \(k)", file: file, line: line)
}
