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
