import Foundation
import Testing
import TalkBalanceIO

@Suite("SafeOutput writes whole private files and never replaces by accident")
struct SafeOutputTests {
    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    private func outputError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> OutputError? {
        do {
            try body()
            return nil
        } catch let error as OutputError {
            return error
        } catch {
            Issue.record("expected an OutputError, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test func writesDataWithMode0600() throws {
        let folder = try TempFolder()
        let path = folder.path("report.json")
        let data = Data("{\"hello\": 1}\n".utf8)
        try SafeOutput.write(data, to: path, overwrite: false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == data)
        let m = try mode(path)
        #expect(m == 0o600, "mode \(String(m, radix: 8))")
        #expect(try folder.entries() == ["report.json"])
    }

    @Test func writesEmptyAndLargeData() throws {
        let folder = try TempFolder()
        try SafeOutput.write(Data(), to: folder.path("empty.txt"), overwrite: false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.path("empty.txt"))).isEmpty)
        let big = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try SafeOutput.write(big, to: folder.path("big.bin"), overwrite: false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.path("big.bin"))) == big)
        #expect(try folder.entries() == ["big.bin", "empty.txt"])
    }

    @Test func refusesToOverwriteWithoutPermission() throws {
        let folder = try TempFolder()
        let path = folder.path("report.txt")
        let original = Data("keep me\n".utf8)
        try original.write(to: URL(fileURLWithPath: path))
        let error = outputError { try SafeOutput.write(Data("new\n".utf8), to: path, overwrite: false) }
        #expect(error?.kind == .exists)
        #expect(error?.path == path)
        #expect(error?.description.contains(path) == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        #expect(try folder.entries() == ["report.txt"])
    }

    @Test func replacesWithOverwrite() throws {
        let folder = try TempFolder()
        let path = folder.path("report.txt")
        try Data("old content that is longer than the new one\n".utf8).write(to: URL(fileURLWithPath: path))
        let replacement = Data("new\n".utf8)
        try SafeOutput.write(replacement, to: path, overwrite: true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == replacement)
        #expect(try mode(path) == 0o600)
        #expect(try folder.entries() == ["report.txt"])
    }

    @Test func overwriteOfAMissingFileCreatesIt() throws {
        let folder = try TempFolder()
        let path = folder.path("fresh.csv")
        try SafeOutput.write(Data("a,b\n".utf8), to: path, overwrite: true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("a,b\n".utf8))
        #expect(try mode(path) == 0o600)
        #expect(try folder.entries() == ["fresh.csv"])
    }

    @Test(arguments: [false, true])
    func missingFolderCannotBeCreated(overwrite: Bool) throws {
        let folder = try TempFolder()
        let path = folder.path("no-such-folder/report.txt")
        let error = outputError { try SafeOutput.write(Data("x".utf8), to: path, overwrite: overwrite) }
        #expect(error?.kind == .cannotCreate)
        #expect(error?.description.contains(path) == true)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try folder.entries() == [])
    }

    @Test(arguments: [false, true])
    func aDirectoryIsNeverReplaced(overwrite: Bool) throws {
        let folder = try TempFolder()
        let path = folder.path("out")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let error = outputError { try SafeOutput.write(Data("x".utf8), to: path, overwrite: overwrite) }
        #expect(error?.kind == .cannotCreate)
        #expect(error?.description.contains(path) == true)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try folder.entries() == ["out"])
    }

    @Test func pathThroughDotDot() throws {
        // A path with ".." in its folder part still lands in the right folder, with no temporary left.
        let folder = try TempFolder()
        let path = folder.url.appendingPathComponent("sub/../plain.txt").path
        try FileManager.default.createDirectory(atPath: folder.path("sub"), withIntermediateDirectories: false)
        try SafeOutput.write(Data("p".utf8), to: path, overwrite: false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.path("plain.txt"))) == Data("p".utf8))
        #expect(try folder.entries() == ["plain.txt", "sub"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("sub")) == [])
    }

    private func isCharacterDevice(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR
    }

    @Test("/dev/null is written into, not replaced, and needs no --force")
    func devNullStaysADevice() throws {
        #expect(isCharacterDevice("/dev/null"))
        // Without overwrite: the old behaviour refused ("already exists"), which cannot harm the machine.
        try SafeOutput.write(Data("{}\n".utf8), to: "/dev/null", overwrite: false)
        #expect(isCharacterDevice("/dev/null"))
    }

    @Test("a named pipe gets the whole output at commit and stays a pipe; no temporary file is left", arguments: [false, true])
    func namedPipe(overwrite: Bool) throws {
        let folder = try TempFolder()
        let fifo = folder.path("out.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let data = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        final class Box: @unchecked Sendable { var bytes = Data() }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            let fd = open(fifo, O_RDONLY)
            if fd >= 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                    if n <= 0 { break }
                    box.bytes.append(contentsOf: buffer[0..<n])
                }
                close(fd)
            }
            done.signal()
        }
        reader.start()
        let file = try SafeOutputFile(path: fifo, overwrite: overwrite)
        try file.write(data.prefix(1000))
        try file.write(data.dropFirst(1000))
        try file.commit()
        #expect(done.wait(timeout: .now() + 20) == .success, "the reader did not see the end of the output")
        #expect(box.bytes == data)
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(try folder.entries() == ["out.fifo"])
    }

    @Test("a special file that is no device or pipe (a socket) is refused in one sentence")
    func socketRefused() throws {
        let folder = try TempFolder()
        let path = folder.path("s.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        let error = outputError { try SafeOutput.write(Data("x".utf8), to: path, overwrite: true) }
        #expect(error?.kind == .cannotCreate)
        #expect(error?.description == "\(path): is not a regular file, a device or a named pipe")
    }
}
