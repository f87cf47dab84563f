import Collective
import Engine
import Random

/// Data-parallel training: the ranks of a job split every batch, each computes the gradient of
/// its share of the batch's loss, the shares' gradients are summed, and every rank ends the
/// step with the same parameters (each updates a chunk of them, below). What makes N ranks
/// train as one process with the same batch:
/// - scene i of step s, and every random number its example draws, depend on (seed, s, i)
///   alone (`exampleStreams`), not on which rank holds it;
/// - every loss is divided by the whole batch's size, so the shares' gradients add up to the
///   batch's;
/// - the sums are done in rank order over consecutive shares (`BatchShare`), so they are the
///   same on every rank and in every repetition.
public struct BatchShare: Equatable, Sendable {
    /// The whole batch's size (what every loss is divided by).
    public let total: Int
    /// This rank's examples, consecutive, as the single process orders them.
    public let range: Range<Int>

    public init(batch: Int, rank: Int, ranks: Int) {
        precondition(ranks >= 1 && (0..<ranks).contains(rank), "rank \(rank) of \(ranks)")
        total = batch
        range = (batch * rank / ranks)..<(batch * (rank + 1) / ranks)
    }

    public var count: Int { range.count }
}

/// The random streams of examples `examples` of step `step`, one each, from the run's `root`.
func exampleStreams(root: RNG, step: Int, examples: Range<Int>) -> [RNG] {
    let stepStream = root.split(UInt64(step))
    return examples.map { stepStream.split(UInt64($0)) }
}

// The optimiser step is sharded (ZeRO's first stage): rank c needs only chunk c of the summed
// gradient (`Collective.chunk`, over the parameters laid end to end), clips it by the whole
// gradient's norm and updates chunk c of the parameters and of Adam's moments; the ranks then
// share the updated chunks. The traffic is an all-reduce's, while the update and the clipping,
// which pass over every parameter and cost as much as a few images, are divided among the ranks.

/// Per parameter, the elements of this rank's chunk of the parameters laid end to end.
func chunkRanges(_ parameters: [Tensor], over collective: any Collective) -> [Range<Int>] {
    let n = parameters.reduce(0) { $0 + $1.count }
    let mine = collective.chunk(collective.rank, of: n)
    var offset = 0
    return parameters.map { p in
        defer { offset += p.count }
        let lo = max(mine.lowerBound, offset), hi = min(mine.upperBound, offset + p.count)
        return lo < hi ? (lo - offset)..<(hi - offset) : 0..<0
    }
}

/// Sums the gradients over the ranks, in rank order, in place: this rank's chunk of the block's
/// gradients becomes the sum's (the rest of it is left as it was).
func reduceGradientChunks(_ block: ParameterBlock, over collective: any Collective) throws {
    let g = block.gradientPointer()
    try collective.reduceScatterSum(g, count: block.count, into: g + collective.chunk(collective.rank, of: block.count).lowerBound)
}

/// `clipGradientNorm` of a sharded step: the norm of the whole summed gradient (the ranks'
/// sums of squares added in rank order), this rank's chunk scaled to at most `maxNorm`.
func clipGradientChunks(_ parameters: [Tensor], ranges: [Range<Int>], maxNorm: Float, over collective: any Collective) throws -> Float {
    var squares = 0.0
    for (p, r) in zip(parameters, ranges) {
        guard let g = p.currentGrad else { continue }
        squares += sumOfSquares(g, r)
    }
    let norm = Float(try collective.sumInRankOrder([squares])[0].squareRoot())
    if norm > maxNorm && norm > 0 {
        let s = maxNorm / norm
        for (p, r) in zip(parameters, ranges) {
            guard let g = p.currentGrad else { continue }
            scaleInPlace(g, r, by: s)
        }
    }
    return norm
}

/// Every rank's updated chunk of the parameters to every rank, in place.
func shareParameterChunks(_ block: ParameterBlock, over collective: any Collective) throws {
    try collective.allGatherChunks(inPlace: block.valuePointer, count: block.count)
}

/// A fingerprint of everything a step depends on: parameters, optimiser moments and step,
/// the random streams' root and the learning-signal statistics. Ranks that disagree on it
/// would train apart.
func stateFingerprint(_ trainer: Trainer) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    func mix(_ v: UInt64) { h = (h ^ v) &* 0x0000_0100_0000_01B3 }
    func mix(_ values: [Float]) { for v in values { mix(UInt64(v.bitPattern)) } }
    for (_, t) in trainer.learner.namedParameters() { mix(t.values) }
    for key in trainer.optimizer.state.keys.sorted() { mix(trainer.optimizer.state[key]!) }
    mix(UInt64(trainer.optimizer.stepCount))
    mix(UInt64(trainer.step))
    mix(trainer.rng.state)
    for n in [trainer.elbo.signalNormalizer, trainer.elbo.advantageNormalizer] {
        mix(n.mean.bitPattern); mix(n.variance.bitPattern); mix(UInt64(n.updates))
    }
    return h
}

extension Trainer {
    /// Brings Adam's moments up to date on every rank: each rank updates its own chunk of them
    /// alone, so before rank 0 writes a checkpoint every rank calls this.
    public func gatherOptimizerState() throws {
        guard collective.size > 1 else { return }
        let named = optimizer.groups.flatMap(\.parameters)
        let ranges = chunkRanges(named.map(\.tensor), over: collective)
        let n = named.reduce(0) { $0 + $1.tensor.count }
        for moment in ["m.", "v."] {
            var mine: [Float] = []
            for ((name, _), r) in zip(named, ranges) where !r.isEmpty { mine += optimizer.state[moment + name]![r] }
            let all = try collective.allGatherChunks(mine, count: n)
            var at = 0
            for (name, t) in named {
                optimizer.state[moment + name] = Array(all[at..<(at + t.count)])
                at += t.count
            }
        }
    }

    /// Throws on every rank (so none waits for the others) unless all ranks hold rank 0's
    /// state: after a start, a resume or a fine-tuning start, before the first step.
    public func checkRanksAgree() throws {
        guard collective.size > 1 else { return }
        let mine = Double(bitPattern: stateFingerprint(self))
        let all = try collective.allGather([mine]).map { $0[0].bitPattern }
        if let other = all.firstIndex(where: { $0 != all[0] }) {
            throw TrainingError.unsupported(
                "rank \(other) holds another training state than rank 0 (step \(step)); every rank must read the same files")
        }
    }
}

extension SignalNormalizer {
    /// `normalizeThenUpdate` of the whole batch's values, every rank's in rank order (so every
    /// rank folds in the same statistics); returns this rank's values normalised.
    mutating func normalizeThenUpdate(_ values: [Double], over collective: any Collective) throws -> [Double] {
        guard collective.size > 1 else { return normalizeThenUpdate(values) }
        let parts = try collective.allGather(values)
        let offset = parts[..<collective.rank].reduce(0) { $0 + $1.count }
        let all = normalizeThenUpdate(parts.flatMap { $0 })
        return Array(all[offset..<(offset + values.count)])
    }
}
