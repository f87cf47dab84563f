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

    /// air_render, failing the test on an error code. light nil: the default light.
    static func render(_ camera: air_camera, _ objects: [air_object], light: air_light? = nil,
                       file: StaticString = #filePath, line: UInt = #line) -> (rgb: [Float], mask: [UInt8]) {
        var c = camera
        let n = Int(camera.width) * Int(camera.height)
        var rgb = [Float](repeating: -1, count: 3 * n)
        var mask = [UInt8](repeating: 77, count: n)
        let status = objects.withUnsafeBufferPointer { objs in
            if var l = light { return air_render(&c, &l, objs.baseAddress, Int32(objs.count), &rgb, &mask) }
            return air_render(&c, nil, objs.baseAddress, Int32(objs.count), &rgb, &mask)
        }
        XCTAssertEqual(status, 0, "air_render: \(String(cString: air_error_string(status)))", file: file, line: line)
        return (rgb, mask)
    }

    /// A light from elevation and azimuth in degrees.
    static func light(elevation: Double, azimuth: Double, ambient: Double = 0.3, diffuse: Double = 0.7, shadows: Bool = true,
                      table: (Float, Float, Float) = (0.50, 0.48, 0.45)) -> air_light {
        let e = elevation * Double.pi / 180, a = azimuth * Double.pi / 180
        return air_light(direction: (cos(e) * cos(a), cos(e) * sin(a), sin(e)), ambient: ambient, diffuse: diffuse,
                         shadows: shadows ? 1 : 0, table_color: table)
    }

    /// A random light with shadows: elevation 30-90 degrees, any azimuth, ambient 0.15-0.45,
    /// diffuse 0.5-0.9, random table colour.
    static func randomLight(_ rng: inout RNG) -> air_light {
        light(elevation: rng.uniform(30, 90), azimuth: rng.uniform(0, 360), ambient: rng.uniform(0.15, 0.45),
              diffuse: rng.uniform(0.5, 0.9), table: (rng.uniformFloat(), rng.uniformFloat(), rng.uniformFloat()))
    }

    /// The footprint of an object on the table: its base polygon in world coordinates.
    static func footprint(_ o: air_object) -> [SIMD2<Double>] {
        let base: [SIMD2<Double>]
        switch o.shape {
        case 1: base = [[-0.8, -0.4], [0.8, -0.4], [0.8, 0.4], [-0.8, 0.4]]
        case 2: base = (0..<24).map { m in
            let a = (15.0 * Double(m) + 7.5) * Double.pi / 180
            return SIMD2(0.5 * cos(a), 0.5 * sin(a))
        }
        default: base = [[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]
        }
        let th = Double(o.rotation_deg) * Double.pi / 180
        return base.map { SIMD2(cos(th) * $0.x - sin(th) * $0.y + Double(o.x), sin(th) * $0.x + cos(th) * $0.y + Double(o.y)) }
    }

    /// Whether two convex polygons come closer than `gap` (separating axes of both).
    static func near(_ a: [SIMD2<Double>], _ b: [SIMD2<Double>], gap: Double) -> Bool {
        for poly in [a, b] {
            for k in poly.indices {
                let e = poly[(k + 1) % poly.count] - poly[k]
                let n = SIMD2(e.y, -e.x) / (e * e).sum().squareRoot()
                let pa = a.map { ($0 * n).sum() }, pb = b.map { ($0 * n).sum() }
                if pa.max()! + gap < pb.min()! || pb.max()! + gap < pa.min()! { return false }
            }
        }
        return true
    }

    /// 3 or 4 objects at random places in [-1.3, 1.3]^2, footprints at least 0.02 apart:
    /// closer than randomScene's layout, so that shadows fall on other objects.
    static func randomCloseScene(_ rng: inout RNG) -> [air_object] {
        let count = 3 + rng.int(below: 2)
        var objects: [air_object] = []
        var attempts = 0
        while objects.count < count && attempts < 1000 {
            attempts += 1
            let o = object(Int32(rng.int(below: 5)), palette[rng.int(below: palette.count)],
                           Float(rng.uniform(-1.3, 1.3)), Float(rng.uniform(-1.3, 1.3)), Float(rng.uniform(-180, 180)))
            if objects.allSatisfy({ !near(footprint($0), footprint(o), gap: 0.02) }) { objects.append(o) }
        }
        return objects
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
