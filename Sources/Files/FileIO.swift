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

    public static func errno(_ path: String, _ what: String) -> IOError {
        IOError(path: path, message: "\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// A file that should be text but is not valid UTF-8: bad input (exit code 1), not an I/O
/// failure. Names the file, the line and the column (in bytes) of the first bad byte.
public struct NotUTF8Error: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var line: Int
    public var column: Int
    public var description: String { "\(path):\(line): not valid UTF-8 text (bad byte at column \(column))" }
}

/// A file whose content is not what air expects (an empty file or a corrupt PNG given as an
/// image): bad input (exit code 1), not an I/O failure. Names the file.
public struct InvalidFile: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// Plain POSIX file helpers. Every write goes through `writeAtomically` (AtomicFile.swift).
public enum FileIO {
    /// Inputs larger than this are refused before reading (no input of air comes near it).
    public static let maxInputBytes = 1 << 30

    /// Reads a regular file. Devices, FIFOs and sockets are refused (they may block forever or
    /// never end), and so is a file over `maxInputBytes`.
    public static func read(_ path: String) throws -> [UInt8] {
        try read(path, atMost: nil)
    }

    /// The first `count` bytes of a regular file (fewer when it is shorter).
    public static func read(_ path: String, prefix count: Int) throws -> [UInt8] {
        try read(path, atMost: count)
    }

    static func read(_ path: String, atMost limit: Int?) throws -> [UInt8] {
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
        out.reserveCapacity(min(Int(info.st_size), limit ?? Int.max))
        var buffer = [UInt8](repeating: 0, count: min(1 << 16, max(1, limit ?? Int.max)))
        while true {
            let want = min(buffer.count, (limit ?? Int.max) - out.count)
            if want == 0 { return out }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, want) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw IOError.errno(path, "cannot read")
            }
            if n == 0 { return out }
            // A file growing while it is read must not get past the limit either.
            guard out.count + n <= maxInputBytes else {
                throw IOError(path: path, message: "grew past the \(maxInputBytes >> 20) MiB air reads while being read")
            }
            out.append(contentsOf: buffer[0..<n])
        }
    }

    public static func readText(_ path: String) throws -> String {
        let bytes = try read(path)
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        throw firstInvalidUTF8(bytes, path: path)
    }

    /// Where the first invalid UTF-8 sequence of `bytes` starts.
    static func firstInvalidUTF8(_ bytes: [UInt8], path: String) -> NotUTF8Error {
        var line = 1, lineStart = 0, i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length = b < 0x80 ? 1 : b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xF0 && b < 0xF5 ? 4 : 0
            if length == 0 || i + length > bytes.count
                || String(validating: bytes[i..<(i + length)], as: UTF8.self) == nil {
                break
            }
            if b == 0x0A { line += 1; lineStart = i + 1 }
            i += length
        }
        return NotUTF8Error(path: path, line: line, column: i - lineStart + 1)
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
