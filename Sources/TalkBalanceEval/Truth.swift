import Foundation

/// Ground-truth events as tools/make-session writes them (`NAME.events.json`).
public struct TruthFile: Decodable, Sendable {
    public struct Event: Decodable, Sendable {
        public var type: String
        public var time: Double
        public var by: String
        public var of: String?
        public var to: String?
        public var successful: Bool?
    }
    public var speakers: [String]
    public var events: [Event]
    public var talkTime: [String: Double]?

    public static func load(path: String) throws -> TruthFile {
        try decode(Data(contentsOf: URL(fileURLWithPath: path)))
    }

    public static func decode(_ data: Data) throws -> TruthFile {
        try JSONDecoder().decode(TruthFile.self, from: data)
    }

    public func timedEvents(_ type: String) -> [TimedEvent] {
        events.filter { $0.type == type }.map { TimedEvent(type: type, time: $0.time, by: $0.by, target: $0.of ?? $0.to ?? "") }
    }
}

/// The parts of a TalkBalance JSON report that scoring needs.
public struct ReportFile: Decodable, Sendable {
    public struct Segment: Decodable, Sendable { public var speaker: String; public var start: Double; public var end: Double }
    public struct Event: Decodable, Sendable {
        public var type: String
        public var time: Double
        public var by: String?
        public var of: String?
    }
    public var duration: Double
    public var segments: [Segment]
    public var events: [Event]

    public var labeledSegments: [LabeledSegment] { segments.map { LabeledSegment(speaker: $0.speaker, start: $0.start, end: $0.end) } }
    public func timedEvents(_ type: String) -> [TimedEvent] {
        events.filter { $0.type == type }.map { TimedEvent(type: type, time: $0.time, by: $0.by ?? "", target: $0.of ?? "") }
    }
}
