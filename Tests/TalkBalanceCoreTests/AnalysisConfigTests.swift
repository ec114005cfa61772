import Foundation
import Testing
import TalkBalanceCore

private typealias Edit = @Sendable (inout AnalysisConfig) -> Void

private struct BadValue: Sendable, CustomTestStringConvertible {
    let option: String
    let edit: Edit
    let what: String
    var testDescription: String { "\(option) = \(what)" }
}

private let badValues: [BadValue] = [
    BadValue(option: "--vad-onset-db", edit: { $0.onsetAboveNoiseDB = 0 }, what: "0"),
    BadValue(option: "--vad-onset-db", edit: { $0.onsetAboveNoiseDB = .nan }, what: "NaN"),
    BadValue(option: "--vad-hold-db", edit: { $0.holdAboveNoiseDB = -1 }, what: "-1"),
    BadValue(option: "--vad-hold-db", edit: { $0.holdAboveNoiseDB = 8; $0.onsetAboveNoiseDB = 6 }, what: "hold > onset"),
    BadValue(option: "--vad-floor-db", edit: { $0.absoluteFloorDB = 3 }, what: "3"),
    BadValue(option: "--vad-floor-db", edit: { $0.absoluteFloorDB = .nan }, what: "NaN"),
    BadValue(option: "--min-speech", edit: { $0.minSpeechSeconds = 0 }, what: "0"),
    BadValue(option: "--vad-voiced-share", edit: { $0.minVoicedShare = 1.5 }, what: "1.5"),
    BadValue(option: "--vad-voiced-share", edit: { $0.minVoicedShare = -0.1 }, what: "-0.1"),
    BadValue(option: "--min-speech", edit: { $0.minSpeechSeconds = -0.1 }, what: "-0.1"),
    BadValue(option: "--bridge-pause", edit: { $0.bridgePauseSeconds = -0.1 }, what: "-0.1"),
    BadValue(option: "--bridge-pause", edit: { $0.bridgePauseSeconds = .nan }, what: "NaN"),
    BadValue(option: "--vad-hangover", edit: { $0.hangoverSeconds = -0.01 }, what: "-0.01"),
    BadValue(option: "--vad-hangover", edit: { $0.hangoverSeconds = 2 }, what: "2"),
    BadValue(option: "--noise-memory", edit: { $0.noiseMemorySeconds = 0 }, what: "0"),
    BadValue(option: "--noise-memory", edit: { $0.noiseMemorySeconds = .infinity }, what: "inf"),
    BadValue(option: "--crosstalk-margin-db", edit: { $0.crosstalkMarginDB = -3 }, what: "-3"),
    BadValue(option: "--assumed-crosstalk-db", edit: { $0.assumedCrosstalkDB = 3 }, what: "3"),
    BadValue(option: "--assumed-crosstalk-db", edit: { $0.assumedCrosstalkDB = .nan }, what: "NaN"),
    BadValue(option: "--max-mic-delay", edit: { $0.maxMicDelaySeconds = 0 }, what: "0"),
    BadValue(option: "--backchannel-max", edit: { $0.backchannelMaxSeconds = -1 }, what: "-1"),
    BadValue(option: "--floor-resume", edit: { $0.floorResumeSeconds = -1 }, what: "-1"),
    BadValue(option: "--interruption-overlap", edit: { $0.interruptionMinOverlapSeconds = 0 }, what: "0"),
    BadValue(option: "--interruption-speech", edit: { $0.interruptionMinSpeechSeconds = .nan }, what: "NaN"),
    BadValue(option: "--interruption-holder", edit: { $0.interruptionMinHolderSeconds = -1 }, what: "-1"),
    BadValue(option: "--interruption-pre-pause", edit: { $0.interruptionPrePauseSeconds = -0.2 }, what: "-0.2"),
    BadValue(option: "--interruption-success", edit: { $0.interruptionSuccessSeconds = 0 }, what: "0"),
    BadValue(option: "--monologue", edit: { $0.monologueSeconds = 0 }, what: "0"),
    BadValue(option: "--monologue", edit: { $0.monologueSeconds = -90 }, what: "-90"),
    BadValue(option: "--window", edit: { $0.windowSeconds = 0 }, what: "0"),
    BadValue(option: "--window", edit: { $0.windowSeconds = .nan }, what: "NaN"),
    BadValue(option: "--imbalance", edit: { $0.imbalanceShare = 0 }, what: "0"),
    BadValue(option: "--imbalance", edit: { $0.imbalanceShare = 1.5 }, what: "1.5"),
    BadValue(option: "--imbalance", edit: { $0.imbalanceShare = .nan }, what: "NaN"),
    BadValue(option: "--imbalance-min-talk", edit: { $0.imbalanceMinTalkSeconds = -1 }, what: "-1"),
    BadValue(option: "--min-overlap-event", edit: { $0.minOverlapEventSeconds = -0.1 }, what: "-0.1"),
    BadValue(option: "--min-overlap-event", edit: { $0.minOverlapEventSeconds = .nan }, what: "NaN"),
]

@Suite struct AnalysisConfigTests {
    @Test func defaultsAreValid() throws {
        try AnalysisConfig().validate()
    }

    @Test func defaultsFollowTheDomain() {
        let c = AnalysisConfig()
        #expect(c.minSpeechSeconds == 0.15)
        #expect(c.backchannelMaxSeconds == 1.0)
        #expect(c.interruptionMinOverlapSeconds == 0.25)
        #expect(c.monologueSeconds == 90)
        #expect(c.windowSeconds == 300)
    }

    @Test func boundaryValuesAreValid() throws {
        var c = AnalysisConfig()
        c.holdAboveNoiseDB = c.onsetAboveNoiseDB   // hold == onset is allowed
        c.bridgePauseSeconds = 0
        c.crosstalkMarginDB = 0
        c.floorResumeSeconds = 0
        c.imbalanceShare = 1
        c.minOverlapEventSeconds = 0
        try c.validate()
    }

    @Test(arguments: badValues)
    fileprivate func invalidValueIsRejectedWithTheOptionName(_ bad: BadValue) {
        var c = AnalysisConfig()
        bad.edit(&c)
        do {
            try c.validate()
            Issue.record("\(bad.option) = \(bad.what) was accepted")
        } catch {
            #expect(error.option == bad.option)
            #expect(error.description.contains(bad.option))
            #expect(!error.reason.isEmpty)
        }
    }
}

@Suite("settings of saved reports")
struct AnalysisConfigDecodingTests {
    @Test("a report written before a setting existed still decodes: hangover and voiced share 0, the rest today's defaults")
    func olderReportsDecode() throws {
        var current = AnalysisConfig()
        current.bridgePauseSeconds = 0.25
        var json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(current)) as? [String: Any])
        #expect(json["hangoverSeconds"] as? Double == 0.04)
        json["hangoverSeconds"] = nil
        json["minVoicedShare"] = nil
        json["windowSeconds"] = nil
        let decoded = try JSONDecoder().decode(AnalysisConfig.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded.hangoverSeconds == 0)
        #expect(decoded.minVoicedShare == 0)
        #expect(decoded.windowSeconds == AnalysisConfig().windowSeconds)
        #expect(decoded.bridgePauseSeconds == 0.25)
        // A full round trip is exact.
        #expect(try JSONDecoder().decode(AnalysisConfig.self, from: JSONEncoder().encode(current)) == current)
    }
}
