import AIR
import ArgumentParser
import Dispatch
import Foundation
import Scenes

/// The bundled model (`BundledModel.locate`'s order), or its relative path when none is found
/// (for the benchmarks' defaults; opening it then fails naming it).
var defaultModelPath: String { (try? BundledModel.locate()) ?? BundledModel.relativePath }

struct Infer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read scenes from images: count, shape, colour, position and rotation of every block.",
        discussion: """
        Prints one JSON line per image (the scene format of SCENE-SPEC, each object with \
        "color_name" and "confidence"), with the light read from the image: to stdout, or to \
        --json FILE. A folder argument stands for the PNG files in it, in name order. Images of \
        the model's aspect ratio are area-resampled to its size. "confidence.present" is the \
        calibrated probability that the object is real; a block the network was in doubt about \
        (its "network_presence" below 0.5) is reported only when that probability is at least \
        0.5. --refine improves each reading by a render-and-compare search and reports the \
        log-likelihood before and after and the moves accepted.
        """
    )

    @OptionGroup var reading: ReadingFlags

    @Argument(help: "PNG images or folders of them.")
    var inputs: [String]

    @Option(help: "Write the JSON lines to this file (atomically) instead of stdout.")
    var json: String?

    @Option(help: "Write overlay PNGs (input | reconstruction, glimpses boxed) into this folder.")
    var overlay: String?

    func run() throws {
        try SceneCommandExit.run {
            let paths = try imagePaths(inputs)
            guard !paths.isEmpty else { throw ValidationError("no PNG images in \(inputs.joined(separator: " "))") }
            let overlays = overlay.map { dir in paths.map { overlayPath(dir, $0) } } ?? []
            try FileIO.checkOutputs((json.map { [$0] } ?? []) + overlays, inputs: paths + [reading.modelPath()])
            let reader = try reading.reader()
            let network = reader.network
            let images = try fitImages(try paths.map { try PNG.readImage($0) }, names: paths, config: network.config)
            let readings = try reader.read(images, batchSize: reading.batchSize)
            let scenes = readings.map(\.inferred)
            let lines = zip(paths, readings).map { JSONWriter.compact(InferenceJSON.json($1, image: $0)) }
            let text = lines.joined(separator: "\n") + "\n"
            if let json { try FileIO.writeAtomically(json, text: text) } else { print(text, terminator: "") }
            if let overlay {
                try FileIO.makeDirectories(overlay)
                for (k, s) in scenes.enumerated() {
                    let recon = try reader.inferrer.renderer.render(readings[k].scene, samplesPerPixel: network.config.samplesPerPixel)
                    let picture = Overlay.draw(input: images[k], reconstruction: recon, inferred: s)
                    try FileIO.writeAtomically(overlays[k], PNG.encode(picture))
                }
            }
        }
    }
}

/// The overlay of `image`: the same file name in `folder`.
func overlayPath(_ folder: String, _ image: String) -> String {
    folder + "/" + (image as NSString).lastPathComponent
}

/// PNG paths from arguments: files as given, folders expanded to their .png files in name order.
func imagePaths(_ inputs: [String]) throws -> [String] {
    var out: [String] = []
    for input in inputs {
        guard FileIO.exists(input) else { throw IOError(path: input, message: "no such file or folder") }
        if FileIO.isDirectory(input) {
            let names = try FileIO.list(input).filter { $0.lowercased().hasSuffix(".png") }.sorted()
            out += names.map { input + "/" + $0 }
        } else {
            out.append(input)
        }
    }
    return out
}
