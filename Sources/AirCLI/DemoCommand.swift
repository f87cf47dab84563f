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

    @Option(help: "Model file.")
    var model: String = defaultModelPath

    @Option(help: "Batch spec to draw scenes from (default: scenes/default.json's built-in twin).")
    var spec: String?

    @Option(help: "Number of scenes.")
    var count: Int = 6

    @Option(help: "Seed of the scenes (default: a new one each run).")
    var seed: UInt64?

    @Option(help: "Folder for the overlay images.")
    var out: String = "demo"

    func run() throws {
        try SceneCommandExit.run {
            let (network, _) = try ModelFile.load(model)
            var batch = BatchSpec.default
            if let spec { batch = try BatchSpec.read(FileIO.readText(spec), file: spec) }
            let seed = self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
            let renderer = Rasterizer(threads: 1)
            var truths: [Scene] = [], images: [Image] = []
            for i in 0..<count {
                let s = try batch.sample(index: i, seed: seed, renderer: renderer).scene
                truths.append(s)
                images.append(PNG.quantized(try renderer.render(s, samplesPerPixel: batch.samplesPerPixel)))
            }
            let inferrer = try Inferrer(network: network)
            let read = try inferrer.infer(images)
            try FileIO.makeDirectories(out)
            print("seed \(seed): \(count) scenes; overlays in \(out)/\n")
            for (k, (truth, inferred)) in zip(truths, read).enumerated() {
                print("scene \(k): \(truth.objects.count) true, \(inferred.objects.count) inferred")
                let pairs = Matching.minimumCostAssignment(truth.objects.map { t in
                    inferred.objects.map { o in
                        let d = t.position - o.object.position
                        return (d * d).sum().squareRoot()
                    }
                })
                var shown = Set<Int>()
                for (t, o) in pairs {
                    print("  true  " + describe(truth.objects[t]))
                    print("  read  " + describe(inferred.objects[o].object) + String(format: "   p=%.2f", inferred.objects[o].presence))
                    shown.insert(o)
                }
                for (t, obj) in truth.objects.enumerated() where !pairs.contains(where: { $0.row == t }) {
                    print("  true  " + describe(obj) + "   (missed)")
                }
                for (o, obj) in inferred.objects.enumerated() where !shown.contains(o) {
                    print("  read  " + describe(obj.object) + "   (extra)")
                }
                let recon = try inferrer.renderer.render(inferred.scene, samplesPerPixel: network.config.samplesPerPixel)
                let picture = Overlay.draw(input: images[k], reconstruction: recon, inferred: inferred)
                try FileIO.writeAtomically(out + "/" + DatasetLayout.name(k), PNG.encode(picture))
            }
        }
    }

    /// One aligned line; the yaw is shown modulo the shape's symmetry (as it is scored).
    func describe(_ o: SceneObject) -> String {
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        let yaw = o.shape.symmetryPeriod.map { String(format: "%5.1f° (mod %3.0f°)", Angles.canonical(o.rotation, period: $0), $0) } ?? "    -"
        return pad(o.shape.name, 9) + pad(Palette.nearestName(to: o.color.rgb), 8)
            + String(format: "at (%+.2f, %+.2f)  yaw ", o.position.x, o.position.y) + yaw
    }
}
