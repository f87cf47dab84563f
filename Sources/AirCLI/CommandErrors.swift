import AIR
import ArgumentParser
import Collective
import Engine
import Scenes
#if canImport(Glibc)
import Glibc
#endif

/// Exit codes of the scene commands: 0 success, 1 bad input or usage (a scene or spec
/// error, a refusal to overwrite), 2 I/O failure (cannot read, create or write a file).
/// Argument-parser usage errors keep ArgumentParser's own code (64).
enum SceneCommandExit {
    /// Runs a command's work; an error is said (once for a job of many ranks, see `say`) and
    /// becomes the exit code.
    static func run(in world: (any Collective)? = nil, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ExitCode {
            throw e
        } catch {
            say(error, in: world)
            throw ExitCode(code(of: error))
        }
    }

    static func code(of error: Error) -> Int32 {
        if error is IOError { return 2 }
        if let e = error as? SafeTensorsError, e.kind == .io { return 2 }
        return 1
    }

    /// Reports an error. In a job of many ranks an error of the settings or of files every rank
    /// reads whole is every rank's: rank 0 says it once. Anything else may be one rank's own and
    /// says which (an image of the wrong size is read by one rank only).
    static func say(_ error: Error, in world: (any Collective)?) {
        guard let world, world.size > 1 else { return report("\(error)") }
        if world.isRoot {
            report("\(error)")
        } else if !isEveryRanks(error) {
            report("rank \(world.rank): \(error)")
        } else {
            // mpirun ends the job when the first rank leaves: give rank 0 time to say it.
            usleep(300_000)
        }
    }

    private static func isEveryRanks(_ error: Error) -> Bool {
        if error is ValidationError { return true }
        guard let e = error as? TrainingError else { return false }
        switch e {
        case .unsupported, .badModel, .badRun, .nonFinite: return true
        case .imageSize: return false
        }
    }

    /// Control characters that reach a message (from a file name, say) are escaped: a NUL
    /// would end the C string early and an escape sequence would rewrite the terminal.
    static func report(_ message: String) {
        var safe = ""
        for scalar in message.unicodeScalars {
            if (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value) {
                let hex = String(scalar.value, radix: 16)
                safe += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                safe.unicodeScalars.append(scalar)
            }
        }
        fputs("air: error: \(safe)\n", stderr)
    }
}

/// "128x128" → (128, 128).
struct ImageSize: ExpressibleByArgument {
    var width: Int
    var height: Int
    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]),
              (1...Camera.maxSide).contains(w), (1...Camera.maxSide).contains(h) else { return nil }
        width = w
        height = h
    }
}
