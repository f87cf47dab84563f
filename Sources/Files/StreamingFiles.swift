#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// Reads a regular file line by line in fixed-size chunks, so a file of any length costs the
/// memory of its longest line (bounded by `maxLineBytes`). The same refusals as `FileIO.read`:
/// devices, FIFOs, sockets and folders.
public final class LineReader {
    public let path: String
    public static let maxLineBytes = 1 << 24
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    /// The 1-based number of the line last returned.
    public private(set) var lineNumber = 0

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw IOError.errno(path, "cannot open") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw IOError(path: path, message: "not a regular file (a device, FIFO, socket or folder); air reads regular files only")
        }
    }

    deinit { close(fd) }

    /// The next line without its newline, or nil at the end of the file.
    public func next() throws -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                let line = buffer[start..<nl]
                start = nl + 1
                lineNumber += 1
                return line
            }
            if finished {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                lineNumber += 1
                return line
            }
            guard buffer.count - start <= LineReader.maxLineBytes else {
                throw IOError(path: path, message: "line \(lineNumber + 1) is longer than \(LineReader.maxLineBytes >> 20) MiB")
            }
            buffer.removeSubrange(0..<start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.errno(path, "cannot read")
            }
            if n == 0 { finished = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        }
    }
}

/// A file written piece by piece that appears at its path only when complete: the pieces go to
/// a temporary file in the same folder (see `FileIO.writeAtomically` for the refusals and the
/// rename). `commit()` puts it in place; without it (an error, an interruption) the temporary
/// file is removed and the target is untouched.
public final class AtomicFileWriter {
    public let path: String
    private var fd: Int32
    private let tmp: String
    private var pending: [UInt8] = []

    public init(path: String) throws {
        self.path = path
        try FileIO.checkOutputTarget(path)
        (fd, tmp) = try FileIO.createTemporary(near: path)
        pending.reserveCapacity(1 << 16)
    }

    deinit {
        if fd >= 0 { close(fd); unlink(tmp) }
    }

    public func write(_ bytes: some Sequence<UInt8>) throws {
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 16 { try flush() }
    }

    public func write(_ text: String) throws { try write(text.utf8) }

    private func flush() throws {
        try pending.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes what is pending and renames the file into place.
    public func commit() throws {
        try flush()
        let status = close(fd)
        fd = -1
        guard status == 0 else { unlink(tmp); throw IOError.errno(path, "cannot write") }
        try FileIO.moveIntoPlace(tmp, path)
    }
}

extension AtomicFileWriter {
    /// Appends the whole of another file, in chunks.
    public func append(contentsOf scratch: ScratchFile) throws {
        try scratch.forEachChunk { try write($0) }
    }
}

/// A temporary file next to an output, for a part written before its place in the output is
/// reached (COCO's annotations come after all the images). Created exclusively; removed when
/// released.
public final class ScratchFile {
    private let fd: Int32
    public let path: String
    private var pending: [UInt8] = []

    public init(near output: String) throws {
        (fd, path) = try FileIO.createTemporary(near: output, readable: true)
    }

    deinit { close(fd); unlink(path) }

    public func write(_ text: String) throws {
        pending.append(contentsOf: text.utf8)
        if pending.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        try pending.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Everything written so far, in chunks of at most 64 KiB.
    public func forEachChunk(_ body: (ArraySlice<UInt8>) throws -> Void) throws {
        try flush()
        var offset: off_t = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.errno(path, "cannot read")
            }
            if n == 0 { return }
            try body(chunk[0..<n])
            offset += off_t(n)
        }
    }
}

extension FileIO {
    /// Writes all of `bytes` to `fd` (retrying short writes and interruptions); an error names `path`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.errno(path, "cannot write")
            }
            done += n
        }
    }
}
