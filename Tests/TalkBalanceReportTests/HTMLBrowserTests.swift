import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceReport

/// Headless Chromium (Debian package `chromium`) for the HTML report's browser checks. A missing browser
/// is recorded as an Issue (the test fails), never skipped silently.
enum HTMLChromium {
    static let path: String? = {
        let env = ProcessInfo.processInfo.environment["CHROMIUM"].map { [$0] } ?? []
        return (env + ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium", "/snap/bin/chromium"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    struct Run { let status: Int32; let stdout: String; let stderr: String }

    /// Runs Chromium headless with its own profile folder (tests run in parallel), stdout and stderr
    /// through files, killed after `timeout` seconds.
    static func run(_ arguments: [String], in folder: URL, timeout: Double = 90) throws -> Run {
        let binary = try #require(path, "chromium is not installed (apt-get install -y chromium)")
        let tag = UUID().uuidString
        let profile = folder.appendingPathComponent("profile-\(tag)")
        let outURL = folder.appendingPathComponent("chromium-\(tag).out"), errURL = folder.appendingPathComponent("chromium-\(tag).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                       "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0"] + arguments
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning { p.terminate(); Issue.record("chromium did not finish within \(timeout) s") }
        p.waitUntilExit()
        try out.close(); try err.close()
        defer {
            try? FileManager.default.removeItem(at: profile)
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        return Run(status: p.terminationStatus, stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                   stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Lines where the page wrote to the console or threw: Chromium logs every console message of the page
    /// as `...:CONSOLE:<line>] "message", source: file://...`; uncaught exceptions start with "Uncaught".
    static func consoleLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
    }

    /// Width and height from a PNG's IHDR, nil when it is not a PNG.
    static func pngSize(_ data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        func be32(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }
}

private func folder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-html-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The hand-built session of HTMLReportTests with marks, decoded the same way.
private func session() throws -> SessionResult {
    let config = try JSONSerialization.jsonObject(with: JSONEncoder().encode(AnalysisConfig()))
    func speaker(_ i: Int, _ label: String, talk: Int) -> [String: Any] {
        ["index": i, "label": label, "talkSamples": talk, "share": Double(talk) / 104_000, "turns": 1,
         "meanTurnSamples": talk, "longestTurnSamples": talk, "interruptionsMade": i, "interruptionsSuffered": 1 - i,
         "successfulInterruptionsMade": i, "backchannels": 1 - i, "backchannelsReceived": i, "overlapSamples": 8000,
         "sendingSamples": talk / 2, "receivingSamples": talk / 4]
    }
    let object: [String: Any] = [
        "sampleRate": 16000, "channelCount": 2, "durationSamples": 160_000,
        "speakers": [speaker(0, "Alex <&> \"A\"", talk: 48000), speaker(1, "Sam Lee", talk: 56000)],
        "segments": [["speaker": 0, "startSample": 0, "endSample": 48000], ["speaker": 1, "startSample": 40000, "endSample": 96000]],
        "turns": [["speaker": 0, "startSample": 0, "endSample": 48000], ["speaker": 1, "startSample": 40000, "endSample": 96000]],
        "events": [
            ["kind": "interruption", "startSample": 40000, "durationSamples": 8000, "by": 1, "of": 0, "successful": true],
            ["kind": "overlap", "startSample": 40000, "durationSamples": 8000, "speakers": [0, 1]],
            ["kind": "backchannel", "startSample": 80000, "durationSamples": 6400, "by": 0, "of": 1],
        ],
        "balance": [["endSample": 160_000, "windowSamples": 160_000, "talkSamples": [48000, 56000], "shares": [48000.0 / 104_000, 56000.0 / 104_000]]],
        "marks": [["kind": "sender", "sample": 0, "person": 1], ["kind": "bookmark", "sample": 120_000]],
        "silenceSamples": 64000, "overlapSamples": 8000, "pauseCount": 0, "gapCount": 0, "config": config,
    ]
    return try JSONDecoder().decode(SessionResult.self, from: JSONSerialization.data(withJSONObject: object))
}

@Suite("HTML report in headless Chromium", .timeLimit(.minutes(3)))
struct HTMLBrowserTests {
    @Test func chromiumIsInstalled() {
        #expect(HTMLChromium.path != nil, "chromium is not installed (apt-get install -y chromium); the browser checks cannot run")
    }

    @Test func rendersWithoutConsoleErrorsAndTheScriptRuns() throws {
        guard HTMLChromium.path != nil else { Issue.record("chromium is not installed"); return }
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try HTMLReport(file: "s.wav", result: try session(), audio: "s.wav").render().write(to: page, atomically: true, encoding: .utf8)
        let run = try HTMLChromium.run(["--dump-dom", page.absoluteString], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(HTMLChromium.consoleLines(run.stderr).isEmpty, "\(HTMLChromium.consoleLines(run.stderr))")
        #expect(run.stdout.contains("<svg class=\"chart timeline\""))
        #expect(run.stdout.contains("<svg class=\"lane p0\""))
        // The inline script ran: it shows the event filters, which are hidden without script.
        #expect(run.stdout.contains("<fieldset id=\"filters\" class=\"filters\"><legend>"), "filters still hidden: the script did not run")
        #expect(run.stdout.contains("Alex &lt;&amp;&gt; \"A\""))
    }

    @Test func playButtonSeeksOneSecondBeforeTheEvent() throws {
        guard HTMLChromium.path != nil else { Issue.record("chromium is not installed"); return }
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("seek.html")
        var html = HTMLReport(file: "s.wav", result: try session(), audio: "s.wav").render()
        // A test harness appended to a copy: press the buttons of the backchannel (5.0 s), the interruption
        // (2.5 s) and the sender mark (0 s: clamped to the start), and record where the player was sent.
        let harness = """
        <script>
        var seeks=[];var a=document.getElementById('player');var bs=document.querySelectorAll('button.play');
        bs[3].click();seeks.push(a.currentTime);bs[1].click();seeks.push(a.currentTime);bs[0].click();seeks.push(a.currentTime);
        document.documentElement.setAttribute('data-seek',seeks.join(' '));document.documentElement.setAttribute('data-buttons',String(bs.length));
        </script>

        """
        html = html.replacingOccurrences(of: "</body>", with: harness + "</body>")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let run = try HTMLChromium.run(["--autoplay-policy=no-user-gesture-required", "--dump-dom", page.absoluteString], in: dir)
        #expect(HTMLChromium.consoleLines(run.stderr).isEmpty, "\(HTMLChromium.consoleLines(run.stderr))")
        #expect(run.stdout.contains("data-seek=\"4 1.5 0\""), "\(run.stdout.prefix(300))")
        #expect(run.stdout.contains("data-buttons=\"5\""))
    }

    @Test func hourLongReportScreenshotIsNotBlank() throws {
        guard HTMLChromium.path != nil else { Issue.record("chromium is not installed"); return }
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var result = try session()
        // Stretch the session to an hour of alternating speech.
        let rate = result.sampleRate
        result.durationSamples = 3600 * rate
        result.segments = stride(from: 0, to: 3590 * rate, by: 2 * rate).enumerated().map { i, t in
            SpeechSegment(speaker: i % 2, startSample: t, endSample: t + rate + (i % 7) * rate / 8)
        }
        let page = dir.appendingPathComponent("hour.html"), blank = dir.appendingPathComponent("blank.html")
        try HTMLReport(file: "hour.wav", result: result, audio: nil).render().write(to: page, atomically: true, encoding: .utf8)
        try "<!DOCTYPE html><html><body></body></html>".write(to: blank, atomically: true, encoding: .utf8)
        let shot = dir.appendingPathComponent("hour.png"), blankShot = dir.appendingPathComponent("blank.png")
        let run = try HTMLChromium.run(["--screenshot=\(shot.path)", "--window-size=1280,2000", page.absoluteString], in: dir)
        _ = try HTMLChromium.run(["--screenshot=\(blankShot.path)", "--window-size=1280,2000", blank.absoluteString], in: dir)
        #expect(HTMLChromium.consoleLines(run.stderr).isEmpty, "\(HTMLChromium.consoleLines(run.stderr))")
        let png = try Data(contentsOf: shot), blankPNG = try Data(contentsOf: blankShot)
        #expect(HTMLChromium.pngSize(png).map { $0 == (1280, 2000) } == true)
        #expect(png.count > 100_000 && png.count > 8 * blankPNG.count, "report \(png.count) bytes, blank page \(blankPNG.count) bytes")
    }
}
