import TalkBalanceDSP

/// Where speech may be, from the neural speech detector (`SpeechNetwork`): around every 32 ms chunk it
/// scores at `threshold` or more, `reachSeconds` before and after. Speech the energy detector finds
/// outside is dropped: knocks, handling noise and clatter that are loud and periodic enough to pass the
/// voicing check (the AMI room recordings' false alarms; docs/ACCURACY.md, "the neural speech gate").
///
/// The reach keeps the quiet starts and ends of words the network scores low, and the gaps it leaves
/// are only those with no confident chunk within `reachSeconds`; so it removes whole noises, not the
/// edges of speech. A value type; `open` grows with the number of separate stretches of speech (as the
/// speech segments do), not with the length of the session.
public struct SpeechGate: Sendable, Equatable {
    public struct Options: Sendable, Equatable {
        /// Silero VAD's own default decision threshold.
        public var threshold: Float = 0.5
        public var reachSeconds: Double = 0.5
        public init(threshold: Float = 0.5, reachSeconds: Double = 0.5) {
            self.threshold = threshold
            self.reachSeconds = reachSeconds
        }
    }

    public let options: Options
    public let sampleRate: Int
    /// Sample ranges where speech may be, in order, disjoint, from `head` on (`isOpen` drops those it
    /// has passed); the one still growing is `current` until `finish`.
    public private(set) var open: [Range<Int>] = []
    private var head = 0
    private var current: Range<Int>? = nil
    private var chunk = 0
    private let reachSamples: Int

    public init(sampleRate: Int, options: Options = Options()) {
        self.sampleRate = sampleRate
        self.options = options
        reachSamples = Int((options.reachSeconds * Double(sampleRate)).rounded())
    }

    /// The next chunk's speech probability (chunks in order, `SpeechNetwork.chunkSeconds` each).
    public mutating func add(probability: Float) {
        defer { chunk += 1 }
        guard probability >= options.threshold else { return }
        let start = Int((Double(chunk) * SpeechNetwork.chunkSeconds * Double(sampleRate)).rounded())
        let end = Int((Double(chunk + 1) * SpeechNetwork.chunkSeconds * Double(sampleRate)).rounded())
        let range = max(0, start - reachSamples)..<(end + reachSamples)
        if let c = current, range.lowerBound <= c.upperBound {
            current = c.lowerBound..<max(c.upperBound, range.upperBound)
        } else {
            if let c = current { open.append(c) }
            current = range
        }
    }

    public mutating func finish() {
        if let c = current { open.append(c) }
        current = nil
    }

    /// Whether speech may be at `sample`, from the chunks scored so far (final once the chunks up to
    /// `sample` plus the reach are in). For a stream: calls must come in order of `sample`; the ranges
    /// passed are dropped, so memory stays bounded however long the session.
    public mutating func isOpen(sample: Int) -> Bool {
        while head < open.count && open[head].upperBound <= sample { head += 1 }
        if head >= 256 {
            open.removeFirst(head)
            head = 0
        }
        if head < open.count { return open[head].contains(sample) }
        return current?.contains(sample) ?? false
    }

    /// The parts of `segments` (in order of start, as a detector gives them) inside the open ranges;
    /// parts shorter than `minimumSamples` are dropped. Call after `finish`, before any `isOpen`.
    public func keep(_ segments: [SpeechSegment], minimumSamples: Int = 1) -> [SpeechSegment] {
        var out: [SpeechSegment] = []
        var first = 0
        for segment in segments {
            while first < open.count && open[first].upperBound <= segment.startSample { first += 1 }
            var k = first
            while k < open.count && open[k].lowerBound < segment.endSample {
                let start = max(segment.startSample, open[k].lowerBound), end = min(segment.endSample, open[k].upperBound)
                if end - start >= minimumSamples {
                    var part = segment
                    part.startSample = start
                    part.endSample = end
                    out.append(part)
                }
                k += 1
            }
        }
        return out
    }
}
