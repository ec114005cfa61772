import Foundation
import TalkBalanceCore

/// The JSON report: the whole session result in seconds, with speakers named by label.
/// Field names are stable; see README.md ("JSON report") for each one.
public struct JSONReport: Codable, Sendable, Equatable {
    public struct Speaker: Codable, Sendable, Equatable {
        public var label: String
        public var channel: Int
        public var talkTime: Double
        public var share: Double
        public var turns: Int
        public var meanTurn: Double
        public var longestTurn: Double
        public var interruptionsMade: Int
        public var interruptionsSuffered: Int
        public var successfulInterruptionsMade: Int
        public var backchannels: Int
        public var backchannelsReceived: Int
        public var overlapTime: Double
        public var meanResponseLatency: Double?
        /// Talk while marked as the Imago sender / while someone else was (0 without sender marks).
        public var sendingTime: Double
        public var receivingTime: Double
    }
    public struct Mark: Codable, Sendable, Equatable {
        /// `sender` (a change of Imago sender; `person` absent when nobody is sending) or `bookmark`.
        public var type: String
        public var time: Double
        public var person: String?
    }
    public struct Segment: Codable, Sendable, Equatable {
        public var speaker: String
        public var start: Double
        public var end: Double
    }
    public struct Event: Codable, Sendable, Equatable {
        public var type: String
        public var time: Double
        public var duration: Double
        public var by: String?
        public var of: String?
        public var successful: Bool?
        public var share: Double?
        public var speakers: [String]?
    }
    public struct Balance: Codable, Sendable, Equatable {
        public var time: Double
        public var window: Double
        public var shares: [String: Double]
    }
    public struct Totals: Codable, Sendable, Equatable {
        public var speech: Double
        public var silence: Double
        public var overlap: Double
        public var pauses: Int
        public var gaps: Int
    }

    public var version = 1
    public var file: String
    public var sampleRate: Int
    public var channels: Int
    public var duration: Double
    /// How `share` is defined, stated in every report because tools differ on it.
    public var shareDefinition = JSONReport.shareDefinitionText
    static let shareDefinitionText = "talk time / sum of everyone's talk time; overlap counts for each person speaking; silence excluded"
    /// Which pauses count as talk (the analysis' `--bridge-pause`), stated beside the share in the text and HTML reports.
    static func pausesCountedText(bridgeSeconds: Double) -> String {
        "Talk time includes each person's pauses under \(String(format: "%g", bridgeSeconds)) s"
    }
    public var speakers: [Speaker]
    public var segments: [Segment]
    public var turns: [Segment]
    public var events: [Event]
    public var balance: [Balance]
    public var marks: [Mark]
    public var totals: Totals
    public var settings: AnalysisConfig
    /// How who-speaks-when was decided (room microphone, live or re-analysed); absent otherwise.
    public var note: String?
    /// Why overlap, interruptions and backchannels were not measured (one microphone for the room); absent
    /// when they were. Their counts are then 0 and mean "not measured".
    public var overlapNotMeasured: String?
    /// One microphone for the room, overlap found from the voices: how far to trust the overlap and the
    /// interruptions; backchannels are then not measured (none listed, counts 0) unless `backchannelsInPart`.
    /// Absent otherwise.
    public var overlapInPart: String?
    /// True when, with `overlapInPart`, the backchannels are reported too (found in part, as it says);
    /// absent otherwise.
    public var backchannelsInPart: Bool?

    public init(file: String, result r: SessionResult) {
        func s(_ samples: Int) -> Double { Self.seconds(samples, rate: r.sampleRate) }
        func round(_ v: Double) -> Double { Self.rounded(v) }
        let labels = r.speakers.map(\.label)
        self.file = file
        sampleRate = r.sampleRate
        channels = r.channelCount
        duration = s(r.durationSamples)
        speakers = r.speakers.map {
            Speaker(label: $0.label, channel: $0.index + 1, talkTime: s($0.talkSamples), share: round($0.share),
                    turns: $0.turns, meanTurn: s($0.meanTurnSamples), longestTurn: s($0.longestTurnSamples),
                    interruptionsMade: $0.interruptionsMade, interruptionsSuffered: $0.interruptionsSuffered,
                    successfulInterruptionsMade: $0.successfulInterruptionsMade, backchannels: $0.backchannels,
                    backchannelsReceived: $0.backchannelsReceived, overlapTime: s($0.overlapSamples),
                    meanResponseLatency: $0.meanResponseLatencySamples.map(s),
                    sendingTime: s($0.sendingSamples), receivingTime: s($0.receivingSamples))
        }
        segments = r.segments.map { Segment(speaker: labels[$0.speaker], start: s($0.startSample), end: s($0.endSample)) }
        turns = r.turns.map { Segment(speaker: labels[$0.speaker], start: s($0.startSample), end: s($0.endSample)) }
        events = r.events.map {
            Event(type: $0.kind.rawValue, time: s($0.startSample), duration: s($0.durationSamples),
                  by: $0.by.map { labels[$0] }, of: $0.of.map { labels[$0] }, successful: $0.successful,
                  share: $0.share.map(round), speakers: $0.speakers.map { $0.map { labels[$0] } })
        }
        balance = r.balance.map { b in
            Balance(time: s(b.endSample), window: s(b.windowSamples),
                    shares: Dictionary(uniqueKeysWithValues: zip(labels, b.shares.map(round))))
        }
        marks = r.marks.map { Mark(type: $0.kind.rawValue, time: s($0.sample), person: $0.person.map { labels[$0] }) }
        totals = Totals(speech: s(r.durationSamples - r.silenceSamples), silence: s(r.silenceSamples),
                        overlap: s(r.overlapSamples), pauses: r.pauseCount, gaps: r.gapCount)
        settings = r.config
        note = r.note
        overlapNotMeasured = r.overlapNotMeasured
        overlapInPart = r.overlapInPart
        backchannelsInPart = r.backchannelsInPart == true ? true : nil
    }

    /// Seconds, rounded to the millisecond: how every time in the report is written.
    static func seconds(_ samples: Int, rate: Int) -> Double { (Double(samples) / Double(rate) * 1000).rounded() / 1000 }
    /// Shares, rounded to four decimals.
    static func rounded(_ share: Double) -> Double { (share * 10000).rounded() / 10000 }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }
}
