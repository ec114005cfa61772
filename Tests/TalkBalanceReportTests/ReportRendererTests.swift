import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceReport

/// A small session built by hand (SessionResult has no public memberwise init, so it is decoded):
/// 10 s at 16 kHz; Alex speaks 0-3 s, "Sam Lee" 2.5-6 s and interrupts Alex at 2.5 s.
private func sampleResult() throws -> SessionResult {
    let config = try JSONSerialization.jsonObject(with: JSONEncoder().encode(AnalysisConfig()))
    func speaker(_ i: Int, _ label: String, talk: Int, share: Double, made: Int, suffered: Int, bc: Int, latency: Int?) -> [String: Any] {
        var d: [String: Any] = [
            "index": i, "label": label, "talkSamples": talk, "share": share, "turns": 1,
            "meanTurnSamples": talk, "longestTurnSamples": talk, "interruptionsMade": made,
            "interruptionsSuffered": suffered, "successfulInterruptionsMade": made, "backchannels": bc,
            "backchannelsReceived": 1 - bc, "overlapSamples": 8000, "sendingSamples": 0, "receivingSamples": 0,
        ]
        if let latency { d["meanResponseLatencySamples"] = latency }
        return d
    }
    let object: [String: Any] = [
        "sampleRate": 16000, "channelCount": 2, "durationSamples": 160_000,
        "speakers": [
            speaker(0, "Alex", talk: 48000, share: 48000.0 / 104_000, made: 0, suffered: 1, bc: 1, latency: nil),
            speaker(1, "Sam Lee", talk: 56000, share: 56000.0 / 104_000, made: 1, suffered: 0, bc: 0, latency: -8000),
        ],
        "segments": [
            ["speaker": 0, "startSample": 0, "endSample": 48000],
            ["speaker": 1, "startSample": 40000, "endSample": 96000],
        ],
        "turns": [
            ["speaker": 0, "startSample": 0, "endSample": 48000],
            ["speaker": 1, "startSample": 40000, "endSample": 96000],
        ],
        "events": [
            ["kind": "interruption", "startSample": 40000, "durationSamples": 8000, "by": 1, "of": 0, "successful": true],
            ["kind": "overlap", "startSample": 40000, "durationSamples": 8000, "speakers": [0, 1]],
            ["kind": "backchannel", "startSample": 80000, "durationSamples": 6400, "by": 0, "of": 1],
            ["kind": "imbalance", "startSample": 128_000, "durationSamples": 0, "by": 1, "share": 0.7],
        ],
        "balance": [
            ["endSample": 160_000, "windowSamples": 160_000, "talkSamples": [48000, 56000],
             "shares": [48000.0 / 104_000, 56000.0 / 104_000]],
        ],
        "marks": [[String: Any]](),
        "silenceSamples": 64000, "overlapSamples": 8000, "pauseCount": 0, "gapCount": 0,
        "config": config,
    ]
    let data = try JSONSerialization.data(withJSONObject: object)
    return try JSONDecoder().decode(SessionResult.self, from: data)
}

private func string(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

@Suite struct ReportRendererTests {
    @Test func rttmIsExact() throws {
        let r = ReportRenderer(file: "/tmp/my session.wav", result: try sampleResult())
        let expected = """
        SPEAKER my_session 1 0.000 3.000 <NA> <NA> Alex <NA> <NA>
        SPEAKER my_session 1 2.500 3.500 <NA> <NA> Sam_Lee <NA> <NA>

        """
        #expect(r.rttm() == expected)
        #expect(string(r.render(.rttm)) == expected)
    }

    @Test func csvHeaderAndRows() throws {
        let r = ReportRenderer(file: "s.wav", result: try sampleResult())
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
        var result = try sampleResult()
        result.speakers[0].label = "Lee, Alex"
        let csv = ReportRenderer(file: "s.wav", result: result).csv()
        #expect(csv.contains("segment,0.000,3.000,\"Lee, Alex\",,\n"))
    }

    @Test func jsonHasTheDocumentedFields() throws {
        let r = ReportRenderer(file: "/data/s.wav", result: try sampleResult())
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
        let result = try sampleResult()
        let data = ReportRenderer(file: "s.wav", result: result).render(.json)
        let decoded = try JSONDecoder().decode(JSONReport.self, from: data)
        #expect(decoded == JSONReport(file: "s.wav", result: result))
    }

    @Test func textReportNamesEachPersonWithTheirShare() throws {
        let text = string(ReportRenderer(file: "/tmp/my session.wav", result: try sampleResult()).render(.text))
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

    @Test func textReportWithoutInterruptionsSaysSo() throws {
        var result = try sampleResult()
        result.events.removeAll { $0.kind == .interruption }
        let text = ReportRenderer(file: "s.wav", result: result).text()
        #expect(text.contains("No interruptions."))
    }
}
