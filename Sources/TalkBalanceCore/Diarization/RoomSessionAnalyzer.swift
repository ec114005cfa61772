import TalkBalanceDSP

/// One microphone for the room, streaming: the live counterpart of `RoomAnalysis`, fed interleaved
/// blocks like `SessionAnalyzer` (live capture and files alike), any block size giving the same result.
///
/// Per block: the channels are averaged to mono; the mono signal goes through the usual pipeline as the
/// voice activity detector (`SessionAnalyzer` on one channel) and through `MelCepstrum` (10 ms frames,
/// window centred on the hop, as `RoomAnalysis`); frame by frame, features and the detector's decision
/// go to `OnlineRoomAssigner`, and its labels to the same `ConversationAnalyzer` as one-mic-per-person
/// sessions. So the meter, the JSON lines and the report work unchanged.
///
/// Latency of a label: the detector's (framing look-ahead plus activity smoothing) plus at most one
/// assigner block (0.2 s of speech): `decisionLatencySamples`. Memory is constant in the session length
/// apart from what the conversation analysis keeps (segments, turns, events).
public final class RoomSessionAnalyzer: StreamingSessionAnalysis {
    public let format: StreamFormat
    public let config: AnalysisConfig
    public let labels: [String]
    public let speakers: Int
    public let geometry: FrameGeometry
    public private(set) var conversation: ConversationAnalyzer
    public private(set) var marks: [Mark] = []

    private let vad: SessionAnalyzer
    private let cepstrum: MelCepstrum
    private var assigner: OnlineRoomAssigner
    private let coefficients = 13
    // Mono samples, kept in a ring long enough for one analysis window behind the newest sample.
    private let ringCapacity: Int
    private var ring: [Float]
    private var mono: [Float]
    private var samplesFed = 0
    private var featureFrames = 0
    // Features computed, waiting for the detector's decision on their frame (a FIFO ring).
    private var pendingFeatures: [Float]
    private let pendingCapacity: Int
    private var pendingStart = 0
    private var pendingCount = 0
    private var window: [Float]
    private var active: [Bool]
    private var lastSpoke: [Int]
    private var labelledFrames = 0
    private var finished: SessionResult? = nil

    public enum SetupError: Error, Sendable, Equatable, CustomStringConvertible {
        case speakers(Int)
        case labelCount(expected: Int, got: Int)
        case setup(SessionAnalyzer.SetupError)
        public var description: String {
            switch self {
            case .speakers: return "--speakers must be between 1 and 8 for one microphone in the room"
            case .labelCount(let e, let g): return "--names gives \(g) name\(g == 1 ? "" : "s") but --speakers is \(e)"
            case .setup(let e): return e.description
            }
        }
    }

    /// - Parameters:
    ///   - format: the input; its channels are averaged (they all hear the room).
    ///   - speakers: people in the room, 1...8.
    ///   - labels: names by person index; default S1, S2, ... People get indices in order of first
    ///     appearance unless enrolled with `mark(.enrol, person:)`.
    public init(format: StreamFormat, speakers: Int, config: AnalysisConfig = AnalysisConfig(), labels: [String]? = nil,
                options: OnlineRoomAssigner.Options = OnlineRoomAssigner.Options()) throws(SetupError) {
        guard (1...8).contains(speakers) else { throw .speakers(speakers) }
        let names = labels ?? (1...speakers).map { "S\($0)" }
        guard names.count == speakers else { throw .labelCount(expected: speakers, got: names.count) }
        do {
            vad = try SessionAnalyzer(format: StreamFormat(sampleRate: format.sampleRate, channelCount: 1), config: config, softWordEdges: false)
        } catch { throw .setup(error) }
        guard (1...32).contains(format.channelCount) else { throw .setup(.unsupportedChannels(format.channelCount)) }
        vad.keepsDecisions = true
        self.format = format
        self.config = config
        self.labels = names
        self.speakers = speakers
        geometry = vad.geometry
        cepstrum = MelCepstrum(geometry: geometry, coefficients: 13)
        assigner = OnlineRoomAssigner(speakers: speakers, featureCount: 13, options: options)
        conversation = ConversationAnalyzer(speakerCount: speakers, hopSamples: geometry.hopLength,
                                            sampleRate: format.sampleRate, config: config)
        var capacity = 1
        while capacity < 2 * geometry.windowLength { capacity *= 2 }
        ringCapacity = capacity
        ring = [Float](repeating: 0, count: capacity)
        mono = [Float](repeating: 0, count: 4096)
        // The detector decides about a second behind the features at most (smoothing); room to spare.
        pendingCapacity = 1024
        pendingFeatures = [Float](repeating: 0, count: pendingCapacity * 13)
        window = [Float](repeating: 0, count: geometry.windowLength)
        active = [Bool](repeating: false, count: speakers)
        lastSpoke = [Int](repeating: Int.min / 2, count: speakers)
    }

    public var samplesProcessed: Int { samplesFed }
    /// Frames whose person is decided (fed to the conversation analysis).
    public var framesLabelled: Int { labelledFrames }
    /// Latency of a label decision in samples: the detector's plus one full assigner block.
    public var decisionLatencySamples: Int { vad.decisionLatencySamples + assigner.options.blockFrames * geometry.hopLength }
    /// The assigner's state (for tests).
    public var assignerState: OnlineRoomAssigner { assigner }

    /// Sender and bookmark marks as with one microphone per person; `.enrol` says the voice speaking
    /// now (or just before, or next) is `person`'s.
    public func mark(_ kind: Mark.Kind, person: Int? = nil) {
        precondition(person.map { $0 >= 0 && $0 < speakers } ?? true)
        marks.append(Mark(kind: kind, sample: samplesFed, person: person))
        let frame = samplesFed / geometry.hopLength
        switch kind {
        case .sender: conversation.setSender(person, fromFrame: frame)
        case .enrol: if let person { assigner.enrol(person: person, atFrame: frame) }
        case .bookmark: break
        }
    }

    public func liveState(cueSeconds: Double = 10, lostSeconds: Double = 0) -> LiveState {
        let bridge = Int((config.bridgePauseSeconds * Double(format.sampleRate) / Double(geometry.hopLength)).rounded())
        let now = lastSpoke.map { labelledFrames - 1 - $0 <= bridge + 1 }
        return LiveState(conversation: conversation, labels: labels, config: config, samplesFed: samplesFed,
                         sampleRate: format.sampleRate, hopSamples: geometry.hopLength, speakingNow: now, marks: marks,
                         decisionLatencySamples: decisionLatencySamples, cueSeconds: cueSeconds, lostSeconds: lostSeconds,
                         enrolKeys: true)
    }

    public func drainEvents() -> ArraySlice<ConversationEvent> { conversation.drainEvents() }

    public func process(interleaved samples: UnsafeBufferPointer<Float>) {
        precondition(finished == nil, "process after finish")
        let channels = format.channelCount
        precondition(samples.count % channels == 0)
        let frames = samples.count / channels
        var done = 0
        while done < frames {
            let take = min(mono.count, frames - done)
            let scale = 1 / Float(channels)
            for f in 0..<take {
                var sum: Float = 0
                for c in 0..<channels { sum += samples[(done + f) * channels + c] }
                mono[f] = channels == 1 ? sum : sum * scale
            }
            mono.withUnsafeBufferPointer { feedMono(UnsafeBufferPointer(rebasing: $0[0..<take])) }
            done += take
        }
    }

    private func feedMono(_ block: UnsafeBufferPointer<Float>) {
        vad.process(interleaved: block)
        let hop = geometry.hopLength, n = geometry.windowLength
        for v in block {
            ring[samplesFed & (ringCapacity - 1)] = v
            samplesFed += 1
            if samplesFed >= featureFrames * hop + hop / 2 + n / 2 { analyzeFeatures(upTo: samplesFed) }
        }
        drainDecisions()
    }

    /// MelCepstrum of every frame whose window (centred on the hop) lies within the first `end` samples,
    /// zero beyond the samples fed.
    private func analyzeFeatures(upTo end: Int, final: Bool = false, frameLimit: Int = .max) {
        let hop = geometry.hopLength, n = geometry.windowLength
        while featureFrames < frameLimit && (final || samplesFed >= featureFrames * hop + hop / 2 + n / 2) {
            let start = featureFrames * hop + hop / 2 - n / 2
            for i in 0..<n {
                let j = start + i
                window[i] = j >= 0 && j < samplesFed && j >= samplesFed - ringCapacity ? ring[j & (ringCapacity - 1)] : 0
            }
            precondition(pendingCount < pendingCapacity, "the voice activity detector fell too far behind")
            let slot = (pendingStart + pendingCount) % pendingCapacity
            window.withUnsafeBufferPointer { w in
                pendingFeatures.withUnsafeMutableBufferPointer { p in
                    cepstrum.analyze(samples: w, into: UnsafeMutableBufferPointer(rebasing: p[(slot * coefficients)..<((slot + 1) * coefficients)]))
                }
            }
            pendingCount += 1
            featureFrames += 1
        }
    }

    /// Pairs the detector's decisions with their frames' features and runs the assigner.
    private func drainDecisions() {
        vad.takeDecisions { speech in
            if pendingCount == 0 { analyzeFeatures(upTo: samplesFed, final: true, frameLimit: featureFrames + 1) }
            pendingFeatures.withUnsafeBufferPointer { p in
                assigner.push(features: UnsafeBufferPointer(rebasing: p[(pendingStart * coefficients)..<((pendingStart + 1) * coefficients)]),
                              speech: speech)
            }
            pendingStart = (pendingStart + 1) % pendingCapacity
            pendingCount -= 1
        }
        pushLabels()
    }

    private func pushLabels() {
        assigner.takeLabels { label in
            for s in 0..<speakers { active[s] = Int(label) == s }
            if label >= 0 { lastSpoke[Int(label)] = labelledFrames }
            active.withUnsafeBufferPointer { conversation.push($0) }
            labelledFrames += 1
        }
    }

    public func finish() -> SessionResult {
        if let finished { return finished }
        let speech = vad.finish()   // pads the last frame with silence and flushes the smoothing
        drainDecisions()
        assigner.finish()
        pushLabels()
        conversation.finish()
        let end = speech.durationSamples
        var segments = conversation.segments.map { seg -> SpeechSegment in
            var s = seg
            s.endSample = min(s.endSample, end)
            return s
        }
        segments.sort { ($0.startSample, $0.speaker) < ($1.startSample, $1.speaker) }
        var result = SessionResult(sampleRate: format.sampleRate, channelCount: format.channelCount, durationSamples: end,
                                   speakers: conversation.summaries(labels: labels), segments: segments, turns: conversation.turns,
                                   events: conversation.events, balance: conversation.balance, marks: marks,
                                   silenceSamples: conversation.silenceSamples, overlapSamples: conversation.overlapSamples,
                                   pauseCount: conversation.pauseCount, gapCount: conversation.gapCount, config: config)
        result.note = "one microphone for the room, \(speakers) people: who speaks when decided online (live), block by block"
        result.overlapNotMeasured = SessionResult.oneVoiceAtATime
        finished = result
        return result
    }
}
