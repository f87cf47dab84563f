import Scenes

/// A scene taught along the network's own readings instead of the truth (`BatchBuilder.ownReadings`).
///
/// Teacher forcing shows every step a canvas of true objects, so the network never sees the
/// residual its own mistakes leave: a reading in the gap between two blocks, or a copy of a block
/// already read, leaves a residual the next step reads again — the runs of copies that end most
/// failed crowded scenes. Here the canvas of step i renders what the network itself read at
/// steps 0 ..< i, and step i is taught the nearest true object none of those readings explains
/// (or to stop when none is left). A reading explains the nearest unexplained true object within
/// `matchDistance`; a copy or a phantom explains nothing, so the step after it is taught the same
/// object again — and a step after the last true object is taught to stop.
public struct OwnRun: Equatable, Sendable {
    /// Before each step that exists, the true objects left to find, in canonical order; the step
    /// whose list is empty is taught to stop, and is the last.
    public var remaining: [[SceneObject]]
    /// What each present step put on the canvas and fed to the next step: the network's reading,
    /// or, after the network stopped too early, the next true object.
    public var fed: [SceneObject]

    /// The run of `readings` (the network's, in the order it read them) over `truth` (canonical
    /// order), at most `maxSteps` steps.
    public static func along(readings: [SceneObject], truth: [SceneObject], maxSteps: Int, matchDistance: Double) -> OwnRun {
        var left = truth
        var run = OwnRun(remaining: [], fed: [])
        for i in 0..<maxSteps {
            run.remaining.append(left)
            if left.isEmpty { break }
            guard i < readings.count else {
                run.fed.append(left.removeFirst())
                continue
            }
            let r = readings[i]
            run.fed.append(r)
            let distances = left.map { o -> Double in
                let d = o.position - r.position
                return (d * d).sum().squareRoot()
            }
            if let j = distances.indices.min(by: { distances[$0] < distances[$1] }), distances[j] <= matchDistance {
                left.remove(at: j)
            }
        }
        return run
    }
}

extension TrainingBatch {
    /// Before step `i` of example `k`, the objects left to find (canonical order; empty: the
    /// step is taught to stop). `i` may be −1 (nothing found yet).
    func left(_ k: Int, _ i: Int) -> ArraySlice<SceneObject> {
        if let run = runs.isEmpty ? nil : runs[k] {
            let step = max(i, 0)
            return step < run.remaining.count ? run.remaining[step][...] : []
        }
        return objects[k].dropFirst(max(i, 0))
    }

    /// Example `k`'s observed image.
    func observedImage(_ k: Int, config: ModelConfig) -> Image {
        let pixels = config.width * config.height * 3
        return Image(width: config.width, height: config.height, pixels: Array(observed[k * pixels..<(k + 1) * pixels]))
    }

    /// Whether example `k` reaches step `i` (every earlier step said "present").
    func reaches(_ k: Int, _ i: Int) -> Bool { i == 0 || !left(k, i - 1).isEmpty }

    /// The object step `i` of example `k` puts on the canvas of step i + 1 (and feeds to it).
    func fed(_ k: Int, _ i: Int) -> SceneObject {
        if let run = runs.isEmpty ? nil : runs[k] { return run.fed[i] }
        return objects[k][i]
    }
}
