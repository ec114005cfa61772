/// One labelled stretch of speech, in seconds (ground truth or hypothesis).
public struct LabeledSegment: Sendable, Equatable {
    public var speaker: String
    public var start: Double
    public var end: Double
    public init(speaker: String, start: Double, end: Double) {
        self.speaker = speaker
        self.start = start
        self.end = end
    }
}

/// NIST RTTM: `SPEAKER <file> <channel> <start> <duration> <NA> <NA> <speaker> <NA> <NA>`.
public enum RTTM {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Reads the SPEAKER lines (other record types and blank or `;;` comment lines are skipped).
    public static func parse(_ text: String) throws(ParseError) -> [LabeledSegment] {
        var out: [LabeledSegment] = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).enumerated() {
            let fields = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let kind = fields.first, !kind.hasPrefix(";;") else { continue }
            guard kind == "SPEAKER" else { continue }
            guard fields.count >= 8 else { throw ParseError(line: index + 1, reason: "a SPEAKER line needs at least 8 fields") }
            guard let start = Double(fields[3]), let duration = Double(fields[4]), start >= 0, duration >= 0,
                  start.isFinite, duration.isFinite else {
                throw ParseError(line: index + 1, reason: "start and duration must be non-negative numbers")
            }
            out.append(LabeledSegment(speaker: String(fields[7]), start: start, end: start + duration))
        }
        return out
    }
}
