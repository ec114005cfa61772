import Foundation
import Testing
import TestSupport

// These tests run the built `talkbalance` executable. The test target does not depend on the executable
// target, so the binary must be built before the tests run: `swift build` builds every product, and the
// project's tools/test runs `swift build` before `swift test`. (Observed with Swift 6.3: `swift test`
// without --skip-build also links `talkbalance`, since it builds all targets; with --skip-build it does not.)
// Run by hand as:
//   swift build --scratch-path .build-tests && swift test --scratch-path .build-tests --filter talkbalanceTests

enum Binary {
    /// The `talkbalance` executable next to the test bundle (same build products folder), else the newest
    /// one under `<package root>/.build*/`.
    static let url: URL? = {
        let fm = FileManager.default
        var candidates: [URL] = []
        // Verified on Linux (Swift 6.3): Bundle.main.executableURL and CommandLine.arguments[0] are
        // `<scratch>/x86_64-unknown-linux-gnu/debug/TalkBalancePackageTests.xctest` (an executable file),
        // and Bundle.main.bundleURL is that debug folder; `talkbalance` sits next to it.
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for folder in candidates {
            let binary = folder.appendingPathComponent("talkbalance")
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: binary.path, isDirectory: &isDirectory), !isDirectory.boolValue, fm.isExecutableFile(atPath: binary.path) {
                return binary
            }
        }
        // Fallback: search the package's build folders (.build, .build-tests, ...), newest first.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var found: [(URL, Date)] = []
        for entry in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] where entry.hasPrefix(".build") {
            let build = root.appendingPathComponent(entry)
            var folders = [build.appendingPathComponent("debug")]
            for sub in (try? fm.contentsOfDirectory(atPath: build.path)) ?? [] {
                folders.append(build.appendingPathComponent(sub).appendingPathComponent("debug"))
            }
            for folder in folders {
                let binary = folder.appendingPathComponent("talkbalance")
                var isDirectory: ObjCBool = false
                if fm.fileExists(atPath: binary.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                   fm.isExecutableFile(atPath: binary.path),
                   let date = (try? fm.attributesOfItem(atPath: binary.path))?[.modificationDate] as? Date {
                    found.append((binary.resolvingSymlinksInPath(), date))
                }
            }
        }
        return found.max { $0.1 < $1.1 }?.0
    }()
}

struct RunResult {
    let status: Int32
    let stdout: Data
    let stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}

/// A private folder under the system temporary directory, removed when the value goes away.
final class TempFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("talkbalance-cli-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    /// Runs `talkbalance` with `arguments` in this folder; stdout and stderr go through files (no pipe
    /// deadlock), stdin is /dev/null; killed (and the test failed) after `timeout` seconds.
    func run(_ arguments: [String], timeout: Double = 300, sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let binary = try #require(Binary.url, "talkbalance binary not found: run `swift build` first", sourceLocation: sourceLocation)
        let run = try Subprocess.run(binary.path, arguments, in: url, timeout: timeout)
        let result = RunResult(status: run.status, stdout: run.stdout, stderr: run.stderr)
        #expect(!run.timedOut, "talkbalance \(arguments.first ?? "") did not finish within \(timeout) s", sourceLocation: sourceLocation)
        #expect(!run.killedBySignal, "talkbalance was killed by a signal", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("Fatal error"), "stack trace on stderr: \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }
}

/// A synthetic two-person conversation, one mic per person, as 16-bit PCM WAV bytes.
///
/// Each voice is a harmonic tone complex (20 harmonics, amplitude 1/k) amplitude-modulated at 4 Hz like
/// syllables. Person 1 talks 0.5-2.5 s and 5.5-7.5 s (120 Hz), person 2 talks 3.0-5.0 s (210 Hz); each
/// mic also hears the other person 20 dB down and 40 samples late, plus low deterministic noise.
enum Conversation {
    static let sampleRate = 16000
    static let seconds = 8.5
    static let talks: [(speaker: Int, start: Double, end: Double)] = [(0, 0.5, 2.5), (1, 3.0, 5.0), (0, 5.5, 7.5)]

    static func wav() -> Data {
        let frames = Int(seconds * Double(sampleRate))
        var voices = [[Float]](repeating: [Float](repeating: 0, count: frames), count: 2)
        let f0 = [120.0, 210.0]
        for talk in talks {
            let a = Int(talk.start * Double(sampleRate)), b = Int(talk.end * Double(sampleRate))
            for n in a..<b {
                let t = Double(n) / Double(sampleRate)
                let local = Double(n - a) / Double(sampleRate)
                var v = 0.0
                for k in 1...20 where Double(k) * f0[talk.speaker] < Double(sampleRate) / 2 {
                    v += sin(2 * .pi * Double(k) * f0[talk.speaker] * t) / Double(k)
                }
                let envelope = 0.55 - 0.45 * cos(2 * .pi * 4 * local)
                voices[talk.speaker][n] = Float(0.12 * envelope * v)
            }
        }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func noise() -> Float {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(seed >> 40) / Float(1 << 24) - 0.5) * 0.002
        }
        var pcm = Data(capacity: frames * 4)
        for n in 0..<frames {
            for c in 0..<2 {
                let other = n >= 40 ? voices[1 - c][n - 40] : 0
                let v = voices[c][n] + 0.1 * other + noise()
                let s = Int16(max(-32768, min(32767, (Double(v) * 32767).rounded())))
                withUnsafeBytes(of: s.littleEndian) { pcm.append(contentsOf: $0) }
            }
        }
        var d = Data()
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: Array("RIFF".utf8)); u32(UInt32(36 + pcm.count)); d.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16); u16(1); u16(2); u32(UInt32(sampleRate)); u32(UInt32(sampleRate * 4)); u16(4); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(UInt32(pcm.count))
        return d + pcm
    }

    /// Writes the conversation into `folder` and returns its path.
    static func write(in folder: TempFolder, name: String = "session.wav") throws -> String {
        let path = folder.path(name)
        try wav().write(to: URL(fileURLWithPath: path))
        #expect(FileManager.default.fileExists(atPath: path))
        return path
    }
}
