import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceIO

@Suite("SoundFileReader rejects unusable input with a clear error")
struct SoundFileReaderErrorTests {
    private func expectOpenError(_ path: String, _ kind: InputError.Kind, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = inputError({ _ = try SoundFileReader(path: path) }, sourceLocation: sourceLocation)
        #expect(error?.kind == kind, "got \(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.path == path, sourceLocation: sourceLocation)
        #expect(error?.description.contains(path) == true, "description \"\(error?.description ?? "")\"", sourceLocation: sourceLocation)
        #expect(error?.description.contains("\n") == false, sourceLocation: sourceLocation)
    }

    @Test func missingFile() throws {
        let folder = try TempFolder()
        expectOpenError(folder.path("nothing-here.wav"), .missing)
    }

    @Test func directory() throws {
        let folder = try TempFolder()
        let dir = folder.path("folder.wav")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        expectOpenError(dir, .directory)
    }

    @Test func emptyFile() throws {
        let folder = try TempFolder()
        let path = folder.path("empty.wav")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        expectOpenError(path, .empty)
    }

    @Test("a WAV header with no audio is empty")
    func headerOnly() throws {
        let folder = try TempFolder()
        let path = folder.path("noaudio.wav")
        var d = Data()
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: Array("RIFF".utf8)); u32(36); d.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16); u16(1); u16(2); u32(16000); u32(64000); u16(4); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(0)
        try d.write(to: URL(fileURLWithPath: path))
        expectOpenError(path, .empty)
    }

    @Test("a text file named .wav is not audio")
    func textFile() throws {
        let folder = try TempFolder()
        let path = folder.path("notes.wav")
        try Data(String(repeating: "This is not a sound file, just some notes.\n", count: 50).utf8)
            .write(to: URL(fileURLWithPath: path))
        expectOpenError(path, .notAudio)
    }

    @Test("random bytes named .flac are not audio")
    func randomBytes() throws {
        let folder = try TempFolder()
        let path = folder.path("noise.flac")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: path))
        expectOpenError(path, .notAudio)
    }

    /// Makes a 1 s 2-channel file with sox and returns it cut to half its bytes, with the full frame count.
    private func halfFile(_ ext: String, in folder: TempFolder) throws -> (path: String, fullFrames: Int) {
        let full = folder.path("full.\(ext)")
        let r = try sox(["-D", "-R", "-n", "-r", "16000", "-c", "2", "-b", "16", full, "synth", "1", "sine", "440", "sine", "660", "vol", "0.5"])
        #expect(r.status == 0, "\(r.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: full))
        let half = folder.path("half.\(ext)")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: half))
        #expect(FileManager.default.fileExists(atPath: half))
        return (half, 16000)
    }

    @Test("a WAV cut in half")
    func truncatedWAV() throws {
        let folder = try TempFolder()
        let (path, fullFrames) = try halfFile("wav", in: folder)
        _ = fullFrames
        // libsndfile shortens the data chunk to the bytes present; the reader spots its "should be" log line.
        let error = inputError { _ = try readAll(path) }
        #expect(error?.kind == .truncated, "a WAV cut in half was not reported as truncated")
        #expect(error?.description.contains(path) == true)
    }

    @Test("a FLAC cut in half is an error, not a crash")
    func truncatedFLAC() throws {
        let folder = try TempFolder()
        let (path, _) = try halfFile("flac", in: folder)
        let error = inputError { _ = try readAll(path) }
        #expect(error != nil, "reading a FLAC cut in half did not fail")
        if let error {
            #expect([.truncated, .readFailed].contains(error.kind), "kind \(error.kind)")
            #expect(error.description.contains(path))
            #expect(error.description.contains("\n") == false)
        }
    }
}
