import Foundation
import TestSupport
import Testing
import TalkBalanceCore
import TalkBalanceReport

/// The exports read back by the parsers of the tools they are for (praatio, pympi-ling, webvtt-py) via
/// tools/validate-exports, which installs them from PyPI into tools/.venv-exports the first time.
@Suite struct ExportParsersTests {
    @Test func realParsersAcceptTheExports() throws {
        guard run("/usr/bin/env", ["python3", "-c", "import venv"]).status == 0 else {
            Issue.record("python3 (with venv) is missing: cannot validate the exports with praatio, pympi-ling and webvtt-py")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-exports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try writeExports(try sampleSession(marks: exportMarks), to: folder)
        let tricky = folder.appendingPathComponent("tricky")
        try FileManager.default.createDirectory(at: tricky, withIntermediateDirectories: true)
        let odd = try writeExports(try sampleSession(labels: ["Ann \"A\" <&>", "Ann \"A\" <&>"]), to: tricky, audio: "/tmp/a&b <c>.flac")

        let tool = exportPackageRoot.appendingPathComponent("tools/validate-exports").path
        let (status, out) = run(tool, (plain + odd).map(\.path))
        #expect(status == 0, "tools/validate-exports failed:\n\(out)")
        let lines = out.split(separator: "\n").filter { $0.hasPrefix("ok ") || $0.hasPrefix("FAIL ") }
        #expect(lines.count == 8, "\(out)")
        #expect(out.contains("s.TextGrid: TextGrid 0-10 s, 3 tiers: Alex 2 intervals (1 labelled), Sam Lee 3 intervals (1 labelled), events 4 points"), "\(out)")
        #expect(out.contains("s.eaf: EAF 3 tiers: Alex 1 annotations, Sam Lee 1 annotations, events 4 annotations"), "\(out)")
        #expect(out.contains("s.vtt: WebVTT 8 cues (2 voiced: Alex, Sam Lee)"), "\(out)")
        #expect(out.contains("s.txt: Audacity labels, 8 lines"), "\(out)")
        #expect(out.contains("Ann \"A\" <&> (2) 3 intervals"), "\(out)")
    }

    private func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        do {
            let run = try Subprocess.run(executable, arguments, timeout: 600)
            return (run.timedOut ? -1 : run.status, run.stdoutText + run.stderr + (run.timedOut ? "\n(timed out)" : ""))
        } catch { return (-1, "\(error)") }
    }
}
