import Collective
import Files
import JSON
import Dispatch
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// Writes a dataset from a batch spec: deterministic, parallel over scenes, resumable.
///
/// - Scene i depends only on (seed, i); images are PNG-encoded by libpng with fixed
///   settings and scenes.jsonl is written in index order, so the bytes are the same
///   for any thread count and for an interrupted run that was resumed.
/// - While it runs, `.air-generate.json` holds the meta.json to come; meta.json itself
///   is written (atomically) only when every scene is done, so a folder with meta.json
///   is a complete dataset. Every image and mask is written atomically before its line
///   is appended to scenes.jsonl; resuming keeps the complete lines (a torn last line is
///   cut off), removes stray temporary files and continues after the last line.
/// - images.npy is filled in place as `.images.npy.tmp` and renamed at the end.
/// - Nothing but our own files is replaced or removed: a file the run reads (`inputs`, e.g.
///   the spec) that one of them would replace is refused before anything is written.
public struct DatasetGenerator {
    public var spec: BatchSpec
    public var count: Int
    public var seed: UInt64
    public var folder: String
    public var threads: Int = 1
    public var force = false
    public var resume = false
    public var npy = false
    /// The job's processes (MPI ranks): each renders and writes its share of every chunk of
    /// scenes; rank 0 alone prepares the folder, writes scenes.jsonl in index order and
    /// meta.json last, so the dataset's bytes do not depend on the number of ranks.
    public var collective: any Collective = SingleProcess()
    /// Called on every rank before each chunk with its first index (tests simulate kills).
    public var beforeChunk: (Int) -> Void = { _ in }
    /// Per scene, exact geometry at the pixel centres: depth (16-bit PNG in units of
    /// `DatasetLayout.depthUnit` and float32 .npy in scene units), world normals (float32
    /// .npy, H × W × 3) and each object's amodal (full, unoccluded) mask.
    public var depth = false
    public var normals = false
    public var amodal = false
    /// Files the run reads (the spec): refused as outputs.
    public var inputs: [String] = []
    /// Stop (as if interrupted) once at least this many scenes are done; for tests.
    public var stopAfter: Int?
    /// Called on the calling thread after every chunk with (scenes done, total).
    public var progress: ((Int, Int) -> Void)?

    public init(spec: BatchSpec, count: Int, seed: UInt64, folder: String) {
        self.spec = spec
        self.count = count
        self.seed = seed
        self.folder = folder
    }

    /// Refusals: existing dataset without --force, a resume that does not match.
    public struct Refusal: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public struct Report: Sendable {
        public var generated: Int
        public var resumedFrom: Int
        public var attempts: Int
        public var complete: Bool
    }

    public func metaText() -> String {
        var members: [(String, JSONValue)] = [
            ("format", .str("air-scenes")), ("version", .int(1)), ("count", .int(count)),
            ("camera", SceneJSON.json(spec.camera)), ("spp", .int(spec.samplesPerPixel)),
            ("seed", .uint(seed)), ("masks", .bool(true)), ("npy", .bool(npy)),
        ]
        // Only when asked, so that datasets without them keep their exact bytes.
        if depth { members += [("depth", .bool(true)), ("depth_png_unit", .num(DatasetLayout.depthUnit))] }
        if normals { members.append(("normals", .bool(true))) }
        if amodal { members.append(("amodal_masks", .bool(true))) }
        members.append(("spec", spec.json))
        return JSONWriter.pretty(.obj(members))
    }

    func path(_ name: String) -> String { folder + "/" + name }

    /// Our own files, the only ones --force removes.
    static func isOurs(_ name: String) -> Bool {
        [DatasetLayout.meta, DatasetLayout.scenes, DatasetLayout.npy, DatasetLayout.state, ".images.npy.tmp",
         "images", "masks", "depth", "normals", "amodal"].contains(name)
    }

    static func isOurImageName(_ name: String) -> Bool {
        if FileIO.isTemporaryName(name) { return true }
        var n = name
        if n.hasPrefix(".") && n.hasSuffix(".tmp") { n = String(n.dropFirst().dropLast(4)) }
        guard n.hasSuffix(".png") || n.hasSuffix(".npy") else { return false }
        // NNNNNN.png, NNNNNN.npy, or an amodal mask NNNNNN_KKK.png.
        let parts = n.dropLast(4).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0].count >= 6, parts[0].allSatisfy(\.isNumber) else { return false }
        return parts.count == 1 || (parts[1].count == 3 && parts[1].allSatisfy(\.isNumber))
    }

    static let dataFolders = ["images", "masks", "depth", "normals", "amodal"]

    func clean(removeData: Bool) throws {
        for sub in Self.dataFolders where FileIO.isDirectory(path(sub)) {
            for name in try FileIO.list(path(sub)) where Self.isOurImageName(name) && (removeData || name.hasPrefix(".")) {
                try FileIO.remove(path(sub + "/" + name))
            }
        }
        if removeData {
            for name in [DatasetLayout.meta, DatasetLayout.scenes, DatasetLayout.npy, DatasetLayout.state, ".images.npy.tmp"] {
                try FileIO.remove(path(name))
            }
        }
        for name in (try? FileIO.list(folder)) ?? []
        where (FileIO.isTemporaryName(name) || name.hasPrefix(".") && name.hasSuffix(".tmp")) && name != ".images.npy.tmp" {
            try FileIO.remove(path(name))
        }
    }

    /// Refuses inputs that our files would replace, and our files' names taken by
    /// something other than a regular file (scenes.jsonl and images.npy are written in place).
    func checkOutputs() throws {
        let top = [DatasetLayout.meta, DatasetLayout.scenes, DatasetLayout.npy, DatasetLayout.state, ".images.npy.tmp"].map(path)
        for p in top { try FileIO.checkOutputTarget(p) }
        try FileIO.checkOutputs(top, inputs: inputs)
        let ourFolders = Set(Self.dataFolders.compactMap { FileIO.identity(path($0)) })
        for input in inputs {
            guard let real = FileIO.resolved(input), let slash = real.lastIndex(of: "/") else { continue }
            let parent = slash == real.startIndex ? "/" : String(real[..<slash])
            if let id = FileIO.identity(parent), ourFolders.contains(id), Self.isOurImageName(String(real[real.index(after: slash)...])) {
                throw RefusedOutput(path: input, message: "is an input but also one of the dataset's images or masks in \(folder); air never writes over its inputs")
            }
        }
    }

    /// Checks the folder and returns how many scenes are already done.
    func prepare(meta: String) throws -> Int? {
        if FileIO.exists(folder) && !FileIO.isDirectory(folder) { throw IOError(path: folder, message: "exists and is not a folder") }
        try FileIO.makeDirectories(folder)
        try checkOutputs()
        let names = try FileIO.list(folder)
        let hasMeta = names.contains(DatasetLayout.meta), hasState = names.contains(DatasetLayout.state)
        if force {
            try clean(removeData: true)
        } else if resume && hasMeta {
            guard try FileIO.readText(path(DatasetLayout.meta)) == meta else {
                throw Refusal(message: "\(folder) holds a complete dataset made with other settings (see its meta.json); use --force to replace it")
            }
            return nil // already complete
        } else if resume && hasState {
            guard try FileIO.readText(path(DatasetLayout.state)) == meta else {
                throw Refusal(message: "\(folder) holds an interrupted generation with other settings (see \(DatasetLayout.state)); resume it with the same spec, count, seed and --npy, or use --force")
            }
        } else if hasMeta {
            throw Refusal(message: "\(folder) already holds a dataset; use --force to replace it or --resume to finish it")
        } else if hasState {
            throw Refusal(message: "\(folder) holds an interrupted generation; use --resume to continue it or --force to start over")
        } else if let other = names.first(where: { !Self.isOurs($0) }) ?? names.first {
            if !resume || !names.allSatisfy(Self.isOurs) {
                throw Refusal(message: "\(folder) is not empty (it holds \(Echo.quoted(other))); use --force to write into it")
            }
        }
        try FileIO.makeDirectories(path("images"))
        try FileIO.makeDirectories(path("masks"))
        if depth { try FileIO.makeDirectories(path("depth")) }
        if normals { try FileIO.makeDirectories(path("normals")) }
        if amodal { try FileIO.makeDirectories(path("amodal")) }
        try clean(removeData: false)
        try FileIO.writeAtomically(path(DatasetLayout.state), text: meta)
        return try completeLines()
    }

    /// Cuts a torn last line off scenes.jsonl and counts the complete ones.
    func completeLines() throws -> Int {
        let p = path(DatasetLayout.scenes)
        guard FileIO.exists(p) else { return 0 }
        let bytes = try FileIO.read(p)
        let keep = (bytes.lastIndex(of: 0x0A) ?? -1) + 1
        if keep < bytes.count && truncate(p, off_t(keep)) != 0 { throw IOError(path: p, message: "cannot truncate a torn line") }
        let lines = bytes[0..<keep].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        return min(lines, count)
    }

    /// Runs (or resumes) the generation.
    public func run() throws -> Report {
        let meta = metaText()
        let c = collective
        // Rank 0 prepares the folder and says how many scenes are done (−1: all of them).
        var verdict = ""
        var doneAtRoot = -1
        if c.isRoot {
            do { doneAtRoot = try prepare(meta: meta) ?? -1 } catch { verdict = "\(error)"; if c.size == 1 { throw error } }
        }
        try agree(verdict)
        let done = try c.broadcast(doneAtRoot)
        guard done >= 0 else {
            return Report(generated: 0, resumedFrom: count, attempts: 0, complete: true)
        }
        let camera = spec.camera
        let w = camera.width, h = camera.height
        let imageBytes = w * h * 3

        // scenes.jsonl, appended chunk by chunk (rank 0).
        let linesPath = path(DatasetLayout.scenes)
        var linesFD: Int32 = -1
        if c.isRoot {
            linesFD = open(linesPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
            guard linesFD >= 0 else { throw IOError.errno(linesPath, "cannot open") }
        }
        defer { if linesFD >= 0 { close(linesFD) } }

        // images.npy, filled in place: rank 0 sizes it, then every rank writes its scenes.
        let npyTmp = path(".images.npy.tmp")
        var npyFD: Int32 = -1
        let header = NPY.headerUInt8(shape: [count, h, w, 3])
        if npy {
            if c.isRoot {
                let fresh = !FileIO.exists(npyTmp)
                npyFD = open(npyTmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
                guard npyFD >= 0 else { throw IOError.errno(npyTmp, "cannot open") }
                let total = off_t(header.count + count * imageBytes)
                if ftruncate(npyFD, total) != 0 { close(npyFD); throw IOError.errno(npyTmp, "cannot size") }
                try pwriteAll(npyFD, header, at: 0, path: npyTmp)
                if fresh && done > 0 {
                    // The temporary array went missing: refill the done scenes from their PNGs.
                    for i in 0..<done {
                        let px = try PNG.decode(FileIO.read(path(DatasetLayout.image(i))), channels: 3, name: path(DatasetLayout.image(i))).pixels
                        try pwriteAll(npyFD, px, at: off_t(header.count + i * imageBytes), path: npyTmp)
                    }
                }
            }
            try c.barrier()
            if !c.isRoot {
                npyFD = open(npyTmp, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
                guard npyFD >= 0 else { throw IOError.errno(npyTmp, "cannot open") }
            }
        }
        defer { if npyFD >= 0 { close(npyFD) } }

        let threads = max(1, threads)
        let chunk = 32 * threads * c.size
        var next = done
        var attempts = 0
        while next < count {
            if let stop = stopAfter, next >= stop { break }
            let lo = next, hi = min(count, next + chunk)
            beforeChunk(lo)
            // Scene k of the chunk is rank (k − lo) mod size's.
            let mine = Array(stride(from: lo + c.rank, to: hi, by: c.size))
            var payload: [UInt8]
            do {
                let results = try produce(mine, threads: threads, npyFD: npyFD, npyOffset: header.count, imageBytes: imageBytes)
                payload = Array(results.map { "\($0.attempts) \($0.line)\n" }.joined().utf8)
            } catch {
                if c.size == 1 { throw error }
                payload = Array(("\u{0}" + "\(error)").utf8)
            }
            var failure = ""
            if c.isRoot {
                let parts = try c.gather(payload, to: 0)
                if let bad = parts.first(where: { $0.first == 0 }) {
                    failure = String(decoding: bad.dropFirst(), as: UTF8.self)
                } else {
                    let lines = parts.map { String(decoding: $0, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() }
                    var text = ""
                    for k in lo..<hi {
                        let entry = lines[(k - lo) % c.size][(k - lo) / c.size]
                        let space = entry.firstIndex(of: " ")!
                        attempts += Int(entry[..<space])!
                        text += entry[entry.index(after: space)...]
                        text += "\n"
                    }
                    try writeAll(linesFD, Array(text.utf8), path: linesPath)
                }
            } else {
                _ = try c.gather(payload, to: 0)
            }
            try agree(failure)
            next = hi
            if c.isRoot { progress?(next, count) }
        }
        if next < count {
            return Report(generated: next - done, resumedFrom: done, attempts: attempts, complete: false)
        }
        if c.isRoot {
            if npy {
                if fsync(npyFD) != 0 { throw IOError.errno(npyTmp, "cannot sync") }
                try FileIO.moveIntoPlace(npyTmp, path(DatasetLayout.npy))
            }
            try FileIO.writeAtomically(path(DatasetLayout.meta), text: meta)
            try FileIO.remove(path(DatasetLayout.state))
        }
        try c.barrier()
        return Report(generated: count - done, resumedFrom: done, attempts: attempts, complete: true)
    }

    /// Rank 0's verdict to every rank: empty goes on, anything else stops every rank with it.
    func agree(_ verdict: String) throws {
        let message = String(decoding: try collective.broadcast(Array(verdict.utf8), from: 0), as: UTF8.self)
        if !message.isEmpty { throw Refusal(message: collective.size > 1 ? "rank 0: " + message : message) }
    }

    struct Produced { var line = ""; var attempts = 0; var error: Error? }

    /// Samples, renders and writes scenes `indices` on `threads` threads (contiguous slices).
    func produce(_ indices: [Int], threads: Int, npyFD: Int32, npyOffset: Int, imageBytes: Int) throws -> [Produced] {
        var results = [Produced](repeating: Produced(), count: indices.count)
        results.withUnsafeMutableBufferPointer { out in
            let out = out
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let renderer = Rasterizer()
                let per = (indices.count + threads - 1) / threads
                for k in min(t * per, indices.count)..<min(indices.count, (t + 1) * per) {
                    do {
                        out[k] = try makeScene(indices[k], renderer: renderer, npyFD: npyFD, npyOffset: npyOffset, imageBytes: imageBytes)
                    } catch {
                        out[k].error = error
                        return
                    }
                }
            }
        }
        if let e = results.first(where: { $0.error != nil })?.error { throw e }
        return results
    }

    func makeScene(_ i: Int, renderer: Rasterizer, npyFD: Int32, npyOffset: Int, imageBytes: Int) throws -> Produced {
        let sampled = try spec.sample(index: i, seed: seed, renderer: renderer)
        var (image, renderedMask) = try renderer.renderWithMask(sampled.scene, samplesPerPixel: spec.samplesPerPixel, image: true, mask: sampled.mask == nil)
        let mask = sampled.mask ?? renderedMask!
        var (effects, effectsRNG) = spec.effects(index: i, seed: seed)
        if !effects.isNeutral { effects.apply(&image!, rng: &effectsRNG) }
        let w = spec.camera.width, h = spec.camera.height
        let pixels = PNG.bytes(of: image!)
        try FileIO.writeAtomically(path(DatasetLayout.image(i)), PNG.encode(pixels, width: w, height: h, channels: 3))
        try FileIO.writeAtomically(path(DatasetLayout.mask(i)), PNG.encodeMask(mask, width: w, height: h))
        if npyFD >= 0 { try pwriteAll(npyFD, pixels, at: off_t(npyOffset + i * imageBytes), path: path(".images.npy.tmp")) }
        let labels = Labels.compute(scene: sampled.scene, mask: mask)
        let extra = try writeGeometry(i, scene: sampled.scene, renderer: renderer)
        return Produced(line: DatasetLayout.line(index: i, scene: sampled.scene, labels: labels, mask: true, extra: extra),
                        attempts: sampled.attempts)
    }

    /// The depth, normals and amodal masks of scene i (those asked for), and their line members.
    func writeGeometry(_ i: Int, scene: Scene, renderer: Rasterizer) throws -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        let w = scene.camera.width, h = scene.camera.height
        if depth || normals {
            let g = try renderer.geometry(scene)
            if depth {
                let units = g.depth.map { UInt16(min(max(($0 / Float(DatasetLayout.depthUnit)).rounded(), 0), 65535)) }
                try FileIO.writeAtomically(path(DatasetLayout.depth(i)), PNG.encodeGray16(units, width: w, height: h))
                try FileIO.writeAtomically(path(DatasetLayout.depthNPY(i)), NPY.float32(g.depth, shape: [h, w]))
                members += [("depth", .str(DatasetLayout.depth(i))), ("depth_npy", .str(DatasetLayout.depthNPY(i)))]
            }
            if normals {
                try FileIO.writeAtomically(path(DatasetLayout.normals(i)), NPY.float32(g.normals, shape: [h, w, 3]))
                members.append(("normals", .str(DatasetLayout.normals(i))))
            }
        }
        if amodal {
            var paths: [JSONValue] = []
            for (k, o) in scene.objects.enumerated() {
                var alone = scene
                alone.objects = [o]
                let m = try renderer.renderWithMask(alone, samplesPerPixel: 1, image: false, mask: true).mask!
                try FileIO.writeAtomically(path(DatasetLayout.amodal(i, object: k)), PNG.encodeMask(m.map { $0 > 0 ? 255 : 0 }, width: w, height: h))
                paths.append(.str(DatasetLayout.amodal(i, object: k)))
            }
            members.append(("amodal_masks", .arr(paths)))
        }
        return members
    }
}

func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: off_t, path: String) throws {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, offset + off_t(done)) }
        if n < 0 {
            if errno == EINTR { continue }
            throw IOError.errno(path, "cannot write")
        }
        done += n
    }
}

func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
    try bytes.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
}
