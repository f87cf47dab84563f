import ArgumentParser
import Files
import Scenes
#if canImport(Glibc)
import Glibc
#endif

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a dataset in a standard format (COCO instances, or the BOP layout).",
        discussion: """
        air export DATASET --format coco --out FILE.json
        air export DATASET --format bop --out FOLDER

        BOP: models/ (PLY meshes in mm, models_info.json with the exact symmetries) and one scene         folder 000000/ with scene_camera.json, scene_gt.json, scene_gt_info.json, rgb/, depth/,         mask/ and mask_visib/; 1 scene unit = 100 mm, depth PNG units 0.1 mm (depth_scale 0.1).

        COCO: images, the five shapes as categories, one annotation per visible object with its \
        visible mask as compact RLE, bbox [x, y, w, h], area and iscrowd 0, plus the scene's latents \
        under "air" keys. Streams the dataset (constant memory); written atomically.

        Exit codes: 0 success, 1 bad input, 2 I/O failure.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case coco, bop }

    @Argument(help: "A dataset folder (air generate).")
    var dataset: String

    @Option(help: "Output format: coco or bop.")
    var format: Format = .coco

    @Option(help: "The file (coco) or folder (bop) to write.")
    var out: String

    @Option(help: "Worker threads for --format bop (default: one per core); the output does not depend on it.")
    var threads: Int?

    @Flag(help: "No progress bar.")
    var quiet = false

    func run() throws {
        try SceneCommandExit.run {
            if format == .bop { return try runBOP() }
            let export = try COCOExport(folder: dataset)
            try FileIO.checkOutputs([out], inputs: [dataset + "/" + DatasetLayout.meta, dataset + "/" + DatasetLayout.scenes])
            let bar = ProgressBar(total: export.header.count, enabled: !quiet)
            let written = try export.write(to: out) { bar.update($0) }
            bar.finish()
            if !quiet { fputs("wrote \(written.images) images and \(written.annotations) annotations to \(out)\n", stderr) }
        }
    }

    func runBOP() throws {
        let export = try BOPExport(folder: dataset)
        if try FileIO.exists(out) && !(FileIO.isDirectory(out) && FileIO.list(out).isEmpty) {
            throw ValidationError("\(out) exists and is not an empty folder; give a new folder for the BOP layout")
        }
        let bar = ProgressBar(total: export.header.count, enabled: !quiet)
        let written = try export.write(to: out, threads: threads ?? defaultThreads()) { bar.update($0) }
        bar.finish()
        if !quiet { fputs("wrote \(written.images) images and \(written.objects) object poses to \(out)\n", stderr) }
    }
}
