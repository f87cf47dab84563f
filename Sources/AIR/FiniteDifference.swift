import Random
import Scenes

/// ∂f/∂(x, y, rotation) for one object: per scene unit for x and y, per degree for rotation.
public struct PoseGradient: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public var rotation: Double

    public init(x: Double, y: Double, rotation: Double) {
        self.x = x
        self.y = y
        self.rotation = rotation
    }
}

/// Finite-difference step sizes in scene units. The renderer's output changes only at object
/// edges, so a step must move an edge by about half a pixel or more (AIR-NOTES §1).
public struct FiniteDifferenceSteps: Equatable, Sendable {
    /// Position step (units); 0.05 ≈ half a pixel at 64 × 64 with the default camera.
    public var position: Double
    /// Rotation step (degrees).
    public var rotation: Double
    /// Albedo step (RGB units, at most 0.5 is used); the likelihood is quadratic in albedo
    /// for a Gaussian, so the colour stencil is exact whatever the step.
    public var color: Double

    public init(position: Double = 0.05, rotation: Double = 3, color: Double = 0.05) {
        precondition(position > 0 && rotation > 0 && color > 0, "finite-difference steps must be positive")
        self.position = position
        self.rotation = rotation
        self.color = color
    }
}

/// Estimates of ∂f/∂c for f = log p(observed | render(scene)) and each object's continuous
/// latents, with the renderer as a black box (AIR-NOTES §1).
///
/// Every evaluation is a one-object-moved re-render through a `RenderSession` scored by the
/// likelihood's region delta against the base image, so an incremental renderer makes each
/// one cost about one object's footprint; any conforming renderer works.
public struct FiniteDifferenceEstimator<Likelihood: ImageLikelihood> {
    public var likelihood: Likelihood
    public var steps: FiniteDifferenceSteps

    public init(likelihood: Likelihood, steps: FiniteDifferenceSteps = FiniteDifferenceSteps()) {
        self.likelihood = likelihood
        self.steps = steps
    }

    /// Central differences per coordinate: (f(c + h e_k) − f(c − h e_k)) / 2h.
    /// `objects` must be the session's base scene objects. 6 renders per object.
    public func centralPoseGradients(session: any RenderSession, objects: [SceneObject], observed: Image) throws -> [PoseGradient] {
        var scratch = Scratch(session: session)
        let hp = steps.position, hr = steps.rotation
        return try objects.indices.map { k in
            let o = objects[k]
            func diff(_ plus: SceneObject, _ minus: SceneObject, _ h: Double) throws -> Double {
                let fp = try scratch.delta(index: k, object: plus, observed: observed, likelihood: likelihood)
                let fm = try scratch.delta(index: k, object: minus, observed: observed, likelihood: likelihood)
                return (fp - fm) / (2 * h)
            }
            return PoseGradient(
                x: try diff(o.moved(dx: hp), o.moved(dx: -hp), hp),
                y: try diff(o.moved(dy: hp), o.moved(dy: -hp), hp),
                rotation: try diff(o.moved(dr: hr), o.moved(dr: -hr), hr))
        }
    }

    /// SPSA: for each object, draw Δ ∈ {±1}³ and estimate ∂f/∂c_j as
    /// (f(c + h⊙Δ) − f(c − h⊙Δ)) / (2 h_j Δ_j), averaged over `perturbations` draws.
    /// The session moves one object at a time, so each object gets its own Δ: 2 renders per
    /// object per perturbation (instead of 6 for central differences), unbiased to O(h²),
    /// noisier. Draws come from `rng` in object order, then perturbation order.
    public func spsaPoseGradients(session: any RenderSession, objects: [SceneObject], observed: Image,
                                  perturbations: Int = 1, rng: inout RNG) throws -> [PoseGradient] {
        precondition(perturbations >= 1, "SPSA needs at least one perturbation")
        var scratch = Scratch(session: session)
        let hp = steps.position, hr = steps.rotation
        var result: [PoseGradient] = []
        for k in objects.indices {
            let o = objects[k]
            var sum = SIMD3<Double>(0, 0, 0)
            for _ in 0..<perturbations {
                let delta = SIMD3<Double>(rademacher(&rng), rademacher(&rng), rademacher(&rng))
                let h = SIMD3(hp, hp, hr) * delta
                let fp = try scratch.delta(index: k, object: o.moved(dx: h.x, dy: h.y, dr: h.z),
                                           observed: observed, likelihood: likelihood)
                let fm = try scratch.delta(index: k, object: o.moved(dx: -h.x, dy: -h.y, dr: -h.z),
                                           observed: observed, likelihood: likelihood)
                sum += SIMD3(repeating: fp - fm) / (2 * h)
            }
            let g = sum / Double(perturbations)
            result.append(PoseGradient(x: g.x, y: g.y, rotation: g.z))
        }
        return result
    }

    /// ∂f/∂albedo per object by finite differences on each RGB channel (6 renders per object).
    /// The stencil stays inside [0, 1], because a renderer may reject albedos outside it:
    /// central (a − h, a + h) inside, otherwise the points are clipped to the interval or, at a
    /// bound, both taken on the inner side (a ± h, a ± 2h). The derivative at a is that of the
    /// parabola through the two renders and the base, so it is exact whenever f is quadratic
    /// in the albedo — as the Gaussian likelihood of a renderer linear in albedo is — and
    /// second-order accurate otherwise. For the Gaussian likelihood with per-object shading,
    /// `GaussianLikelihood.albedoGradient` is exact without renders.
    public func colorGradients(session: any RenderSession, objects: [SceneObject], observed: Image) throws -> [SIMD3<Double>] {
        var scratch = Scratch(session: session)
        let h = min(steps.color, 0.5)
        return try objects.indices.map { k in
            var g = SIMD3<Double>(0, 0, 0)
            for c in 0..<3 {
                let a = objects[k].color.rgb[c]
                var p1 = max(0, a - h), p2 = min(1, a + h)
                if p1 == a { p1 = a + h; p2 = a + 2 * h }       // at 0: both points above
                if p2 == a { p1 = a - h; p2 = a - 2 * h }       // at 1: both points below
                var o1 = objects[k], o2 = objects[k]
                o1.color = Color(rgb: o1.color.rgb.replacing(c, with: p1))
                o2.color = Color(rgb: o2.color.rgb.replacing(c, with: p2))
                let f1 = try scratch.delta(index: k, object: o1, observed: observed, likelihood: likelihood)
                let f2 = try scratch.delta(index: k, object: o2, observed: observed, likelihood: likelihood)
                // Lagrange derivative at a of the parabola through (a, 0), (p1, f1), (p2, f2).
                g[c] = f1 * (a - p2) / ((p1 - a) * (p1 - p2)) + f2 * (a - p1) / ((p2 - a) * (p2 - p1))
            }
            return g
        }
    }
}

/// One reusable image holding the base render: each variation is rendered into it, scored by
/// region delta, and the region restored from the base, so no full-image copy per render.
private struct Scratch {
    let session: any RenderSession
    var image: Image

    init(session: any RenderSession) {
        self.session = session
        self.image = session.baseImage
    }

    /// f(scene with object `index` replaced) − f(base).
    mutating func delta<L: ImageLikelihood>(index: Int, object: SceneObject, observed: Image, likelihood: L) throws -> Double {
        let region = try session.renderMoved(index: index, to: object, into: &image)
        let base = session.baseImage
        let d = likelihood.logLikelihoodDelta(observed: observed, base: base, changed: image, region: region)
        let x0 = max(0, region.x0), x1 = min(image.width, region.x1)
        let y0 = max(0, region.y0), y1 = min(image.height, region.y1)
        if x0 < x1 {
            for j in y0..<y1 {
                let a = (j * image.width + x0) * 3, b = (j * image.width + x1) * 3
                image.pixels.replaceSubrange(a..<b, with: base.pixels[a..<b])
            }
        }
        return d
    }
}

extension SceneObject {
    fileprivate func moved(dx: Double = 0, dy: Double = 0, dr: Double = 0) -> SceneObject {
        var o = self
        o.position += SIMD2(dx, dy)
        o.rotation += dr
        return o
    }
}

extension SIMD3 where Scalar == Double {
    fileprivate func replacing(_ index: Int, with value: Double) -> SIMD3<Double> {
        var v = self
        v[index] = value
        return v
    }
}

/// +1 or −1 with equal probability.
private func rademacher(_ rng: inout RNG) -> Double { rng.next() & 1 == 0 ? -1 : 1 }
