import ArgumentParser

@main
struct Air: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "air",
        abstract: "Attend, Infer, Repeat on scenes of toy blocks: render, generate datasets, train, infer, evaluate.",
        subcommands: [Demo.self, Render.self, Generate.self, Train.self, Infer.self, Eval.self, Calibrate.self, Adapt.self, Export.self, Serve.self, Report.self, Bench.self]
    )
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release-build benchmarks printing JSON lines.",
        subcommands: [BenchRender.self, BenchGenerate.self, BenchEngine.self, BenchInfer.self, BenchRefine.self, BenchExport.self, BenchTrain.self, BenchAllReduce.self]
    )
}
