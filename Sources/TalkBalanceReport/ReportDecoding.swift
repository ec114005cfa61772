import Foundation
import TalkBalanceCore

/// Reads a saved JSON report back into a session result, so any format can be rendered from it without
/// re-analysing the audio (`talkbalance report`). Times come back in samples at the report's rate
/// (they were rounded to the millisecond when written).
public enum ReportDecoding {
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public static func result(fromJSON data: Data) throws(Invalid) -> (file: String, result: SessionResult) {
        let report: JSONReport
        do { report = try JSONDecoder().decode(JSONReport.self, from: data) } catch {
            throw Invalid(reason: "not a TalkBalance JSON report (\(describe(error)))")
        }
        return (report.file, try result(from: report))
    }

    public static func result(from r: JSONReport) throws(Invalid) -> SessionResult {
        // One microphone per person: a speaker per channel; one for the room (`--speakers N`): any number
        // of people, whatever the channels.
        guard r.sampleRate > 0, r.channels >= 1, r.speakers.count >= 1 else {
            throw Invalid(reason: "the report's sampleRate, channels and speakers do not fit together")
        }
        let labels = r.speakers.map(\.label)
        let index = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func s(_ seconds: Double) -> Int { Int((seconds * Double(r.sampleRate)).rounded()) }
        func who(_ label: String?) throws(Invalid) -> Int? {
            guard let label else { return nil }
            guard let i = index[label] else { throw Invalid(reason: "the report names \"\(label)\", who is not among its speakers") }
            return i
        }
        var segments: [SpeechSegment] = []
        for seg in r.segments { segments.append(SpeechSegment(speaker: try who(seg.speaker)!, startSample: s(seg.start), endSample: s(seg.end))) }
        var turns: [Turn] = []
        for t in r.turns { turns.append(Turn(speaker: try who(t.speaker)!, startSample: s(t.start), endSample: s(t.end))) }
        var events: [ConversationEvent] = []
        for e in r.events {
            guard let kind = EventKind(rawValue: e.type) else { throw Invalid(reason: "unknown event type \"\(e.type)\"") }
            var speakers: [Int]? = nil
            if let list = e.speakers {
                var ids: [Int] = []
                for label in list { ids.append(try who(label)!) }
                speakers = ids
            }
            events.append(ConversationEvent(kind: kind, startSample: s(e.time), durationSamples: s(e.duration), by: try who(e.by),
                                            of: try who(e.of), successful: e.successful, share: e.share, speakers: speakers))
        }
        var marks: [Mark] = []
        for m in r.marks {
            guard let kind = Mark.Kind(rawValue: m.type) else { throw Invalid(reason: "unknown mark type \"\(m.type)\"") }
            marks.append(Mark(kind: kind, sample: s(m.time), person: try who(m.person)))
        }
        let balance = r.balance.map { b in
            BalanceSnapshot(endSample: s(b.time), windowSamples: s(b.window),
                            talkSamples: labels.map { s((b.shares[$0] ?? 0) * b.window) },
                            shares: labels.map { b.shares[$0] ?? 0 })
        }
        let speakers = r.speakers.enumerated().map { i, p in
            SpeakerSummary(index: i, label: p.label, talkSamples: s(p.talkTime), share: p.share, turns: p.turns,
                           meanTurnSamples: s(p.meanTurn), longestTurnSamples: s(p.longestTurn),
                           interruptionsMade: p.interruptionsMade, interruptionsSuffered: p.interruptionsSuffered,
                           successfulInterruptionsMade: p.successfulInterruptionsMade, backchannels: p.backchannels,
                           backchannelsReceived: p.backchannelsReceived, overlapSamples: s(p.overlapTime),
                           meanResponseLatencySamples: p.meanResponseLatency.map(s),
                           sendingSamples: s(p.sendingTime), receivingSamples: s(p.receivingTime))
        }
        var result = SessionResult(sampleRate: r.sampleRate, channelCount: r.channels, durationSamples: s(r.duration),
                                   speakers: speakers, segments: segments, turns: turns, events: events, balance: balance,
                                   marks: marks, silenceSamples: s(r.totals.silence), overlapSamples: s(r.totals.overlap),
                                   pauseCount: r.totals.pauses, gapCount: r.totals.gaps, config: r.settings)
        result.note = r.note
        result.overlapNotMeasured = r.overlapNotMeasured
        result.overlapInPart = r.overlapInPart
        result.backchannelsInPart = r.backchannelsInPart == true ? true : nil
        return result
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted: return "not valid JSON"
        default: return "unreadable"
        }
    }
}
