import Foundation
import Testing
import TestSupport
import TalkBalanceCore
import TalkBalanceReport


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
        #expect(Chromium.path != nil, "chromium is not installed (apt-get install -y chromium); the browser checks cannot run")
    }

    @Test func rendersWithoutConsoleErrorsAndTheScriptRuns() throws {
        guard Chromium.path != nil else { Issue.record("chromium is not installed"); return }
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try HTMLReport(file: "s.wav", result: try session(), audio: "s.wav").render().write(to: page, atomically: true, encoding: .utf8)
        let run = try Chromium.run(["--dump-dom", page.absoluteString], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Chromium.consoleLines(run.stderr).isEmpty, "\(Chromium.consoleLines(run.stderr))")
        #expect(run.stdoutText.contains("<svg class=\"chart timeline\""))
        #expect(run.stdoutText.contains("<svg class=\"lane p0\""))
        // The inline script ran: it shows the event filters, which are hidden without script.
        #expect(run.stdoutText.contains("<fieldset id=\"filters\" class=\"filters\"><legend>"), "filters still hidden: the script did not run")
        #expect(run.stdoutText.contains("Alex &lt;&amp;&gt; \"A\""))
    }

    @Test func playButtonSeeksOneSecondBeforeTheEvent() throws {
        guard Chromium.path != nil else { Issue.record("chromium is not installed"); return }
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
        let run = try Chromium.run(["--autoplay-policy=no-user-gesture-required", "--dump-dom", page.absoluteString], in: dir)
        #expect(Chromium.consoleLines(run.stderr).isEmpty, "\(Chromium.consoleLines(run.stderr))")
        #expect(run.stdoutText.contains("data-seek=\"4 1.5 0\""), "\(run.stdoutText.prefix(300))")
        #expect(run.stdoutText.contains("data-buttons=\"5\""))
    }

    @Test func hourLongReportScreenshotIsNotBlank() throws {
        guard Chromium.path != nil else { Issue.record("chromium is not installed"); return }
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
        let run = try Chromium.run(["--screenshot=\(shot.path)", "--window-size=1280,2000", page.absoluteString], in: dir)
        _ = try Chromium.run(["--screenshot=\(blankShot.path)", "--window-size=1280,2000", blank.absoluteString], in: dir)
        #expect(Chromium.consoleLines(run.stderr).isEmpty, "\(Chromium.consoleLines(run.stderr))")
        let png = try Data(contentsOf: shot), blankPNG = try Data(contentsOf: blankShot)
        #expect(Chromium.pngSize(png).map { $0 == (1280, 2000) } == true)
        #expect(png.count > 100_000 && png.count > 8 * blankPNG.count, "report \(png.count) bytes, blank page \(blankPNG.count) bytes")
    }
}
