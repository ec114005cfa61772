import Foundation
import TalkBalanceDSP

/// The one pipeline from audio blocks to a session result, used for files and live capture alike:
/// framing -> FFTW front end -> per-channel noise floor and activity -> crosstalk attribution ->
/// smoothing -> conversation analysis. Time is counted in samples fed, never by a clock, so the same
/// samples give the same result in any block size.
///
/// Build it once per stream (this validates the configuration and makes every buffer and FFT plan);
/// `process` then allocates nothing per block beyond the events it decides. Not thread-safe: feed it
/// from one task.
public final class SessionAnalyzer: StreamingSessionAnalysis {
    public let format: StreamFormat
    public let config: AnalysisConfig
    public let geometry: FrameGeometry
    public let labels: [String]

    private let frontEnd: SpectralFrontEnd
    /// Voicing per channel (the autocorrelation peak of `MelCepstrum`), only when the config asks
    /// speech to be voiced.
    private let voicingAnalysers: [MelCepstrum]
    private var voicingScratch: [Float]
    private var voiced: [Bool]
    private var voicedAt: [Int]
    /// Voicing is measured on at most one frame in this many per channel.
    private static let voicingStride = 3
    private var floors: [NoiseFloorTracker]
    private var candidate: [Bool]
    private var levels: [Float]
    private var own: [Bool]
    private var finals: [Bool]
    private var attributor: CrosstalkAttributor
    private var pairLags: [ChannelLagValue?]
    private var lastOwnFrame: [Int]
    private let bridgeFrames: Int
    private var smoothers: [ActivitySmoother]
    public private(set) var conversation: ConversationAnalyzer

    private let onset: Float, hold: Float, absoluteFloor: Float, dynamicRange: Float, peakReleasePerFrame: Float
    private var smoothedPower: [Float]
    private var noiseFloors: [Float]
    private var speechPeaks: [Float]
    /// Soft word ends: each channel's band power smoothed over about 15 ms, whether that smoothed level
    /// is still above the hold threshold, and the channel's own-voice decision of the previous frame.
    private var tailPower: [Float]
    private var tailAboveHold: [Bool]
    private var ownBefore: [Bool]
    private var tailFrames: [Int]
    /// Which channels' own voice this frame comes from the soft-end rule (told to the smoother, which
    /// keeps such frames out of the voiced share).
    private var edgeNow: [Bool]
    /// Soft word starts: whether each channel's level this frame is above the hold threshold (but was
    /// no onset) and louder than the other channels' crosstalk explains, i.e. could continue speech.
    private var softNow: [Bool]
    private let everyChannelActive: [Bool]
    /// Longest soft start taken before a stretch's first onset (60 ms, as for the soft end).
    private static let maxLeadFrames = 6
    /// Weight of the previous tail power per 10 ms frame.
    private static let tailSmoothing: Float = 0.5
    /// Longest soft end added after the level itself fell below the hold threshold (60 ms): a voice
    /// that stops at once still ends within that of its last loud frame.
    private static let maxTailFrames = 6
    private let maxTail: Int
    /// Weight of the previous smoothed power per 10 ms frame (a time constant of about 30 ms).
    private static let floorSmoothing: Float = 0.7
    /// The speech peak falls by this many dB a second when nobody is louder.
    private static let peakReleaseDBPerSecond: Float = 1
    private let maxLagSamples: Int

    // Framing: each channel's recent samples, written twice (at i and i + capacity) so any window
    // ending at the newest sample is contiguous.
    private let ringCapacity: Int
    private var ring: [Float]
    private var samplesFed = 0
    private var nextFrame = 0
    private var flushing = false
    private var endSample = 0

    public enum SetupError: Error, Sendable, Equatable, CustomStringConvertible {
        case unsupportedRate(Int)
        case unsupportedChannels(Int)
        case labelCount(expected: Int, got: Int)
        case invalid(AnalysisConfig.Invalid)
        public var description: String {
            switch self {
            case .unsupportedRate(let r): return "sample rate \(r) Hz is not supported (8000 to 192000 Hz)"
            case .unsupportedChannels(let c): return "\(c) channels are not supported (1 to 32)"
            case .labelCount(let e, let g): return "--names gives \(g) name\(g == 1 ? "" : "s") but the audio has \(e) channel\(e == 1 ? "" : "s")"
            case .invalid(let i): return i.description
            }
        }
    }

    /// - Parameter softWordEdges: continue each person's speech for up to 60 ms while a short average of
    ///   the level stays above the hold threshold, and start it up to 60 ms before its onset while the
    ///   level was above the hold threshold and the channel's own (one microphone per person; measured
    ///   to recover word edges that sink into the noise). Soft end frames do not count in the voiced
    ///   share. Also applies `config.hangoverSeconds` after each stretch. The room pipeline turns both
    ///   off: on one microphone for everyone, a trailing soft end is as likely the next person's start,
    ///   and both measured worse there (the hangover 40 ms: generated rooms 14.7% -> 17.4% strict DER,
    ///   more confusion, as the voice clustering gets the reverberant tails).
    public init(format: StreamFormat, config: AnalysisConfig = AnalysisConfig(), labels: [String]? = nil,
                softWordEdges: Bool = true) throws(SetupError) {
        guard (8000...192_000).contains(format.sampleRate) else { throw .unsupportedRate(format.sampleRate) }
        guard (1...32).contains(format.channelCount) else { throw .unsupportedChannels(format.channelCount) }
        do { try config.validate() } catch { throw .invalid(error) }
        let names = labels ?? (1...format.channelCount).map { "ch\($0)" }
        guard names.count == format.channelCount else {
            throw .labelCount(expected: format.channelCount, got: names.count)
        }
        self.format = format
        self.config = config
        self.labels = names
        let channels = format.channelCount
        geometry = FrameGeometry(sampleRate: format.sampleRate)
        frontEnd = SpectralFrontEnd(geometry: geometry, channelCount: channels)
        let voicingGeometry = geometry
        voicingAnalysers = config.minVoicedShare > 0 ? (0..<channels).map { _ in MelCepstrum(geometry: voicingGeometry) } : []
        voicingScratch = [Float](repeating: 0, count: voicingAnalysers.first?.coefficients ?? 0)
        voiced = Array(repeating: true, count: channels)
        voicedAt = Array(repeating: -10, count: channels)
        let framesPerSecond = Double(format.sampleRate) / Double(geometry.hopLength)
        let memoryFrames = max(16, Int(config.noiseMemorySeconds * framesPerSecond))
        floors = Array(repeating: NoiseFloorTracker(memoryFrames: memoryFrames, subWindowCount: 16), count: channels)
        candidate = Array(repeating: false, count: channels)
        levels = Array(repeating: FrameFeatures.floorDB, count: channels)
        own = Array(repeating: false, count: channels)
        finals = Array(repeating: false, count: channels)
        pairLags = Array(repeating: nil, count: channels * channels)
        lastOwnFrame = Array(repeating: Int.min / 2, count: channels)
        attributor = CrosstalkAttributor(channelCount: channels, assumedCrosstalkDB: config.assumedCrosstalkDB,
                                         marginDB: config.crosstalkMarginDB,
                                         maxLagSamples: Int(config.maxMicDelaySeconds * Double(format.sampleRate)),
                                         quietestRoomNoiseDB: config.absoluteFloorDB)
        let bridge = Int((config.bridgePauseSeconds * framesPerSecond).rounded())
        bridgeFrames = bridge
        let minSpeech = max(1, Int((config.minSpeechSeconds * framesPerSecond).rounded()))
        smoothers = Array(repeating: ActivitySmoother(bridgeFrames: bridge, minSpeechFrames: minSpeech,
                                                      minVoicedFraction: config.minVoicedShare,
                                                      maxLeadFrames: softWordEdges ? Self.maxLeadFrames : 0,
                                                      hangoverFrames: softWordEdges ? min(bridge, Int((config.hangoverSeconds * framesPerSecond).rounded())) : 0),
                              count: channels)
        conversation = ConversationAnalyzer(speakerCount: channels, hopSamples: geometry.hopLength,
                                            sampleRate: format.sampleRate, config: config)
        onset = Float(config.onsetAboveNoiseDB)
        hold = Float(config.holdAboveNoiseDB)
        absoluteFloor = Float(config.absoluteFloorDB)
        dynamicRange = Float(config.speechDynamicRangeDB)
        peakReleasePerFrame = Self.peakReleaseDBPerSecond / Float(framesPerSecond)
        smoothedPower = Array(repeating: -1, count: channels)
        noiseFloors = Array(repeating: FrameFeatures.floorDB, count: channels)
        speechPeaks = Array(repeating: FrameFeatures.floorDB, count: channels)
        tailPower = Array(repeating: 0, count: channels)
        tailAboveHold = Array(repeating: false, count: channels)
        ownBefore = Array(repeating: false, count: channels)
        tailFrames = Array(repeating: 0, count: channels)
        maxTail = softWordEdges ? Self.maxTailFrames : 0
        edgeNow = Array(repeating: false, count: channels)
        softNow = Array(repeating: false, count: channels)
        everyChannelActive = Array(repeating: true, count: channels)
        maxLagSamples = Int(config.maxMicDelaySeconds * Double(format.sampleRate))
        var capacity = 1
        while capacity < 2 * geometry.windowLength { capacity *= 2 }
        ringCapacity = capacity
        ring = [Float](repeating: 0, count: 2 * capacity * channels)
    }

    /// Samples per channel fed so far.
    public var samplesProcessed: Int { samplesFed }
    /// Latency of final decisions (framing look-ahead plus activity smoothing), in samples.
    public var decisionLatencySamples: Int { geometry.lookaheadSamples + (smoothers[0].delayFrames) * geometry.hopLength }
    /// Who is speaking now: own voice within the last bridge time (immediate, not smoothed).
    public var speakingNow: [Bool] { lastOwnFrame.map { nextFrame - $0 <= bridgeFrames + 1 } }
    public private(set) var marks: [Mark] = []

    /// When set, the final activity of channel 0 for each frame is also kept until `takeDecisions`
    /// (the room pipeline runs this analyzer as its voice activity detector on the mono mix).
    public var keepsDecisions = false
    private var decisions: [Bool] = []

    /// Channel 0's final activity per frame since the last call (frame k covers samples
    /// [k * hop, (k + 1) * hop)), in order; only with `keepsDecisions`.
    public func takeDecisions(_ body: (Bool) -> Void) {
        for d in decisions { body(d) }
        decisions.removeAll(keepingCapacity: true)
    }

    /// Records a mark at the current position of the stream (the live meter's `s` and `m` keys).
    /// A sender mark also splits talk time by Imago role from that sample on.
    public func mark(_ kind: Mark.Kind, person: Int? = nil) {
        precondition(person.map { $0 >= 0 && $0 < format.channelCount } ?? true)
        marks.append(Mark(kind: kind, sample: samplesFed, person: person))
        if kind == .sender { conversation.setSender(person, fromFrame: samplesFed / geometry.hopLength) }
    }

    /// What the live meter shows now. `cueSeconds`: how long a flag stays on screen.
    public func liveState(cueSeconds: Double = 10, lostSeconds: Double = 0) -> LiveState {
        LiveState(conversation: conversation, labels: labels, config: config, samplesFed: samplesFed,
                  sampleRate: format.sampleRate, hopSamples: geometry.hopLength, speakingNow: speakingNow, marks: marks,
                  decisionLatencySamples: decisionLatencySamples, cueSeconds: cueSeconds, lostSeconds: lostSeconds)
    }

    public func process(_ block: AudioBlock) {
        block.samples.withUnsafeBufferPointer { process(interleaved: UnsafeBufferPointer(rebasing: $0[0..<(block.frameCount * block.channelCount)])) }
    }

    /// Feeds interleaved samples (a whole number of sample frames).
    public func process(interleaved samples: UnsafeBufferPointer<Float>) {
        precondition(!flushing, "process after finish")
        feed(samples)
    }

    private func feed(_ samples: UnsafeBufferPointer<Float>) {
        let channels = format.channelCount
        precondition(samples.count % channels == 0)
        let frames = samples.count / channels
        var i = 0
        while i < frames {
            // Copy up to the next frame boundary in one go.
            let needed = nextFrameEnd - samplesFed
            let take = min(frames - i, max(1, needed))
            ring.withUnsafeMutableBufferPointer { r in
                for k in 0..<take {
                    let pos = (samplesFed + k) & (ringCapacity - 1)
                    for c in 0..<channels {
                        let v = samples[(i + k) * channels + c]
                        let base = c * 2 * ringCapacity
                        r[base + pos] = v
                        r[base + pos + ringCapacity] = v
                    }
                }
            }
            samplesFed += take
            i += take
            while samplesFed >= nextFrameEnd { analyzeFrame() }
        }
    }

    /// Ends the stream: analyses the last frames (padding with silence), flushes the smoothers and the
    /// conversation analysis, and returns the result.
    public func finish() -> SessionResult {
        if !flushing {
            flushing = true
            endSample = samplesFed
            let lastFrame = (endSample + geometry.hopLength - 1) / geometry.hopLength
            let zeros = [Float](repeating: 0, count: format.channelCount * geometry.windowLength)
            while nextFrame < lastFrame {
                let frames = min(geometry.windowLength, max(1, nextFrameEnd - samplesFed))
                zeros.withUnsafeBufferPointer { feed(UnsafeBufferPointer(rebasing: $0[0..<(format.channelCount * frames)])) }
            }
            let tails = smoothers.indices.map { smoothers[$0].finish() }
            let count = tails.map(\.count).min() ?? 0
            for k in 0..<count {
                for c in tails.indices { finals[c] = tails[c][k] }
                finals.withUnsafeBufferPointer { conversation.push($0) }
                if keepsDecisions { decisions.append(finals[0]) }
            }
            conversation.finish()
        }
        return result()
    }

    public func drainEvents() -> ArraySlice<ConversationEvent> { conversation.drainEvents() }

    private var nextFrameEnd: Int { nextFrame * geometry.hopLength + geometry.lookaheadSamples }

    private func analyzeFrame() {
        let channels = format.channelCount
        let n = geometry.windowLength
        let start = nextFrameEnd - n
        ring.withUnsafeBufferPointer { r in
            for c in 0..<channels {
                let pos = ((start % ringCapacity) + ringCapacity) & (ringCapacity - 1)
                let window = UnsafeBufferPointer(rebasing: r[(c * 2 * ringCapacity + pos)..<(c * 2 * ringCapacity + pos + n)])
                let features = frontEnd.analyze(channel: c, samples: window)
                let level = features.energyDB
                // The floor tracks the minimum of a smoothed level (Martin's smoothed periodogram): a
                // raw minimum sits far below the mean of fluctuating room noise. Digital silence (a
                // file's lead-in, a muted input) says nothing about the noise and is skipped.
                if level > FrameFeatures.floorDB + 20 {
                    let power = powf(10, level / 10)
                    smoothedPower[c] = smoothedPower[c] < 0 ? power : Self.floorSmoothing * smoothedPower[c] + (1 - Self.floorSmoothing) * power
                    noiseFloors[c] = floors[c].update(levelDB: 10 * log10f(smoothedPower[c]))
                }
                let floor = noiseFloors[c]
                // Speech stays within a dynamic range of the channel's recent loudest level (a peak that
                // falls slowly): room noise and reverberation far below the talkers are not speech.
                speechPeaks[c] = max(level, speechPeaks[c] - peakReleasePerFrame)
                // Level with the noise floor's power taken out, so crosstalk that sinks into the noise
                // does not look louder, relative to its source, than it is.
                let excess = powf(10, level / 10) - powf(10, floor / 10)
                levels[c] = excess > 1e-12 ? 10 * log10f(excess) : FrameFeatures.floorDB
                candidate[c] = level > absoluteFloor && level > floor + (candidate[c] ? hold : onset)
                    && level > speechPeaks[c] - dynamicRange
                // Hysteresis backwards: a frame above the hold threshold (not the onset) just before a
                // start may be the start's soft beginning.
                softNow[c] = !candidate[c] && level > absoluteFloor && level > floor + hold
                    && level > speechPeaks[c] - dynamicRange
                tailPower[c] = Self.tailSmoothing * tailPower[c] + (1 - Self.tailSmoothing) * powf(10, level / 10)
                tailAboveHold[c] = level > absoluteFloor && 10 * log10f(max(tailPower[c], 1e-30)) > floor + hold
            }
        }
        if channels > 1 {
            levels.withUnsafeBufferPointer { lv in
                attributor.beginFrame(levelsDB: lv)
                noiseFloors.withUnsafeBufferPointer { attributor.updatePriors(floorsDB: $0) }
                for a in 0..<channels {
                    for b in (a + 1)..<channels {
                        if candidate[a] && candidate[b] {
                            let lag = frontEnd.lag(a, b, maxLagSamples: maxLagSamples)
                            pairLags[a * channels + b] = ChannelLagValue(lagSamples: lag.lagSamples, coherence: lag.coherence)
                        } else {
                            pairLags[a * channels + b] = nil
                        }
                    }
                }
                pairLags.withUnsafeBufferPointer { attributor.learn(lags: $0, levelsDB: lv) }
                candidate.withUnsafeBufferPointer { cand in
                    for c in 0..<channels { own[c] = attributor.isOwnVoice(c, active: cand, levelsDB: lv) }
                }
                // A soft frame counts only if it would be the channel's own voice were it active.
                everyChannelActive.withUnsafeBufferPointer { all in
                    for c in 0..<channels where softNow[c] { softNow[c] = attributor.isOwnVoice(c, active: all, levelsDB: lv) }
                }
            }
        } else {
            own[0] = candidate[0]
        }
        for c in 0..<channels where own[c] { lastOwnFrame[c] = nextFrame }
        // Soft word ends: a word's end sinks into the noise sooner in one frame's level than in a short
        // average of it. A channel's own voice goes on while that average stays above the hold
        // threshold, unless someone's own voice is on (then the level may be theirs).
        var ownCount = 0
        for c in 0..<channels where own[c] { ownCount += 1 }
        for c in 0..<channels {
            edgeNow[c] = false
            if ownCount == 0 && ownBefore[c] && tailAboveHold[c] && tailFrames[c] < maxTail {
                own[c] = true
                edgeNow[c] = true
                tailFrames[c] += 1
            } else if own[c] {
                tailFrames[c] = 0
            }
        }
        for c in 0..<channels { ownBefore[c] = own[c] }
        // Voicing matters only where a channel's own voice is on. It is measured on at most one frame in
        // three (a 32 ms window spans three hops) and the value reused for the next two frames only, so a
        // new stretch always starts with its own measurement. Speed: docs/BENCHMARKS.md.
        if !voicingAnalysers.isEmpty {
            let n = geometry.windowLength
            let start = nextFrameEnd - n
            ring.withUnsafeBufferPointer { r in
                for c in 0..<channels where own[c] && nextFrame - voicedAt[c] >= Self.voicingStride {
                    let pos = ((start % ringCapacity) + ringCapacity) & (ringCapacity - 1)
                    let window = UnsafeBufferPointer(rebasing: r[(c * 2 * ringCapacity + pos)..<(c * 2 * ringCapacity + pos + n)])
                    voicingScratch.withUnsafeMutableBufferPointer { voicingAnalysers[c].analyze(samples: window, into: $0) }
                    voiced[c] = voicingAnalysers[c].voicing >= MelCepstrum.voicingThreshold
                    voicedAt[c] = nextFrame
                }
            }
        }
        var ready = true
        for c in 0..<channels {
            if let decision = smoothers[c].push(own[c], voiced: voiced[c], soft: softNow[c], edge: edgeNow[c]) { finals[c] = decision } else { ready = false }
        }
        if ready {
            finals.withUnsafeBufferPointer { conversation.push($0) }
            if keepsDecisions { decisions.append(finals[0]) }
        }
        nextFrame += 1
    }

    private func result() -> SessionResult {
        var segments = conversation.segments.map { seg -> SpeechSegment in
            var s = seg
            s.endSample = min(s.endSample, endSample)
            return s
        }
        segments.sort { ($0.startSample, $0.speaker) < ($1.startSample, $1.speaker) }
        return SessionResult(
            sampleRate: format.sampleRate, channelCount: format.channelCount, durationSamples: endSample,
            speakers: conversation.summaries(labels: labels), segments: segments, turns: conversation.turns,
            events: conversation.events, balance: conversation.balance, marks: marks,
            silenceSamples: conversation.silenceSamples, overlapSamples: conversation.overlapSamples,
            pauseCount: conversation.pauseCount, gapCount: conversation.gapCount, config: config)
    }
}
