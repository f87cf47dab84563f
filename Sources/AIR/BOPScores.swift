import Scenes

/// One true object's BOP errors against the estimate matched to it (infinite MSSD/MSPD and
/// VSD 1 when none was, or when it is another shape: BOP scores per object model).
public struct BOPObjectScore: Sendable {
    public var image: Int
    public var object: Int
    public var shape: Shape
    public var trueCount: Int
    /// Visible pixels / the object's pixels when alone.
    public var visibleFraction: Double
    public var mssd: Double
    public var mspd: Double
    /// One per `BOPScores.vsdTauFractions`.
    public var vsd: [Double]
    /// The image width, for MSPD's thresholds.
    public var width: Int
}

/// Average recalls of BOP (the BOP Challenge 2019– definitions).
public struct BOPRecall: Codable, Equatable, Sendable {
    public var objects: Int
    public var arMSSD: Double
    public var arMSPD: Double
    public var arVSD: Double
    /// The mean of the three.
    public var ar: Double

    public init(objects: Int, arMSSD: Double, arMSPD: Double, arVSD: Double, ar: Double) {
        (self.objects, self.arMSSD, self.arMSPD, self.arVSD, self.ar) = (objects, arMSSD, arMSPD, arVSD, ar)
    }

    enum CodingKeys: String, CodingKey {
        case objects
        case arMSSD = "ar_mssd"
        case arMSPD = "ar_mspd"
        case arVSD = "ar_vsd"
        case ar
    }
}

public struct BOPReport: Codable, Equatable, Sendable {
    public var overall: BOPRecall
    public var perShape: [String: BOPRecall]
    public var perTrueCount: [String: BOPRecall]
    /// Keyed by visible-fraction bin: "0.0-0.1", "0.1-0.5", "0.5-0.9", "0.9-1.0".
    public var perVisibleFraction: [String: BOPRecall]

    public init(overall: BOPRecall, perShape: [String: BOPRecall], perTrueCount: [String: BOPRecall], perVisibleFraction: [String: BOPRecall]) {
        (self.overall, self.perShape, self.perTrueCount, self.perVisibleFraction) = (overall, perShape, perTrueCount, perVisibleFraction)
    }

    enum CodingKeys: String, CodingKey {
        case overall
        case perShape = "per_shape"
        case perTrueCount = "per_true_count"
        case perVisibleFraction = "per_visible_fraction"
    }
}

/// Accumulates BOP errors over a data set: true objects matched to estimates by the same
/// Hungarian matching on position as `Evaluation`.
public struct BOPScores {
    /// τ for VSD and the correctness thresholds θ of MSSD (× diameter) and VSD: 0.05 … 0.5.
    public static let fractions = (1...10).map { Double($0) * 0.05 }
    public private(set) var rows: [BOPObjectScore] = []
    let renderer = Rasterizer(threads: 1)

    public init() {}

    /// `poses`: the estimates' full 6D poses (BOP results), one per `predicted`, for MSSD and
    /// MSPD; `predicted` alone (poses resting on the table) otherwise.
    public mutating func add(image: Int, truth: Scene, predicted: [SceneObject], poses: [PoseErrors.Pose]? = nil) throws {
        let score = ImageScore(truth: truth.objects, predicted: predicted)
        let g = try renderer.geometry(truth)
        for (k, t) in truth.objects.enumerated() {
            var alone = truth
            alone.objects = [t]
            let all = try renderer.geometry(alone).mask.filter { $0 == 1 }.count
            let visible = g.mask.filter { Int($0) == k + 1 }.count
            let taus = Self.fractions.map { $0 * PoseErrors.diameter(t.shape) }
            var row = BOPObjectScore(image: image, object: k, shape: t.shape, trueCount: truth.objects.count,
                                     visibleFraction: all > 0 ? Double(visible) / Double(all) : 0,
                                     mssd: .infinity, mspd: .infinity, vsd: taus.map { _ in 1 }, width: truth.camera.width)
            if let pair = score.pairs.first(where: { $0.trueIndex == k }) {
                let e = predicted[pair.predictedIndex]
                let pose = poses?[pair.predictedIndex] ?? PoseErrors.Pose(e)
                row.mssd = PoseErrors.mssd(estimate: pose, truth: t)
                row.mspd = PoseErrors.mspd(estimate: pose, truth: t, camera: truth.camera)
                row.vsd = try PoseErrors.vsd(estimate: e, truth: t, scene: truth, sceneDepth: g.depth, taus: taus, renderer: renderer)
            }
            rows.append(row)
        }
    }

    public static func recall(_ rows: [BOPObjectScore]) -> BOPRecall {
        guard !rows.isEmpty else { return BOPRecall(objects: 0, arMSSD: 0, arMSPD: 0, arVSD: 0, ar: 0) }
        let n = Double(rows.count)
        func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
        let mssd = mean(fractions.map { f in Double(rows.filter { $0.mssd < f * PoseErrors.diameter($0.shape) }.count) / n })
        let mspd = mean((1...10).map { k in Double(rows.filter { $0.mspd < Double(5 * k) * Double($0.width) / 640 }.count) / n })
        let vsd = mean(fractions.indices.flatMap { tau in fractions.map { theta in Double(rows.filter { $0.vsd[tau] < theta }.count) / n } })
        return BOPRecall(objects: rows.count, arMSSD: mssd, arMSPD: mspd, arVSD: vsd, ar: (mssd + mspd + vsd) / 3)
    }

    public func report() -> BOPReport {
        func group<K: Hashable>(_ key: (BOPObjectScore) -> K, name: (K) -> String) -> [String: BOPRecall] {
            Dictionary(grouping: rows, by: key).reduce(into: [:]) { $0[name($1.key)] = Self.recall($1.value) }
        }
        return BOPReport(overall: Self.recall(rows), perShape: group({ $0.shape }, name: { $0.name }),
                         perTrueCount: group({ $0.trueCount }, name: { String($0) }),
                         perVisibleFraction: group({ r in r.visibleFraction < 0.1 ? 0 : r.visibleFraction < 0.5 ? 1 : r.visibleFraction < 0.9 ? 2 : 3 },
                                                   name: { ["0.0-0.1", "0.1-0.5", "0.5-0.9", "0.9-1.0"][$0] }))
    }

    /// One CSV line per true object.
    public var csv: String {
        var out = "image,object,shape,true_count,visible_fraction,mssd_mm,mspd_px,vsd_mean\n"
        for r in rows {
            let vsd = r.vsd.reduce(0, +) / Double(r.vsd.count)
            out += "\(r.image),\(r.object),\(r.shape.name),\(r.trueCount),\(fmt(r.visibleFraction)),\(fmt(r.mssd)),\(fmt(r.mspd)),\(fmt(vsd))\n"
        }
        return out
    }

    func fmt(_ v: Double) -> String { v.isFinite ? JSONWriter.number((v * 10000).rounded() / 10000) : "inf" }
}
