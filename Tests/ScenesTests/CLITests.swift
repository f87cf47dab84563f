import XCTest
@testable import Scenes

/// Runs the built `air` binary (.build/debug/air next to the test bundle) as a subprocess.
final class CLITests: XCTestCase {
    var air: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/air").path
    }

    func run(_ args: [String], stdin: String = "", in directory: String? = nil, environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
        guard FileManager.default.isExecutableFile(atPath: air) else { throw XCTSkip("build the air binary first (swift build)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: air)
        p.arguments = args
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { p.environment = environment }
        let i = Pipe(), o = Pipe(), e = Pipe()
        p.standardInput = i; p.standardOutput = o; p.standardError = e
        try p.run()
        i.fileHandleForWriting.write(stdin.data(using: .utf8)!)
        try i.fileHandleForWriting.close()
        let out = o.fileHandleForReading.readDataToEndOfFile()
        let err = e.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    func testRenderAndExitCodes() throws {
        let dir = "/tmp/air-cli-tests-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.makeDirectories(dir)
        try FileIO.writeAtomically(dir + "/s.json", text: SceneJSONTests.example)
        var r = try run(["render", dir + "/s.json", "-o", dir + "/s.png", "--mask", dir + "/m.png", "--size", "20x10", "--spp", "1"])
        XCTAssertEqual(r.status, 0, r.err)
        let img = try PNG.decode(FileIO.read(dir + "/s.png"), channels: 3)
        XCTAssertEqual([img.width, img.height], [20, 10])
        XCTAssertEqual(Set(try PNG.readMask(dir + "/m.png").mask), [0, 1, 2])

        try FileIO.writeAtomically(dir + "/bad.json", text: "{\n\"objects\": [\n{\"shape\": \"cube\", \"color\": \"purple\", \"position\": [0, 0]}\n]}")
        r = try run(["render", dir + "/bad.json", "-o", dir + "/bad.png"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("bad.json:3: objects[0].color: unknown colour name \"purple\""), r.err)
        XCTAssertFalse(FileIO.exists(dir + "/bad.png"))

        r = try run(["render", dir + "/missing.json", "-o", dir + "/x.png"])
        XCTAssertEqual(r.status, 2, r.err)
        r = try run(["render", dir + "/s.json", "-o", dir + "/s.png/x.png"])
        XCTAssertEqual(r.status, 2, r.err)
    }

    func testStreaming() throws {
        let dir = "/tmp/air-cli-stream-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let input = #"{"objects": [], "camera": {"width": 8, "height": 8}}"# + "\n" + #"{"objects": [{"shape": "ball"}]}"# + "\n\n" +
            #"{"objects": [{"shape": "cube", "color": "red", "position": [0, 0]}], "camera": {"width": 8, "height": 8}}"# + "\n"
        let r = try run(["render", "--stdin", "-o", dir, "--masks"], stdin: input)
        XCTAssertEqual(r.status, 1, "a bad line makes the exit code 1")
        let answers = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(answers.count, 3)
        XCTAssertTrue(answers[0].contains("\"line\":1") && answers[0].contains("000000.png"))
        XCTAssertTrue(answers[1].contains("\"line\":2") && answers[1].contains("objects[0].shape"), answers[1])
        XCTAssertTrue(answers[2].contains("\"line\":4") && answers[2].contains("000003.png"))
        XCTAssertEqual(try FileIO.list(dir), ["000000.png", "000003.png", "masks"])
        let stop = try run(["render", "-", "-o", dir + "/2", "--stop-on-error"], stdin: input)
        XCTAssertEqual(stop.status, 1)
        XCTAssertEqual(try FileIO.list(dir + "/2"), ["000000.png"])
    }

    func testGenerateRefusesAndResumes() throws {
        let dir = "/tmp/air-cli-gen-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        var r = try run(["generate", "--spec", root + "/scenes/rotation-sweep.json", "--count", "6", "--out", dir, "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try Dataset(folder: dir).entries.map { $0.scene.objects[0].rotation }, [0, 5, 10, 15, 20, 25])
        r = try run(["generate", "--spec", root + "/scenes/rotation-sweep.json", "--count", "6", "--out", dir, "--quiet"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("--force"), r.err)
        r = try run(["generate", "--count", "3", "--out", dir, "--quiet", "--force", "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try Dataset(folder: dir).entries.count, 3)
    }

    /// No command writes over one of its own inputs (compared by device and inode, so any
    /// spelling or hard link of the path is caught), nor over a FIFO; each refusal exits 1,
    /// names the path and leaves the input as it was.
    func testOutputsNeverReplaceInputs() throws {
        let dir = "/tmp/air-cli-inputs-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.makeDirectories(dir)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let model = root + "/models/default.safetensors"
        try FileIO.writeAtomically(dir + "/s.json", text: SceneJSONTests.example)
        func refused(_ args: [String], _ path: String, unchanged file: String, _ line: UInt = #line) throws {
            let before = try FileIO.read(file)
            let r = try run(args)
            XCTAssertEqual(r.status, 1, r.err, line: line)
            XCTAssertTrue(r.err.contains(path + ": "), r.err, line: line)
            XCTAssertTrue(r.err.contains("never writes over its inputs"), r.err, line: line)
            XCTAssertEqual(try FileIO.read(file), before, line: line)
        }
        try refused(["render", dir + "/s.json", "-o", dir + "/s.json"], dir + "/s.json", unchanged: dir + "/s.json")
        try refused(["render", dir + "/s.json", "-o", dir + "/x.png", "--mask", dir + "/./s.json"], dir + "/./s.json", unchanged: dir + "/s.json")
        XCTAssertEqual(mkfifo(dir + "/fifo.png", 0o644), 0)
        let r = try run(["render", dir + "/s.json", "-o", dir + "/fifo.png"])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains(dir + "/fifo.png: exists and is a FIFO"), r.err)

        var g = try run(["generate", "--count", "2", "--seed", "1", "--out", dir + "/data", "--quiet"])
        XCTAssertEqual(g.status, 0, g.err)
        let image = dir + "/data/images/000000.png"
        try refused(["infer", "--model", model, image, "--json", image], image, unchanged: image)
        try refused(["infer", "--model", model, dir + "/data/images", "--overlay", dir + "/data/images"],
                    dir + "/data/images/000000.png", unchanged: image)
        try refused(["infer", "--model", model, image, "--json", model], model, unchanged: model)
        try refused(["eval", "--model", model, "--data", dir + "/data", "--json", dir + "/data/scenes.jsonl"],
                    dir + "/data/scenes.jsonl", unchanged: dir + "/data/scenes.jsonl")
        try refused(["calibrate", "--model", model, "--out", root + "/models/../models/default.safetensors", "--count", "10"],
                    root + "/models/../models/default.safetensors", unchanged: model)
        // generate: a spec that the dataset's meta.json would replace.
        try FileIO.writeAtomically(dir + "/data/meta.json", text: #"{"count": 2, "seed": 4}"#)
        try refused(["generate", "--spec", dir + "/data/meta.json", "--out", dir + "/data", "--force", "--quiet"],
                    dir + "/data/meta.json", unchanged: dir + "/data/meta.json")
        try FileIO.writeAtomically(dir + "/data/images/000001.png", text: #"{"count": 2}"#)
        try refused(["generate", "--spec", dir + "/data/images/000001.png", "--out", dir + "/data", "--force", "--quiet"],
                    dir + "/data/images/000001.png", unchanged: dir + "/data/images/000001.png")
        g = try run(["generate", "--spec", dir + "/s2.json", "--out", dir + "/data", "--force", "--quiet"])
        XCTAssertEqual(g.status, 2, "a missing spec is an I/O error, as before")
    }

    /// Each message of issue #9's list names what is wrong, in full and in our words.
    func testMessagesNameWhatIsWrong() throws {
        let dir = "/tmp/air-cli-messages-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.makeDirectories(dir)
        func expect(_ args: [String], status: Int32, _ says: String, in directory: String? = nil, _ line: UInt = #line) throws {
            let r = try run(args, in: directory)
            XCTAssertEqual(r.status, status, r.err, line: line)
            XCTAssertTrue(r.err.contains(says), "\(r.err) should say \(says)", line: line)
        }
        // Valid JSON, numbers out of range: the reader names the field (not "render failed ... code -1").
        try FileIO.writeAtomically(dir + "/far.json", text: #"{"objects": [{"shape": "cube", "color": "red", "position": [1e308, 0]}]}"#)
        try expect(["render", dir + "/far.json", "-o", dir + "/far.png"], status: 1, dir + "/far.json:1: objects[0].position[0]: 1e+308 is outside -1e6...1e6")
        try FileIO.writeAtomically(dir + "/fov.json", text: #"{"camera": {"fov_y": 1e-300}, "objects": []}"#)
        try expect(["render", dir + "/fov.json", "-o", dir + "/fov.png"], status: 1, "fov.json:1: camera.fov_y: fov_y must be in [0.01, 179] degrees")
        // A NUL in a string is escaped, and the message goes on after it.
        try FileIO.writeAtomically(dir + "/nul.json", text: #"{"objects": [{"shape": "cu\u0000be", "color": "red", "position": [0, 0]}]}"#)
        try expect(["render", dir + "/nul.json", "-o", dir + "/nul.png"], status: 1, #"unknown shape "cu\u0000be" (shapes: cube"#)
        // Invalid UTF-8 is bad input (1), not an I/O failure (2).
        try FileIO.writeAtomically(dir + "/latin1.json", Array(#"{"objects": [], "x": ""#.utf8) + [0xE9] + Array("\"}".utf8))
        try expect(["render", dir + "/latin1.json", "-o", dir + "/l.png"], status: 1, dir + "/latin1.json:1: not valid UTF-8 text")
        // A huge bad key is echoed once, cut short.
        let key = String(repeating: "k", count: 1_000_000)
        try FileIO.writeAtomically(dir + "/key.json", text: #"{"objects": [], ""# + key + #"": 1}"#)
        let r = try run(["render", dir + "/key.json", "-o", dir + "/k.png"])
        XCTAssertEqual(r.status, 1)
        XCTAssertLessThan(r.err.utf8.count, 600, r.err)
        XCTAssertTrue(r.err.contains(#"unknown key "kkkkkkkkkk"#) && r.err.contains(#"…" (1000000 characters)"#), r.err)
        // Negative numbers reach the validation.
        try expect(["infer", "--batch-size", "-1", dir + "/x.png"], status: 64, "--batch-size must be >= 1")
        try expect(["eval", "--recentring", "-1", "--data", dir], status: 64, "--recentring must be in 0...16")
        try expect(["infer", "--recentre-distance", "0", dir], status: 64, "--recentre-distance must be in (0, 1]")
        try expect(["train", "--steps", "-5", "--out", dir + "/run"], status: 64, "--steps must be >= 1")
        // An empty file given as an image.
        try FileIO.writeAtomically(dir + "/empty.png", [])
        try expect(["infer", dir + "/empty.png"], status: 1, dir + "/empty.png: empty file, not a PNG")
        // Training images of another size than the dataset's camera name the image.
        XCTAssertEqual(try run(["generate", "--count", "2", "--out", dir + "/data", "--quiet"]).status, 0)
        try FileIO.writeAtomically(dir + "/data/images/000001.png", PNG.encode(Image(width: 1, height: 1, pixels: [0, 0, 0])))
        try expect(["train", "--data", dir + "/data", "--steps", "1", "--out", dir + "/run", "--quiet"], status: 1,
                   dir + "/data/images/000001.png: image is 1x1, but the dataset's camera for scene 1 is 64x64")
        // The bundled model is found from any working directory, and AIR_MODEL wins.
        let demo = try run(["demo", "--count", "1", "--seed", "3", "--out", dir + "/demo"], in: "/")
        XCTAssertEqual(demo.status, 0, demo.err)
        XCTAssertTrue(FileIO.exists(dir + "/demo/000000.png"))
        let missing = try run(["infer", dir + "/data/images/000000.png"], in: "/", environment: ["AIR_MODEL": dir + "/none.safetensors"])
        XCTAssertEqual(missing.status, 2, missing.err)
        XCTAssertTrue(missing.err.contains(dir + "/none.safetensors"), missing.err)
    }

    /// A new model has as many steps as its spec's scenes have objects at most (at least 3), so
    /// `air train --spec scenes/crowded.json` needs no flag; a spec beyond a model's 64 asks for one.
    func testMaxObjectsDefaultsToTheSpecs() throws {
        let dir = "/tmp/air-cli-maxobjects-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func spec(_ most: Int) throws -> String {
            let path = dir + "/spec-\(most).json"
            let side = most > 10 ? 20 : 2.5      // room for every object
            try FileIO.writeAtomically(path, text: #"{"kind": "random", "objects_per_scene": {"min": 0, "max": \#(most)}, "x": [-\#(side), \#(side)], "y": [-\#(side), \#(side)]}"#)
            return path
        }
        let tiny = ["--steps", "1", "--batch-size", "2", "--threads", "1", "--eval-images", "1", "--log-every", "1", "--quiet", "--objective", "sleep"]
        var r = try run(["train", "--spec", try spec(5), "--out", dir + "/five"] + tiny)
        XCTAssertEqual(r.status, 0, r.err)
        let bytes = try FileIO.read(dir + "/five/model.safetensors")
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard case .string(let config)? = try parseJSON(bytes: Array(bytes[8..<(8 + n)]))["__metadata__"]?["config"]?.kind else {
            return XCTFail("no config in the model's metadata")
        }
        XCTAssertTrue(config.contains(#""maxObjects":5"#), config)
        r = try run(["train", "--spec", try spec(70), "--out", dir + "/seventy"] + tiny)
        XCTAssertNotEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("70 objects") && r.err.contains("--max-objects"), r.err)
    }

    /// Reweighted wake-sleep from the command line: particles and sleep steps need `--objective
    /// rws`; a run with them trains and records them for `--resume`.
    func testParticlesNeedRwsAndTrain() throws {
        let dir = "/tmp/air-cli-particles-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let tiny = ["--batch-size", "2", "--threads", "1", "--eval-images", "1", "--log-every", "1", "--quiet", "--max-objects", "1"]
        var r = try run(["train", "--steps", "1", "--particles", "3", "--out", dir] + tiny)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("--particles needs --objective rws"), r.err)
        r = try run(["train", "--objective", "rws", "--particles", "0", "--out", dir] + tiny)
        XCTAssertTrue(r.err.contains("--particles must be >= 1"), r.err)
        r = try run(["train", "--steps", "2", "--objective", "rws", "--particles", "3", "--sleep-every", "2", "--out", dir] + tiny)
        XCTAssertEqual(r.status, 0, r.err)
        let metrics = try FileIO.readText(dir + "/metrics.jsonl")
        XCTAssertTrue(metrics.contains(#""effective_particles""#) && metrics.contains(#""objective":"sleep""#), metrics)
    }

    /// A training flag is refused at `bad` with `error`, trains at `good`, and belongs to the
    /// run's stored settings (`--resume` asks to drop it; with `key`, the run's state names it).
    private func checkStoredTrainingFlag(_ flag: String, bad: String, error: String, good: String, dir: String, key: String? = nil) throws {
        let tiny = ["--batch-size", "4", "--threads", "1", "--eval-images", "1", "--log-every", "1", "--quiet"]
        var r = try run(["train", "--steps", "1", flag, bad, "--out", dir] + tiny)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains(error), r.err)
        r = try run(["train", "--steps", "2", flag, good, "--out", dir] + tiny)
        XCTAssertEqual(r.status, 0, r.err)
        r = try run(["train", "--resume", flag, good, "--out", dir])
        XCTAssertTrue(r.err.contains("drop \(flag)"), r.err)
        if let key {
            let state = try String(decoding: Data(contentsOf: URL(fileURLWithPath: dir + "/state.safetensors")).prefix(65_536), as: UTF8.self)
            XCTAssertTrue(state.contains(key), "the run's options keep \(key) for --resume")
        }
    }

    /// `--order-band` is checked, trains, and belongs to the run's stored settings.
    func testOrderBandIsCheckedAndStored() throws {
        let dir = "/tmp/air-cli-orders-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try checkStoredTrainingFlag("--order-band", bad: "-1", error: "--order-band must be a number of pixels >= 0", good: "6", dir: dir, key: "orderBand")
    }

    /// `--step-band` likewise; it and `--order-band` are alternatives.
    func testStepBandIsCheckedAndStored() throws {
        let dir = "/tmp/air-cli-stepband-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try checkStoredTrainingFlag("--step-band", bad: "-2", error: "--step-band must be a number of pixels >= 0", good: "6", dir: dir, key: "stepBand")
        let r = try run(["train", "--steps", "1", "--step-band", "4", "--order-band", "4", "--out", dir + "/both"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("alternatives"), r.err)
    }

    /// `--phantom-slip` likewise.
    func testPhantomSlipIsCheckedAndStored() throws {
        let dir = "/tmp/air-cli-phantom-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try checkStoredTrainingFlag("--phantom-slip", bad: "1.5", error: "--phantom-slip must be in [0, 1]", good: "0.3", dir: dir, key: "phantomSlip")
    }

    /// `--own-readings` likewise (the two steps read their scenes with the network as it stands).
    func testOwnReadingsIsCheckedAndStored() throws {
        let dir = "/tmp/air-cli-own-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try checkStoredTrainingFlag("--own-readings", bad: "2", error: "--own-readings must be in [0, 1]", good: "0.5", dir: dir, key: "ownReadings")
    }

    /// `--yaw-balance` likewise, kept in the run's state; `air adapt` checks it too.
    func testYawBalanceIsCheckedAndStored() throws {
        let dir = "/tmp/air-cli-yaw-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try checkStoredTrainingFlag("--yaw-balance", bad: "5", error: "--yaw-balance must be in [0, 4]", good: "2", dir: dir, key: "yawBalance")
        let r = try run(["adapt", "--images", dir, "--out", dir + "/adapt", "--yaw-balance", "-1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("--yaw-balance must be in [0, 4]"), r.err)
    }

    /// `--force` over a run whose model is the new run's starting model reads it first and keeps
    /// it until the first checkpoint replaces it.
    func testForceFineTuneFromTheRunsOwnModel() throws {
        let dir = "/tmp/air-cli-finetune-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let tiny = ["--batch-size", "2", "--threads", "1", "--eval-images", "1", "--log-every", "1", "--quiet", "--max-objects", "1"]
        var r = try run(["train", "--steps", "1", "--out", dir] + tiny)
        XCTAssertEqual(r.status, 0, r.err)
        r = try run(["train", "--init-from", dir + "/model.safetensors", "--out", dir, "--force", "--steps", "1", "--seed", "2"] + tiny)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(FileIO.exists(dir + "/model.safetensors"))
        XCTAssertTrue(FileIO.exists(dir + "/state.safetensors"))
        // The state and metrics of a run are never an input's place.
        r = try run(["train", "--spec", dir + "/metrics.jsonl", "--out", dir, "--force", "--steps", "1"] + tiny)
        XCTAssertEqual(r.status, 1, r.err)
    }

    /// Checkpoints come by time (and after the first logged step), not every 500 steps: a run
    /// killed between them resumes from the last one and ends bit for bit as an unbroken run.
    func testCheckpointsByTimeAndKilledRunsResumeExactly() throws {
        let dir = "/tmp/air-cli-cadence-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let tiny = ["--steps", "4", "--batch-size", "2", "--threads", "1", "--eval-images", "1", "--log-every", "2",
                    "--quiet", "--max-objects", "1", "--seed", "7"]
        /// The step a run's state was saved at (its safetensors metadata).
        func savedStep(_ run: String) throws -> String? {
            let bytes = try FileIO.read(run + "/state.safetensors")
            let n = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            if case .string(let s)? = try parseJSON(bytes: Array(bytes[8..<(8 + n)]))["__metadata__"]?["step"]?.kind { return s }
            return nil
        }
        var r = try run(["train", "--out", dir + "/whole"] + tiny)
        XCTAssertEqual(r.status, 0, r.err)
        // Killed after step 3 with a checkpoint every 0 s: the state is step 3's.
        r = try run(["train", "--out", dir + "/killed", "--checkpoint-seconds", "0", "--abort-after", "3"] + tiny)
        XCTAssertEqual(r.status, 3, r.err)
        XCTAssertEqual(try savedStep(dir + "/killed"), "3")
        r = try run(["train", "--out", dir + "/killed", "--resume", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try FileIO.read(dir + "/killed/model.safetensors"), try FileIO.read(dir + "/whole/model.safetensors"))
        // With the default five minutes, the first logged step (2) was still saved.
        r = try run(["train", "--out", dir + "/early", "--abort-after", "3"] + tiny)
        XCTAssertEqual(r.status, 3, r.err)
        XCTAssertEqual(try savedStep(dir + "/early"), "2")
        r = try run(["train", "--out", dir + "/early", "--resume", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try FileIO.read(dir + "/early/model.safetensors"), try FileIO.read(dir + "/whole/model.safetensors"))
        r = try run(["train", "--out", dir + "/x", "--checkpoint-minutes", "0"] + tiny)
        XCTAssertEqual(r.status, 64, r.err)
    }

    /// The learning commands end to end on a tiny budget: train two steps, resume rules,
    /// infer with overlays, evaluate, and clear errors for a bad model file.
    func testTrainInferEval() throws {
        let dir = "/tmp/air-cli-learn-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        var r = try run(["generate", "--count", "3", "--seed", "5", "--out", dir + "/data", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        r = try run(["train", "--steps", "2", "--batch-size", "2", "--threads", "1", "--eval-images", "2",
                     "--log-every", "1", "--out", dir + "/run", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        for f in ["model.safetensors", "state.safetensors", "metrics.jsonl"] { XCTAssert(FileIO.exists(dir + "/run/" + f), f) }
        XCTAssertEqual(try FileIO.readText(dir + "/run/metrics.jsonl").split(separator: "\n").count, 2)
        r = try run(["train", "--steps", "2", "--out", dir + "/run", "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("already holds a run"), r.err)
        r = try run(["train", "--out", dir + "/run", "--resume", "--steps", "9"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("drop --steps"), r.err)

        r = try run(["train", "--data", dir + "/data", "--steps", "1", "--batch-size", "2", "--threads", "1",
                     "--eval-images", "2", "--out", dir + "/run-data", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(FileIO.exists(dir + "/run-data/model.safetensors"))

        let model = dir + "/run/model.safetensors"
        r = try run(["infer", "--model", model, dir + "/data/images", "--json", dir + "/out.jsonl", "--overlay", dir + "/ov"])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = try FileIO.readText(dir + "/out.jsonl").split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let first = try parseJSON(String(lines[0]))
        XCTAssertNotNil(first["objects"])
        XCTAssertEqual(first["image"]?.kind, .string(dir + "/data/images/000000.png"))
        XCTAssert(FileIO.exists(dir + "/ov/000000.png"))

        r = try run(["eval", "--model", model, "--data", dir + "/data", "--json", dir + "/report.json"])
        XCTAssertEqual(r.status, 0, r.err)
        let report = try parseJSON(FileIO.readText(dir + "/report.json"))
        for key in ["count_accuracy", "shape_accuracy", "color_name_accuracy", "position_error_median",
                    "rotation_error_median_deg", "images_per_second", "count_confusion", "per_count"] {
            XCTAssertNotNil(report[key], key)
        }
        XCTAssertEqual(report["images"]?.kind, .number(3, text: "3"))

        // air adapt on the dataset's images alone, interrupted and resumed.
        let adapt = ["adapt", "--model", model, "--images", dir + "/data/images", "--out", dir + "/adapt", "--steps", "2",
                     "--batch-size", "2", "--threads", "1", "--eval-images", "1", "--search-renders", "40", "--quiet"]
        r = try run(adapt + ["--stop-after", "1"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.out.contains("interrupted at step 1"), r.out)
        // The label-free score of the held-back image before, and (only when finished) after.
        XCTAssert(r.out.contains("held-back images (1, no labels), before training: reconstruction MSE "), r.out)
        XCTAssertFalse(r.out.contains("held-back images (1, no labels), after training:"), r.out)
        r = try run(["adapt", "--out", dir + "/adapt", "--resume", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.out.contains("adapted 2 steps"), r.out)
        XCTAssert(r.out.contains("held-back images (1, no labels), after training: reconstruction MSE "), r.out)
        XCTAssertFalse(r.out.contains("before training"), r.out)
        XCTAssert(try FileIO.readText(dir + "/adapt/metrics.jsonl").contains("held_out_reconstruction_mse"))
        XCTAssert(try FileIO.readText(dir + "/adapt/metrics.jsonl").contains("held_out_elbo"))
        XCTAssert(r.out.contains(" nats per image"), r.out)
        r = try run(adapt)
        XCTAssert(r.err.contains("already holds a run"), r.err)
        r = try run(["adapt", "--model", model, "--images", dir + "/data", "--out", dir + "/adapt2"])
        XCTAssertEqual(r.status, 1)
        XCTAssert(r.err.contains(dir + "/data: no PNG images"), r.err)
        r = try run(["adapt", "--model", model, "--images", dir + "/data/images", "--out", dir + "/adapt3", "--fit-camera", "--camera-images", "0"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("--camera-images must be >= 1"), r.err)

        // The readings `infer` wrote score exactly as the model run by `eval` itself.
        // (No model is needed, so a missing one does not matter.)
        r = try run(["eval", "--data", dir + "/data", "--pred", dir + "/out.jsonl", "--json", dir + "/report2.json"],
                    environment: ["AIR_MODEL": dir + "/missing.safetensors"])
        XCTAssertEqual(r.status, 0, r.err)
        let report2 = try parseJSON(FileIO.readText(dir + "/report2.json"))
        func number(_ v: JSONValue?) -> Double? { if case .number(let x, _)? = v?.kind { return x }; return nil }
        for key in ["count_accuracy", "shape_accuracy", "position_error_median"] {
            // infer's JSON rounds positions to 1e-4.
            XCTAssertEqual(number(report2[key]) ?? -1, number(report[key]) ?? -2, accuracy: 1e-3, key)
        }
        XCTAssertEqual(JSONWriter.compact(report2["count_confusion"]!), JSONWriter.compact(report["count_confusion"]!))
        let swapped = [lines[1], lines[0], lines[2]].joined(separator: "\n")
        try FileIO.writeAtomically(dir + "/swapped.jsonl", text: swapped)
        r = try run(["eval", "--data", dir + "/data", "--pred", dir + "/swapped.jsonl"])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssert(r.err.contains("swapped.jsonl:1: image:"), r.err)

        // Refined readings report the light, the log-likelihood before and after and the moves.
        r = try run(["infer", "--model", model, "--refine", "--max-renders", "200", dir + "/data/images/000001.png"])
        XCTAssertEqual(r.status, 0, r.err)
        let refined = try parseJSON(r.out.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertNotNil(refined["light"]?["ambient"])
        XCTAssertNotNil(refined["refinement"]?["log_likelihood_after"])
        XCTAssertNotNil(refined["refinement"]?["accepted"])
        r = try run(["eval", "--model", model, "--data", dir + "/data", "--refine", "--max-renders", "100", "--json", dir + "/refined.json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertNotNil(try parseJSON(FileIO.readText(dir + "/refined.json"))["calibration"]?["expected_calibration_error"])
        // The network's readings alone: one glimpse a step, no check against the image.
        r = try run(["infer", "--model", model, "--recentring", "0", "--no-check-readings", dir + "/data/images/000001.png"])
        XCTAssertEqual(r.status, 0, r.err)

        // Any size of the model's aspect ratio is area-resampled (said once); another is refused by name.
        let img = try PNG.readImage(dir + "/data/images/000000.png")
        try FileIO.writeAtomically(dir + "/big.png", PNG.encode(img.areaResampled(width: 128, height: 128)))
        try FileIO.writeAtomically(dir + "/wide.png", PNG.encode(img.areaResampled(width: 64, height: 32)))
        r = try run(["infer", "--model", model, dir + "/big.png"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.err.contains("area-resampled"), r.err)
        r = try run(["infer", "--model", model, dir + "/wide.png"])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssert(r.err.contains(dir + "/wide.png: image is 64x32"), r.err)

        try FileIO.writeAtomically(dir + "/bad.safetensors", text: "not a model")
        r = try run(["infer", "--model", dir + "/bad.safetensors", dir + "/data/images/000000.png"])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssert(r.err.contains(dir + "/bad.safetensors"), r.err)
    }
}
