import ArgumentParser
import Dispatch
import Foundation
import Random
import Renderer
import Scenes

/// `air bench render`: renderer throughput, one JSON line per case.
///
/// Modes: "full" renders whole scenes with air_render_batch on a pool; "moved" re-renders
/// a cached scene with one object nudged (air_cache_render_moved), as finite differences do.
/// Both run under the default light (no shadows), then again with hard shadows under a light
/// at 45 degrees elevation ("shadows": true). To add a mode, write a `measure...` function
/// returning (scenes, seconds) and call `report`.
struct BenchRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Renderer throughput (scenes per second) at 64x64, full and one-object-moved renders."
    )

    @Option(help: "Seconds to run each case.")
    var seconds: Double = 1

    @Option(parsing: .upToNextOption, help: "Thread counts to measure; 0 means one per hardware thread.")
    var threads: [Int] = [1, 0]

    @Option(help: "Object counts to measure.")
    var objects: [Int] = [1, 2, 3]

    @Option(parsing: .upToNextOption, help: "Object counts to measure with shadows (one thread each; none: skip).")
    var shadowObjects: [Int] = [3]

    @Option(parsing: .upToNextOption, help: "Thread counts to measure with shadows; 0 means one per hardware thread.")
    var shadowThreads: [Int] = [1]

    @Option(help: "Samples per pixel (1, 4, 9 or 16).")
    var spp: Int = 4

    @Option(help: "Seed for the random scenes.")
    var seed: UInt64 = 1

    @Option(help: "Instead of the random cases: full renders of these scenes (scene JSON lines, one camera), one thread — the native side of python/bench_render.py.")
    var scenes: String?

    @Option(help: "Scenes for the dataset-generation case (0 skips it; `air bench generate` runs it alone).")
    var generateCount: Int = 4000

    mutating func run() throws {
        if let scenes { return try measureFile(scenes) }
        var camera = air_default_camera()
        camera.spp = Int32(spp)
        let hardware = ProcessInfo.processInfo.activeProcessorCount
        // The default light's azimuth, raised to 45 degrees, with shadows.
        var shadowLight = air_default_light()
        let (lx, ly) = (shadowLight.direction.0, shadowLight.direction.1)
        let horizontal = (lx * lx + ly * ly).squareRoot()
        shadowLight.direction = (lx / horizontal, ly / horizontal, 1)
        shadowLight.shadows = 1
        let cases = objects.map { ($0, threads, nil as air_light?) } + shadowObjects.map { ($0, shadowThreads, shadowLight as air_light?) }
        for (count, threadCounts, light) in cases {
            guard (1...4).contains(count) else { throw ValidationError("--objects must be in 1...4 (the scene layout has four slots)") }
            for requested in threadCounts {
                let t = requested <= 0 ? hardware : requested
                let full = try measureFull(camera: camera, light: light, objects: count, threads: t)
                report(mode: "full", objects: count, threads: t, camera: camera, shadows: light != nil, result: full)
                let moved = try measureMoved(camera: camera, light: light, objects: count, threads: t)
                report(mode: "moved", objects: count, threads: t, camera: camera, shadows: light != nil, result: moved)
            }
        }
        if generateCount > 0 {
            let generate = try BenchGenerate.parse(["--count", String(generateCount)])
            try generate.run()
        }
    }

    func report(mode: String, objects: Int, threads: Int, camera: air_camera, shadows: Bool, result: (scenes: Int, seconds: Double)) {
        let rate = Double(result.scenes) / result.seconds
        print("{\"bench\": \"render\", \"mode\": \"\(mode)\", \"objects\": \(objects), \"threads\": \(threads), "
            + "\"width\": \(camera.width), \"height\": \(camera.height), \"spp\": \(camera.spp), \"shadows\": \(shadows), "
            + "\"scenes\": \(result.scenes), \"seconds\": \(String(format: "%.3f", result.seconds)), "
            + "\"scenes_per_second\": \(String(format: "%.1f", rate))}")
        fflush(stdout)
    }

    /// Batches of 256 scenes on a pool, repeated until the time is up; light nil: the default.
    func measureFull(camera: air_camera, light: air_light?, objects: Int, threads: Int) throws -> (scenes: Int, seconds: Double) {
        var rng = RNG(seed: seed).split(UInt64(objects))
        let batch = 256
        var list: [air_object] = []
        var offsets: [Int32] = [0]
        for _ in 0..<batch {
            list += BenchScenes.random(&rng, objects: objects)
            offsets.append(Int32(list.count))
        }
        guard let pool = air_pool_create(Int32(threads)) else { throw ValidationError("cannot start \(threads) threads") }
        defer { air_pool_destroy(pool) }
        var cam = camera
        let lights = light.map { [air_light](repeating: $0, count: batch) }
        var rgb = [Float](repeating: 0, count: batch * Int(camera.width * camera.height) * 3)
        var scenes = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            let status = lights.map { air_render_batch(pool, &cam, $0, list, offsets, Int32(batch), &rgb, nil) }
                ?? air_render_batch(pool, &cam, nil, list, offsets, Int32(batch), &rgb, nil)
            guard status == 0 else { throw ValidationError(String(cString: air_error_string(status))) }
            scenes += batch
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        } while elapsed < seconds
        return (scenes, elapsed)
    }

    /// Full renders of a file's scenes, each under its own light, with the first scene's camera,
    /// in batches of 256 on one thread until the time is up.
    func measureFile(_ path: String) throws {
        let text = try FileIO.readText(path)
        let parsed = try text.split(separator: "\n").enumerated().map { try SceneJSON.read(String($1), file: path, firstLine: $0 + 1) }
        guard let first = parsed.first else { throw ValidationError("\(path): no scenes") }
        var cam = Rasterizer.cCamera(first.camera, samplesPerPixel: spp)
        var list: [air_object] = [], offsets: [Int32] = [0], lights: [air_light] = []
        for s in parsed {
            list += s.objects.map(Rasterizer.cObject)
            offsets.append(Int32(list.count))
            lights.append(Rasterizer.cLight(s))
        }
        let pixels = Int(cam.width * cam.height)
        var rgb = [Float](repeating: 0, count: parsed.count * pixels * 3)
        var done = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            let status = air_render_batch(nil, &cam, lights, list, offsets, Int32(parsed.count), &rgb, nil)
            guard status == 0 else { throw ValidationError(String(cString: air_error_string(status))) }
            done += parsed.count
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        } while elapsed < seconds
        print("{\"bench\": \"render\", \"mode\": \"full-file\", \"file\": \"\(path)\", \"scenes\": \(done), \"threads\": 1, "
            + "\"seconds\": \(String(format: "%.3f", elapsed)), \"scenes_per_second\": \(String(format: "%.1f", Double(done) / elapsed))}")
    }

    /// Each thread keeps one cache per base scene and renders moves of each object in turn
    /// by small random amounts, restoring the changed region from the base image after each.
    func measureMoved(camera: air_camera, light: air_light?, objects: Int, threads: Int) throws -> (scenes: Int, seconds: Double) {
        let perThread = (0..<threads).map { t -> (bases: [[air_object]], moves: [[air_object]]) in
            var rng = RNG(seed: seed).split(1000 + UInt64(objects)).split(UInt64(t))
            let bases = (0..<8).map { _ in BenchScenes.random(&rng, objects: objects) }
            let moves = bases.map { base in
                (0..<512).map { m -> air_object in
                    var o = base[m % objects]
                    o.x += Float(rng.uniform(-0.02, 0.02))
                    o.y += Float(rng.uniform(-0.02, 0.02))
                    o.rotation_deg += Float(rng.uniform(-3, 3))
                    return o
                }
            }
            return (bases, moves)
        }
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        defer { counts.deallocate() }
        let failures = UnsafeMutableBufferPointer<Int32>.allocate(capacity: threads)
        defer { failures.deallocate() }
        let width = Int(camera.width), pixels = Int(camera.width * camera.height)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var cam = camera
            var lit = light ?? air_default_light()
            let cache = air_cache_create()!
            defer { air_cache_destroy(cache) }
            var done = 0
            var status: Int32 = 0
            var base = [Float](repeating: 0, count: pixels * 3)
            var image = base
            var region: [Int32] = [0, 0, 0, 0]
            var scene = 0
            while status == 0 && Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 < seconds {
                let (objs, moves) = (perThread[t].bases[scene], perThread[t].moves[scene])
                status = air_cache_set_scene(cache, &cam, &lit, objs, Int32(objs.count), &base)
                image = base
                for (m, move) in moves.enumerated() where status == 0 {
                    var moved = move
                    status = air_cache_render_moved(cache, Int32(m % objects), &moved, &image, &region)
                    for j in Int(region[1])..<Int(region[3]) {
                        let from = (j * width + Int(region[0])) * 3, to = (j * width + Int(region[2])) * 3
                        image.withUnsafeMutableBufferPointer { img in
                            base.withUnsafeBufferPointer { b in
                                for p in from..<to { img[p] = b[p] }
                            }
                        }
                    }
                }
                done += moves.count
                scene = (scene + 1) % perThread[t].bases.count
            }
            counts[t] = done
            failures[t] = status
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        if let bad = failures.first(where: { $0 != 0 }) { throw ValidationError(String(cString: air_error_string(bad))) }
        return (counts.reduce(0, +), elapsed)
    }
}

/// Random scenes for benchmarks: objects in distinct slots of a 2 x 2 layout two units
/// apart (jitter 0.05, so footprints never overlap), random shape, colour and yaw.
enum BenchScenes {
    static func random(_ rng: inout RNG, objects: Int) -> [air_object] {
        var slots: [(Float, Float)] = [(-1, -1), (1, -1), (-1, 1), (1, 1)]
        for i in stride(from: slots.count - 1, to: 0, by: -1) { slots.swapAt(i, rng.int(below: i + 1)) }
        return (0..<objects).map { k in
            air_object(shape: Int32(rng.int(below: 5)), color: (rng.uniformFloat(), rng.uniformFloat(), rng.uniformFloat()),
                       x: slots[k].0 + Float(rng.uniform(-0.05, 0.05)), y: slots[k].1 + Float(rng.uniform(-0.05, 0.05)),
                       rotation_deg: Float(rng.uniform(-180, 180)))
        }
    }
}
