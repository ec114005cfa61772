import Foundation
import Testing

/// `talkbalance report` renders saved JSON without the audio; `talkbalance compare` sets sessions side by side.
@Suite("report and compare from saved JSON")
struct ReportCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func fixture(_ name: String) -> String { root.appendingPathComponent("fixtures/\(name)/\(name).flac").path }

    @Test("report SESSION.json gives back the same JSON, and the same text, RTTM and CSV as analyze")
    func roundTrip() throws {
        let folder = try TempFolder()
        let analysed = try folder.run(["analyze", Self.fixture("demo"), "--names", "Anna,Ben", "--format", "json", "--output", "s.json"])
        #expect(analysed.status == 0)
        let original = try Data(contentsOf: URL(fileURLWithPath: folder.path("s.json")))
        let again = try folder.run(["report", "s.json", "--format", "json"])
        #expect(again.status == 0, "\(again.stderr)")
        let a = try JSONSerialization.jsonObject(with: original) as? NSDictionary
        let b = try JSONSerialization.jsonObject(with: again.stdout) as? NSDictionary
        #expect(a != nil && a == b)
        for format in ["text", "rttm", "csv"] {
            let direct = try folder.run(["analyze", Self.fixture("demo"), "--names", "Anna,Ben", "--format", format])
            let rendered = try folder.run(["report", "s.json", "--format", format])
            #expect(direct.stdoutText == rendered.stdoutText, "\(format) differs")
        }
    }

    @Test("report rejects a missing file, a non-report and an existing output")
    func badInput() throws {
        let folder = try TempFolder()
        let missing = try folder.run(["report", "nope.json"])
        #expect(missing.status == 66)
        try "{\"hello\": 1}".write(toFile: folder.path("other.json"), atomically: true, encoding: .utf8)
        let other = try folder.run(["report", "other.json"])
        #expect(other.status == 65)
        #expect(other.stderrLines.count == 1 && other.stderr.contains("other.json"))
        _ = try folder.run(["analyze", Self.fixture("demo"), "--format", "json", "--output", "s.json"])
        try "keep".write(toFile: folder.path("out.txt"), atomically: true, encoding: .utf8)
        let exists = try folder.run(["report", "s.json", "--output", "out.txt"])
        #expect(exists.status == 73)
        #expect(try String(contentsOfFile: folder.path("out.txt"), encoding: .utf8) == "keep")
    }

    @Test("compare shows each person's share per session and the facilitator's reading")
    func compare() throws {
        let folder = try TempFolder()
        _ = try folder.run(["analyze", Self.fixture("demo"), "--names", "Anna,Ben", "--format", "json", "--output", "week1.json"])
        _ = try folder.run(["analyze", Self.fixture("real2"), "--names", "Anna,Ben", "--format", "json", "--output", "week2.json"])
        let shares = try ["week1.json", "week2.json"].map { name -> [String: Double] in
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path(name)))) as! [String: Any]
            let speakers = root["speakers"] as! [[String: Any]]
            return Dictionary(uniqueKeysWithValues: speakers.map { ($0["label"] as! String, $0["share"] as! Double) })
        }
        let text = try folder.run(["compare", "week1.json", "week2.json", "--facilitator", "Ben"])
        #expect(text.status == 0, "\(text.stderr)")
        let anna = try #require(text.stdoutText.split(separator: "\n").first { $0.hasPrefix("Anna ") })
        #expect(anna.contains(String(format: "%.1f%%", shares[0]["Anna"]! * 100)))
        #expect(anna.contains(String(format: "%.1f%%", shares[1]["Anna"]! * 100)))
        #expect(text.stdoutText.contains("Facilitator Ben"))
        let html = try folder.run(["compare", "week1.json", "week2.json", "--format", "html", "--output", "c.html"])
        #expect(html.status == 0)
        let page = try String(contentsOfFile: folder.path("c.html"), encoding: .utf8)
        #expect(page.contains("<svg") && page.contains("week2") && !page.contains("http"))
        let one = try folder.run(["compare", "week1.json"])
        #expect(one.status == 64)
        let nobody = try folder.run(["compare", "week1.json", "week2.json", "--facilitator", "Zoe"])
        #expect(nobody.status == 64 && nobody.stderr.contains("Zoe"))
    }
}
