import Collective
import Engine
import Random

/// Data-parallel training: the ranks of a job split every batch, each computes the gradient of
/// its share of the batch's loss, the shares' gradients are summed, and every rank takes the
/// same optimiser step. What makes N ranks train as one process with the same batch:
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

/// Sums every parameter's gradient over the ranks (in place), in one all-reduce through
/// `flat` (kept by the caller, so that the megabytes are not allocated again every step).
func allReduceGradients(_ parameters: [Tensor], over collective: any Collective, through flat: inout [Float]) throws {
    guard collective.size > 1 else { return }
    let grads = parameters.compactMap { p in p.currentGrad.map { (p.count, $0) } }
    flat.removeAll(keepingCapacity: true)
    for (count, g) in grads { flat.append(contentsOf: UnsafeBufferPointer(start: g, count: count)) }
    try collective.allReduceSum(&flat)
    var at = 0
    for (count, g) in grads {
        flat.withUnsafeBufferPointer { g.update(from: $0.baseAddress! + at, count: count) }
        at += count
    }
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
