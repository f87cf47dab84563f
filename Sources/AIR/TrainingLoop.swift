import Dispatch
import Foundation
import Scenes

/// The loop `air train` and `air adapt` share: steps the trainer, logs a metrics line every
/// `logEvery` steps (with held-out monitoring every `evalEvery`), checkpoints the run by time
/// (`CheckpointCadence`), and stops when asked, with a checkpoint, so that `--resume` continues
/// bit for bit.
public struct TrainingLoop {
    public let trainer: Trainer
    public let run: TrainingRun
    public let source: TrainingSourceDescription
    /// Seconds between checkpoints.
    public let checkpointSeconds: Double
    /// Called before each step with the number of steps this loop has run (tests simulate kills).
    public var beforeStep: (Int) -> Void = { _ in }
    /// Polled between steps (Ctrl-C).
    public var shouldStop: () -> Bool = { false }
    /// Called after every step with its metrics and the latest held-out report (if labelled).
    public var progress: (TrainingMetrics, EvaluationReport?) -> Void = { _, _ in }
    /// Called with every metrics line as it is logged.
    public var logLine: (String) -> Void = { _ in }

    public init(trainer: Trainer, run: TrainingRun, source: TrainingSourceDescription, checkpointSeconds: Double = 300) {
        self.trainer = trainer
        self.run = run
        self.source = source
        self.checkpointSeconds = checkpointSeconds
    }

    public enum Outcome {
        case finished(last: TrainingMetrics?)
        case interrupted
    }

    /// Trains to the last step, or until `shouldStop`, or for at most `stopAfter` steps.
    /// Data-parallel, every rank runs this loop; rank 0 alone evaluates and writes the run's
    /// files, and its `shouldStop` and checkpoint cadence rule every rank (which gather the
    /// optimiser's state for each checkpoint).
    public func train(stopAfter: Int? = nil) throws -> Outcome {
        let options = trainer.options
        let collective = trainer.collective, root = collective.isRoot
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        var pending: [String] = []
        var last: TrainingMetrics?
        var lastEval: EvaluationReport?
        let firstStep = trainer.step
        var stopped = false
        func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        /// Rank 0's decision, on every rank.
        func rankZeroSays(_ decision: Bool) throws -> Bool {
            collective.size > 1 ? try collective.broadcast(decision ? 1 : 0) == 1 : decision
        }
        var cadence = CheckpointCadence(interval: checkpointSeconds, start: seconds())
        // Wall time across sessions: a resumed run goes on from its last logged line.
        let started = seconds() - run.loggedSeconds()
        while trainer.step < options.steps {
            let stopNow = shouldStop() || stopAfter.map({ trainer.step - firstStep >= $0 }) == true
            if try rankZeroSays(stopNow) { stopped = true; break }
            beforeStep(trainer.step - firstStep)
            var m = try trainer.trainStep()
            let s = trainer.step
            let logged = s % options.logEvery == 0 || s == options.steps
            if logged && root {
                if s % options.evalEvery == 0 || s == options.steps {
                    if trainer.heldOutIsLabelled {
                        let r = try trainer.evaluateHeldOut()
                        m.heldOutCountAccuracy = r.overall.countAccuracy
                        m.heldOutPositionErrorMedian = r.overall.positionErrorMedian
                        m.heldOutShapeAccuracy = r.overall.shapeAccuracy
                        m.heldOutYawErrorMedian = r.overall.rotationErrorMedianDeg
                        lastEval = r
                    } else {
                        let u = try trainer.evaluateUnlabelled()
                        m.heldOutReconstructionMSE = u.reconstructionMSE
                        m.heldOutMeanCount = u.meanCount
                        m.heldOutElbo = u.elbo
                    }
                }
                m.elapsedSeconds = (seconds() - started).rounded(toPlaces: 1)
                let line = String(decoding: try encoder.encode(m), as: UTF8.self)
                pending.append(line)
                logLine(line)
            }
            if try rankZeroSays(root && cadence.isDue(logged: logged, now: seconds()) && s < options.steps) {
                try trainer.gatherOptimizerState()
                if root {
                    try run.appendMetrics(pending)
                    pending = []
                    try run.save(trainer, source: source)
                    cadence.saved(at: seconds(), logged: logged)
                }
            }
            last = m
            progress(m, lastEval)
        }
        try trainer.gatherOptimizerState()
        if root {
            try run.appendMetrics(pending)
            try run.save(trainer, source: source)
        }
        return stopped ? .interrupted : .finished(last: last)
    }
}

extension Double {
    func rounded(toPlaces digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (self * scale).rounded() / scale
    }
}
