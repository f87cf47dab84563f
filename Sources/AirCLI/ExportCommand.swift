import ArgumentParser
import Files
import Scenes
#if canImport(Glibc)
import Glibc
#endif

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a dataset in a standard format (COCO instances).",
        discussion: """
        air export DATASET --format coco --out FILE.json

        COCO: images, the five shapes as categories, one annotation per visible object with its \
        visible mask as compact RLE, bbox [x, y, w, h], area and iscrowd 0, plus the scene's latents \
        under "air" keys. Streams the dataset (constant memory); written atomically.

        Exit codes: 0 success, 1 bad input, 2 I/O failure.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case coco }

    @Argument(help: "A dataset folder (air generate).")
    var dataset: String

    @Option(help: "Output format: coco.")
    var format: Format = .coco

    @Option(help: "The file to write.")
    var out: String

    @Flag(help: "No progress bar.")
    var quiet = false

    func run() throws {
        try SceneCommandExit.run {
            let export = try COCOExport(folder: dataset)
            try FileIO.checkOutputs([out], inputs: [dataset + "/" + DatasetLayout.meta, dataset + "/" + DatasetLayout.scenes])
            let bar = ProgressBar(total: export.header.count, enabled: !quiet)
            let written = try export.write(to: out) { bar.update($0) }
            bar.finish()
            if !quiet { fputs("wrote \(written.images) images and \(written.annotations) annotations to \(out)\n", stderr) }
        }
    }
}
