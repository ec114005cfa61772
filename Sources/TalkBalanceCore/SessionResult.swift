/// One person's speech: a stretch of voice activity after bridging short pauses. Times in samples
/// from the start of the stream.
public struct SpeechSegment: Sendable, Equatable, Codable {
    public var speaker: Int
    public var startSample: Int
    public var endSample: Int
    public init(speaker: Int, startSample: Int, endSample: Int) {
        self.speaker = speaker
        self.startSample = startSample
        self.endSample = endSample
    }
}

/// A maximal stretch in which one person holds the floor (from their first to their last speech in it).
public struct Turn: Sendable, Equatable, Codable {
    public var speaker: Int
    public var startSample: Int
    public var endSample: Int
    public init(speaker: Int, startSample: Int, endSample: Int) {
        self.speaker = speaker
        self.startSample = startSample
        self.endSample = endSample
    }
}

public enum EventKind: String, Sendable, Codable, CaseIterable {
    case interruption, backchannel, overlap, monologue, imbalance
}

/// Something worth a facilitator's attention, decided by the conversation analyzer.
public struct ConversationEvent: Sendable, Equatable, Codable {
    public var kind: EventKind
    /// When it starts: the interrupter's or backchanneller's first sample, the overlap's or monologue's
    /// start, or the moment an imbalance was detected.
    public var startSample: Int
    public var durationSamples: Int
    /// Who did it (interrupter, backchanneller, monologue speaker, dominant speaker).
    public var by: Int?
    /// Towards whom (the interrupted floor holder, the speaker who received the backchannel).
    public var of: Int?
    /// Interruptions only: the interrupter took the floor.
    public var successful: Bool?
    /// Imbalance only: the dominant speaker's share of the window's talk.
    public var share: Double?
    /// Overlaps only: everyone speaking in it.
    public var speakers: [Int]?

    public init(kind: EventKind, startSample: Int, durationSamples: Int = 0, by: Int? = nil, of: Int? = nil,
                successful: Bool? = nil, share: Double? = nil, speakers: [Int]? = nil) {
        self.kind = kind
        self.startSample = startSample
        self.durationSamples = durationSamples
        self.by = by
        self.of = of
        self.successful = successful
        self.share = share
        self.speakers = speakers
    }
}

/// A mark the facilitator made during a live session: a change of Imago sender (`person`, nil when
/// nobody is sending), a bookmark for later review, or (one microphone for the room) an enrolment:
/// "the voice speaking now is `person`".
public struct Mark: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case sender, bookmark, enrol }
    public var kind: Kind
    public var sample: Int
    public var person: Int?
    public init(kind: Kind, sample: Int, person: Int? = nil) {
        self.kind = kind
        self.sample = sample
        self.person = person
    }
}

/// Each person's share of the talk in the sliding window ending at `endSample`.
public struct BalanceSnapshot: Sendable, Equatable, Codable {
    public var endSample: Int
    public var windowSamples: Int
    public var talkSamples: [Int]
    public var shares: [Double]
    public init(endSample: Int, windowSamples: Int, talkSamples: [Int], shares: [Double]) {
        self.endSample = endSample
        self.windowSamples = windowSamples
        self.talkSamples = talkSamples
        self.shares = shares
    }
}

public struct SpeakerSummary: Sendable, Equatable, Codable {
    public var index: Int
    public var label: String
    public var talkSamples: Int
    public var share: Double
    public var turns: Int
    public var meanTurnSamples: Int
    public var longestTurnSamples: Int
    public var interruptionsMade: Int
    public var interruptionsSuffered: Int
    public var successfulInterruptionsMade: Int
    public var backchannels: Int
    public var backchannelsReceived: Int
    public var overlapSamples: Int
    public var meanResponseLatencySamples: Int?
    /// Talk while this person was marked as the Imago sender (0 without sender marks).
    public var sendingSamples: Int
    /// Talk while someone else was marked as the sender (re-voicing, mirroring, intrusions).
    public var receivingSamples: Int

    public init(index: Int, label: String, talkSamples: Int, share: Double, turns: Int, meanTurnSamples: Int,
                longestTurnSamples: Int, interruptionsMade: Int, interruptionsSuffered: Int, successfulInterruptionsMade: Int,
                backchannels: Int, backchannelsReceived: Int, overlapSamples: Int, meanResponseLatencySamples: Int?,
                sendingSamples: Int, receivingSamples: Int) {
        self.index = index
        self.label = label
        self.talkSamples = talkSamples
        self.share = share
        self.turns = turns
        self.meanTurnSamples = meanTurnSamples
        self.longestTurnSamples = longestTurnSamples
        self.interruptionsMade = interruptionsMade
        self.interruptionsSuffered = interruptionsSuffered
        self.successfulInterruptionsMade = successfulInterruptionsMade
        self.backchannels = backchannels
        self.backchannelsReceived = backchannelsReceived
        self.overlapSamples = overlapSamples
        self.meanResponseLatencySamples = meanResponseLatencySamples
        self.sendingSamples = sendingSamples
        self.receivingSamples = receivingSamples
    }
}

/// Everything an analysis found: the one input every report renders.
public struct SessionResult: Sendable, Equatable, Codable {
    public var sampleRate: Int
    public var channelCount: Int
    public var durationSamples: Int
    public var speakers: [SpeakerSummary]
    public var segments: [SpeechSegment]
    public var turns: [Turn]
    public var events: [ConversationEvent]
    public var balance: [BalanceSnapshot]
    public var marks: [Mark]
    public var silenceSamples: Int
    public var overlapSamples: Int
    public var pauseCount: Int
    public var gapCount: Int
    public var config: AnalysisConfig
    /// How who-speaks-when was decided, when it is worth saying (one microphone for the room: online
    /// during a live session, or the offline analysis re-run on its recording). Nil otherwise.
    public var note: String? = nil
    /// Why overlapping speech, and so interruptions and backchannels, were not measured (one
    /// microphone for the room: each moment goes to one person, apart from a short stretch of one voice
    /// inside another's speech); nil when they were. Reports show their counts as not measured rather
    /// than as zero.
    public var overlapNotMeasured: String? = nil

    /// With one microphone for the room, when the voices found overlapped speech (`VoiceOverlapFinder`):
    /// how far to trust it. Overlap and interruptions are reported, found in part; backchannels too when
    /// `backchannelsInPart`, else they are not measured (their events are left out and their counts are 0).
    /// Nil otherwise.
    public var overlapInPart: String? = nil
    /// With `overlapInPart`: the backchannels are reported, found in part as it says (the offline room
    /// analysis with the segmentation network). Nil otherwise.
    public var backchannelsInPart: Bool? = nil

    /// The `overlapInPart` of the offline room analysis (measured on the generated rooms of `tools/evaluate
    /// --room`, tuning, held out and `--sweep-base 1701`, pooled: 43 of 48 interruptions found, 4 of the 47
    /// reported not real; 64 of 96 backchannels found with the right people, 20 of the 84 reported not;
    /// docs/ACCURACY.md, "one person, who is underneath with three people, and backchannels").
    public static let overlapFromVoices = "one microphone for the room finds overlapping speech from the voices only in part: about nine in ten interruptions are found and about one in twelve of those found is not real; about two in three backchannels are found and about one in four of those found is not right"
    /// The same without the segmentation network (the hidden `--speaker-segmentation off`): the voices'
    /// models alone (measured before the network, on the same rooms).
    public static let overlapFromVoicesAlone = "one microphone for the room finds overlapping speech from the voices only in part: about half of the interruptions are found and nearly all of those found are real; backchannels are not measured"

    /// The `note` of the offline room analysis when some of the people it was told of have no speech:
    /// the voices told fewer apart (`RoomDiarizer.Options.sameVoiceSimilarity`).
    public static func fewerVoices(found: Int, of people: Int, silent: [String]) -> String {
        let names = silent.count == 1 ? silent[0] : silent.dropLast().joined(separator: ", ") + " and " + silent.last!
        return "one microphone for the room, \(people) people: the voices told \(found) of them apart, so \(names) \(silent.count == 1 ? "has" : "have") no speech here (someone who says only a word or two, or whose voice is very like another's, is counted with the nearest voice)"
    }

    /// Leaves the backchannels out (not measured): their events, and every person's counts.
    public mutating func dropBackchannels() {
        events.removeAll { $0.kind == .backchannel }
        for i in speakers.indices { speakers[i].backchannels = 0; speakers[i].backchannelsReceived = 0 }
    }

    /// The reason one microphone for the room gives for `overlapNotMeasured`, live (decided online).
    public static let oneVoiceAtATime = "one microphone for the room gives each moment to one person, so overlapping speech, interruptions and backchannels are not measured"
    /// The same, live (`LiveVoiceOverlap`): from when two people had said enough alone to be modelled
    /// (`clock`, e.g. "0:15"; nil: never); with `network`, also from the speaker segmentation network (two
    /// people: from the start; three: where the voices can say who is underneath). Measured: `tools/evaluate
    /// --room --online`, 20 of 36 found, 3 invented.
    public static func overlapFromVoicesLive(since clock: String?, network: Bool = false) -> String {
        let voices = clock.map { "from the voices from \($0) on, once two people had said 5 s alone" }
            ?? "not from the voices, as fewer than two people said 5 s alone"
        let sources = network ? "from the speaker segmentation network, and \(voices)" : voices
        return "one microphone for the room finds overlapping speech only in part (live: \(sources)): about half of the interruptions are found and about four in five of those found are real; backchannels are not measured"
    }
    /// The same when the voices could have found overlap but fewer than two people said 5 s alone
    /// (`VoiceOverlapFinder.Options.minTrainingFrames`).
    public static let tooFewVoices = "one microphone for the room finds overlapping speech from the voices of people who said 5 s alone, and fewer than two did, so overlapping speech, interruptions and backchannels are not measured"
    /// The same for the offline analysis, which counts a short run of one voice inside another's speech
    /// for both (`RoomAnalysis.maxExcursionSeconds`).
    public static let shortRunsOnly = "one microphone for the room gives each moment to one person (or, for a short stretch of one voice inside another's speech, to both), so overlapping speech, interruptions and backchannels are not measured"

    public init(sampleRate: Int, channelCount: Int, durationSamples: Int, speakers: [SpeakerSummary], segments: [SpeechSegment],
                turns: [Turn], events: [ConversationEvent], balance: [BalanceSnapshot], marks: [Mark], silenceSamples: Int,
                overlapSamples: Int, pauseCount: Int, gapCount: Int, config: AnalysisConfig) {
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.durationSamples = durationSamples
        self.speakers = speakers
        self.segments = segments
        self.turns = turns
        self.events = events
        self.balance = balance
        self.marks = marks
        self.silenceSamples = silenceSamples
        self.overlapSamples = overlapSamples
        self.pauseCount = pauseCount
        self.gapCount = gapCount
        self.config = config
    }

    public func seconds(_ samples: Int) -> Double { Double(samples) / Double(sampleRate) }
    public var durationSeconds: Double { seconds(durationSamples) }
}
