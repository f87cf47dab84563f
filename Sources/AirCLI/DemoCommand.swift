import AIR
import ArgumentParser
import Foundation
import Random
import Scenes

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render fresh random scenes, read them back with the bundled model, show truth beside inference.",
        discussion: "Writes OUT/NNNNNN.png overlays: the input and the inferred scene re-rendered, glimpses boxed."
    )

    @OptionGroup var reading: ReadingFlags

    @Option(help: "Batch spec to draw scenes from (default: scenes/varied.json's built-in twin: any light, shadows, camera effects).")
    var spec: String?

    @Option(parsing: .unconditional, help: "Number of scenes.")
    var count: Int = 6

    @Option(parsing: .unconditional, help: "Seed of the scenes (default: a new one each run).")
    var seed: UInt64?

    @Option(help: "Folder for the overlay images.")
    var out: String = "demo"

    func validate() throws {
        if !(1...10_000).contains(count) { throw ValidationError("--count must be in 1...10000") }
    }

    func run() throws {
        try SceneCommandExit.run {
            try FileIO.checkOutputs((0..<count).map { out + "/" + DatasetLayout.name($0) }, inputs: [reading.modelPath()] + (spec.map { [$0] } ?? []))
            let reader = try reading.reader()
            let network = reader.network
            var batch = BatchSpec.varied
            if let spec { batch = try BatchSpec.read(FileIO.readText(spec), file: spec) }
            let seed = self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
            let (truths, images) = try batch.observedScenes(count: count, seed: seed, renderer: Rasterizer(threads: 1))
            let readings = try reader.read(images)
            try FileIO.makeDirectories(out)
            print("seed \(seed): \(count) scenes; overlays in \(out)/\n")
            for (k, (truth, reading)) in zip(truths, readings).enumerated() {
                let inferred = reading.objects
                print("scene \(k): \(truth.objects.count) true, \(inferred.count) read")
                print("  true  light " + describe(truth.light))
                print("  read  light " + describe(reading.scene.light))
                let pairs = Matching.minimumCostAssignment(truth.objects.map { t in
                    inferred.map { o in
                        let d = t.position - o.object.position
                        return (d * d).sum().squareRoot()
                    }
                })
                var shown = Set<Int>()
                for (t, o) in pairs {
                    print("  true  " + describe(truth.objects[t]))
                    print("  read  " + describe(inferred[o].object) + String(format: "   confidence %.2f", inferred[o].confidence))
                    shown.insert(o)
                }
                for (t, obj) in truth.objects.enumerated() where !pairs.contains(where: { $0.row == t }) {
                    print("  true  " + describe(obj) + "   (missed)")
                }
                for (o, obj) in inferred.enumerated() where !shown.contains(o) {
                    print("  read  " + describe(obj.object) + "   (extra)")
                }
                let recon = try reader.inferrer.renderer.render(reading.scene, samplesPerPixel: network.config.samplesPerPixel)
                let picture = Overlay.draw(input: images[k], reconstruction: recon, inferred: reading.inferred)
                try FileIO.writeAtomically(out + "/" + DatasetLayout.name(k), PNG.encode(picture))
            }
        }
    }

    func describe(_ l: Light) -> String {
        let (e, a) = l.elevationAzimuth
        return String(format: "elevation %4.1f°  azimuth %6.1f°  ambient %.2f  diffuse %.2f  shadows %@", e, a, l.ambient, l.diffuse, l.shadows ? "on" : "off")
    }

    /// One aligned line; the yaw is shown modulo the shape's symmetry (as it is scored).
    func describe(_ o: SceneObject) -> String {
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        let yaw = o.shape.symmetryPeriod.map { String(format: "%5.1f° (mod %3.0f°)", Angles.canonical(o.rotation, period: $0), $0) } ?? "    -"
        return pad(o.shape.name, 9) + pad(Palette.nearestName(to: o.color.rgb), 8)
            + String(format: "at (%+.2f, %+.2f)  yaw ", o.position.x, o.position.y) + yaw
    }
}
