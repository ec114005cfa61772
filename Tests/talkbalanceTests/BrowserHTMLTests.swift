import Foundation
import Testing

/// Headless Chromium (Debian package `chromium`, installed by tools/setup). A missing browser is recorded
/// as an Issue (the test fails), never skipped silently.
enum BrowserChromium {
    static let path: String? = {
        let env = ProcessInfo.processInfo.environment["CHROMIUM"].map { [$0] } ?? []
        return (env + ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium", "/snap/bin/chromium"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    struct Run { let status: Int32; let stdout: String; let stderr: String }

    /// Runs Chromium headless with its own profile folder (tests run in parallel), output through files,
    /// killed after `timeout` seconds.
    static func run(_ arguments: [String], in folder: URL, timeout: Double = 90) throws -> Run {
        let binary = try #require(path, "chromium is not installed (apt-get install -y chromium)")
        let tag = UUID().uuidString
        let profile = folder.appendingPathComponent(".profile-\(tag)")
        let outURL = folder.appendingPathComponent(".chromium-\(tag).out"), errURL = folder.appendingPathComponent(".chromium-\(tag).err")
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

    /// Lines where the page wrote to the console or threw: Chromium (with --enable-logging=stderr --v=0)
    /// logs every console message of a page as `...:CONSOLE:<line>] "message", source: file://...`
    /// (console.error included), and uncaught exceptions as "Uncaught ...".
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

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("talkbalance analyze --format html in headless Chromium", .timeLimit(.minutes(3)))
struct BrowserHTMLTests {
    /// The demo session's report, made by the CLI next to a copy of the recording (so `<audio src>` is
    /// `demo.flac`); nil (with an Issue recorded) when chromium or the html format is missing.
    private func demoReport(_ folder: TempFolder) throws -> (html: String, json: [String: Any])? {
        guard BrowserChromium.path != nil else {
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
        let dom = try BrowserChromium.run(["--dump-dom", page.absoluteString], in: folder.url)
        #expect(dom.status == 0, "\(dom.stderr)")
        #expect(BrowserChromium.consoleLines(dom.stderr).isEmpty, "\(BrowserChromium.consoleLines(dom.stderr))")
        #expect(dom.stdout.contains("<section id=\"timeline\""))
        #expect(dom.stdout.contains("<svg class=\"chart timeline\""))
        #expect(dom.stdout.contains("<svg class=\"lane p0\"") && dom.stdout.contains("<svg class=\"lane p1\""))
        #expect(dom.stdout.contains("<fieldset id=\"filters\" class=\"filters\"><legend>"), "the inline script did not run (filters still hidden)")

        try "<!DOCTYPE html><html><body></body></html>".write(toFile: folder.path("blank.html"), atomically: true, encoding: .utf8)
        let shot = try BrowserChromium.run(["--screenshot=\(folder.path("demo.png"))", "--window-size=1280,2000", page.absoluteString], in: folder.url)
        _ = try BrowserChromium.run(["--screenshot=\(folder.path("blank.png"))", "--window-size=1280,2000",
                                     URL(fileURLWithPath: folder.path("blank.html")).absoluteString], in: folder.url)
        #expect(BrowserChromium.consoleLines(shot.stderr).isEmpty, "\(BrowserChromium.consoleLines(shot.stderr))")
        let png = try Data(contentsOf: URL(fileURLWithPath: folder.path("demo.png")))
        let blank = try Data(contentsOf: URL(fileURLWithPath: folder.path("blank.png")))
        #expect(BrowserChromium.pngSize(png).map { $0 == (1280, 2000) } == true)
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
        let run = try BrowserChromium.run(["--autoplay-policy=no-user-gesture-required", "--dump-dom",
                                           URL(fileURLWithPath: folder.path("seek.html")).absoluteString], in: folder.url)
        #expect(BrowserChromium.consoleLines(run.stderr).isEmpty, "\(BrowserChromium.consoleLines(run.stderr))")
        #expect(run.stdout.contains("data-seek=\"ok\""), "\(run.stdout.prefix(200))")
    }
}
