import Foundation

/// Why an output file could not be written; `description` is one sentence naming the file.
public struct OutputError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case exists, cannotCreate, writeFailed }
    public let kind: Kind
    public let path: String
    public let detail: String
    public var description: String { "\(path): \(detail)" }
}

/// An output file written safely and in pieces: the pieces go to a private temporary file (mode 0600)
/// in the same folder, and only `commit()` puts it in place, so a failure or an early exit never leaves
/// a partial file. Refuses to replace an existing file unless `overwrite` is set.
///
/// A path that already names a character device or a named pipe (`/dev/null`, `/dev/stdout`, a FIFO)
/// is a stream, not a file: nothing is replaced, so no `overwrite` is needed, and `commit()` copies the
/// finished temporary file into it. (Renaming over it would replace the device node itself.) Other
/// kinds of special file are refused.
///
/// Owns its file descriptor; if it is dropped without `commit()`, the temporary file is removed.
public final class SafeOutputFile {
    public let path: String
    private let overwrite: Bool
    /// `path` is a character device or a named pipe: copied into at `commit()`, never replaced.
    private let intoStream: Bool
    private let temporary: String
    private var fd: Int32 = -1
    private var committed = false

    public init(path: String, overwrite: Bool) throws(OutputError) {
        self.path = path
        self.overwrite = overwrite
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var temporary = folder + "/." + url.lastPathComponent + ".\(getpid()).tmp"
        let kind = Self.kind(of: path)
        switch kind {
        case nil, S_IFCHR, S_IFIFO: break
        case S_IFDIR: throw OutputError(kind: .cannotCreate, path: path, detail: "is a directory")
        case S_IFREG:
            if !overwrite { throw OutputError(kind: .exists, path: path, detail: "already exists; pass --force to replace it") }
        default: throw OutputError(kind: .cannotCreate, path: path, detail: "is not a regular file, a device or a named pipe")
        }
        let stream = kind.map(Self.isStream) ?? false
        intoStream = stream
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OutputError(kind: .cannotCreate, path: path, detail: "cannot be created: folder \(folder) does not exist")
        }
        if stream {
            // The pieces wait in a private temporary file of the system's (the device's folder, /dev,
            // is no place for it), so a failure before commit() writes nothing into the stream.
            let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            temporary = base + "/.talkbalance-output.\(getpid()).\(UInt32.random(in: 0..<UInt32.max)).tmp"
        }
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw OutputError(kind: .cannotCreate, path: path, detail: "cannot be created (\(String(cString: strerror(errno))))")
        }
        self.temporary = temporary
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporary) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        if let failure = Self.writeAll(fd, bytes) {
            throw OutputError(kind: .writeFailed, path: path, detail: "could not be written (\(failure))")
        }
    }

    /// The file type bits (`S_IFREG`, `S_IFDIR`, ...) of what `path` names, following links; nil if nothing.
    static func kind(of path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    /// A character device or a named pipe: written into, never replaced.
    static func isStream(_ kind: mode_t) -> Bool { kind == S_IFCHR || kind == S_IFIFO }

    /// Writes all of `bytes` to `fd` (retrying after signals); the reason on failure.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> String? {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            offset += n
        }
        return nil
    }

    public func write(_ data: Data) throws(OutputError) {
        var failure: OutputError? = nil
        data.withUnsafeBytes { raw in
            do { try write(raw) } catch { failure = error as? OutputError }
        }
        if let failure { throw failure }
    }

    /// Flushes to disk and puts the file in place (never over an existing file unless `overwrite`).
    public func commit() throws(OutputError) {
        precondition(!committed)
        var failure: String? = nil
        if fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        fd = -1
        if failure == nil {
            if intoStream {
                failure = copyIntoStream()
                unlink(temporary)
            } else if overwrite {
                if rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
            } else if link(temporary, path) != 0 {
                // link() fails if the name appeared meanwhile: never replaces a file by accident.
                failure = errno == EEXIST ? "it appeared while writing; pass --force to replace it" : String(cString: strerror(errno))
            }
        }
        if let failure { throw OutputError(kind: .writeFailed, path: path, detail: "could not be written (\(failure))") }
        if !overwrite && !intoStream { unlink(temporary) }
        committed = true
    }

    /// Copies the finished temporary file into the device or pipe at `path`; the reason on failure.
    private func copyIntoStream() -> String? {
        let source = open(temporary, O_RDONLY)
        guard source >= 0 else { return String(cString: strerror(errno)) }
        defer { close(source) }
        let target = open(path, O_WRONLY)
        guard target >= 0 else { return String(cString: strerror(errno)) }
        defer { close(target) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return String(cString: strerror(errno)) }
            if n == 0 { return nil }
            if let failure = buffer.withUnsafeBytes({ Self.writeAll(target, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) { return failure }
        }
    }
}

/// Writes a whole output file at once, with the guarantees of `SafeOutputFile`.
public enum SafeOutput {
    /// Whether writing to `path` would replace something: it exists and is not a character device or a
    /// named pipe (which are written into). For refusing early, before any work, without --force.
    public static func wouldReplace(_ path: String) -> Bool {
        SafeOutputFile.kind(of: path).map { !SafeOutputFile.isStream($0) } ?? false
    }

    public static func write(_ data: Data, to path: String, overwrite: Bool) throws(OutputError) {
        let file = try SafeOutputFile(path: path, overwrite: overwrite)
        try file.write(data)
        try file.commit()
    }
}
