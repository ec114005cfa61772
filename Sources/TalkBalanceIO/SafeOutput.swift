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
/// Owns its file descriptor; if it is dropped without `commit()`, the temporary file is removed.
public final class SafeOutputFile {
    public let path: String
    private let overwrite: Bool
    private let temporary: String
    private var fd: Int32 = -1
    private var committed = false

    public init(path: String, overwrite: Bool) throws(OutputError) {
        self.path = path
        self.overwrite = overwrite
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        temporary = folder + "/." + url.lastPathComponent + ".\(getpid()).tmp"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw OutputError(kind: .cannotCreate, path: path, detail: "is a directory") }
            if !overwrite { throw OutputError(kind: .exists, path: path, detail: "already exists; pass --force to replace it") }
        }
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OutputError(kind: .cannotCreate, path: path, detail: "cannot be created: folder \(folder) does not exist")
        }
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw OutputError(kind: .cannotCreate, path: path, detail: "cannot be created (\(String(cString: strerror(errno))))")
        }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporary) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputError(kind: .writeFailed, path: path, detail: "could not be written (\(String(cString: strerror(errno))))")
            }
            offset += n
        }
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
            if overwrite {
                if rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
            } else if link(temporary, path) != 0 {
                // link() fails if the name appeared meanwhile: never replaces a file by accident.
                failure = errno == EEXIST ? "it appeared while writing; pass --force to replace it" : String(cString: strerror(errno))
            }
        }
        if let failure { throw OutputError(kind: .writeFailed, path: path, detail: "could not be written (\(failure))") }
        if !overwrite { unlink(temporary) }
        committed = true
    }
}

/// Writes a whole output file at once, with the guarantees of `SafeOutputFile`.
public enum SafeOutput {
    public static func write(_ data: Data, to path: String, overwrite: Bool) throws(OutputError) {
        let file = try SafeOutputFile(path: path, overwrite: overwrite)
        try file.write(data)
        try file.commit()
    }
}
