#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Scenes

/// log p(observed | rendered): how well a rendering explains an image.
public protocol ImageLikelihood {
    func logLikelihood(observed: Image, rendered: Image) -> Double

    /// logLikelihood(observed, changed) − logLikelihood(observed, base) for a `changed` image
    /// that equals `base` outside `region`. A likelihood that factorises over pixels computes
    /// it on the region alone, which is what makes one-object-moved finite differences cheap.
    func logLikelihoodDelta(observed: Image, base: Image, changed: Image, region: PixelRegion) -> Double
}

extension ImageLikelihood {
    /// The fallback: two full evaluations.
    public func logLikelihoodDelta(observed: Image, base: Image, changed: Image, region: PixelRegion) -> Double {
        logLikelihood(observed: observed, rendered: changed) - logLikelihood(observed: observed, rendered: base)
    }
}

/// Independent Gaussian pixel noise: p(x | r) = Π over pixel channels N(x | r, σ²).
/// Sums are accumulated in Double.
public struct GaussianLikelihood: ImageLikelihood, Equatable, Sendable {
    public var sigma: Double

    public init(sigma: Double) {
        precondition(sigma > 0 && sigma.isFinite, "GaussianLikelihood: sigma must be positive")
        self.sigma = sigma
    }

    public func logLikelihood(observed: Image, rendered: Image) -> Double {
        precondition(observed.width == rendered.width && observed.height == rendered.height, "image sizes differ")
        var squares = 0.0
        for i in 0..<observed.pixels.count {
            let d = Double(observed.pixels[i]) - Double(rendered.pixels[i])
            squares += d * d
        }
        let n = Double(observed.pixels.count)
        return -squares / (2 * sigma * sigma) - n * (log(sigma) + 0.5 * log(2 * Double.pi))
    }

    /// Σ over the region's pixel channels of ((x − base)² − (x − changed)²) / 2σ²; the
    /// normalising constants cancel. The region is clipped to the image.
    public func logLikelihoodDelta(observed: Image, base: Image, changed: Image, region: PixelRegion) -> Double {
        precondition(observed.width == base.width && observed.height == base.height
                     && observed.width == changed.width && observed.height == changed.height, "image sizes differ")
        let x0 = max(0, region.x0), x1 = min(observed.width, region.x1)
        let y0 = max(0, region.y0), y1 = min(observed.height, region.y1)
        if x0 >= x1 || y0 >= y1 { return 0 }
        var sum = 0.0
        observed.pixels.withUnsafeBufferPointer { x in
            base.pixels.withUnsafeBufferPointer { b in
                changed.pixels.withUnsafeBufferPointer { c in
                    for j in y0..<y1 {
                        for k in ((j * observed.width + x0) * 3)..<((j * observed.width + x1) * 3) {
                            let db = Double(x[k]) - Double(b[k])
                            let dc = Double(x[k]) - Double(c[k])
                            sum += db * db - dc * dc
                        }
                    }
                }
            }
        }
        return sum / (2 * sigma * sigma)
    }

    /// The exact ∂ log p(observed | rendered) / ∂ albedo_k for every object k, for a renderer
    /// whose image is linear in the albedos: rendered(i, j, c) = table(i, j, c) + Σ_k albedo_k[c] ·
    /// shade_k(i, j) (the C renderer's `air_render_shading`; true because albedo ≤ 1 keeps every
    /// sample below the clamp). `shading` holds objectCount planes, shading[(k·H + j)·W + i].
    /// ∂/∂albedo_k[c] = Σ_ij (x − r)(i, j, c) · shade_k(i, j) / σ².
    public func albedoGradient(observed: Image, rendered: Image, shading: [Float], objectCount: Int) -> [SIMD3<Double>] {
        let w = observed.width, h = observed.height
        precondition(rendered.width == w && rendered.height == h, "image sizes differ")
        precondition(shading.count == objectCount * w * h, "shading holds \(shading.count) values, not \(objectCount) × \(w) × \(h)")
        var residual = [Double](repeating: 0, count: w * h * 3)
        for i in 0..<residual.count { residual[i] = Double(observed.pixels[i]) - Double(rendered.pixels[i]) }
        return (0..<objectCount).map { k in
            var g = SIMD3<Double>(0, 0, 0)
            for p in 0..<(w * h) {
                let s = Double(shading[k * w * h + p])
                if s == 0 { continue }
                g += SIMD3(residual[3 * p], residual[3 * p + 1], residual[3 * p + 2]) * s
            }
            return g / (sigma * sigma)
        }
    }
}
