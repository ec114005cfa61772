/// Turns raw per-frame voice decisions of one person into final per-frame decisions with a fixed delay:
/// pauses of at most `bridgeFrames` inside speech are filled, and speech stretches shorter than
/// `minSpeechFrames` (after bridging) are dropped, and raw runs shorter than `minRunFrames` (isolated
/// blips, e.g. a crosstalk frame at a word's tail) are ignored before bridging, so that scattered
/// blips cannot be bridged into speech. Frame `f`'s final decision is returned when frame
/// `f + delayFrames` is pushed, so a live run and a file run give the same answer frame for frame.
///
/// With `minVoicedFraction` > 0, a stretch also needs that share of voiced frames among its active
/// ones (speech is periodic; a cough, rustle or clatter is not): a closed stretch is judged whole, an
/// open one on what has been seen when each frame is decided (at least `delayFrames` more), and once
/// accepted it stays accepted.
///
/// Soft word edges (one microphone per person): frames pushed as `edge` (a soft word end the caller
/// added) count as speech but not in the voiced share, since a word's fading end is rarely periodic
/// and would otherwise dilute the share of the whole stretch. With `maxLeadFrames` > 0 a new stretch
/// also takes up to that many frames just before its first raw run if they were `soft` (loud enough to
/// go on, not to start): the start's hysteresis run backwards, which the decision delay allows.
///
/// Hangover: a kept stretch goes on for `hangoverFrames` after its last active frame (a word's end
/// fades under the noise before it stops; measured, stretches ended a median 20 ms early). It must be
/// shorter than the bridge, so it adds no latency.
///
/// A value-type state machine: no audio, no allocation after `init` beyond a short queue.
public struct ActivitySmoother: Sendable {
    public let bridgeFrames: Int
    public let minSpeechFrames: Int
    public let minRunFrames: Int
    public let hangoverFrames: Int
    private var run = 0                   // consecutive raw active frames up to now
    /// Latency of the final decision, in frames: `minSpeechFrames + bridgeFrames + 1`.
    public var delayFrames: Int { minSpeechFrames + bridgeFrames + 1 }

    private var frame = 0                 // next raw frame index
    private var openStart: Int? = nil     // current bridged stretch (raw), if any
    private var openLastActive = 0
    private var closed: [(start: Int, end: Int)] = []   // kept stretches, end exclusive, not yet emitted past
    private var emitted = 0               // next final frame to emit
    public let minVoicedFraction: Double
    private var recentVoiced = 0          // voiced frames among the current raw run (before it counts)
    private var openActive = 0, openVoiced = 0   // active and voiced active frames of the open stretch
    private var openAccepted = false
    /// Longest soft start, in frames (0: none).
    public let maxLeadFrames: Int
    private var judgedRun = 0             // frames of the current raw run that count in the voiced share
    private var softRun = 0               // consecutive soft or active frames up to now
    private var openCoreStart = 0         // first frame of the open stretch's first raw run

    public init(bridgeFrames: Int, minSpeechFrames: Int, minRunFrames: Int = 3, minVoicedFraction: Double = 0,
                maxLeadFrames: Int = 0, hangoverFrames: Int = 0) {
        precondition(hangoverFrames >= 0 && hangoverFrames <= bridgeFrames, "the hangover must not exceed the bridge")
        precondition(bridgeFrames >= 0 && minSpeechFrames >= 1 && minRunFrames >= 1 && minRunFrames <= minSpeechFrames)
        precondition(minVoicedFraction >= 0 && minVoicedFraction <= 1)
        precondition(maxLeadFrames >= 0)
        self.bridgeFrames = bridgeFrames
        self.minSpeechFrames = minSpeechFrames
        self.minRunFrames = minRunFrames
        self.minVoicedFraction = minVoicedFraction
        self.maxLeadFrames = maxLeadFrames
        self.hangoverFrames = hangoverFrames
    }

    /// Pushes the raw decision of the next frame and whether it is voiced; `soft`: an inactive frame that
    /// could begin a soft start; `edge`: an active frame that is a soft word end (not judged for
    /// voicing). Returns the final decision of frame `pushed - delayFrames` once the delay is filled,
    /// else nil.
    public mutating func push(_ active: Bool, voiced: Bool = true, soft: Bool = false, edge: Bool = false) -> Bool? {
        run = active ? run + 1 : 0
        softRun = active || soft ? softRun + 1 : 0
        let judged = active && !edge
        recentVoiced = active ? (run == 1 ? 0 : recentVoiced) + (judged && voiced ? 1 : 0) : 0
        judgedRun = active ? (run == 1 ? 0 : judgedRun) + (judged ? 1 : 0) : 0
        if run >= minRunFrames {
            if openStart == nil {
                openCoreStart = frame - minRunFrames + 1
                // Soft start: the soft frames just before the run, none of them decided yet.
                let lead = min(maxLeadFrames, softRun - run, openCoreStart - emitted)
                openStart = openCoreStart - max(0, lead)
                openActive = 0; openVoiced = 0; openAccepted = false
            }
            // The run's first frames join the stretch when the run starts to count.
            if run == minRunFrames {
                openActive += judgedRun; openVoiced += recentVoiced
            } else if judged {
                openActive += 1; openVoiced += voiced ? 1 : 0
            }
            openLastActive = frame
        } else if let start = openStart, (frame - run) - openLastActive > bridgeFrames {
            // The pause is measured to the last inactive frame: a run that is still too short to count
            // may yet become the speech that ends the pause.
            close(start: start)
        }
        frame += 1
        guard frame - emitted > delayFrames else { return nil }
        return emitNext()
    }

    /// Ends the stream: returns the final decisions of every frame not yet returned.
    public mutating func finish() -> [Bool] {
        if let start = openStart { close(start: start) }
        var out: [Bool] = []
        while emitted < frame { out.append(emitNext()) }
        return out
    }

    private var openIsVoiced: Bool {
        openAccepted || Double(openVoiced) >= minVoicedFraction * Double(max(openActive, 1))
    }

    private mutating func close(start: Int) {
        let speechEnd = openLastActive + 1   // the hangover is not speech: it does not count towards minSpeechFrames
        if speechEnd - openCoreStart >= minSpeechFrames && openIsVoiced { closed.append((start, speechEnd + hangoverFrames)) }
        openStart = nil
    }

    private mutating func emitNext() -> Bool {
        let f = emitted
        emitted += 1
        while let first = closed.first, first.end <= f { closed.removeFirst() }
        if let first = closed.first, first.start <= f { return true }
        // An open stretch whose first run began at or before f is already longer than minSpeechFrames
        // (it has survived delayFrames), so f is speech if it lies inside it. A soft start frame before
        // that run is speech once the run is known to be long enough.
        if let start = openStart, start <= f, f >= openCoreStart || openLastActive + 1 - openCoreStart >= minSpeechFrames {
            if openIsVoiced { openAccepted = true; return true }
            return false
        }
        return false
    }
}
