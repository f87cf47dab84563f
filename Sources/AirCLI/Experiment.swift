import AIR
import ArgumentParser
import Dispatch
import Foundation
import Scenes

struct Experiment: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "experiment", shouldDisplay: false)
    @Option var images = 200
    @Option var maxRenders = 2500
    func run() throws {
        try SceneCommandExit.run {
            var config = ModelConfig(); config.inferLight = false
            let (scenes, imgs) = try BatchSpec.default.observedScenes(count: images, seed: 77, renderer: Rasterizer(threads: 1))
            var o = RefinementOptions(); o.maxRenders = maxRenders; o.lightMoves = false
            let refiner = Refiner(config: config, options: o)
            var e = Evaluation()
            let t0 = DispatchTime.now().uptimeNanoseconds
            var renders = 0
            for (s, img) in zip(scenes, imgs) {
                let (r, rep) = try refiner.refine(img, start: config.scene(light: Light(), objects: []))
                renders += rep.renders
                e.add(truth: s.objects, predicted: r.objects)
            }
            let sec = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            print(e.report(seconds: sec).summary, "renders/img", renders / images, "img/s", Double(images) / sec)
        }
    }
}
