#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// A refusal to write: the output path is something air never replaces (a device, FIFO,
/// socket, folder or symbolic link) or is also one of the command's inputs. Bad usage
/// (exit code 1), not an I/O failure; names the path.
public struct RefusedOutput: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// The one way air writes a file: the bytes go to a new temporary file in the same folder
/// (`.air-tmp-XXXXXX`: short, so a target name of any legal length still fits, and created
/// exclusively, so it never opens something that was already there), which is then renamed
/// over the target. A reader never sees a partial file; an interrupted write leaves only a
/// `.air-tmp-*` file behind (removed on failure and by `air generate --resume`).
///
/// The target may be absent or a regular file. Anything else that exists there — a device,
/// a FIFO, a socket, a folder or a symbolic link (which could lead anywhere) — is refused with
/// a `RefusedOutput` naming the path, and is checked again right before the rename. Where the
/// target is absent the file is put in place with `link`, which fails rather than replace
/// something created in the meantime.
extension FileIO {
    public static let temporaryPrefix = ".air-tmp-"

    /// Whether `name` (a file name, no folder) is one of our temporary files.
    public static func isTemporaryName(_ name: String) -> Bool { name.hasPrefix(temporaryPrefix) }

    /// Writes `bytes` to `path` atomically. `durable` also flushes the data to the disk
    /// before the rename (models and training state: an interruption must not leave an
    /// empty file behind the new name).
    public static func writeAtomically(_ path: String, _ bytes: UnsafeRawBufferPointer, durable: Bool = false) throws {
        try checkOutputTarget(path)
        let (fd, tmp) = try createTemporary(near: path)
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
        if durable && fsync(fd) != 0 { let e = IOError.errno(path, "cannot write"); close(fd); unlink(tmp); throw e }
        if close(fd) != 0 { let e = IOError.errno(path, "cannot write"); unlink(tmp); throw e }
        try moveIntoPlace(tmp, path)
    }

    public static func writeAtomically(_ path: String, _ bytes: [UInt8], durable: Bool = false) throws {
        try bytes.withUnsafeBytes { try writeAtomically(path, $0, durable: durable) }
    }

    public static func writeAtomically(_ path: String, text: String) throws {
        try writeAtomically(path, Array(text.utf8))
    }

    /// Refuses a target that exists and is not a regular file.
    public static func checkOutputTarget(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return } // absent (or unreachable: creating the temporary file says why)
        let kind = st.st_mode & S_IFMT
        guard kind != S_IFREG else { return }
        throw RefusedOutput(path: path, message: "exists and is \(describe(kind)); air writes only over regular files and never replaces devices, FIFOs, sockets, folders or symbolic links")
    }

    static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFDIR: return "a folder"
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a regular file"
        }
    }

    /// Creates a new temporary file in `path`'s folder, exclusively (O_EXCL), with the
    /// permissions a new file gets (0644 under the umask).
    public static func createTemporary(near path: String, readable: Bool = false) throws -> (fd: Int32, path: String) {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let suffix = String((0..<6).map { _ in letters[Int(generator.next() % UInt64(letters.count))] })
            let tmp = dir + temporaryPrefix + suffix
            let fd = open(tmp, (readable ? O_RDWR : O_WRONLY) | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
            if fd >= 0 { return (fd, tmp) }
            if Glibc.errno != EEXIST { throw IOError.errno(path, "cannot create a temporary file in its folder") }
        }
        throw IOError(path: path, message: "cannot create a temporary file in its folder (100 names taken)")
    }

    /// Renames the finished temporary file `tmp` (in the same folder) to `path`, after checking
    /// the target again; `tmp` is removed whatever happens.
    public static func moveIntoPlace(_ tmp: String, _ path: String) throws {
        do {
            try checkOutputTarget(path)
            var st = stat()
            if lstat(path, &st) != 0 && Glibc.errno == ENOENT {
                // Absent: link fails (EEXIST) instead of replacing whatever appeared since the check.
                if link(tmp, path) == 0 { unlink(tmp); return }
                if Glibc.errno == EEXIST { try checkOutputTarget(path) }
                // Otherwise the file system has no hard links: rename, as for an existing file.
            }
            if rename(tmp, path) != 0 { throw IOError.errno(path, "cannot rename into place") }
        } catch {
            unlink(tmp)
            throw error
        }
    }
}
