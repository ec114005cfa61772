/// Turns raw per-frame voice decisions of one person into final per-frame decisions with a fixed delay:
/// pauses of at most `bridgeFrames` inside speech are filled, and speech stretches shorter than
/// `minSpeechFrames` (after bridging) are dropped, and raw runs shorter than `minRunFrames` (isolated
/// blips, e.g. a crosstalk frame at a word's tail) are ignored before bridging, so that scattered
/// blips cannot be bridged into speech. Frame `f`'s final decision is returned when frame
/// `f + delayFrames` is pushed, so a live run and a file run give the same answer frame for frame.
///
/// A value-type state machine: no audio, no allocation after `init` beyond a short queue.
public struct ActivitySmoother: Sendable {
    public let bridgeFrames: Int
    public let minSpeechFrames: Int
    public let minRunFrames: Int
    private var run = 0                   // consecutive raw active frames up to now
    /// Latency of the final decision, in frames: `minSpeechFrames + bridgeFrames + 1`.
    public var delayFrames: Int { minSpeechFrames + bridgeFrames + 1 }

    private var frame = 0                 // next raw frame index
    private var openStart: Int? = nil     // current bridged stretch (raw), if any
    private var openLastActive = 0
    private var closed: [(start: Int, end: Int)] = []   // kept stretches, end exclusive, not yet emitted past
    private var emitted = 0               // next final frame to emit

    public init(bridgeFrames: Int, minSpeechFrames: Int, minRunFrames: Int = 3) {
        precondition(bridgeFrames >= 0 && minSpeechFrames >= 1 && minRunFrames >= 1 && minRunFrames <= minSpeechFrames)
        self.bridgeFrames = bridgeFrames
        self.minSpeechFrames = minSpeechFrames
        self.minRunFrames = minRunFrames
    }

    /// Pushes the raw decision of the next frame; returns the final decision of frame
    /// `pushed - delayFrames` once the delay is filled, else nil.
    public mutating func push(_ active: Bool) -> Bool? {
        run = active ? run + 1 : 0
        if run >= minRunFrames {
            if openStart == nil { openStart = frame - minRunFrames + 1 }
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

    private mutating func close(start: Int) {
        let end = openLastActive + 1
        if end - start >= minSpeechFrames { closed.append((start, end)) }
        openStart = nil
    }

    private mutating func emitNext() -> Bool {
        let f = emitted
        emitted += 1
        while let first = closed.first, first.end <= f { closed.removeFirst() }
        if let first = closed.first, first.start <= f { return true }
        // An open stretch that began at or before f is already longer than minSpeechFrames
        // (it has survived delayFrames), so f is speech if it lies inside it.
        if let start = openStart, start <= f { return true }
        return false
    }
}
