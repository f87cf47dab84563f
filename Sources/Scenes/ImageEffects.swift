import JSON
import Random

/// What a camera does to a rendered image before a user sees it: exposure, lens blur, sensor
/// noise, a contrast curve and JPEG compression, applied in that order to an image in [0, 1].
/// Neutral values (exposure 1, blur 0, noise 0, contrast 1, quality nil) leave it unchanged.
public struct ImageEffects: Equatable, Sendable {
    /// Multiplies every value.
    public var exposure = 1.0
    /// Gaussian blur, standard deviation in pixels.
    public var blur = 0.0
    /// Additive Gaussian noise, standard deviation (per value, independent).
    public var noise = 0.0
    /// v ↦ m + c·(v − m), m the image's mean luminance (as image editors do).
    public var contrast = 1.0
    /// JPEG round trip at this quality (1...100): 4:2:0 YCbCr, 8×8 DCT, the standard tables.
    public var jpegQuality: Int?

    public init() {}

    public var isNeutral: Bool { self == ImageEffects() }

    /// Applies the effects; `rng` draws the noise.
    public func apply(_ image: inout Image, rng: inout RNG) {
        let w = image.width, h = image.height
        if exposure != 1 { for i in image.pixels.indices { image.pixels[i] = min(max(image.pixels[i] * Float(exposure), 0), 1) } }
        if blur > 0 { image.pixels = Self.gaussianBlur(image.pixels, width: w, height: h, sigma: blur) }
        if noise > 0 {
            let sigma = Float(noise)
            image.pixels.withUnsafeMutableBufferPointer { p in
                let z = UnsafeMutableBufferPointer<Float>.allocate(capacity: p.count)
                defer { z.deallocate() }
                rng.fillNormal(z)
                for i in p.indices { p[i] = min(max(p[i] + sigma * z[i], 0), 1) }
            }
        }
        if contrast != 1 {
            var m = 0.0
            for p in 0..<(w * h) {
                m += 0.299 * Double(image.pixels[3 * p]) + 0.587 * Double(image.pixels[3 * p + 1]) + 0.114 * Double(image.pixels[3 * p + 2])
            }
            let mean = Float(m / Double(max(1, w * h))), c = Float(contrast)
            for i in image.pixels.indices { image.pixels[i] = min(max(mean + c * (image.pixels[i] - mean), 0), 1) }
        }
        if let q = jpegQuality { image.pixels = JPEGRoundTrip.apply(image.pixels, width: w, height: h, quality: q) }
    }

    /// Separable Gaussian, radius ⌈3σ⌉, edges clamped. Each output value is Σ_t k[t]·v[t] summed
    /// from t = −r up, one product at a time; eight outputs side by side are one vector sum (the
    /// same operations in the same order per lane), where no tap needs clamping.
    static func gaussianBlur(_ src: [Float], width w: Int, height h: Int, sigma: Double) -> [Float] {
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var k = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let s = k.reduce(0, +)
        k = k.map { $0 / s }
        var tmp = [Float](repeating: 0, count: src.count), out = tmp
        let rowFloats = 3 * w
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        @inline(__always) func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self) }
        k.withUnsafeBufferPointer { kb in
            let k = kb.baseAddress!
            src.withUnsafeBufferPointer { sb in
                tmp.withUnsafeMutableBufferPointer { tb in
                    // Along rows: output float j (pixel j / 3) reads j + 3t; a run of eight is
                    // unclamped when its first pixel is ≥ r and its last < w − r.
                    for y in 0..<h {
                        let row = sb.baseAddress! + y * rowFloats, dst = tb.baseAddress! + y * rowFloats
                        @inline(__always) func one(_ j: Int) {
                            let x = j / 3, c = j % 3
                            var a: Float = 0
                            for t in -r...r { a += k[t + r] * row[min(max(x + t, 0), w - 1) * 3 + c] }
                            dst[j] = a
                        }
                        var j = 0
                        while j < rowFloats {
                            if j / 3 >= r && (j + 7) / 3 < w - r && j + 8 <= rowFloats {
                                var a = SIMD8<Float>(repeating: 0)
                                for t in -r...r { a += SIMD8(repeating: k[t + r]) * load(row + j + 3 * t) }
                                store(a, dst + j)
                                j += 8
                            } else {
                                one(j)
                                j += 1
                            }
                        }
                    }
                }
            }
            tmp.withUnsafeBufferPointer { tb in
                out.withUnsafeMutableBufferPointer { ob in
                    // Down columns: every float of row y reads the same rows, clamped as rows.
                    for y in 0..<h {
                        let dst = ob.baseAddress! + y * rowFloats
                        var j = 0
                        while j + 8 <= rowFloats {
                            var a = SIMD8<Float>(repeating: 0)
                            for t in -r...r { a += SIMD8(repeating: k[t + r]) * load(tb.baseAddress! + min(max(y + t, 0), h - 1) * rowFloats + j) }
                            store(a, dst + j)
                            j += 8
                        }
                        while j < rowFloats {
                            var a: Float = 0
                            for t in -r...r { a += k[t + r] * tb[min(max(y + t, 0), h - 1) * rowFloats + j] }
                            dst[j] = a
                            j += 1
                        }
                    }
                }
            }
        }
        return out
    }
}

/// A batch spec's distribution over `ImageEffects`.
///
/// JSON (`"effects"`; every key optional): `{"exposure": [0.8, 1.2], "blur": [0, 1],
/// "noise": [0, 0.1], "contrast": [0.7, 1.3], "jpeg_quality": {"range": [70, 100], "probability": 0.5}}`
/// (each value a `Draw`: fixed, `[lo, hi]` or with a probability of applying).
public struct EffectsPrior: Equatable, Sendable {
    public var exposure: Draw?
    public var blur: Draw?
    public var noise: Draw?
    public var contrast: Draw?
    public var jpegQuality: Draw?

    public init() {}

    /// The variation the bundled model is trained over (README, "The generative model").
    public static let camera: EffectsPrior = {
        var p = EffectsPrior()
        p.exposure = Draw(0.8, 1.25, probability: 0.25)
        p.blur = Draw(0, 1, probability: 0.5)
        p.noise = Draw(0, 0.1, probability: 0.75)
        p.contrast = Draw(0.7, 1.3, probability: 0.5)
        p.jpegQuality = Draw(70, 100, probability: 0.5)
        return p
    }()

    public func sample(_ rng: inout RNG) -> ImageEffects {
        var e = ImageEffects()
        if let exposure { e.exposure = exposure.sample(&rng, neutral: 1) }
        if let blur { e.blur = blur.sample(&rng, neutral: 0) }
        if let noise { e.noise = noise.sample(&rng, neutral: 0) }
        if let contrast { e.contrast = contrast.sample(&rng, neutral: 1) }
        if let jpegQuality {
            let q = jpegQuality.sample(&rng, neutral: 0)
            e.jpegQuality = q >= 1 ? Int(q.rounded()) : nil
        }
        return e
    }

    public static let keys = ["exposure", "blur", "noise", "contrast", "jpeg_quality"]

    public static func parse(_ v: JSONValue, _ path: String, reader: JSONFieldReader) throws -> EffectsPrior {
        _ = try reader.object(v, path, allowed: keys)
        let join = { (key: String) in JSONFieldReader.join(path, key) }
        var p = EffectsPrior()
        if let x = v["exposure"] { p.exposure = try Draw.parse(x, join("exposure"), reader: reader, allowed: 0...100) }
        if let x = v["blur"] { p.blur = try Draw.parse(x, join("blur"), reader: reader, allowed: 0...10) }
        if let x = v["noise"] { p.noise = try Draw.parse(x, join("noise"), reader: reader, allowed: 0...1) }
        if let x = v["contrast"] { p.contrast = try Draw.parse(x, join("contrast"), reader: reader, allowed: 0...10) }
        if let x = v["jpeg_quality"] { p.jpegQuality = try Draw.parse(x, join("jpeg_quality"), reader: reader, allowed: 1...100) }
        return p
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
