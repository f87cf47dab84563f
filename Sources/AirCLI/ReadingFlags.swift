import AIR
import ArgumentParser
import Foundation
import Scenes

/// The flags of every command that reads images with a model.
struct ReadingFlags: ParsableArguments {
    @Option(help: "Model file (default: the bundled model: $AIR_MODEL, else models/default.safetensors in the working directory or above the air executable).")
    var model: String?

    @Flag(help: "Refine the network's reading by render-and-compare search under the likelihood.")
    var refine = false

    @Option(parsing: .unconditional, help: "With --refine: at most this many renders per image.")
    var maxRenders: Int = RefinementOptions().maxRenders

    @Option(parsing: .unconditional, help: "Without --refine: where the network stopped but the image still shows a block, look for it by render-and-compare, with at most this many renders per image (0: read with the network alone).")
    var lookAgain: Int = 400

    @Option(parsing: .unconditional, help: "Images per batch.")
    var batchSize: Int = Inferrer.defaultBatchSize

    @Option(parsing: .unconditional, help: "Report only objects at least this confident (calibrated models; default 0: all).")
    var minConfidence: Double = 0

    @Option(parsing: .unconditional, help: "Glimpses taken again where the network says the object lies off their centre, at most this many times a step (0: one glimpse a step, faster, less accurate).")
    var recentring: Int = 4

    @Option(parsing: .unconditional, help: "With --recentring: look again where the network says the object lies farther than this from the glimpse's centre (scene units).")
    var recentreDistance: Double = 0.05

    @Flag(inversion: .prefixedNo, help: "Keep a reading only when rendering it brings the canvas closer to the image; a step whose reading does not looks once more where the most is left unexplained.")
    var checkReadings = true

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be >= 1") }
        if !(0...16).contains(recentring) { throw ValidationError("--recentring must be in 0...16") }
        if !(recentreDistance > 0 && recentreDistance <= 1) { throw ValidationError("--recentre-distance must be in (0, 1], got \(recentreDistance)") }
        if maxRenders < 1 { throw ValidationError("--max-renders must be >= 1") }
        if lookAgain < 0 { throw ValidationError("--look-again must be >= 0") }
        if !(0...1).contains(minConfidence) { throw ValidationError("--min-confidence must be in [0, 1]") }
    }

    func modelPath() throws -> String { try model ?? BundledModel.locate() }

    func reader() throws -> SceneReader {
        let (network, _) = try ModelFile.load(modelPath())
        var options = RefinementOptions()
        options.maxRenders = maxRenders
        let reader = try SceneReader(network: network, refine: refine, refinement: options)
        reader.minimumConfidence = minConfidence
        if lookAgain > 0 { reader.lookAgainRenders = lookAgain }
        reader.inferrer.recentring = recentring
        reader.inferrer.recentreDistance = recentreDistance
        reader.inferrer.checksReadings = checkReadings
        return reader
    }
}

/// Brings images to the model's size, saying once on stderr when any was resampled.
func fitImages(_ images: [Image], names: [String], config: ModelConfig) throws -> [Image] {
    var resized = 0
    let out = try zip(images, names).map { image, name -> Image in
        let (fitted, didResize) = try SceneReader.fit(image, name: name, config: config)
        if didResize { resized += 1 }
        return fitted
    }
    if resized > 0 {
        FileHandle.standardError.write(Data("note: \(resized) of \(images.count) images area-resampled to the model's \(config.width)x\(config.height)\n".utf8))
    }
    return out
}
