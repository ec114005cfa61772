/// What the live meter shows, taken from the analyzer after each block: who is speaking now, the share
/// of the sliding window and of the whole session, and the latest flag. A plain value: the meter
/// renderer turns it into text, tests build it by hand.
public struct LiveState: Sendable, Equatable {
    public struct Person: Sendable, Equatable {
        public var label: String
        public var speakingNow: Bool
        /// Share of the talk in the sliding window (0-1).
        public var windowShare: Double
        /// Share of the talk over the whole session so far (0-1).
        public var sessionShare: Double
        public var talkSeconds: Double
        public init(label: String, speakingNow: Bool, windowShare: Double, sessionShare: Double, talkSeconds: Double) {
            self.label = label
            self.speakingNow = speakingNow
            self.windowShare = windowShare
            self.sessionShare = sessionShare
            self.talkSeconds = talkSeconds
        }
    }

    /// One prominent cue at a time: the latest flag worth a glance.
    public enum Cue: Sendable, Equatable {
        case imbalance(person: String, share: Double)
        case interruption(by: String, of: String)
        case monologue(person: String, seconds: Double)
    }

    public var people: [Person]
    public var elapsedSeconds: Double
    public var windowSeconds: Double
    /// Who holds the floor now and for how long.
    public var floorHolder: String?
    public var turnSeconds: Double
    public var cue: Cue?
    /// Who is sending now (Imago), as marked by the facilitator.
    public var sender: String?
    public var bookmarks: Int
    /// Audio lost to capture overruns so far.
    public var lostSeconds: Double
    /// One microphone for the room: the digit keys enrol voices (the footer says so).
    public var enrolKeys = false
    /// How far the counted talk (shares, floor, cues) trails who speaks now, in seconds: one microphone
    /// for the room counts each label once the re-clusterings have revised it (0: counted at once).
    public var countsLagSeconds: Double = 0

    public init(people: [Person], elapsedSeconds: Double, windowSeconds: Double, floorHolder: String? = nil,
                turnSeconds: Double = 0, cue: Cue? = nil, sender: String? = nil, bookmarks: Int = 0, lostSeconds: Double = 0) {
        self.people = people
        self.elapsedSeconds = elapsedSeconds
        self.windowSeconds = windowSeconds
        self.floorHolder = floorHolder
        self.turnSeconds = turnSeconds
        self.cue = cue
        self.sender = sender
        self.bookmarks = bookmarks
        self.lostSeconds = lostSeconds
    }
}

extension LiveState {
    /// The meter's state from a conversation analysis fed up to `samplesFed` (shared by the
    /// one-microphone-per-person and the room pipelines).
    public init(conversation: ConversationAnalyzer, labels: [String], config: AnalysisConfig, samplesFed: Int, sampleRate: Int,
                hopSamples: Int, speakingNow now: [Bool], marks: [Mark], decisionLatencySamples: Int, cueSeconds: Double,
                lostSeconds: Double, enrolKeys: Bool = false, countsLagSeconds: Double = 0) {
        let rate = Double(sampleRate)
        let window = conversation.windowTalkSamples
        let windowTotal = window.reduce(0, +)
        let talk = labels.indices.map { conversation.talkSamples($0) }
        let talkTotal = talk.reduce(0, +)
        let people = labels.indices.map { c in
            LiveState.Person(label: labels[c], speakingNow: now[c],
                             windowShare: windowTotal > 0 ? Double(window[c]) / Double(windowTotal) : 0,
                             sessionShare: talkTotal > 0 ? Double(talk[c]) / Double(talkTotal) : 0,
                             talkSeconds: Double(talk[c]) / rate)
        }
        let turnSeconds = Double(conversation.currentTurnFrames * hopSamples) / rate
        var cue: LiveState.Cue? = nil
        if let holder = conversation.floorHolder, turnSeconds > config.monologueSeconds {
            cue = .monologue(person: labels[holder], seconds: turnSeconds)
        } else if let e = conversation.events.last(where: { $0.kind == .interruption || $0.kind == .imbalance }),
                  Double(samplesFed - e.startSample) / rate <= cueSeconds + Double(decisionLatencySamples) / rate + config.interruptionSuccessSeconds {
            switch e.kind {
            case .interruption: cue = .interruption(by: labels[e.by!], of: labels[e.of!])
            default: cue = .imbalance(person: labels[e.by!], share: e.share ?? 0)
            }
        }
        let sender = marks.last(where: { $0.kind == .sender })?.person.map { labels[$0] }
        self.init(people: people, elapsedSeconds: Double(samplesFed) / rate, windowSeconds: config.windowSeconds,
                  floorHolder: conversation.floorHolder.map { labels[$0] }, turnSeconds: turnSeconds, cue: cue,
                  sender: sender, bookmarks: marks.filter { $0.kind == .bookmark }.count, lostSeconds: lostSeconds)
        self.enrolKeys = enrolKeys
        self.countsLagSeconds = countsLagSeconds
    }
}
