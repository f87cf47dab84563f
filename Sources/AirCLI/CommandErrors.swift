import ArgumentParser
import Engine
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
        } catch let e as SafeTensorsError where e.kind == .io {
            report("\(e)")
            throw ExitCode(2)
        } catch {
            report("\(error)")
            throw ExitCode(1)
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
