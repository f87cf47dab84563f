import Scenes

/// `CameraFit` repeated, each round reading the images under the camera the last one fitted.
///
/// A round's search and centring start from readings made under the camera the network has.
/// Under a camera far from it (the field of view 4° off and the view turned 8°:
/// `scenes/shifts/camera-miscalibrated-4.json`) those readings are poor (positions 0.32 units
/// off, shapes 75 %), and one round goes only part of the way: its camera projected the table
/// area 1.5 pixels from where the true one does; a second round, reading under that camera,
/// brought it to 0.15.
public struct CameraFitRounds {
    /// What one round did.
    public struct Round: Sendable {
        public let camera: Camera
        /// The centring after the search: shift along the table, turn (radians), objects read.
        public let shift: SIMD2<Double>
        public let turn: Double
        public let objects: Int
        /// The dolly after the centring (`CameraFit.outlineDolly`; 1: none).
        public let dolly: Double
        /// How far the round moved the projection of the table area (`projectionShift`), pixels.
        public let moved: Double
    }

    /// At most this many rounds; a round that moves no point of the table area by more than
    /// `tolerance` pixels is the last.
    public var maxRounds = 3
    public var tolerance = 0.5
    /// Images whose refined readings drive each round's search (the rest only centre).
    public var searchImages = 384
    /// Renders per image of the search's pose re-fits (`CameraFit.polishRenders`).
    public var polishRenders = CameraFit.defaultPolishRenders

    public init() {}

    /// Fits `network`'s camera to `images` and sets it; returns the rounds made.
    public func fit(_ network: GuideNetwork, images: [Image], progress: (Round) -> Void = { _ in }) throws -> [Round] {
        var rounds: [Round] = []
        let sample = Array(images.prefix(searchImages))
        for _ in 0..<maxRounds {
            let before = network.config.camera
            let amortized = try SceneReader(network: network, refine: false).read(images).map(\.scene)
            let refined = try SceneReader(network: network, refine: true).read(sample).map(\.scene)
            var fit = CameraFit(config: network.config)
            fit.polishRenders = polishRenders
            let camera = try fit.fit(images: sample, scenes: refined,
                                     centring: zip(images, amortized).map { (image: $0, scene: $1) })
            network.setCamera(camera)
            let round = Round(camera: camera, shift: fit.lastCentring.shift, turn: fit.lastCentring.turn,
                              objects: fit.lastCentring.objects, dolly: fit.lastDolly,
                              moved: Self.projectionShift(before, camera, halfWidth: network.config.tableHalfWidth))
            rounds.append(round)
            progress(round)
            if round.moved <= tolerance { break }
        }
        return rounds
    }

    /// The largest distance (pixels) between where `a` and `b` project the points of the table
    /// area: a 13 × 13 grid over the square of half-width `halfWidth` at heights 0, 0.5 and 1
    /// (`scripts/projection_error.py`'s points). Infinity when either camera loses a point.
    public static func projectionShift(_ a: Camera, _ b: Camera, halfWidth: Double) -> Double {
        var worst = 0.0
        for z in [0.0, 0.5, 1.0] {
            for i in 0..<13 {
                for j in 0..<13 {
                    let p = SIMD3(-halfWidth + 2 * halfWidth * Double(i) / 12, -halfWidth + 2 * halfWidth * Double(j) / 12, z)
                    guard let pa = a.project(p), let pb = b.project(p) else { return .infinity }
                    let d = pa - pb
                    worst = max(worst, (d * d).sum().squareRoot())
                }
            }
        }
        return worst
    }
}
