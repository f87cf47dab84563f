#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// A file as the system knows it: device and inode. Two paths name the same file exactly
/// when their identities are equal, whatever the spelling (`./a`, `dir/../a`, a symbolic or a
/// hard link) — string comparison of paths cannot tell.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
}

extension FileIO {
    /// The identity of the file `path` leads to (links followed), or nil when there is none.
    public static func identity(_ path: String) -> FileIdentity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// Refuses to go on when an output would replace one of the inputs: each output that
    /// exists is compared with every input by identity. Call it before writing anything.
    public static func checkOutputs(_ outputs: [String], inputs: [String]) throws {
        var read: [FileIdentity: String] = [:]
        for input in inputs {
            if let id = identity(input), read[id] == nil { read[id] = input }
        }
        guard !read.isEmpty else { return }
        for output in outputs {
            guard let id = identity(output), let input = read[id] else { continue }
            let same = output == input ? "is also an input" : "is the same file as the input \(input)"
            throw RefusedOutput(path: output, message: "\(same); air never writes over its inputs (choose another output)")
        }
    }

    /// The absolute path with every symbolic link, `.` and `..` resolved, or nil when it
    /// does not exist.
    public static func resolved(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
