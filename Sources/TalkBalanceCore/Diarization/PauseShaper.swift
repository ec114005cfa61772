/// The user's `--bridge-pause` for one microphone in the room, applied to the report only.
///
/// The room's speech detector always bridges pauses at `RoomAnalysis.detectionBridgeSeconds` (the default,
/// which the clustering and the re-segmentation were measured with): a detector bridging at 0.25 s instead
/// cut the speech into other windows and changed who was who (paa-diarizationExample2: strict DER 13.6% ->
/// 39.5%). So the people are found on the detector's speech, and then, frame by frame on the way to the
/// `ConversationAnalyzer`:
/// - with a shorter bridge, a frame that is not speech at the user's bridge (a second detector's, `finer`,
///   passed with each frame) is silent: the pauses it does not bridge are pauses again, whoever the frames
///   were given to;
/// - with a longer bridge, a silence of at most `fillFrames` is given to the people who speak both just
///   before and just after it (a pause within one person; a gap between two people stays silent).
///
/// A value-type state machine: it holds a count of silent frames, never audio or labels.
struct PauseShaper {
    /// Longest silence filled (frames); 0: none.
    let fillFrames: Int
    private var pendingSilentFrames = 0
    private var before: [Bool]
    private var scratch: [Bool]
    private let silent: [Bool]

    init(people: Int, fillFrames: Int) {
        self.fillFrames = max(0, fillFrames)
        before = [Bool](repeating: false, count: people)
        scratch = before
        silent = before
    }

    /// For `config`'s bridge: fills silences up to it when it is longer than the detector's.
    init(people: Int, config: AnalysisConfig, framesPerSecond: Double) {
        let longer = config.bridgePauseSeconds > RoomAnalysis.detectionBridgeSeconds
        self.init(people: people, fillFrames: longer ? Int((config.bridgePauseSeconds * framesPerSecond).rounded()) : 0)
    }

    /// `config` as the room's detector runs it: bridging at `RoomAnalysis.detectionBridgeSeconds`.
    static func detection(_ config: AnalysisConfig) -> AnalysisConfig {
        var c = config
        c.bridgePauseSeconds = RoomAnalysis.detectionBridgeSeconds
        return c
    }

    /// `config` as the second detector runs it (a bridge shorter than the detector's). It only carves pauses out
    /// of the speech the room's detector found (and checked for voicing), so no piece of it between two pauses
    /// is too short or too little voiced to count: a word after a short pause was dropped whole (its frames
    /// silent) when it was under `minSpeechSeconds` or failed the voicing check on its own (docs/ACCURACY.md,
    /// "a shorter `--bridge-pause` no longer drops words").
    static func finer(_ config: AnalysisConfig) -> AnalysisConfig {
        var c = config
        c.minSpeechSeconds = min(c.minSpeechSeconds, 0.03)   // the shortest run the smoother keeps
        c.minVoicedShare = 0
        return c
    }

    /// Whether `config`'s bridge is shorter than the detector's, so a second detector must find the report's speech.
    static func needsFinerDetector(_ config: AnalysisConfig) -> Bool {
        config.bridgePauseSeconds < RoomAnalysis.detectionBridgeSeconds
    }

    /// Shapes frame by frame (in order, as the conversation takes them) and passes each on. `speech`: whether
    /// the frame is speech at the user's bridge (always true when it is not shorter than the detector's).
    mutating func push(_ active: UnsafeBufferPointer<Bool>, speech: Bool = true, to conversation: inout ConversationAnalyzer) {
        for i in scratch.indices { scratch[i] = speech && active[i] }
        guard fillFrames > 0 else {
            scratch.withUnsafeBufferPointer { conversation.push($0) }
            return
        }
        if !scratch.contains(true) {
            if before.contains(true) {
                pendingSilentFrames += 1
                if pendingSilentFrames > fillFrames {
                    flushSilent(to: &conversation)
                    for i in before.indices { before[i] = false }
                }
            } else {
                silent.withUnsafeBufferPointer { conversation.push($0) }
            }
            return
        }
        if pendingSilentFrames > 0 {
            // A pause of whoever speaks on both sides of it.
            for i in before.indices { before[i] = before[i] && scratch[i] }
            before.withUnsafeBufferPointer { fill in for _ in 0..<pendingSilentFrames { conversation.push(fill) } }
            pendingSilentFrames = 0
        }
        scratch.withUnsafeBufferPointer { conversation.push($0) }
        before = scratch
    }

    /// Passes on the silence still held (call before `ConversationAnalyzer.finish`).
    mutating func finish(to conversation: inout ConversationAnalyzer) {
        flushSilent(to: &conversation)
    }

    private mutating func flushSilent(to conversation: inout ConversationAnalyzer) {
        silent.withUnsafeBufferPointer { s in for _ in 0..<pendingSilentFrames { conversation.push(s) } }
        pendingSilentFrames = 0
    }
}

/// Whether each frame in turn (from frame 0) lies in a list of speech segments: frame k is speech when its
/// hop's centre sample is inside one. A cursor over the sorted list; nothing else is held.
struct SpeechFrames {
    let segments: [Range<Int>]
    let hopSamples: Int
    private var frame = 0
    private var cursor = 0

    init(segments: [Range<Int>], hopSamples: Int) {
        self.segments = segments
        self.hopSamples = hopSamples
    }

    mutating func next() -> Bool {
        let centre = frame * hopSamples + hopSamples / 2
        frame += 1
        while cursor < segments.count && segments[cursor].upperBound <= centre { cursor += 1 }
        return cursor < segments.count && segments[cursor].lowerBound <= centre
    }
}
