import Scenes
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// Where air finds the bundled model when no `--model` is given, wherever it is run from.
/// In this order:
/// 1. the file `$AIR_MODEL` names, when the variable is set (taken as is: an error names it);
/// 2. `models/default.safetensors` under the working directory (a checkout's root);
/// 3. `models/default.safetensors` in each folder above the running executable, its links
///    resolved (`.build/release/air` of a checkout finds the checkout's model; so does a
///    link to it in `~/bin`).
public enum BundledModel {
    public static let relativePath = "models/default.safetensors"
    public static let environmentVariable = "AIR_MODEL"

    /// The places looked at, in order.
    public static func candidates(environment: [String: String], executable: String?) -> [String] {
        if let path = environment[environmentVariable], !path.isEmpty { return [path] }
        var out = [relativePath]
        guard var dir = executable.flatMap({ FileIO.resolved($0) }) else { return out }
        while let slash = dir.lastIndex(of: "/") {
            dir = String(dir[..<slash])
            out.append((dir.isEmpty ? "" : dir) + "/" + relativePath)
        }
        return out
    }

    /// The bundled model's path for this process, or an error saying where it was looked for.
    public static func locate(environment: [String: String] = currentEnvironment(), executable: String? = "/proc/self/exe") throws -> String {
        let places = candidates(environment: environment, executable: executable)
        if environment[environmentVariable].map({ !$0.isEmpty }) == true { return places[0] }
        if let found = places.first(where: { FileIO.exists($0) }) { return found }
        throw IOError(path: relativePath, message: "the bundled model was not found (looked in the working directory and the folders above the air executable: \(places.joined(separator: ", "))); give --model FILE or set \(environmentVariable)")
    }

    public static func currentEnvironment() -> [String: String] {
        guard let value = getenv(environmentVariable) else { return [:] }
        return [environmentVariable: String(cString: value)]
    }
}
