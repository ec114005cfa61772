import Foundation
import Testing
import TestSupport


private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("talkbalance analyze --format html in headless Chromium", .timeLimit(.minutes(3)))
struct BrowserHTMLTests {
    /// The demo session's report, made by the CLI next to a copy of the recording (so `<audio src>` is
    /// `demo.flac`); nil (with an Issue recorded) when chromium or the html format is missing.
    private func demoReport(_ folder: TempFolder) throws -> (html: String, json: [String: Any])? {
        guard Chromium.path != nil else {
            Issue.record("chromium is not installed (apt-get install -y chromium): the HTML report cannot be checked in a browser")
            return nil
        }
        let help = try folder.run(["analyze", "--help"])
        guard help.stdoutText.contains("html") else {
            Issue.record("`talkbalance analyze --help` does not list the html format")
            return nil
        }
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("fixtures/demo/demo.flac").path, toPath: folder.path("demo.flac"))
        let r = try folder.run(["analyze", "--quiet", "demo.flac", "--names", "Anna,Ben", "--format", "html", "--output", "demo.html"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let j = try folder.run(["analyze", "--quiet", "demo.flac", "--names", "Anna,Ben", "--format", "json"])
        #expect(j.status == 0, "stderr: \(j.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: j.stdout) as? [String: Any])
        return (String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder.path("demo.html"))), as: UTF8.self), json)
    }

    @Test("the demo report is self-contained and lists every interruption with a play button")
    func demoReportContent() throws {
        let folder = try TempFolder()
        guard let (html, json) = try demoReport(folder) else { return }
        for banned in ["http://", "https://", "<script src", "<link", "@import", "url("] {
            #expect(!html.lowercased().contains(banned), "found \(banned)")
        }
        #expect(html.contains("<title>TalkBalance report: demo.flac</title>"))
        #expect(html.contains("<audio id=\"player\" controls preload=\"metadata\" src=\"demo.flac\">"))
        let events = try #require(json["events"] as? [[String: Any]])
        let interruptions = events.filter { $0["type"] as? String == "interruption" }
        #expect(interruptions.count >= 1)
        for e in interruptions {
            let time = String(format: "%.3f", try #require(e["time"] as? Double))
            let by = try #require(e["by"] as? String), of = try #require(e["of"] as? String)
            #expect(html.contains("data-t=\"\(time)\"") && html.contains("<td>interruption</td><td>\(by)</td><td>\(of)</td>"),
                    "interruption \(by)→\(of) at \(time) not listed")
        }
        #expect(html.components(separatedBy: "class=\"play\" data-t=").count - 1 == events.count + ((json["marks"] as? [Any])?.count ?? 0))
    }

    @Test("Chromium loads the demo report: timeline in the DOM, script ran, no console errors, non-blank screenshot")
    func demoReportInChromium() throws {
        let folder = try TempFolder()
        guard try demoReport(folder) != nil else { return }
        let page = URL(fileURLWithPath: folder.path("demo.html"))
        let dom = try Chromium.run(["--dump-dom", page.absoluteString], in: folder.url)
        #expect(dom.status == 0, "\(dom.stderr)")
        #expect(Chromium.consoleLines(dom.stderr).isEmpty, "\(Chromium.consoleLines(dom.stderr))")
        #expect(dom.stdoutText.contains("<section id=\"timeline\""))
        #expect(dom.stdoutText.contains("<svg class=\"chart timeline\""))
        #expect(dom.stdoutText.contains("<svg class=\"lane p0\"") && dom.stdoutText.contains("<svg class=\"lane p1\""))
        #expect(dom.stdoutText.contains("<fieldset id=\"filters\" class=\"filters\"><legend>"), "the inline script did not run (filters still hidden)")

        try "<!DOCTYPE html><html><body></body></html>".write(toFile: folder.path("blank.html"), atomically: true, encoding: .utf8)
        let shot = try Chromium.run(["--screenshot=\(folder.path("demo.png"))", "--window-size=1280,2000", page.absoluteString], in: folder.url)
        _ = try Chromium.run(["--screenshot=\(folder.path("blank.png"))", "--window-size=1280,2000",
                                     URL(fileURLWithPath: folder.path("blank.html")).absoluteString], in: folder.url)
        #expect(Chromium.consoleLines(shot.stderr).isEmpty, "\(Chromium.consoleLines(shot.stderr))")
        let png = try Data(contentsOf: URL(fileURLWithPath: folder.path("demo.png")))
        let blank = try Data(contentsOf: URL(fileURLWithPath: folder.path("blank.png")))
        #expect(Chromium.pngSize(png).map { $0 == (1280, 2000) } == true)
        // A blank page of this size is about 12 KB; the report about 200 KB.
        #expect(png.count > 80_000 && png.count > 6 * blank.count, "report \(png.count) bytes, blank page \(blank.count) bytes")
    }

    @Test("a play button seeks the recording to one second before the event")
    func demoReportSeeks() throws {
        let folder = try TempFolder()
        guard let (html, _) = try demoReport(folder) else { return }
        // A harness appended to a copy of the page presses the first interruption's button and records where
        // the player was sent.
        let harness = """
        <script>
        var b=document.querySelector('tr.k-interruption button.play'),a=document.getElementById('player');
        b.click();var want=parseFloat(b.getAttribute('data-t'))-1;
        document.documentElement.setAttribute('data-seek',Math.abs(a.currentTime-want)<0.001?'ok':'got '+a.currentTime+' want '+want);
        </script>

        """
        try html.replacingOccurrences(of: "</body>", with: harness + "</body>").write(toFile: folder.path("seek.html"), atomically: true, encoding: .utf8)
        let run = try Chromium.run(["--autoplay-policy=no-user-gesture-required", "--dump-dom",
                                           URL(fileURLWithPath: folder.path("seek.html")).absoluteString], in: folder.url)
        #expect(Chromium.consoleLines(run.stderr).isEmpty, "\(Chromium.consoleLines(run.stderr))")
        #expect(run.stdoutText.contains("data-seek=\"ok\""), "\(run.stdoutText.prefix(200))")
    }
}
