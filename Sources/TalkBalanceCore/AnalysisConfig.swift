/// Every threshold of the analysis, in seconds or dB, with the defaults of ../shared/DOMAIN.md.
/// Validated once by `validate()` before anything runs; the pipeline never re-checks per block.
public struct AnalysisConfig: Sendable, Equatable, Codable {
    // Voice activity.
    /// A frame starts speech when its speech-band level is this far above the channel's noise floor.
    public var onsetAboveNoiseDB: Double = 6
    /// Speech continues while the level stays this far above the noise floor (hysteresis).
    public var holdAboveNoiseDB: Double = 3
    /// Frames quieter than this (dBFS, speech band) are never speech, whatever the noise floor.
    public var absoluteFloorDB: Double = -70
    /// Speech lies within this many dB of the channel's recent loudest level; quieter sound (room noise,
    /// reverberation, distant voices) is not counted, however far above the noise floor it is.
    public var speechDynamicRangeDB: Double = 40
    /// Shortest speech segment kept (0.15 s keeps "yes"/"okay" replies and backchannels).
    public var minSpeechSeconds: Double = 0.15
    /// A stretch of speech needs at least this share of voiced (periodic) frames: a cough, rustle,
    /// clatter or breath burst is not speech. 0 turns the check off.
    public var minVoicedShare: Double = 0.3
    /// Pauses shorter than this inside one person's speech are bridged (DOMAIN: 0.2-0.3 s).
    public var bridgePauseSeconds: Double = 0.3
    /// Speech goes on this long after its last active frame (a word's end fades under the noise before
    /// it stops); longer than `bridgePauseSeconds` counts as that. One microphone per person only (not
    /// in room mode).
    /// Chosen on tuning seeds 1101-1142: 0 / 0.02 / 0.03 / 0.04 / 0.05 s gave mean talk-time error
    /// -1.8 / -1.0 / -0.6 / -0.2 / +0.2% and 6 / 1 / 1 / 0 / 1 of 80 people over 5%.
    public var hangoverSeconds: Double = 0.04
    /// Time span of the noise-floor minimum tracker; must exceed the longest stretch without a pause.
    public var noiseMemorySeconds: Double = 8

    // Attribution with one microphone per person.
    /// A channel's own voice must stand this far above the crosstalk that the other active channels
    /// would explain.
    public var crosstalkMarginDB: Double = 2
    /// Crosstalk assumed before it has been measured (the quietest plausible leak: DOMAIN says 6-20 dB).
    public var assumedCrosstalkDB: Double = -6
    /// Largest inter-microphone delay searched by GCC-PHAT (about 3.4 m of path difference).
    public var maxMicDelaySeconds: Double = 0.010

    // Conversation.
    public var backchannelMaxSeconds: Double = 1.0
    /// A floor holder who resumes within this time after a listener's short reply still holds the floor.
    public var floorResumeSeconds: Double = 1.0
    public var interruptionMinOverlapSeconds: Double = 0.25
    public var interruptionMinSpeechSeconds: Double = 1.0
    public var interruptionMinHolderSeconds: Double = 1.0
    public var interruptionPrePauseSeconds: Double = 0.2
    public var interruptionSuccessSeconds: Double = 2.0
    public var monologueSeconds: Double = 90
    /// Sliding window for the balance (share) over time.
    public var windowSeconds: Double = 300
    /// An imbalance flag fires when one person's share of the window's talk exceeds this.
    public var imbalanceShare: Double = 0.65
    /// The window must hold at least this much talk before imbalance is judged.
    public var imbalanceMinTalkSeconds: Double = 30
    /// Overlaps shorter than this are not reported as events (they still count in talk time).
    public var minOverlapEventSeconds: Double = 0.1

    public init() {}

    /// Reads the settings of a saved report. A setting the report lacks was written by a version that
    /// did not have it: the hangover and the voiced share are then 0 (what that version did), anything
    /// else takes today's default. So older JSON reports still re-render and compare.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AnalysisConfig()
        onsetAboveNoiseDB = try c.decodeIfPresent(Double.self, forKey: .onsetAboveNoiseDB) ?? defaults.onsetAboveNoiseDB
        holdAboveNoiseDB = try c.decodeIfPresent(Double.self, forKey: .holdAboveNoiseDB) ?? defaults.holdAboveNoiseDB
        absoluteFloorDB = try c.decodeIfPresent(Double.self, forKey: .absoluteFloorDB) ?? defaults.absoluteFloorDB
        speechDynamicRangeDB = try c.decodeIfPresent(Double.self, forKey: .speechDynamicRangeDB) ?? defaults.speechDynamicRangeDB
        minSpeechSeconds = try c.decodeIfPresent(Double.self, forKey: .minSpeechSeconds) ?? defaults.minSpeechSeconds
        minVoicedShare = try c.decodeIfPresent(Double.self, forKey: .minVoicedShare) ?? 0
        bridgePauseSeconds = try c.decodeIfPresent(Double.self, forKey: .bridgePauseSeconds) ?? defaults.bridgePauseSeconds
        hangoverSeconds = try c.decodeIfPresent(Double.self, forKey: .hangoverSeconds) ?? 0
        noiseMemorySeconds = try c.decodeIfPresent(Double.self, forKey: .noiseMemorySeconds) ?? defaults.noiseMemorySeconds
        crosstalkMarginDB = try c.decodeIfPresent(Double.self, forKey: .crosstalkMarginDB) ?? defaults.crosstalkMarginDB
        assumedCrosstalkDB = try c.decodeIfPresent(Double.self, forKey: .assumedCrosstalkDB) ?? defaults.assumedCrosstalkDB
        maxMicDelaySeconds = try c.decodeIfPresent(Double.self, forKey: .maxMicDelaySeconds) ?? defaults.maxMicDelaySeconds
        backchannelMaxSeconds = try c.decodeIfPresent(Double.self, forKey: .backchannelMaxSeconds) ?? defaults.backchannelMaxSeconds
        floorResumeSeconds = try c.decodeIfPresent(Double.self, forKey: .floorResumeSeconds) ?? defaults.floorResumeSeconds
        interruptionMinOverlapSeconds = try c.decodeIfPresent(Double.self, forKey: .interruptionMinOverlapSeconds) ?? defaults.interruptionMinOverlapSeconds
        interruptionMinSpeechSeconds = try c.decodeIfPresent(Double.self, forKey: .interruptionMinSpeechSeconds) ?? defaults.interruptionMinSpeechSeconds
        interruptionMinHolderSeconds = try c.decodeIfPresent(Double.self, forKey: .interruptionMinHolderSeconds) ?? defaults.interruptionMinHolderSeconds
        interruptionPrePauseSeconds = try c.decodeIfPresent(Double.self, forKey: .interruptionPrePauseSeconds) ?? defaults.interruptionPrePauseSeconds
        interruptionSuccessSeconds = try c.decodeIfPresent(Double.self, forKey: .interruptionSuccessSeconds) ?? defaults.interruptionSuccessSeconds
        monologueSeconds = try c.decodeIfPresent(Double.self, forKey: .monologueSeconds) ?? defaults.monologueSeconds
        windowSeconds = try c.decodeIfPresent(Double.self, forKey: .windowSeconds) ?? defaults.windowSeconds
        imbalanceShare = try c.decodeIfPresent(Double.self, forKey: .imbalanceShare) ?? defaults.imbalanceShare
        imbalanceMinTalkSeconds = try c.decodeIfPresent(Double.self, forKey: .imbalanceMinTalkSeconds) ?? defaults.imbalanceMinTalkSeconds
        minOverlapEventSeconds = try c.decodeIfPresent(Double.self, forKey: .minOverlapEventSeconds) ?? defaults.minOverlapEventSeconds
    }

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let option: String
        public let reason: String
        public var description: String { "\(option) \(reason)" }
    }

    /// Checks every value; the error names the option and the allowed range.
    public func validate() throws(Invalid) {
        func positive(_ v: Double, _ name: String, max: Double = 1e6) throws(Invalid) {
            guard v.isFinite, v > 0, v <= max else {
                throw Invalid(option: name, reason: "must be a number above 0 and at most \(formatted(max)) (got \(formatted(v)))")
            }
        }
        func nonNegative(_ v: Double, _ name: String, max: Double) throws(Invalid) {
            guard v.isFinite, v >= 0, v <= max else {
                throw Invalid(option: name, reason: "must be between 0 and \(formatted(max)) (got \(formatted(v)))")
            }
        }
        try positive(onsetAboveNoiseDB, "--vad-onset-db", max: 60)
        try positive(holdAboveNoiseDB, "--vad-hold-db", max: 60)
        guard holdAboveNoiseDB <= onsetAboveNoiseDB else {
            throw Invalid(option: "--vad-hold-db", reason: "must not exceed --vad-onset-db (\(formatted(onsetAboveNoiseDB)))")
        }
        guard absoluteFloorDB.isFinite, absoluteFloorDB >= -120, absoluteFloorDB <= 0 else {
            throw Invalid(option: "--vad-floor-db", reason: "must be between -120 and 0 dBFS (got \(formatted(absoluteFloorDB)))")
        }
        try positive(speechDynamicRangeDB, "--dynamic-range-db", max: 120)
        try positive(minSpeechSeconds, "--min-speech", max: 5)
        try nonNegative(minVoicedShare, "--vad-voiced-share", max: 1)
        try nonNegative(bridgePauseSeconds, "--bridge-pause", max: 5)
        try nonNegative(hangoverSeconds, "--vad-hangover", max: 1)
        try positive(noiseMemorySeconds, "--noise-memory", max: 120)
        try nonNegative(crosstalkMarginDB, "--crosstalk-margin-db", max: 40)
        guard assumedCrosstalkDB.isFinite, assumedCrosstalkDB <= 0, assumedCrosstalkDB >= -60 else {
            throw Invalid(option: "--assumed-crosstalk-db", reason: "must be between -60 and 0 dB (got \(formatted(assumedCrosstalkDB)))")
        }
        try positive(maxMicDelaySeconds, "--max-mic-delay", max: 0.05)
        try positive(backchannelMaxSeconds, "--backchannel-max", max: 10)
        try nonNegative(floorResumeSeconds, "--floor-resume", max: 10)
        try positive(interruptionMinOverlapSeconds, "--interruption-overlap", max: 10)
        try positive(interruptionMinSpeechSeconds, "--interruption-speech", max: 30)
        try nonNegative(interruptionMinHolderSeconds, "--interruption-holder", max: 60)
        try nonNegative(interruptionPrePauseSeconds, "--interruption-pre-pause", max: 5)
        try positive(interruptionSuccessSeconds, "--interruption-success", max: 30)
        try positive(monologueSeconds, "--monologue", max: 86_400)
        try positive(windowSeconds, "--window", max: 86_400)
        guard imbalanceShare.isFinite, imbalanceShare > 0, imbalanceShare <= 1 else {
            throw Invalid(option: "--imbalance", reason: "must be a share above 0 and at most 1 (got \(formatted(imbalanceShare)))")
        }
        try nonNegative(imbalanceMinTalkSeconds, "--imbalance-min-talk", max: 86_400)
        try nonNegative(minOverlapEventSeconds, "--min-overlap-event", max: 10)
    }
}

func formatted(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e9 { return String(Int(v)) }
    return String(v)
}
