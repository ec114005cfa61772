import Foundation
import TestSupport
import Testing

enum BadInput: String, CaseIterable, Sendable {
    case missing, directory, empty, notAudio, truncatedFLAC

    /// Exit code documented in `talkbalance --help`.
    var exitCode: Int32 { self == .missing ? 66 : 65 }

    /// Creates the bad input in `folder` and returns its path.
    func make(in folder: TempFolder) throws -> String {
        switch self {
        case .missing:
            return folder.path("does-not-exist.wav")
        case .directory:
            let path = folder.path("a-folder.wav")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            return path
        case .empty:
            let path = folder.path("empty.wav")
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            return path
        case .notAudio:
            let path = folder.path("notes.wav")
            try Data(String(repeating: "shopping list: milk, eggs, bread\n", count: 40).utf8).write(to: URL(fileURLWithPath: path))
            return path
        case .truncatedFLAC:
            let full = folder.path("full.flac")
            let sox = try Subprocess.run("/usr/bin/sox", ["-D", "-R", "-n", "-r", "16000", "-c", "2", "-b", "16", full,
                                                          "synth", "3", "sine", "300", "sine", "500", "vol", "0.3"], timeout: 60)
            #expect(sox.succeeded, "\(sox.stderr)")
            let data = try Data(contentsOf: URL(fileURLWithPath: full))
            try FileManager.default.removeItem(atPath: full)
            let path = folder.path("cut.flac")
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
            #expect(FileManager.default.fileExists(atPath: path))
            return path
        }
    }
}

@Suite("talkbalance rejects bad input and impossible options cleanly", .timeLimit(.minutes(2)))
struct BadInputTests {
    @Test("bad input file: right exit code, one line naming the file", arguments: BadInput.allCases)
    func badInput(_ kind: BadInput) throws {
        let folder = try TempFolder()
        let input = try kind.make(in: folder)
        let before = try folder.entries()
        for format in ["text", "json"] {
            let r = try folder.run(["analyze", "--quiet", "--format", format, input])
            #expect(r.status == kind.exitCode, "\(kind) \(format): exit \(r.status), stderr: \(r.stderr)")
            #expect(r.stderrLines.count == 1, "stderr: \(r.stderr)")
            #expect(r.stderr.hasPrefix("talkbalance: "), "stderr: \(r.stderr)")
            #expect(r.stderr.contains(input), "stderr does not name the file: \(r.stderr)")
            #expect(r.stdout.isEmpty, "stdout: \(r.stdoutText)")
        }
        // With --output: the same failure, and no output (or temporary) file left behind.
        let output = folder.path("report.json")
        let r = try folder.run(["analyze", "--quiet", "--format", "json", "--output", output, input])
        #expect(r.status == kind.exitCode, "stderr: \(r.stderr)")
        #expect(r.stderrLines.count == 1 && r.stderr.hasPrefix("talkbalance: ") && r.stderr.contains(input), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try folder.entries() == before)
    }

    @Test("--names with the wrong count: non-zero exit, one clear line")
    func wrongNameCount() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let output = folder.path("out.txt")
        let r = try folder.run(["analyze", "--quiet", "--names", "A", "--output", output, input])
        #expect(r.status != 0)
        #expect(r.status == 64, "exit \(r.status)")
        #expect(r.stderrLines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.hasPrefix("talkbalance: ") && r.stderr.contains("--names"), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("impossible options exit 64", arguments: [
        ["--min-speech", "-1"], ["--imbalance", "2"], ["--window", "0"], ["--format", "xml"],
        ["--names", "A,A"], ["--names", "A,"], ["--output", ""], ["--window", "nan"], ["--min-speech", "abc"],
        ["--vad-hangover", "-1"], ["--vad-hangover", "2"],
    ])
    func impossibleOptions(_ options: [String]) throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let r = try folder.run(["analyze", "--quiet"] + options + [input])
        #expect(r.status == 64, "\(options): exit \(r.status), stderr: \(r.stderr)")
        #expect(!r.stderr.isEmpty)
        #expect(r.stdout.isEmpty, "stdout: \(r.stdoutText)")
        // ArgumentParser prints "Error: ..." then a usage hint; the first line must say what is wrong.
        let first = r.stderrLines.first ?? ""
        #expect(first.contains("Error") || first.hasPrefix("talkbalance: "), "stderr: \(r.stderr)")
    }

    @Test("a negative threshold is read as a number: accepted where it makes sense, else its range is named")
    func negativeValues() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let ok = try folder.run(["analyze", "--quiet", "--vad-floor-db", "-70", "--format", "rttm", input])
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        #expect(!ok.stdout.isEmpty)
        let bad = try folder.run(["analyze", "--quiet", "--vad-hangover", "-1", input])
        #expect(bad.status == 64)
        #expect((bad.stderrLines.first ?? "").contains("--vad-hangover must be between 0 and 1 (got -1)"), "stderr: \(bad.stderr)")
    }

    @Test("no arguments and an unknown subcommand exit 64")
    func usageErrors() throws {
        let folder = try TempFolder()
        #expect(try folder.run(["analyze"]).status == 64)
        #expect(try folder.run(["frobnicate"]).status == 64)
    }
}
