import TalkBalanceCore

/// One JSON object per line for programs that follow a live session (`talkbalance live` when stdout is
/// not a terminal). Times in seconds from the start of the capture; people by label.
public struct LiveLines: Sendable {
    public let labels: [String]
    public let sampleRate: Int
    public init(labels: [String], sampleRate: Int) {
        self.labels = labels
        self.sampleRate = sampleRate
    }

    private func t(_ samples: Int) -> String { "\(JSONReport.seconds(samples, rate: sampleRate))" }
    private func object(_ fields: [(String, String?)]) -> String {
        "{" + fields.compactMap { k, v in v.map { "\(quoted(k)): \($0)" } }.joined(separator: ", ") + "}\n"
    }

    public func event(_ e: ConversationEvent) -> String {
        object([("type", quoted(e.kind.rawValue)), ("time", t(e.startSample)), ("duration", t(e.durationSamples)),
                ("by", e.by.map { quoted(labels[$0]) }), ("of", e.of.map { quoted(labels[$0]) }),
                ("successful", e.successful.map { $0 ? "true" : "false" }),
                ("share", e.share.map { "\(JSONReport.rounded($0))" }),
                ("speakers", e.speakers.map { "[" + $0.map { quoted(labels[$0]) }.joined(separator: ", ") + "]" })])
    }

    /// A change of floor: `speaker` took the floor at `startSample`.
    public func turn(_ turn: Turn) -> String {
        object([("type", quoted("turn")), ("time", t(turn.startSample)), ("speaker", quoted(labels[turn.speaker])),
                ("end", t(turn.endSample))])
    }

    public func balance(_ b: BalanceSnapshot) -> String {
        object([("type", quoted("balance")), ("time", t(b.endSample)), ("window", t(b.windowSamples)),
                ("shares", "{" + zip(labels, b.shares).map { "\(quoted($0.0)): \(JSONReport.rounded($0.1))" }.joined(separator: ", ") + "}")])
    }

    public func mark(_ m: Mark) -> String {
        object([("type", quoted(m.kind.rawValue)), ("time", t(m.sample)),
                ("person", m.person.map { quoted(labels[$0]) })])
    }

    public func lost(seconds: Double, at samples: Int) -> String {
        object([("type", quoted("lost")), ("time", t(samples)), ("duration", "\((seconds * 1000).rounded() / 1000)")])
    }
}
