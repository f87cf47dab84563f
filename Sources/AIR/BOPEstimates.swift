#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Files
import Scenes

/// One estimate of BOP's results format: its full 6D pose in the world (for MSSD and MSPD) and
/// the nearest pose resting on the table (for matching, the position and rotation scores and
/// VSD's rendering).
public struct BOPEstimate: Sendable {
    public var object: SceneObject
    public var pose: PoseErrors.Pose
}

/// Estimates in BOP's results format (CSV: scene_id,im_id,obj_id,score,R,t,time; R row-major
/// model-to-camera, t in mm of the BOP model's origin, the centre of its bounding box; one row
/// per estimated object), read as our scenes: im_id is the dataset's scene index, obj_id the
/// shape's order + 1, and each pose is taken to the world through the scene's camera. The
/// table reading is the pose's equivalent under the shape's symmetries whose up axis is nearest
/// the table's normal, with the yaw about that normal and the position of its base's centre.
/// The colour, which BOP does not estimate, is set to mid grey.
public enum BOPEstimates {
    public static func read(_ path: String, dataset: Dataset, count: Int) throws -> [[SceneObject]] {
        try readPoses(path, dataset: dataset, count: count).map { $0.map(\.object) }
    }

    public static func readPoses(_ path: String, dataset: Dataset, count: Int) throws -> [[BOPEstimate]] {
        var out = [[BOPEstimate]](repeating: [], count: count)
        let text = try FileIO.readText(path)
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
            if line.isEmpty || (n == 0 && line.hasPrefix("scene_id")) { continue }
            func fail(_ field: String, _ message: String) -> InputError { InputError(file: path, line: n + 1, field: field, message: message) }
            let cols = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cols.count >= 6 else { throw fail("", "expected scene_id,im_id,obj_id,score,R,t,time; found \(cols.count) columns") }
            guard let im = Int(cols[1]), im >= 0 else { throw fail("im_id", "not an image index: \(Echo.quoted(cols[1]))") }
            guard im < count else { continue }   // beyond --limit
            guard let obj = Int(cols[2]), let shape = Shape(rawValue: obj - 1) else { throw fail("obj_id", "expected 1...5 (cube, brick, cylinder, wedge, pyramid), found \(Echo.quoted(cols[2]))") }
            let r = cols[4].split(separator: " ").compactMap { Double($0) }
            let t = cols[5].split(separator: " ").compactMap { Double($0) }
            guard r.count == 9, r.allSatisfy({ $0.isFinite }) else { throw fail("R", "expected 9 numbers separated by spaces") }
            guard t.count == 3, t.allSatisfy({ $0.isFinite }) else { throw fail("t", "expected 3 numbers separated by spaces") }
            let cam = BOPExport.camera(dataset.entries[im].scene.camera)
            // The BOP model's origin in the world: R_w2cᵀ (t − t_w2c); model-to-world: R_w2cᵀ R_m2c.
            var world = SIMD3<Double>(0, 0, 0)
            for j in 0..<3 { for i in 0..<3 { world[j] += cam.r[3 * i + j] * (t[i] - cam.t[i]) } }
            var m = [Double](repeating: 0, count: 9)
            for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { m[3 * i + j] += cam.r[3 * k + i] * r[3 * k + j] } } }
            // Our mesh point x is the BOP model point x − o: world = m (x − o) + origin.
            let o = BOPExport.modelOrigin(shape) * BOPExport.millimetresPerUnit
            let pose = PoseErrors.Pose(shape: shape, r: m, t: world - PoseErrors.apply(m, o))
            out[im].append(BOPEstimate(object: tableReading(pose), pose: pose))
        }
        return out
    }

    /// The pose's equivalent under the shape's symmetries (pose ∘ S) standing most nearly
    /// upright, read as an object on the table: yaw of its x axis about z, position of its origin.
    static func tableReading(_ pose: PoseErrors.Pose) -> SceneObject {
        let mm = BOPExport.millimetresPerUnit
        var best = (r: pose.r, t: pose.t)
        for s in ShapeMeshes.discreteSymmetries(pose.shape) {
            let r = PoseErrors.multiply(pose.r, s.rotation)
            if r[8] > best.r[8] + 1e-12 { best = (r, PoseErrors.apply(pose.r, s.translation * mm) + pose.t) }
        }
        let yaw = atan2(best.r[3], best.r[0]) * 180 / .pi
        return SceneObject(shape: pose.shape, color: Color(rgb: SIMD3(0.5, 0.5, 0.5)),
                           position: SIMD2(best.t.x, best.t.y) / mm, rotation: yaw)
    }
}
