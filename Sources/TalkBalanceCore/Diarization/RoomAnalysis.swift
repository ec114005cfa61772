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
    ///   - matching: another analysis's segments of the same recording (the live session's, whose
    ///     people may have been enrolled by name): the voices found are numbered to agree with it as
    ///     far as possible (the one-to-one mapping with the most common speech), not by first appearance.
    public static func analyze(open: () throws -> AudioSource, speakers: Int, config: AnalysisConfig = AnalysisConfig(),
                               labels: [String]? = nil, matching: [SpeechSegment]? = nil) throws(Failure) -> SessionResult {
        guard (1...8).contains(speakers) else { throw .invalid("--speakers must be between 1 and 8 for one microphone in the room") }
        let names = labels ?? (1...speakers).map { "S\($0)" }
        guard names.count == speakers else { throw .invalid("--names gives \(names.count) names but --speakers is \(speakers)") }

        // 1. Speech on the mono mix.
        let first: AudioSource
        do { first = try open() } catch { throw .source(error) }
        let rate = first.format.sampleRate
        let vad: SessionAnalyzer
        do { vad = try SessionAnalyzer(format: StreamFormat(sampleRate: rate, channelCount: 1), config: config) } catch {
            throw .invalid(error.description)
        }
        var mono: [Float] = []
        do {
            try forEachMonoBlock(first, into: &mono) { vad.process(interleaved: $0) }
        } catch { throw .source(error) }
        let speech = vad.finish()
        let geometry = vad.geometry
        let hop = geometry.hopLength, n = geometry.windowLength
        let frameCount = (speech.durationSamples + hop - 1) / hop

        // 2. Voices: mel cepstra per frame (window centred on the hop) into the diarizer.
        let cepstrum = MelCepstrum(geometry: geometry)
        let coefficients = 13
        var features = [Float](repeating: 0, count: coefficients)
        var diarizer = RoomDiarizer(speakers: speakers, framesPerSecond: Double(rate) / Double(hop))
        var ring = [Float](repeating: 0, count: 2 * ringSize(n))
        let capacity = ringSize(n)
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
                window.withUnsafeBufferPointer { w in features.withUnsafeMutableBufferPointer { cepstrum.analyze(samples: w, into: $0) } }
                features.withUnsafeBufferPointer { diarizer.push(features: $0, speech: isSpeech(frame)) }
                frame += 1
            }
        }
        let second: AudioSource
        do { second = try open() } catch { throw .source(error) }
        do {
            try forEachMonoBlock(second, into: &mono) { block in
                for v in block {
                    ring[fed & (capacity - 1)] = v
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
        return SessionResult(sampleRate: rate, channelCount: first.format.channelCount, durationSamples: speech.durationSamples,
                             speakers: conversation.summaries(labels: names), segments: segments, turns: conversation.turns,
                             events: conversation.events, balance: conversation.balance, marks: [],
                             silenceSamples: conversation.silenceSamples, overlapSamples: conversation.overlapSamples,
                             pauseCount: conversation.pauseCount, gapCount: conversation.gapCount, config: config)
    }

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
    private static func forEachMonoBlock(_ source: AudioSource, into mono: inout [Float], _ body: (UnsafeBufferPointer<Float>) -> Void) throws {
        let channels = source.format.channelCount
        var block = AudioBlock(channelCount: channels, capacityFrames: 8192)
        if mono.count < 8192 { mono = [Float](repeating: 0, count: 8192) }
        while true {
            let frames = try source.read(into: &block)
            guard frames > 0 else { return }
            for f in 0..<frames {
                var sum: Float = 0
                for c in 0..<channels { sum += block.samples[f * channels + c] }
                mono[f] = sum / Float(channels)
            }
            mono.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<frames])) }
        }
    }
}
