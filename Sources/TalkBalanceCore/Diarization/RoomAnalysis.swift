import TalkBalanceDSP

/// One microphone for the room (or several channels that all hear the room): who speaks when comes
/// from the voices themselves. The number of people is given.
///
/// Three steps over a re-openable source: (1) the usual pipeline finds speech on the mono mix;
/// (2) mel cepstra of every 10 ms frame feed `RoomDiarizer`, which clusters the speech into exactly
/// `speakers` voices and re-segments it; (3) the per-frame labels go through the same conversation
/// analysis as one-mic-per-person sessions. Memory: the speech segments, one byte per frame and the
/// diarizer's compact statistics (see `RoomDiarizer`); audio is never held beyond one analysis window.
/// Not yet: overlapping speech (each frame gets one person). Live use: `RoomSessionAnalyzer`.
public enum RoomAnalysis {
    public enum Failure: Error, CustomStringConvertible {
        case invalid(String)
        case source(Error)
        public var description: String {
            switch self {
            case .invalid(let s): return s
            case .source(let e): return "\(e)"
            }
        }
    }

    /// - Parameters:
    ///   - open: opens the recording from its start (called twice).
    ///   - labels: names in order of first appearance; default S1, S2, ...
    ///   - spatial: for a two-channel recording, use the level and time difference between the channels
    ///     (a stereo microphone between the partners) as well as the voices: `true` always, `false`
    ///     never, nil when the channels turn out to differ (see `SpatialDetector`).
    ///   - matching: another analysis's segments of the same recording (the live session's, whose
    ///     people may have been enrolled by name): the voices found are numbered to agree with it as
    ///     far as possible (the one-to-one mapping with the most common speech), not by first appearance.
    public static func analyze(open: () throws -> AudioSource, speakers: Int, config: AnalysisConfig = AnalysisConfig(),
                               labels: [String]? = nil, spatial: Bool? = nil, matching: [SpeechSegment]? = nil) throws(Failure) -> SessionResult {
        try analyzeReporting(open: open, speakers: speakers, config: config, labels: labels, spatial: spatial, matching: matching).result
    }

    /// As `analyze`, and says whether the spatial cues were used.
    public static func analyzeReporting(open: () throws -> AudioSource, speakers: Int, config: AnalysisConfig = AnalysisConfig(),
                                        labels: [String]? = nil, spatial: Bool? = nil,
                                        matching: [SpeechSegment]? = nil) throws(Failure) -> (result: SessionResult, spatial: Bool) {
        guard (1...8).contains(speakers) else { throw .invalid("--speakers must be between 1 and 8 for one microphone in the room") }
        let names = labels ?? (1...speakers).map { "S\($0)" }
        guard names.count == speakers else { throw .invalid("--names gives \(names.count) names but --speakers is \(speakers)") }

        // 1. Speech on the mono mix.
        let first: AudioSource
        do { first = try open() } catch { throw .source(error) }
        let rate = first.format.sampleRate
        let vad: SessionAnalyzer
        do { vad = try SessionAnalyzer(format: StreamFormat(sampleRate: rate, channelCount: 1), config: config, softWordEnds: false) } catch {
            throw .invalid(error.description)
        }
        let stereo = first.format.channelCount == 2
        if spatial == true && !stereo {
            throw .invalid("--spatial needs a two-channel (stereo) recording; this one has \(first.format.channelCount) channel\(first.format.channelCount == 1 ? "" : "s")")
        }
        let geometry = vad.geometry
        let hop = geometry.hopLength, n = geometry.windowLength
        // Spatial cues: measured on the first pass when they may be needed, to decide.
        let cues = stereo && spatial != false ? StereoCues(geometry: geometry) : nil
        var detector = SpatialDetector()
        var loudness = NoiseFloorTracker(memoryFrames: 800)
        var stereoFrames = StereoFramer(windowLength: n, hopLength: hop)
        var mono: [Float] = []
        do {
            try forEachMonoBlock(first, into: &mono, stereo: cues == nil ? nil : { left, right in
                stereoFrames.push(left: left, right: right) { l, r in
                    let f = cues!.analyze(left: l, right: r)
                    // Loud frames only: a voice, not the noise between voices.
                    let floor = loudness.update(levelDB: f.levelDB)
                    if f.levelDB > floor + 15 { detector.add(levelDifferenceDB: f.levelDifferenceDB) }
                }
            }) { vad.process(interleaved: $0) }
        } catch { throw .source(error) }
        let speech = vad.finish()
        let frameCount = (speech.durationSamples + hop - 1) / hop
        let useSpatial = cues != nil && (spatial == true || detector.isSpatial)

        // 2. Voices: mel cepstra per frame (window centred on the hop) into the diarizer.
        let cepstrum = MelCepstrum(geometry: geometry)
        let coefficients = 13
        // With spatial cues, the level difference and the delay follow the cepstra, repeated so that they
        // weigh about as much as the voice (the diarizer normalises each feature to unit variance, so a
        // feature repeated k times counts k times).
        var features = [Float](repeating: 0, count: coefficients + (useSpatial ? Self.levelRepeats + Self.delayRepeats : 0))
        var diarizer = RoomDiarizer(speakers: speakers, framesPerSecond: Double(rate) / Double(hop))
        var ring = [Float](repeating: 0, count: 2 * ringSize(n))
        let capacity = ringSize(n)
        var leftRing = [Float](repeating: 0, count: useSpatial ? capacity : 0)
        var rightRing = leftRing
        var leftWindow = [Float](repeating: 0, count: useSpatial ? n : 0)
        var rightWindow = leftWindow
        var fed = 0, frame = 0, segment = 0
        var window = [Float](repeating: 0, count: n)
        func isSpeech(_ k: Int) -> Bool {
            let centre = k * hop + hop / 2
            while segment < speech.segments.count && speech.segments[segment].endSample <= centre { segment += 1 }
            guard segment < speech.segments.count else { return false }
            return speech.segments[segment].startSample <= centre
        }
        func analyzeReadyFrames(final: Bool) {
            while frame < frameCount && (final || fed >= frame * hop + hop / 2 + n / 2) {
                let start = frame * hop + hop / 2 - n / 2
                for i in 0..<n {
                    let j = start + i
                    window[i] = j >= 0 && j < fed && j >= fed - capacity ? ring[j & (capacity - 1)] : 0
                }
                window.withUnsafeBufferPointer { w in
                    features.withUnsafeMutableBufferPointer { cepstrum.analyze(samples: w, into: UnsafeMutableBufferPointer(rebasing: $0[0..<coefficients])) }
                }
                if useSpatial, let cues {
                    for i in 0..<n {
                        let j = start + i
                        let inside = j >= 0 && j < fed && j >= fed - capacity
                        leftWindow[i] = inside ? leftRing[j & (capacity - 1)] : 0
                        rightWindow[i] = inside ? rightRing[j & (capacity - 1)] : 0
                    }
                    let f = leftWindow.withUnsafeBufferPointer { l in rightWindow.withUnsafeBufferPointer { r in cues.analyze(left: l, right: r) } }
                    for k in 0..<Self.levelRepeats { features[coefficients + k] = f.levelDifferenceDB }
                    for k in 0..<Self.delayRepeats { features[coefficients + Self.levelRepeats + k] = Float(f.delaySamples) }
                }
                features.withUnsafeBufferPointer { diarizer.push(features: $0, speech: isSpeech(frame)) }
                frame += 1
            }
        }
        let second: AudioSource
        do { second = try open() } catch { throw .source(error) }
        do {
            // The stereo sides of a block arrive just before its mono mix; they enter their rings sample
            // by sample with it.
            var blockLeft = [Float](), blockRight = [Float]()
            try forEachMonoBlock(second, into: &mono, stereo: useSpatial ? { left, right in
                blockLeft.removeAll(keepingCapacity: true); blockLeft.append(contentsOf: left)
                blockRight.removeAll(keepingCapacity: true); blockRight.append(contentsOf: right)
            } : nil) { block in
                for (i, v) in block.enumerated() {
                    ring[fed & (capacity - 1)] = v
                    if useSpatial {
                        leftRing[fed & (capacity - 1)] = blockLeft[i]
                        rightRing[fed & (capacity - 1)] = blockRight[i]
                    }
                    fed += 1
                    if fed >= frame * hop + hop / 2 + n / 2 { analyzeReadyFrames(final: false) }
                }
            }
        } catch { throw .source(error) }
        analyzeReadyFrames(final: true)
        var frameLabels = diarizer.finish()
        if let matching { relabel(&frameLabels, like: matching, speakers: speakers, hop: hop) }

        // 3. The conversation, as for one microphone per person.
        var conversation = ConversationAnalyzer(speakerCount: speakers, hopSamples: hop, sampleRate: rate, config: config)
        var active = [Bool](repeating: false, count: speakers)
        for k in 0..<frameLabels.count {
            for s in 0..<speakers { active[s] = Int(frameLabels[k]) == s }
            active.withUnsafeBufferPointer { conversation.push($0) }
        }
        conversation.finish()
        let segments = conversation.segments.map { seg -> SpeechSegment in
            var s = seg
            s.endSample = min(s.endSample, speech.durationSamples)
            return s
        }.sorted { ($0.startSample, $0.speaker) < ($1.startSample, $1.speaker) }
        let result = SessionResult(sampleRate: rate, channelCount: first.format.channelCount, durationSamples: speech.durationSamples,
                             speakers: conversation.summaries(labels: names), segments: segments, turns: conversation.turns,
                             events: conversation.events, balance: conversation.balance, marks: [],
                             silenceSamples: conversation.silenceSamples, overlapSamples: conversation.overlapSamples,
                             pauseCount: conversation.pauseCount, gapCount: conversation.gapCount, config: config)
        return (result, useSpatial)
    }

    /// How many times the level difference and the delay are repeated among the features (their weight
    /// against the 12 cepstral coefficients the diarizer uses).
    static let levelRepeats = 4
    static let delayRepeats = 2

    /// Renumbers `labels` (per frame) by the one-to-one mapping onto `segments`' speakers that shares the
    /// most frames (exhaustive over permutations: at most 8! for 8 people).
    static func relabel(_ labels: inout [Int8], like segments: [SpeechSegment], speakers: Int, hop: Int) {
        var common = [Int](repeating: 0, count: speakers * speakers)
        for seg in segments where seg.speaker >= 0 && seg.speaker < speakers {
            let first = max(0, seg.startSample / hop), end = min(labels.count, (seg.endSample + hop - 1) / hop)
            guard first < end else { continue }
            for k in first..<end where labels[k] >= 0 { common[Int(labels[k]) * speakers + seg.speaker] += 1 }
        }
        var best = Array(0..<speakers), bestScore = -1
        var perm = Array(0..<speakers), used = [Bool](repeating: false, count: speakers)
        func search(_ i: Int, _ score: Int) {
            if i == speakers {
                if score > bestScore { bestScore = score; best = perm }
                return
            }
            for t in 0..<speakers where !used[t] {
                used[t] = true; perm[i] = t
                search(i + 1, score + common[i * speakers + t])
                used[t] = false
            }
        }
        search(0, 0)
        for k in labels.indices where labels[k] >= 0 { labels[k] = Int8(best[Int(labels[k])]) }
    }

    private static func ringSize(_ n: Int) -> Int {
        var c = 1
        while c < 2 * n { c *= 2 }
        return c
    }

    /// Reads `source` to its end in fixed blocks, averaging the channels into `mono` (reused buffer).
    /// With `stereo` (two-channel sources only), each block's left and right samples are handed over
    /// first.
    private static func forEachMonoBlock(_ source: AudioSource, into mono: inout [Float],
                                         stereo: ((UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void)? = nil,
                                         _ body: (UnsafeBufferPointer<Float>) -> Void) throws {
        let channels = source.format.channelCount
        var block = AudioBlock(channelCount: channels, capacityFrames: 8192)
        if mono.count < 8192 { mono = [Float](repeating: 0, count: 8192) }
        var left = [Float](repeating: 0, count: stereo == nil ? 0 : 8192), right = left
        while true {
            let frames = try source.read(into: &block)
            guard frames > 0 else { return }
            if let stereo, channels == 2 {
                for f in 0..<frames {
                    left[f] = block.samples[2 * f]
                    right[f] = block.samples[2 * f + 1]
                }
                left.withUnsafeBufferPointer { l in right.withUnsafeBufferPointer { r in
                    stereo(UnsafeBufferPointer(rebasing: l[0..<frames]), UnsafeBufferPointer(rebasing: r[0..<frames]))
                } }
            }
            for f in 0..<frames {
                var sum: Float = 0
                for c in 0..<channels { sum += block.samples[f * channels + c] }
                mono[f] = sum / Float(channels)
            }
            mono.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<frames])) }
        }
    }
}

/// Cuts two streams into analysis windows every hop (the last `windowLength` samples at each hop), for
/// the spatial decision on the first pass. Rings of a power-of-two size; no allocation after `init`.
struct StereoFramer {
    let windowLength: Int, hopLength: Int
    private var leftRing: [Float], rightRing: [Float]
    private var leftWindow: [Float], rightWindow: [Float]
    private let mask: Int
    private var fed = 0, sinceHop = 0
    init(windowLength: Int, hopLength: Int) {
        self.windowLength = windowLength
        self.hopLength = hopLength
        var capacity = 1
        while capacity < windowLength { capacity *= 2 }
        mask = capacity - 1
        leftRing = [Float](repeating: 0, count: capacity)
        rightRing = leftRing
        leftWindow = [Float](repeating: 0, count: windowLength)
        rightWindow = leftWindow
    }
    mutating func push(left l: UnsafeBufferPointer<Float>, right r: UnsafeBufferPointer<Float>,
                       _ frame: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void) {
        for i in 0..<l.count {
            leftRing[fed & mask] = l[i]
            rightRing[fed & mask] = r[i]
            fed += 1
            sinceHop += 1
            if sinceHop >= hopLength && fed >= windowLength {
                sinceHop = 0
                let start = fed - windowLength
                for k in 0..<windowLength {
                    leftWindow[k] = leftRing[(start + k) & mask]
                    rightWindow[k] = rightRing[(start + k) & mask]
                }
                leftWindow.withUnsafeBufferPointer { lb in rightWindow.withUnsafeBufferPointer { rb in frame(lb, rb) } }
            }
        }
    }
}
