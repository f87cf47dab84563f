import ArgumentParser
import Scenes
#if canImport(Glibc)
import Glibc
#endif

/// Exit codes of the scene commands: 0 success, 1 bad input or usage (a scene or spec
/// error, a refusal to overwrite), 2 I/O failure (cannot read, create or write a file).
/// Argument-parser usage errors keep ArgumentParser's own code (64).
enum SceneCommandExit {
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ExitCode {
            throw e
        } catch let e as IOError {
            report("\(e)")
            throw ExitCode(2)
        } catch {
            report("\(error)")
            throw ExitCode(1)
        }
    }

    static func report(_ message: String) {
        fputs("air: error: \(message)\n", stderr)
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
