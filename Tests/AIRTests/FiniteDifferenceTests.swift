import XCTest
import Random
import Scenes
@testable import AIR

final class FiniteDifferenceTests: XCTestCase {
    let renderer = BlobRenderer()
    let sigma = 0.1
    let size = 32

    var camera: Camera {
        var c = Camera()
        c.width = size
        c.height = size
        return c
    }

    /// The scene whose gradient is estimated; the second object has albedo channels at 0 and 1.
    let objects = [
        SceneObject(shape: .cube, color: Color(rgb: [0.8, 0.3, 0.2]), position: [-0.8, 0.4], rotation: 20),
        SceneObject(shape: .brick, color: Color(rgb: [0.0, 0.6, 1.0]), position: [0.7, -0.5], rotation: -35),
    ]

    /// The observed image: a nearby scene, so the gradient is far from zero.
    var observed: Image {
        let truth = [
            SceneObject(shape: .cube, color: Color(rgb: [0.7, 0.4, 0.2]), position: [-0.65, 0.3], rotation: 35),
            SceneObject(shape: .brick, color: Color(rgb: [0.1, 0.5, 0.9]), position: [0.8, -0.35], rotation: -20),
        ]
        return Image(width: size, height: size, pixels: renderer.imageDouble(truth, width: size, height: size).map { Float($0) })
    }

    /// f in Double on the smooth stand-in.
    func f(_ objects: [SceneObject], _ observed: Image) -> Double {
        let img = renderer.imageDouble(objects, width: size, height: size)
        var s = 0.0
        for i in 0..<img.count {
            let d = Double(observed.pixels[i]) - img[i]
            s += d * d
        }
        return -s / (2 * sigma * sigma)
    }

    /// Central difference in Double of f along coordinate `coord` (0 x, 1 y, 2 rotation, 3... rgb) of object k.
    func reference(_ k: Int, _ coord: Int, step: Double, _ observed: Image) -> Double {
        func moved(_ s: Double) -> [SceneObject] {
            var o = objects
            switch coord {
            case 0: o[k].position.x += s
            case 1: o[k].position.y += s
            case 2: o[k].rotation += s
            default: o[k].color.rgb[coord - 3] += s
            }
            return o
        }
        return (f(moved(step), observed) - f(moved(-step), observed)) / (2 * step)
    }

    /// The true gradient (a tiny-step Double difference on the C² stand-in) of every coordinate.
    func trueGradient(_ observed: Image) -> [[Double]] {
        objects.indices.map { k in (0..<6).map { reference(k, $0, step: 1e-5, observed) } }
    }

    func estimator(_ steps: FiniteDifferenceSteps = FiniteDifferenceSteps()) -> FiniteDifferenceEstimator<GaussianLikelihood> {
        FiniteDifferenceEstimator(likelihood: GaussianLikelihood(sigma: sigma), steps: steps)
    }

    func session() throws -> any RenderSession {
        try renderer.session(base: Scene(camera: camera, objects: objects), samplesPerPixel: 1)
    }

    private func vector(_ g: PoseGradient) -> [Double] { [g.x, g.y, g.rotation] }

    // MARK: Likelihood

    func testGaussianLogLikelihoodByHand() {
        let l = GaussianLikelihood(sigma: 0.5)
        let x = Image(width: 1, height: 1, pixels: [0, 0, 0])
        let r = Image(width: 1, height: 1, pixels: [0.25, 0.5, -0.75])
        let expected = -(0.0625 + 0.25 + 0.5625) / (2 * 0.25) - 3 * (log(0.5) + 0.5 * log(2 * Double.pi))
        XCTAssertEqual(l.logLikelihood(observed: x, rendered: r), expected, accuracy: 1e-12)
    }

    func testRegionDeltaEqualsFullImageDifference() throws {
        let s = try session()
        let obs = observed
        let l = GaussianLikelihood(sigma: sigma)
        var moved = objects[1]
        moved.position += [0.3, 0.2]
        moved.rotation += 15
        var image = s.baseImage
        let region = try s.renderMoved(index: 1, to: moved, into: &image)
        XCTAssertLessThan((region.x1 - region.x0) * (region.y1 - region.y0), size * size / 2, "the stand-in should be incremental")
        // The session's contract, checked against a full render of the moved scene.
        var scene = Scene(camera: camera, objects: objects)
        scene.objects[1] = moved
        XCTAssertEqual(image, try renderer.render(scene, samplesPerPixel: 1))

        let full = l.logLikelihood(observed: obs, rendered: image) - l.logLikelihood(observed: obs, rendered: s.baseImage)
        let delta = l.logLikelihoodDelta(observed: obs, base: s.baseImage, changed: image, region: region)
        XCTAssertNotEqual(full, 0)
        XCTAssertEqual(delta, full, accuracy: 1e-9 * abs(full))
        // A region reaching past the image is clipped.
        let wide = PixelRegion(x0: -5, y0: -5, x1: size + 5, y1: size + 5)
        XCTAssertEqual(l.logLikelihoodDelta(observed: obs, base: s.baseImage, changed: image, region: wide), full, accuracy: 1e-9 * abs(full))
        // The protocol's fallback computes the same.
        struct FullOnly: ImageLikelihood {
            let inner: GaussianLikelihood
            func logLikelihood(observed: Image, rendered: Image) -> Double { inner.logLikelihood(observed: observed, rendered: rendered) }
        }
        let fallback = FullOnly(inner: l).logLikelihoodDelta(observed: obs, base: s.baseImage, changed: image, region: region)
        XCTAssertEqual(fallback, full, accuracy: 1e-12 * abs(full))
        XCTAssertEqual(l.logLikelihoodDelta(observed: obs, base: s.baseImage, changed: image,
                                            region: PixelRegion(x0: 3, y0: 3, x1: 3, y1: 9)), 0)
    }

    // MARK: Central differences

    func testCentralDifferencesMatchDoubleDifferenceWithTheSameStep() throws {
        let obs = observed
        let steps = FiniteDifferenceSteps(position: 0.05, rotation: 3)
        let g = try estimator(steps).centralPoseGradients(session: session(), objects: objects, observed: obs)
        XCTAssertEqual(g.count, 2)
        for k in 0..<2 {
            let est = vector(g[k])
            for c in 0..<3 {
                let ref = reference(k, c, step: c == 2 ? 3 : 0.05, obs)
                // Only Float rounding of the rendered pixels separates the two.
                XCTAssertEqual(est[c], ref, accuracy: 1e-3 * abs(ref) + 0.05, "object \(k) coordinate \(c)")
            }
        }
    }

    func testCentralDifferencesApproximateTheTrueGradient() throws {
        let obs = observed
        let truth = trueGradient(obs)
        let g = try estimator().centralPoseGradients(session: session(), objects: objects, observed: obs)
        for k in 0..<2 {
            let est = vector(g[k])
            for c in 0..<3 {
                XCTAssertGreaterThan(abs(truth[k][c]), 0.1, "the test needs a non-trivial gradient")
                // O(h²) truncation: half a pixel against bumps several pixels wide.
                XCTAssertEqual(est[c], truth[k][c], accuracy: 0.05 * abs(truth[k][c]), "object \(k) coordinate \(c)")
            }
        }
    }

    func testCentralDifferencesCostSixRendersPerObjectAndAnySessionWorks() throws {
        let obs = observed
        let counting = CountingSession(try session())
        let incremental = try estimator().centralPoseGradients(session: counting, objects: objects, observed: obs)
        XCTAssertEqual(counting.renders, 6 * objects.count)
        // The whole-image fallback session gives the same estimate.
        let fullSession = try FullRenderSession(renderer: renderer, base: Scene(camera: camera, objects: objects), samplesPerPixel: 1)
        let full = try estimator().centralPoseGradients(session: fullSession, objects: objects, observed: obs)
        for k in 0..<2 {
            for c in 0..<3 { XCTAssertEqual(vector(incremental[k])[c], vector(full[k])[c], accuracy: 1e-9 * abs(vector(full[k])[c])) }
        }
    }

    func testStepSizesAreConfigurable() throws {
        let obs = observed
        let g = try estimator(FiniteDifferenceSteps(position: 0.2, rotation: 10)).centralPoseGradients(session: session(), objects: objects, observed: obs)
        XCTAssertEqual(g[0].x, reference(0, 0, step: 0.2, obs), accuracy: 1e-3 * abs(g[0].x) + 0.05)
        XCTAssertEqual(g[1].rotation, reference(1, 2, step: 10, obs), accuracy: 1e-3 * abs(g[1].rotation) + 0.05)
    }

    // MARK: SPSA

    /// E over Δ of the SPSA estimate, exactly: the mean over the 8 sign patterns (Double).
    func spsaExpectation(_ k: Int, _ obs: Image, hp: Double, hr: Double) -> [Double] {
        var sum = [0.0, 0.0, 0.0]
        for pattern in 0..<8 {
            let d = [(pattern & 1) == 0 ? -1.0 : 1, (pattern & 2) == 0 ? -1.0 : 1, (pattern & 4) == 0 ? -1.0 : 1]
            let h = [hp * d[0], hp * d[1], hr * d[2]]
            var plus = objects, minus = objects
            plus[k].position += [h[0], h[1]]; plus[k].rotation += h[2]
            minus[k].position -= [h[0], h[1]]; minus[k].rotation -= h[2]
            let diff = f(plus, obs) - f(minus, obs)
            for c in 0..<3 { sum[c] += diff / (2 * h[c]) / 8 }
        }
        return sum
    }

    func testSPSAIsUnbiasedWithinStatisticalBounds() throws {
        let obs = observed
        let s = try session()
        let est = estimator()
        var rng = RNG(seed: 2024)
        let draws = 400
        var samples = [[[Double]]](repeating: [], count: 2)
        for _ in 0..<draws {
            let g = try est.spsaPoseGradients(session: s, objects: objects, observed: obs, rng: &rng)
            for k in 0..<2 { samples[k].append(vector(g[k])) }
        }
        for k in 0..<2 {
            let expectation = spsaExpectation(k, obs, hp: 0.05, hr: 3)
            for c in 0..<3 {
                let xs = samples[k].map { $0[c] }
                let mean = xs.reduce(0, +) / Double(draws)
                let sd = (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws - 1)).squareRoot()
                // Unbiased for its own expectation (which only Float rounding separates from the
                // Double one): the sample mean lies within 4.5 standard errors.
                XCTAssertEqual(mean, expectation[c], accuracy: 4.5 * sd / Double(draws).squareRoot() + 1e-3 * abs(expectation[c]),
                               "object \(k) coordinate \(c)")
            }
        }
    }

    func testSPSAExpectationIsTheGradientToSecondOrder() {
        // SPSA's bias comes from third derivatives crossing coordinates (a steep y slope leaks into
        // x through f_xyy h²/2): small against the object's gradient norm, and quartered when the
        // steps are halved.
        let obs = observed
        let truth = trueGradient(obs)
        for k in 0..<2 {
            let norm = truth[k][0..<3].map { $0 * $0 }.reduce(0, +).squareRoot()
            let full = spsaExpectation(k, obs, hp: 0.05, hr: 3)
            let half = spsaExpectation(k, obs, hp: 0.025, hr: 1.5)
            for c in 0..<3 {
                let e1 = abs(full[c] - truth[k][c]), e2 = abs(half[c] - truth[k][c])
                XCTAssertLessThan(e1, 0.03 * norm, "object \(k) coordinate \(c)")
                if e1 > 1e-3 * norm {
                    XCTAssertEqual(e2 / e1, 0.25, accuracy: 0.1, "object \(k) coordinate \(c): not O(h²)")
                }
            }
        }
    }

    func testSPSACostAveragingAndDeterminism() throws {
        let obs = observed
        let est = estimator()
        let counting = CountingSession(try session())
        var rng = RNG(seed: 5)
        _ = try est.spsaPoseGradients(session: counting, objects: objects, observed: obs, perturbations: 3, rng: &rng)
        XCTAssertEqual(counting.renders, 2 * 3 * objects.count)

        var a = RNG(seed: 9), b = RNG(seed: 9)
        XCTAssertEqual(try est.spsaPoseGradients(session: session(), objects: objects, observed: obs, perturbations: 2, rng: &a),
                       try est.spsaPoseGradients(session: session(), objects: objects, observed: obs, perturbations: 2, rng: &b))

        // Averaging 8 perturbations shrinks the spread by about √8.
        func spread(_ perturbations: Int, seed: UInt64) throws -> Double {
            var rng = RNG(seed: seed)
            let s = try session()
            let xs = try (0..<120).map { _ in
                try est.spsaPoseGradients(session: s, objects: objects, observed: obs, perturbations: perturbations, rng: &rng)[0].x
            }
            let mean = xs.reduce(0, +) / Double(xs.count)
            return (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count - 1)).squareRoot()
        }
        let ratio = try spread(1, seed: 11) / spread(8, seed: 12)
        XCTAssertGreaterThan(ratio, 8.0.squareRoot() / 1.6)
        XCTAssertLessThan(ratio, 8.0.squareRoot() * 1.6)
    }

    // MARK: Colour

    func testColourFiniteDifferencesMatchExactAlbedoGradient() throws {
        let obs = observed
        let s = try session()
        let fd = try estimator().colorGradients(session: s, objects: objects, observed: obs)
        let l = GaussianLikelihood(sigma: sigma)
        let exact = l.albedoGradient(observed: obs, rendered: s.baseImage,
                                     shading: renderer.shading(objects, width: size, height: size), objectCount: objects.count)
        let truth = trueGradient(obs)
        for k in 0..<2 {
            for c in 0..<3 {
                XCTAssertGreaterThan(abs(truth[k][3 + c]), 1, "the test needs a non-trivial gradient")
                // Linear in the albedo: both agree with the true gradient up to Float rounding,
                // including channels at 0 and 1 where the stencil is one-sided.
                XCTAssertEqual(exact[k][c], truth[k][3 + c], accuracy: 1e-4 * abs(truth[k][3 + c]) + 1e-2, "object \(k) channel \(c)")
                XCTAssertEqual(fd[k][c], truth[k][3 + c], accuracy: 1e-3 * abs(truth[k][3 + c]) + 0.05, "object \(k) channel \(c)")
            }
        }
    }

    func testColourStencilStaysInsideTheUnitInterval() throws {
        final class Recording: RenderSession {
            let inner: any RenderSession
            var colors: [SIMD3<Double>] = []
            init(_ inner: any RenderSession) { self.inner = inner }
            var baseImage: Image { inner.baseImage }
            func renderMoved(index: Int, to object: SceneObject, into image: inout Image) throws -> PixelRegion {
                colors.append(object.color.rgb)
                return try inner.renderMoved(index: index, to: object, into: &image)
            }
        }
        let recording = Recording(try session())
        _ = try estimator().colorGradients(session: recording, objects: objects, observed: observed)
        XCTAssertEqual(recording.colors.count, 12)
        XCTAssertTrue(recording.colors.allSatisfy { all(($0 .>= SIMD3(repeating: 0)) .& ($0 .<= SIMD3(repeating: 1))) })
    }
}
