#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Scenes

/// BOP's pose-error functions (Hodaň et al. 2018, 2020) for our five shapes, with their exact
/// symmetry groups: MSSD (maximum symmetry-aware surface distance, mm), MSPD (the same in
/// pixels, projected) and VSD (visible surface discrepancy, from exact depth). Millimetres
/// as in the BOP export (1 scene unit = 100 mm).
public enum PoseErrors {
    static let mm = BOPExport.millimetresPerUnit

    /// The model's vertices in mm (object frame).
    static func vertices(_ shape: Shape) -> [SIMD3<Double>] { ShapeMeshes.mesh(shape).vertices.map { $0 * mm } }

    /// The symmetry transforms x ↦ R x + t (mm), identity first; the cylinder's continuous
    /// symmetry about its axis sampled every degree (as BOP discretises continuous ones).
    static func symmetries(_ shape: Shape) -> [(r: [Double], t: SIMD3<Double>)] {
        var out: [(r: [Double], t: SIMD3<Double>)] = [([1, 0, 0, 0, 1, 0, 0, 0, 1], .zero)]
        let discrete = ShapeMeshes.discreteSymmetries(shape).map { (r: $0.rotation, t: $0.translation * mm) }
        out += discrete
        if shape == .cylinder {
            // Every turn about z, composed with each flip (and with the identity).
            let flips = out.filter { $0.r[8] == -1 }
            out = []
            for d in 0..<360 {
                let a = Double(d) * .pi / 180, c = cos(a), s = sin(a)
                let turn: [Double] = [c, -s, 0, s, c, 0, 0, 0, 1]
                out.append((turn, .zero))
                for f in flips { out.append((multiply(turn, f.r), apply(turn, f.t))) }
            }
        }
        return out
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var m = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { m[3 * i + j] += a[3 * i + k] * b[3 * k + j] } } }
        return m
    }

    static func apply(_ r: [Double], _ v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(r[0] * v.x + r[1] * v.y + r[2] * v.z, r[3] * v.x + r[4] * v.y + r[5] * v.z, r[6] * v.x + r[7] * v.y + r[8] * v.z)
    }

    /// A rigid pose of a shape's mesh in the world (any 6D pose, not only one resting on the
    /// table): x ↦ r x + t, r row-major, t in mm, x a vertex of `ShapeMeshes.mesh` in mm.
    public struct Pose: Equatable, Sendable {
        public var shape: Shape
        public var r: [Double]
        public var t: SIMD3<Double>

        public init(shape: Shape, r: [Double], t: SIMD3<Double>) { (self.shape, self.r, self.t) = (shape, r, t) }

        /// The pose of an object resting on the table: yaw about z, then its position.
        public init(_ o: SceneObject) {
            let a = o.rotation * .pi / 180, c = cos(a), s = sin(a)
            self.init(shape: o.shape, r: [c, -s, 0, s, c, 0, 0, 0, 1], t: SIMD3(o.position.x * PoseErrors.mm, o.position.y * PoseErrors.mm, 0))
        }

        func place(_ v: SIMD3<Double>) -> SIMD3<Double> { PoseErrors.apply(r, v) + t }
    }

    /// The object's pose in the world (mm): yaw about z, then the position on the table.
    static func place(_ o: SceneObject, _ v: SIMD3<Double>) -> SIMD3<Double> { Pose(o).place(v) }

    /// min over the true shape's symmetries S of max over its vertices x of the distance
    /// between the estimate's x and the truth's S x (a function `distance` of two world points).
    static func symmetricMax(estimate e: Pose, truth t: SceneObject, _ distance: (SIMD3<Double>, SIMD3<Double>) -> Double) -> Double {
        let v = vertices(t.shape)
        let truth = Pose(t)
        var best = Double.infinity
        for s in symmetries(t.shape) {
            var worst = 0.0
            for x in v {
                worst = max(worst, distance(e.place(x), truth.place(apply(s.r, x) + s.t)))
                if worst >= best { break }
            }
            best = min(best, worst)
        }
        return best
    }

    /// MSSD in mm; infinite when the estimate's shape is not the truth's (another model).
    public static func mssd(estimate e: SceneObject, truth t: SceneObject) -> Double { mssd(estimate: Pose(e), truth: t) }

    /// MSSD in mm of an estimate in any 6D pose.
    public static func mssd(estimate e: Pose, truth t: SceneObject) -> Double {
        guard e.shape == t.shape else { return .infinity }
        return symmetricMax(estimate: e, truth: t) { a, b in ((a - b) * (a - b)).sum().squareRoot() }
    }

    /// MSPD in pixels of `camera`; infinite for another shape or a point behind the camera.
    public static func mspd(estimate e: SceneObject, truth t: SceneObject, camera: Camera) -> Double {
        mspd(estimate: Pose(e), truth: t, camera: camera)
    }

    /// MSPD in pixels of an estimate in any 6D pose.
    public static func mspd(estimate e: Pose, truth t: SceneObject, camera: Camera) -> Double {
        guard e.shape == t.shape else { return .infinity }
        return symmetricMax(estimate: e, truth: t) { a, b in
            guard let pa = camera.project(a / mm), let pb = camera.project(b / mm) else { return .infinity }
            return ((pa - pb) * (pa - pb)).sum().squareRoot()
        }
    }

    /// VSD (BOP 2019 visibility, on distance images as the toolkit's `pose_error.vsd`) for each
    /// τ (mm), with δ = 15 mm: `sceneDepth` is the true
    /// scene's depth map (scene units, 0 = nothing). 1 for another shape.
    public static func vsd(estimate e: SceneObject, truth t: SceneObject, scene: Scene, sceneDepth: [Float],
                           taus: [Double], renderer: Rasterizer, delta: Double = 15) throws -> [Double] {
        guard e.shape == t.shape else { return taus.map { _ in 1 } }
        var alone = scene
        alone.objects = [t]
        let gt = try renderer.geometry(alone)
        alone.objects = [e]
        let est = try renderer.geometry(alone)
        // As the toolkit, on distance images (the distance from the camera centre, not the depth
        // along the view axis): which pixels of each object alone are visible in the scene (its
        // surface not behind the scene's by more than δ); the estimate is also visible wherever
        // the truth is.
        let k = BOPExport.camera(scene.camera).k, width = scene.camera.width
        var union = 0
        var both: [(Double, Double)] = []
        for p in sceneDepth.indices {
            let u = (Double(p % width) - k[2]) / k[0], v = (Double(p / width) - k[5]) / k[4]
            let ray = (1 + u * u + v * v).squareRoot() * mm
            let di = Double(sceneDepth[p]) * ray, dg = Double(gt.depth[p]) * ray, de = Double(est.depth[p]) * ray
            let visGT = gt.mask[p] == 1 && (di == 0 || dg - di <= delta)
            let visEst = est.mask[p] == 1 && (di == 0 || de - di <= delta || visGT)
            if visGT || visEst { union += 1 }
            if visGT && visEst { both.append((dg, de)) }
        }
        guard union > 0 else { return taus.map { _ in 1 } }
        return taus.map { tau in 1 - Double(both.filter { abs($0.0 - $0.1) < tau }.count) / Double(union) }
    }

    /// The model's diameter (mm).
    public static func diameter(_ shape: Shape) -> Double {
        let v = vertices(shape)
        var d = 0.0
        for a in v { for b in v { d = max(d, ((a - b) * (a - b)).sum().squareRoot()) } }
        return d
    }
}
