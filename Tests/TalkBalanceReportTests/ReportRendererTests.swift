import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceReport

private func string(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

@Suite struct ReportRendererTests {
    @Test func rttmIsExact() throws {
        let r = ReportRenderer(file: "/tmp/my session.wav", result: try sampleSession())
        let expected = """
        SPEAKER my_session 1 0.000 3.000 <NA> <NA> Alex <NA> <NA>
        SPEAKER my_session 1 2.500 3.500 <NA> <NA> Sam_Lee <NA> <NA>

        """
        #expect(r.rttm() == expected)
        #expect(string(r.render(.rttm)) == expected)
    }

    @Test func csvHeaderAndRows() throws {
        let r = ReportRenderer(file: "s.wav", result: try sampleSession())
        let expected = """
        kind,start,end,speaker,target,detail
        segment,0.000,3.000,Alex,,
        segment,2.500,6.000,Sam Lee,,
        interruption,2.500,3.000,Sam Lee,Alex,successful
        overlap,2.500,3.000,,,Alex+Sam Lee
        backchannel,5.000,5.400,Alex,Sam Lee,
        imbalance,8.000,8.000,Sam Lee,,share 0.70

        """
        #expect(r.csv() == expected)
        #expect(string(r.render(.csv)) == expected)
    }

    @Test func csvQuotesFieldsWithCommas() throws {
        var result = try sampleSession()
        result.speakers[0].label = "Lee, Alex"
        let csv = ReportRenderer(file: "s.wav", result: result).csv()
        #expect(csv.contains("segment,0.000,3.000,\"Lee, Alex\",,\n"))
    }

    @Test func jsonHasTheDocumentedFields() throws {
        let r = ReportRenderer(file: "/data/s.wav", result: try sampleSession())
        let data = r.render(.json)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["sampleRate"] as? Int == 16000)
        #expect((root["duration"] as? Double).map { abs($0 - 10) < 1e-9 } == true)
        #expect(root["shareDefinition"] is String)

        let speakers = try #require(root["speakers"] as? [[String: Any]])
        #expect(speakers.count == 2)
        #expect(speakers.map { $0["label"] as? String } == ["Alex", "Sam Lee"])
        #expect((speakers[0]["talkTime"] as? Double).map { abs($0 - 3) < 1e-9 } == true)
        #expect((speakers[1]["talkTime"] as? Double).map { abs($0 - 3.5) < 1e-9 } == true)
        #expect((speakers[0]["share"] as? Double).map { abs($0 - 0.4615) < 1e-9 } == true)
        #expect((speakers[1]["share"] as? Double).map { abs($0 - 0.5385) < 1e-9 } == true)
        #expect(speakers[0]["turns"] as? Int == 1)
        #expect((speakers[1]["longestTurn"] as? Double).map { abs($0 - 3.5) < 1e-9 } == true)
        #expect(speakers[1]["interruptionsMade"] as? Int == 1)
        #expect(speakers[0]["interruptionsSuffered"] as? Int == 1)
        #expect(speakers[0]["backchannels"] as? Int == 1)
        #expect(speakers[1]["backchannels"] as? Int == 0)
        #expect((speakers[1]["meanResponseLatency"] as? Double).map { abs($0 - -0.5) < 1e-9 } == true)

        let segments = try #require(root["segments"] as? [[String: Any]])
        #expect(segments.count == 2)
        #expect(segments[1]["speaker"] as? String == "Sam Lee")
        #expect((segments[1]["start"] as? Double).map { abs($0 - 2.5) < 1e-9 } == true)
        #expect((segments[1]["end"] as? Double).map { abs($0 - 6) < 1e-9 } == true)

        let events = try #require(root["events"] as? [[String: Any]])
        #expect(events.map { $0["type"] as? String } == ["interruption", "overlap", "backchannel", "imbalance"])
        #expect(events.allSatisfy { $0["time"] is Double || $0["time"] is Int })
        let interruption = events[0]
        #expect((interruption["time"] as? Double).map { abs($0 - 2.5) < 1e-9 } == true)
        #expect(interruption["by"] as? String == "Sam Lee")
        #expect(interruption["of"] as? String == "Alex")
        #expect(interruption["successful"] as? Bool == true)
        #expect(events[1]["speakers"] as? [String] == ["Alex", "Sam Lee"])
        #expect(events[3]["share"] as? Double == 0.7)

        let totals = try #require(root["totals"] as? [String: Any])
        #expect((totals["silence"] as? Double).map { abs($0 - 4) < 1e-9 } == true)
        #expect((totals["speech"] as? Double).map { abs($0 - 6) < 1e-9 } == true)
    }

    @Test func jsonRoundTripsThroughTheReportType() throws {
        let result = try sampleSession()
        let data = ReportRenderer(file: "s.wav", result: result).render(.json)
        let decoded = try JSONDecoder().decode(JSONReport.self, from: data)
        #expect(decoded == JSONReport(file: "s.wav", result: result))
    }

    /// One microphone for the room: overlap found in part; backchannels shown (found in part) only when
    /// the analysis says so, and that survives the JSON report.
    @Test(arguments: [false, true])
    func backchannelsFoundInPart(reported: Bool) throws {
        var result = try sampleSession()
        result.overlapInPart = "found in part"
        result.backchannelsInPart = reported ? true : nil
        let json = ReportRenderer(file: "s.wav", result: result).render(.json)
        let root = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect((root["backchannelsInPart"] as? Bool) == (reported ? true : nil))
        let decoded = try ReportDecoding.result(fromJSON: json).result
        #expect(decoded.backchannelsInPart == (reported ? true : nil))
        for r in [result, decoded] {
            let text = string(ReportRenderer(file: "s.wav", result: r).render(.text))
            #expect(text.contains("1 backchannels and 1 overlaps (found in part)") == reported, "\(text)")
            #expect(text.contains("(backchannels not measured)") == !reported, "\(text)")
            let html = string(ReportRenderer(file: "s.wav", result: r).render(.html))
            #expect(html.contains(">not measured</td>") == !reported)
        }
    }

    @Test func textReportNamesEachPersonWithTheirShare() throws {
        let text = string(ReportRenderer(file: "/tmp/my session.wav", result: try sampleSession()).render(.text))
        #expect(text.contains("my session.wav"))
        let lines = text.split(separator: "\n").map(String.init)
        let alex = try #require(lines.first { $0.hasPrefix("Alex ") })
        let sam = try #require(lines.first { $0.hasPrefix("Sam Lee ") })
        #expect(alex.contains("46.2%"))
        #expect(sam.contains("53.8%"))
        #expect(text.contains("Sam Lee interrupted Alex"))
        #expect(text.contains("Share = talk time"))
        #expect(text.contains("Sam Lee had 70% of the talk"))
    }

    @Test func textReportSaysWhichPausesCountAsTalk() throws {
        var result = try sampleSession()
        #expect(string(ReportRenderer(file: "s.wav", result: result).render(.text))
            .contains("Talk time includes each person's pauses under 0.3 s (--bridge-pause)"))
        result.config.bridgePauseSeconds = 0.25
        #expect(string(ReportRenderer(file: "s.wav", result: result).render(.text))
            .contains("Talk time includes each person's pauses under 0.25 s (--bridge-pause)"))
    }

    @Test func textReportWithoutInterruptionsSaysSo() throws {
        var result = try sampleSession()
        result.events.removeAll { $0.kind == .interruption }
        let text = ReportRenderer(file: "s.wav", result: result).text()
        #expect(text.contains("No interruptions."))
    }
}
