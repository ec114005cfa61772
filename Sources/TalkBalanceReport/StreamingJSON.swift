import Foundation
import TalkBalanceCore

/// Writes the JSON report (the fields of `JSONReport`, keys sorted) piece by piece, one array element
/// a line, so that the report of a long session never has to exist whole in memory.
struct StreamingJSON {
    let file: String
    let result: SessionResult

    func write(to emit: (String) -> Void) {
        let r = result
        let labels = r.speakers.map(\.label)
        func t(_ samples: Int) -> String { number(JSONReport.seconds(samples, rate: r.sampleRate)) }
        func share(_ v: Double) -> String { number(JSONReport.rounded(v)) }
        func array<S: Sequence>(_ key: String, _ items: S, last: Bool = false, _ body: (S.Element) -> String) {
            emit("  \(quoted(key)): [")
            var first = true
            for item in items {
                emit((first ? "\n    " : ",\n    ") + body(item))
                first = false
            }
            emit(first ? "]" : "\n  ]")
            emit(last ? "\n" : ",\n")
        }
        func object(_ fields: [(String, String?)]) -> String {
            "{" + fields.compactMap { k, v in v.map { "\(quoted(k)): \($0)" } }.joined(separator: ", ") + "}"
        }

        emit("{\n")
        if r.backchannelsInPart == true { emit("  \"backchannelsInPart\": true,\n") }
        array("balance", r.balance) { b in
            object([("shares", object(zip(labels, b.shares).sorted { $0.0 < $1.0 }.map { ($0.0, share($0.1)) })),
                    ("time", t(b.endSample)), ("window", t(b.windowSamples))])
        }
        emit("  \"channels\": \(r.channelCount),\n")
        emit("  \"duration\": \(t(r.durationSamples)),\n")
        array("events", r.events) { e in
            object([("by", e.by.map { quoted(labels[$0]) }), ("duration", t(e.durationSamples)),
                    ("of", e.of.map { quoted(labels[$0]) }), ("share", e.share.map(share)),
                    ("speakers", e.speakers.map { "[" + $0.map { quoted(labels[$0]) }.joined(separator: ", ") + "]" }),
                    ("successful", e.successful.map { $0 ? "true" : "false" }),
                    ("time", t(e.startSample)), ("type", quoted(e.kind.rawValue))])
        }
        emit("  \"file\": \(quoted(file)),\n")
        array("marks", r.marks) { m in
            object([("person", m.person.map { quoted(labels[$0]) }), ("time", t(m.sample)), ("type", quoted(m.kind.rawValue))])
        }
        if let note = r.note { emit("  \"note\": \(quoted(note)),\n") }
        if let part = r.overlapInPart { emit("  \"overlapInPart\": \(quoted(part)),\n") }
        if let why = r.overlapNotMeasured { emit("  \"overlapNotMeasured\": \(quoted(why)),\n") }
        emit("  \"sampleRate\": \(r.sampleRate),\n")
        array("segments", r.segments) { s in
            object([("end", t(s.endSample)), ("speaker", quoted(labels[s.speaker])), ("start", t(s.startSample))])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let settings = (try? encoder.encode(r.config)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        emit("  \"settings\": \(settings),\n")
        emit("  \"shareDefinition\": \(quoted(JSONReport.shareDefinitionText)),\n")
        array("speakers", r.speakers) { s in
            object([("backchannels", "\(s.backchannels)"), ("backchannelsReceived", "\(s.backchannelsReceived)"),
                    ("channel", "\(s.index + 1)"), ("interruptionsMade", "\(s.interruptionsMade)"),
                    ("interruptionsSuffered", "\(s.interruptionsSuffered)"), ("label", quoted(s.label)),
                    ("longestTurn", t(s.longestTurnSamples)), ("meanResponseLatency", s.meanResponseLatencySamples.map(t)),
                    ("meanTurn", t(s.meanTurnSamples)), ("overlapTime", t(s.overlapSamples)),
                    ("receivingTime", t(s.receivingSamples)), ("sendingTime", t(s.sendingSamples)), ("share", share(s.share)),
                    ("successfulInterruptionsMade", "\(s.successfulInterruptionsMade)"), ("talkTime", t(s.talkSamples)),
                    ("turns", "\(s.turns)")])
        }
        emit("  \"totals\": " + object([("gaps", "\(r.gapCount)"), ("overlap", t(r.overlapSamples)), ("pauses", "\(r.pauseCount)"),
                                        ("silence", t(r.silenceSamples)), ("speech", t(r.durationSamples - r.silenceSamples))]) + ",\n")
        array("turns", r.turns) { s in
            object([("end", t(s.endSample)), ("speaker", quoted(labels[s.speaker])), ("start", t(s.startSample))])
        }
        emit("  \"version\": 1\n}\n")
    }

    /// Shortest text that reads back as the same Double (Swift's description is round-trip exact).
    private func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
}

/// A JSON string literal.
func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
