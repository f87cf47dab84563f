import AIR
import ArgumentParser
import Files
import Foundation
import Reports

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A self-contained HTML report of a training run or an evaluation.",
        discussion: """
        air report RUN --out report.html        training curves (loss, ELBO, held-out count, shape, \
        position and yaw error against step and wall time) from RUN/metrics.jsonl
        air report EVAL.json --out report.html  an `air eval --json` report: count confusion, per-count \
        figures, error histograms per shape, the reliability diagram, the worst images with overlays

        One HTML file, inline SVG, no script and no network: open it in any browser.
        """
    )

    @Argument(help: "A training run folder or an air eval --json file.")
    var input: String

    @Option(help: "The HTML file to write.")
    var out: String

    func run() throws {
        try SceneCommandExit.run {
            let html: String
            if FileIO.isDirectory(input) {
                let run = TrainingRun(folder: input)
                try FileIO.checkOutputs([out], inputs: [run.metricsPath])
                html = try ReportPage.training(metricsJSONL: FileIO.readText(run.metricsPath), title: "Training run \(input)")
            } else {
                try FileIO.checkOutputs([out], inputs: [input])
                let text = try FileIO.readText(input)
                let report: EvaluationReport
                do { report = try JSONDecoder().decode(EvaluationReport.self, from: Data(text.utf8)) } catch {
                    throw ValidationError("\(input): not an air eval --json report (\(error))")
                }
                html = ReportPage.evaluation(report, title: "Evaluation \(input)")
            }
            try FileIO.writeAtomically(out, text: html)
        }
    }
}
