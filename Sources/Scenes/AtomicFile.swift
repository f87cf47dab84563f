#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// An I/O failure: names the path and the system's reason.
public struct IOError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }

    static func errno(_ path: String, _ what: String) -> IOError {
        IOError(path: path, message: "\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// Plain POSIX file helpers. Every write goes to a temporary file in the same folder
/// and is renamed over the target, so a reader never sees a partial file and an
/// interrupted write leaves only a `.NAME.tmp` file behind (removed on failure and by
/// `air generate --resume`).
public enum FileIO {
    /// The temporary name used for `path`: `.NAME.tmp` in the same folder.
    public static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return dir + "." + name + ".tmp"
    }

    /// Writes `bytes` to `path` atomically (temp file + rename).
    public static func writeAtomically(_ path: String, _ bytes: UnsafeRawBufferPointer) throws {
        let tmp = temporaryPath(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError.errno(path, "cannot create") }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                let e = IOError.errno(path, "cannot write")
                close(fd); unlink(tmp)
                throw e
            }
            done += n
        }
        if close(fd) != 0 { let e = IOError.errno(path, "cannot write"); unlink(tmp); throw e }
        if rename(tmp, path) != 0 { let e = IOError.errno(path, "cannot rename into place"); unlink(tmp); throw e }
    }

    public static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAtomically(path, $0) }
    }

    public static func writeAtomically(_ path: String, text: String) throws {
        try writeAtomically(path, Array(text.utf8))
    }

    /// Inputs larger than this are refused before reading (no input of air comes near it).
    public static let maxInputBytes = 1 << 30

    /// Reads a regular file. Devices, FIFOs and sockets are refused (they may block forever or
    /// never end), and so is a file over `maxInputBytes`.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw IOError.errno(path, "cannot open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw IOError.errno(path, "cannot stat") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw IOError(path: path, message: "not a regular file (a device, FIFO, socket or folder); air reads regular files only")
        }
        guard Int(info.st_size) <= maxInputBytes else {
            throw IOError(path: path, message: "\(info.st_size) bytes, more than the \(maxInputBytes >> 20) MiB air reads")
        }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw IOError.errno(path, "cannot read")
            }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
        }
    }

    public static func readText(_ path: String) throws -> String {
        let bytes = try read(path)
        guard let s = String(validating: bytes, as: UTF8.self) else { throw IOError(path: path, message: "not valid UTF-8 text") }
        return s
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates `path` and missing parents.
    public static func makeDirectories(_ path: String) throws {
        if isDirectory(path) { return }
        let parent = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        if !parent.isEmpty && parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && Glibc.errno != EEXIST { throw IOError.errno(path, "cannot create folder") }
        if !isDirectory(path) { throw IOError(path: path, message: "exists and is not a folder") }
    }

    /// Names in a folder (without "." and "..").
    public static func list(_ path: String) throws -> [String] {
        guard let d = opendir(path) else { throw IOError.errno(path, "cannot list") }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func remove(_ path: String) throws {
        if unlink(path) != 0 && Glibc.errno != ENOENT { throw IOError.errno(path, "cannot remove") }
    }
}
