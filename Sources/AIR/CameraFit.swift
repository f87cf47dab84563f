import Scenes

/// The camera that best explains a user's images, for a set-up whose camera is not exactly the
/// model's: maximises Σ_images J(x, z; camera), J = log p(x | z) + log p(z) as in refinement,
/// with each image's objects re-fitted (a short pose search) under every candidate camera, by a
/// coordinate search over the eye, the target and the field of view, on shrinking steps.
///
/// A camera moved along the table plane is exactly an image of all objects moved the other way
/// (the table is an infinite plane, the light directional): the images alone cannot tell them
/// apart. The prior can: positions are uniform on the table area, centred on the origin, so the
/// camera is then moved so that the mean position of every object read is the origin (with
/// 3,000 objects the mean's standard error is about 0.016 units, a third of a pixel). A turn
/// about the vertical is, likewise, only told apart by the prior's square outline; it is not
/// fitted.
public struct CameraFit {
    public var config: ModelConfig
    /// Renders per image of the pose search that re-fits the objects under a candidate camera.
    public var polishRenders = 60

    public init(config: ModelConfig) { self.config = config }

    /// The fitted camera. `images` and `scenes` (good readings under `config`'s camera, a few
    /// dozen) drive the search; `centring` (images with their readings, ideally thousands) fixes
    /// the position along the table.
    public func fit(images: [Image], scenes: [Scene], centring: [(image: Image, scene: Scene)]) throws -> Camera {
        var options = RefinementOptions()
        options.maxRenders = polishRenders
        options.birthAndDeath = false
        options.lightMoves = false
        let refiner = Refiner(config: config, options: options)
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
        for scale in [0.2, 0.1, 0.05, 0.025, 0.0125] {
            var improved = true, rounds = 0
            while improved && rounds < 3 {
                improved = false
                rounds += 1
                for parameter in 0..<7 {
                    for sign in [1.0, -1.0] {
                        var c = camera
                        let d = sign * scale
                        switch parameter {
                        case 0..<3: c.eye[parameter] += d
                        case 3..<6: c.target[parameter - 3] += d
                        default: c.fovY += d * 10
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
        // The position along the table: under a camera off by Δ along the table every object
        // is read Δ the other way, so the readings' mean is −Δ where the prior's is 0.
        var sum = SIMD2<Double>(0, 0), count = 0
        for (image, scene) in centring where !scene.objects.isEmpty {
            var s = scene
            s.camera = camera
            let (r, _) = try refiner.refine(image, start: s)
            for o in r.objects { sum += o.position; count += 1 }
        }
        if count > 0 {
            let mean = sum / Double(count)
            camera.eye -= SIMD3(mean.x, mean.y, 0)
            camera.target -= SIMD3(mean.x, mean.y, 0)
        }
        return camera
    }
}
