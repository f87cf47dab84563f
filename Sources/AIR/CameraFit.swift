#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import Scenes

/// The camera that best explains a user's images, for a set-up whose camera is not exactly the
/// model's: maximises Σ_images J(x, z; camera), J = log p(x | z) + log p(z) as in refinement,
/// with each image's objects re-fitted (a short pose search) under every candidate camera, by a
/// coordinate search over the eye, the target, the field of view and a zoom-against-dolly move,
/// on shrinking steps.
///
/// A camera moved along the table plane is exactly an image of all objects moved the other way
/// (the table is an infinite plane, the light directional): the images alone cannot tell them
/// apart. The prior can: positions are uniform on the table area's square, centred on the
/// origin. The camera is first moved so that the mean position of every object read is the
/// origin (with 3,000 objects the mean's standard error is about 0.016 units, a fifth of a
/// pixel), then turned about the vertical and moved along the table so that the readings fill
/// the square, whose outline thousands of objects show to a few thousandths of a unit.
public struct CameraFit {
    public var config: ModelConfig
    /// Renders per image of the pose search that re-fits the objects under a candidate camera.
    public var polishRenders = CameraFit.defaultPolishRenders
    public static let defaultPolishRenders = 60
    /// What the last `fit` did after the search: the shift along the table and the turn (radians).
    public private(set) var lastCentring = (shift: SIMD2<Double>(0, 0), turn: 0.0, objects: 0)
    /// The dolly the last `fit` applied after the centring (1: none; `outlineDolly`).
    public private(set) var lastDolly = 1.0

    public init(config: ModelConfig) { self.config = config }

    /// The fitted camera. `images` and `scenes` (good readings under `config`'s camera, a few
    /// dozen) drive the search; `centring` (images with their readings, ideally thousands) fixes
    /// the position along the table.
    public mutating func fit(images: [Image], scenes: [Scene], centring: [(image: Image, scene: Scene)]) throws -> Camera {
        var options = RefinementOptions()
        options.maxRenders = polishRenders
        options.birthAndDeath = false
        options.lightMoves = false
        // Under the model's camera the readings of a turned or shifted set-up leave the table
        // area near its edges: the pose search may not keep them on it, or the outline that
        // tells the turn would be cut back to the model's own square.
        var wide = config
        wide.tableHalfWidth = config.tableHalfWidth * 1.3
        let refiner = Refiner(config: wide, options: options)
        var objects = scenes.map(\.objects)
        func score(_ camera: Camera) throws -> (total: Double, objects: [[SceneObject]]) {
            var total = 0.0, fitted: [[SceneObject]] = []
            for (k, image) in images.enumerated() {
                var s = scenes[k]
                s.camera = camera
                s.objects = objects[k]
                let (r, report) = try refiner.refine(image, start: s)
                total += report.logLikelihoodAfter
                fitted.append(r.objects)
            }
            return (total, fitted)
        }
        var camera = config.camera
        var best = try score(camera)
        objects = best.objects
        // Steps: the eye and the target in scene units, the field of view ten times that in degrees.
        for scale in [0.2, 0.1, 0.05, 0.025, 0.0125, 0.006, 0.003] {
            var improved = true, rounds = 0
            while improved && rounds < 8 {
                improved = false
                rounds += 1
                // 0–2 the eye, 3–5 the target, 6 the field of view, 7 the field of view with the
                // eye moved along the view axis to keep the target's scale (zoom against dolly,
                // which no single coordinate can try).
                for parameter in 0..<8 {
                    for sign in [1.0, -1.0] {
                        var c = camera
                        let d = sign * scale
                        switch parameter {
                        case 0..<3: c.eye[parameter] += d
                        case 3..<6: c.target[parameter - 3] += d
                        case 6: c.fovY += d * 10
                        default:
                            let oldScale = (c.eye - c.target).length * tan(c.fovY * .pi / 360)
                            c.fovY += d * 10
                            let distance = oldScale / tan(c.fovY * .pi / 360)
                            c.eye = c.target + (c.eye - c.target) / (c.eye - c.target).length * distance
                        }
                        guard c.fovY > 1, c.fovY < 170, c.eye.z > 0.1 else { continue }
                        let s = try score(c)
                        if s.total > best.total {
                            (camera, best, objects) = (c, s, s.objects)
                            improved = true
                            break
                        }
                    }
                }
            }
        }
        // The position along the table and the turn about the vertical: under a camera moved by
        // Δ along the table (turned by ψ) every object is read Δ the other way (turned by −ψ).
        // The prior's positions are uniform on the table area: their mean is the origin and
        // their outline the area's square.
        var read: [SceneObject] = []
        for (image, scene) in centring where !scene.objects.isEmpty {
            var s = scene
            s.camera = camera
            let (r, _) = try refiner.refine(image, start: s)
            read += r.objects
        }
        guard !read.isEmpty else { return camera }
        let mean = read.reduce(SIMD2<Double>(0, 0)) { $0 + $1.position } / Double(read.count)
        var p = read.map { $0.position - mean }
        var shift = -mean, turn = 0.0
        camera.eye -= SIMD3(mean.x, mean.y, 0)
        camera.target -= SIMD3(mean.x, mean.y, 0)
        // The mean is only as good as its standard error (0.016 units for 3,000 objects); the
        // square's edges, which thousands of objects outline, fix the turn and then the shift
        // far better. Twice, because a shift changes the best turn a little.
        func fitOutline() {
            for _ in 0..<2 {
                let psi = CameraFit.outlineTurn(p, halfWidth: config.tableHalfWidth)
                p = p.map { CameraFit.turned($0, by: psi) }
                camera.eye = CameraFit.turned(camera.eye, by: psi)
                camera.target = CameraFit.turned(camera.target, by: psi)
                shift = CameraFit.turned(shift, by: psi)
                turn += psi
                let s = CameraFit.outlineShift(p, halfWidth: config.tableHalfWidth)
                p = p.map { $0 - s }
                camera.eye -= SIMD3(s.x, s.y, 0)
                camera.target -= SIMD3(s.x, s.y, 0)
                shift -= s
            }
        }
        fitOutline()
        // The scale: an object's size in the image tells the eye's distance only weakly (a
        // 2 % error moves an edge by a fifth of a pixel), while the readings' outline tells
        // it to a few thousandths. Carried along their pixels' rays, the readings under a dolly
        // k fill the square best where the camera's distance is right; then the outline again.
        let heights = read.map { $0.shape.height / 2 }
        let k = CameraFit.outlineDolly(p, heights: heights, camera: camera, halfWidth: config.tableHalfWidth)
        let dollied = CameraFit.dollied(camera, by: k)
        if k != 1, let moved = CameraFit.alongRays(p, heights: heights, from: camera, to: dollied) {
            camera = dollied
            p = moved
            fitOutline()
        }
        lastCentring = (shift, turn, read.count)
        lastDolly = k
        return camera
    }

    /// `camera` with its eye moved along the view axis to k times its distance from the target.
    static func dollied(_ camera: Camera, by k: Double) -> Camera {
        var c = camera
        c.eye = c.target + (c.eye - c.target) * k
        return c
    }

    /// Positions (objects' centres at `heights` above the table) read under `from`, carried along
    /// the rays of the pixels they project to in `from` into where `to` sees those pixels at
    /// the same heights; nil if a point leaves either camera's view.
    static func alongRays(_ positions: [SIMD2<Double>], heights: [Double], from: Camera, to: Camera) -> [SIMD2<Double>]? {
        var out: [SIMD2<Double>] = []
        out.reserveCapacity(positions.count)
        for (p, z) in zip(positions, heights) {
            guard let u = from.project(SIMD3(p.x, p.y, z)) else { return nil }
            let d = to.ray(through: u)
            guard d.z < -1e-9 else { return nil }
            let q = to.eye + ((z - to.eye.z) / d.z) * d
            out.append(SIMD2(q.x, q.y))
        }
        return out
    }

    /// The dolly k (within ±6 %, to 0.0025) under which `positions`, read under `camera` and
    /// carried along their rays (`alongRays`), are the likeliest readings of objects filling the
    /// table area's square: on each axis the most likely edges by `edgeLogLikelihood` (the
    /// shift free within ±0.05, the reading noise any of `edgeSigmas`), plus the log of the
    /// carrying map's Jacobian at each reading — without it a camera that shrinks the readings
    /// well inside the square would always look best. With fewer than 200 positions it is 1.
    static func outlineDolly(_ positions: [SIMD2<Double>], heights: [Double], camera: Camera, halfWidth h: Double) -> Double {
        guard positions.count >= 200 else { return 1 }
        func axisBest(_ values: [Double]) -> Double {
            edgeSigmas.map { sigma in
                let ll = { (d: Double) in edgeLogLikelihood(values, shift: d, sigma: sigma, halfWidth: h) }
                let coarse = (-10...10).map { Double($0) * 0.005 }.max { ll($0) < ll($1) }!
                return (-5...5).map { ll(coarse + Double($0) * 0.001) }.max()!
            }.max()!
        }
        func logLikelihood(_ k: Double) -> Double? {
            let to = dollied(camera, by: k), e = 1e-4
            guard let q = alongRays(positions, heights: heights, from: camera, to: to),
                  let qx = alongRays(positions.map { $0 + SIMD2(e, 0) }, heights: heights, from: camera, to: to),
                  let qy = alongRays(positions.map { $0 + SIMD2(0, e) }, heights: heights, from: camera, to: to) else { return nil }
            var logJacobian = 0.0
            for i in q.indices {
                let a = (qx[i] - q[i]) / e, b = (qy[i] - q[i]) / e
                logJacobian += log(abs(a.x * b.y - a.y * b.x))
            }
            return axisBest(q.map(\.x)) + axisBest(q.map(\.y)) + logJacobian
        }
        func best(_ ks: [Double]) -> Double {
            ks.compactMap { k in logLikelihood(k).map { (k, $0) } }.max { $0.1 < $1.1 }?.0 ?? 1
        }
        let coarse = best((-6...6).map { 1 + Double($0) * 0.01 })
        return best((-4...4).map { coarse + Double($0) * 0.0025 })
    }

    /// The turn ψ (radians, within ±0.2, on a 0.001 grid) that best fits the turned positions
    /// into the table area's square: the most likely, with both axes' edges read as
    /// `edgeLogLikelihood` has them. In simulation (3,000 positions read with noise 0.015–0.03)
    /// it lands within 0.14–0.2° RMS, where the fewest positions outside the square gave
    /// 0.3–0.5°. With fewer than 200 positions it is 0.
    static func outlineTurn(_ positions: [SIMD2<Double>], halfWidth h: Double) -> Double {
        guard positions.count >= 200 else { return 0 }
        var top = (logLikelihood: -Double.infinity, psi: 0.0)
        for k in -200...200 {
            let psi = Double(k) * 0.001
            let turned = positions.map { CameraFit.turned($0, by: psi) }
            let xs = turned.map(\.x), ys = turned.map(\.y)
            let ll = edgeSigmas.map { edgeLogLikelihood(xs, shift: 0, sigma: $0, halfWidth: h)
                                        + edgeLogLikelihood(ys, shift: 0, sigma: $0, halfWidth: h) }.max()!
            if ll > top.logLikelihood { top = (ll, psi) }
        }
        return top.psi
    }

    /// The shift d (within ±0.1 on each axis, on a 0.0005 grid) that best fits `positions − d`
    /// into the table area's square: on each axis, the most likely by `edgeLogLikelihood`. The
    /// readings near the edges decide it: in simulation, with 3,000 positions read with noise
    /// 0.015, it lands within about 0.003, against the mean's 0.016 and the fewest-outside
    /// count's 0.005. With fewer than 200 positions it is 0.
    static func outlineShift(_ positions: [SIMD2<Double>], halfWidth h: Double) -> SIMD2<Double> {
        guard positions.count >= 200 else { return SIMD2(0, 0) }
        func best(_ values: [Double]) -> Double {
            var top = (logLikelihood: -Double.infinity, d: 0.0)
            for sigma in edgeSigmas {
                for k in -200...200 {
                    let d = Double(k) * 0.0005
                    let ll = edgeLogLikelihood(values, shift: d, sigma: sigma, halfWidth: h)
                    if ll > top.logLikelihood { top = (ll, d) }
                }
            }
            return top.d
        }
        return SIMD2(best(positions.map(\.x)), best(positions.map(\.y)))
    }

    /// The reading noises the edge fits try.
    static let edgeSigmas = [0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06]

    /// log-likelihood (up to a constant) of coordinates `values` drawn uniform on
    /// [d − h, d + h], read with Gaussian noise σ, and 0.5 % wild readings spread over 10 units.
    /// Far inside the density is flat: only readings within 8σ of an edge or outside count.
    static func edgeLogLikelihood(_ values: [Double], shift d: Double, sigma: Double, halfWidth h: Double) -> Double {
        func phi(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
        let inside = log(0.995 / (2 * h) + 0.005 / 10), wild = log(0.005 / 10)
        var ll = 0.0
        for x in values {
            let edge = abs(abs(x - d) - h)
            if edge < 8 * sigma {
                let p = (phi((x - d + h) / sigma) - phi((x - d - h) / sigma)) / (2 * h)
                ll += log(0.995 * p + 0.005 / 10) - inside
            } else if abs(x - d) > h {
                ll += wild - inside
            }
        }
        return ll
    }

    /// `p` turned by `psi` radians about the vertical through the origin.
    static func turned(_ p: SIMD2<Double>, by psi: Double) -> SIMD2<Double> {
        SIMD2(cos(psi) * p.x - sin(psi) * p.y, sin(psi) * p.x + cos(psi) * p.y)
    }

    static func turned(_ p: SIMD3<Double>, by psi: Double) -> SIMD3<Double> {
        let q = turned(SIMD2(p.x, p.y), by: psi)
        return SIMD3(q.x, q.y, p.z)
    }
}

extension SIMD3 where Scalar == Double {
    fileprivate var length: Double { (self * self).sum().squareRoot() }
}
