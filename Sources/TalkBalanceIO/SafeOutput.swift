import Foundation

/// Why an output file could not be written; `description` is one sentence naming the file.
public struct OutputError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case exists, cannotCreate, writeFailed }
    public let kind: Kind
    public let path: String
    public let detail: String
    public var description: String { "\(path): \(detail)" }
}

/// Writes a whole output file safely: to a private temporary file (mode 0600) in the same folder, then
/// renamed into place, so a failure never leaves a partial file; refuses to replace an existing file
/// unless `overwrite` is set.
public enum SafeOutput {
    public static func write(_ data: Data, to path: String, overwrite: Bool) throws(OutputError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw OutputError(kind: .cannotCreate, path: path, detail: "is a directory") }
            if !overwrite { throw OutputError(kind: .exists, path: path, detail: "already exists; pass --force to replace it") }
        }
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OutputError(kind: .cannotCreate, path: path, detail: "cannot be created: folder \(folder) does not exist")
        }
        let temporary = folder + "/." + url.lastPathComponent + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw OutputError(kind: .cannotCreate, path: path, detail: "cannot be created (\(String(cString: strerror(errno))))")
        }
        var failure: String? = nil
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; failure = String(cString: strerror(errno)); return }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil {
            if overwrite {
                if rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
            } else {
                // link() fails if the name appeared meanwhile: never replaces a file by accident.
                if link(temporary, path) != 0 {
                    failure = errno == EEXIST ? "it appeared while writing; pass --force to replace it" : String(cString: strerror(errno))
                }
                unlink(temporary)
            }
        }
        if let failure {
            unlink(temporary)
            throw OutputError(kind: .writeFailed, path: path, detail: "could not be written (\(failure))")
        }
    }
}
