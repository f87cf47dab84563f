import ArgumentParser
import Scenes
#if canImport(Glibc)
import Glibc
#endif

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a scene JSON file to a PNG (and its instance mask), or a stream of scenes from stdin.",
        discussion: """
        One scene: air render SCENE.json -o out.png [--mask mask.png] [--size 128x128] [--spp 16]

        Streaming: air render --stdin -o DIR [--masks] (or SCENE = "-") reads one scene JSON \
        per line from stdin. Line k (1-based) is written to DIR/NNNNNN.png with NNNNNN = k - 1 \
        (masks to DIR/masks/NNNNNN.png), and one JSON line per input line is printed to stdout \
        and flushed, so a driver in any language can write a line and read the answer:

          {"line": k, "image": "DIR/000000.png"}   or   {"line": k, "error": "..."}

        Blank lines are skipped. A bad line writes no file and the stream continues (exit code \
        1 at the end), unless --stop-on-error. Files are written atomically.

        Exit codes: 0 success, 1 bad input, 2 I/O failure.
        """
    )

    @Argument(help: "The scene JSON file, or - for a stream of scenes on stdin.")
    var scene: String?

    @Flag(help: "Read one scene JSON per line from stdin (same as SCENE = -).")
    var stdin = false

    @Option(name: .shortAndLong, help: "Output PNG (one scene) or folder (streaming).")
    var output: String

    @Option(help: "Also write the instance mask to this PNG (one scene).")
    var mask: String?

    @Flag(help: "Streaming: also write masks to DIR/masks/.")
    var masks = false

    @Option(help: "Image size WxH; wins over the scene's camera.")
    var size: ImageSize?

    @Option(parsing: .unconditional, help: "Samples per pixel: 1, 4, 9 or 16.")
    var spp: Int = 4

    @Flag(help: "Streaming: stop at the first bad line.")
    var stopOnError = false

    func validate() throws {
        if !stdin && scene == nil { throw ValidationError("give a SCENE.json file, or --stdin / - for a stream") }
        if stdin && scene != nil && scene != "-" { throw ValidationError("give either a SCENE file or --stdin, not both") }
        if ![1, 4, 9, 16].contains(spp) { throw ValidationError("--spp must be 1, 4, 9 or 16") }
        if streaming && mask != nil { throw ValidationError("--mask names one file; use --masks when streaming") }
        if mask == output { throw ValidationError("--mask and -o name the same file") }
    }

    var streaming: Bool { stdin || scene == "-" }

    func sized(_ s: Scene) -> Scene {
        var s = s
        if let size { s.camera.width = size.width; s.camera.height = size.height }
        return s
    }

    func run() throws {
        try SceneCommandExit.run {
            if streaming { try runStream() } else { try runOne() }
        }
    }

    func runOne() throws {
        let file = scene!
        try FileIO.checkOutputs([output] + (mask.map { [$0] } ?? []), inputs: [file])
        let s = sized(try SceneJSON.read(FileIO.readText(file), file: file))
        let r = Rasterizer()
        let (image, m) = try r.renderWithMask(s, samplesPerPixel: spp, image: true, mask: mask != nil)
        let png = try PNG.encode(image!)
        let maskPNG = try m.map { try PNG.encodeMask($0, width: s.camera.width, height: s.camera.height) }
        try FileIO.writeAtomically(output, png)
        if let mask, let maskPNG { try FileIO.writeAtomically(mask, maskPNG) }
    }

    func runStream() throws {
        try FileIO.makeDirectories(output)
        if masks { try FileIO.makeDirectories(output + "/masks") }
        let r = Rasterizer()
        var lineNumber = 0
        var failures = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            let name = DatasetLayout.name(lineNumber - 1)
            let imagePath = output + "/" + name
            do {
                let s = sized(try SceneJSON.read(line, file: "stdin", firstLine: lineNumber))
                let (image, m) = try r.renderWithMask(s, samplesPerPixel: spp, image: true, mask: masks)
                try FileIO.writeAtomically(imagePath, PNG.encode(image!))
                var answer: [(String, JSONValue)] = [("line", .int(lineNumber)), ("image", .str(imagePath))]
                if let m {
                    let maskPath = output + "/masks/" + name
                    try FileIO.writeAtomically(maskPath, PNG.encodeMask(m, width: s.camera.width, height: s.camera.height))
                    answer.append(("mask", .str(maskPath)))
                }
                print(JSONWriter.compact(.obj(answer)))
            } catch let e as IOError {
                print(JSONWriter.compact(.obj([("line", .int(lineNumber)), ("error", .str("\(e)"))])))
                fflush(stdout)
                throw e
            } catch {
                failures += 1
                SceneCommandExit.report("\(error)")
                print(JSONWriter.compact(.obj([("line", .int(lineNumber)), ("error", .str("\(error)"))])))
                if stopOnError { fflush(stdout); throw ExitCode(1) }
            }
            fflush(stdout)
        }
        if failures > 0 {
            SceneCommandExit.report("\(failures) of the input lines failed")
            throw ExitCode(1)
        }
    }
}
