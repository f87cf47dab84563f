import AIR
import ArgumentParser
import Files
import Foundation
import JSON
import Scenes

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read images for another program: JSON lines in on stdin, readings out on stdout, one model load.",
        discussion: """
        Prints {"ready": true, "model": M, "width": W, "height": H} once the model is loaded, \
        then answers each input line with one output line, flushed:

          in:  {"images": [{"path": "a.png"}, {"width": W, "height": H, "rgb8": "<hex of H*W*3 bytes>"}]}
          out: {"readings": [<one air infer line per image>]}   or   {"error": "..."}

        Each request is read as one batch. A bad request answers with an error and the process \
        goes on; it ends at the end of stdin. The Python package's air.Model drives it.
        """
    )

    @OptionGroup var reading: ReadingFlags

    func run() throws {
        try SceneCommandExit.run {
            let reader = try reading.reader()
            let cfg = reader.network.config
            respond(.obj([("ready", .bool(true)), ("model", .str(try reading.modelPath())),
                          ("width", .int(cfg.width)), ("height", .int(cfg.height))]))
            var lineNumber = 0
            while let line = readLine(strippingNewline: true) {
                lineNumber += 1
                if line.allSatisfy(\.isWhitespace) { continue }
                do {
                    let (images, names) = try request(line, lineNumber: lineNumber, config: cfg)
                    let readings = try reader.read(images, batchSize: reading.batchSize)
                    respond(.obj([("readings", .arr(zip(names, readings).map { InferenceJSON.json($1, image: $0) }))]))
                } catch {
                    respond(.obj([("error", .str("\(error)"))]))
                }
            }
        }
    }

    func respond(_ v: JSONValue) {
        print(JSONWriter.compact(v))
        fflush(stdout)
    }

    /// The images of one request line, at the model's size.
    func request(_ line: String, lineNumber: Int, config: ModelConfig) throws -> ([Image], [String?]) {
        let r = JSONFieldReader(file: "stdin")
        let v = try r.parse(line, firstLine: lineNumber)
        _ = try r.object(v, "", allowed: ["images"])
        var images: [Image] = [], names: [String?] = []
        for (k, item) in try r.array(r.required(v, "", "images"), "images").enumerated() {
            let path = "images[\(k)]"
            _ = try r.object(item, path, allowed: ["path", "width", "height", "rgb8"])
            if let p = item["path"] {
                let file = try r.string(p, path + ".path")
                let (image, _) = try SceneReader.fit(try PNG.readImage(file), name: file, config: config)
                images.append(image)
                names.append(file)
                continue
            }
            let w = try r.integer(r.required(item, path, "width"), path + ".width", in: 1...Camera.maxSide)
            let h = try r.integer(r.required(item, path, "height"), path + ".height", in: 1...Camera.maxSide)
            let hex = try r.string(r.required(item, path, "rgb8"), path + ".rgb8")
            guard hex.utf8.count == w * h * 6 else {
                throw r.error(item, path + ".rgb8", "expected \(w * h * 3) bytes (\(w * h * 6) hex digits) for \(w)x\(h), found \(hex.utf8.count) digits")
            }
            var pixels = [Float](repeating: 0, count: w * h * 3)
            var i = 0, high: UInt8 = 0
            for (n, c) in hex.utf8.enumerated() {
                let d: UInt8
                switch c {
                case 48...57: d = c - 48
                case 97...102: d = c - 87
                case 65...70: d = c - 55
                default: throw r.error(item, path + ".rgb8", "not a hex digit at position \(n)")
                }
                if n % 2 == 0 { high = d } else { pixels[i] = Float(high * 16 + d) / 255; i += 1 }
            }
            let (image, _) = try SceneReader.fit(Image(width: w, height: h, pixels: pixels), name: path, config: config)
            images.append(image)
            names.append(nil)
        }
        return (images, names)
    }
}
