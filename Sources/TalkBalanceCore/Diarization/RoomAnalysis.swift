import TalkBalanceDSP

/// One microphone for the room (or several channels that all hear the room): who speaks when comes
/// from the voices themselves. The number of people is given.
///
/// Three steps over a re-openable source: (1) the usual pipeline finds speech on the mono mix;
/// (2) mel cepstra of every 10 ms frame feed `RoomDiarizer`, which clusters the speech into exactly
/// `speakers` voices and re-segments it; (3) the per-frame labels go through the same conversation
/// analysis as one-mic-per-person sessions. Memory: the speech segments, one byte per frame and the
/// diarizer's compact statistics (see `RoomDiarizer`); audio is never held beyond one analysis window.
/// Enrolment (`enrol`, then `analyze(enrolled:)`) names people by their voices. Not yet: overlapping
/// speech (each frame gets one person), live use.
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

    /// A person's enrolment: a name and the statistics of a few seconds of their voice
    /// (from `RoomAnalysis.enrol`).
    public struct EnrolledVoice: Sendable, Equatable {
        public let name: String
        public let voice: VoiceStatistics
        public init(name: String, voice: VoiceStatistics) {
            self.name = name
            self.voice = voice
        }
    }

    /// Least speech an enrolment recording must hold: below about 2 s the 12-dimensional Gaussian of a
    /// voice is too rough to tell two people apart reliably.
    public static let minimumEnrolmentSeconds = 2.0

    public enum EnrolmentFailure: Error, CustomStringConvertible {
        case source(Error)
        /// Speech found and speech needed, in seconds.
        case tooLittleSpeech(foundSeconds: Double, neededSeconds: Double)
        public var description: String {
            switch self {
            case .source(let e): return "\(e)"
            case .tooLittleSpeech(let found, let needed):
                return String(format: "only %.1f s of speech found; enrolment needs at least %.1f s of the person talking", found, needed)
            }
        }
    }

    /// Measures a person's voice from a recording of them alone, with the same front end as `analyze`
    /// (the pipeline's voice activity on the mono mix, `MelCepstrum` of the speech frames). Streams the
    /// recording twice; keeps only the statistics.
    /// - Parameter minimumSpeechSeconds: fails with `.tooLittleSpeech` below this.
    public static func enrol(open: () throws -> AudioSource, config: AnalysisConfig = AnalysisConfig(),
                             minimumSpeechSeconds: Double = minimumEnrolmentSeconds) throws(EnrolmentFailure) -> VoiceStatistics {
        var voice: VoiceStatistics? = nil
        do {
            _ = try frontEnd(open: open, config: config) { geometry in
                voice = VoiceStatistics(coefficients: coefficients, sampleRate: geometry.sampleRate)
            } frame: { features, speech, hop in
                if speech { voice?.add(features: features, hopSamples: hop) }
            }
        } catch {
            switch error {
            case .source(let e): throw .source(e)
            case .invalid(let m): throw .source(Failure.invalid(m))
            }
        }
        guard let voice else { throw .tooLittleSpeech(foundSeconds: 0, neededSeconds: minimumSpeechSeconds) }
        guard voice.speechSeconds >= minimumSpeechSeconds else {
            throw .tooLittleSpeech(foundSeconds: voice.speechSeconds, neededSeconds: minimumSpeechSeconds)
        }
        return voice
    }

    /// The report's names for `speakers` people given `--names` (`labels`, everyone, in order of first
    /// appearance) and the enrolled names; and, for each diarizer label (enrolled voices first, in
    /// order, then the others in order of first appearance), its speaker index in that list.
    ///
    /// Rules: at most `speakers` enrolled names, non-empty, distinct. Without `labels` the enrolled come
    /// first under their own names and the others are S1, S2, ... (an enrolled name may not be one of
    /// those). With `labels`, `labels` lists everyone: every enrolled name must be one of them (an
    /// enrolled name missing from `labels` is an error, never a silent rename), and the people not
    /// enrolled take the remaining names in order of first appearance.
    public static func naming(speakers: Int, labels: [String]?, enrolled: [String]) throws(Failure) -> (names: [String], indexOfLabel: [Int]) {
        guard enrolled.count <= speakers else {
            throw .invalid("\(enrolled.count) voices are enrolled but --speakers is \(speakers); enrol at most one voice per person")
        }
        if let empty = enrolled.firstIndex(where: { $0.isEmpty }) { throw .invalid("enrolment \(empty + 1) has an empty name") }
        if Set(enrolled).count != enrolled.count { throw .invalid("a name is enrolled twice; enrol each person once") }
        if let labels {
            guard labels.count == speakers else { throw .invalid("--names gives \(labels.count) names but --speakers is \(speakers)") }
            var index: [Int] = []
            for name in enrolled {
                guard let i = labels.firstIndex(of: name) else {
                    throw .invalid("enrolled name \(name) is not among --names \(labels.joined(separator: ",")); --names must list everyone, enrolled or not")
                }
                index.append(i)
            }
            index += labels.indices.filter { !index.contains($0) }
            return (labels, index)
        }
        let others = (0..<(speakers - enrolled.count)).map { "S\($0 + 1)" }
        if let clash = enrolled.first(where: { others.contains($0) }) {
            throw .invalid("enrolled name \(clash) is also the label of a person not enrolled; choose another name")
        }
        return (enrolled + others, Array(0..<speakers))
    }

    static let coefficients = 13

    /// - Parameters:
    ///   - open: opens the recording from its start (called twice).
    ///   - labels: names in order of first appearance; default S1, S2, ...
    ///   - enrolled: voices to recognise (at most `speakers`); see `naming` for how names combine.
    public static func analyze(open: () throws -> AudioSource, speakers: Int, config: AnalysisConfig = AnalysisConfig(),
                               labels: [String]? = nil, enrolled: [EnrolledVoice] = [],
                               options: RoomDiarizer.Options = RoomDiarizer.Options()) throws(Failure) -> SessionResult {
        guard (1...8).contains(speakers) else { throw .invalid("--speakers must be between 1 and 8 for one microphone in the room") }
        let (names, indexOfLabel) = try naming(speakers: speakers, labels: labels, enrolled: enrolled.map(\.name))

        var diarizer: RoomDiarizer? = nil
        var format: StreamFormat? = nil
        var hop = 1
        let speech = try frontEnd(open: open, config: config) { geometry in
            hop = geometry.hopLength
            diarizer = RoomDiarizer(speakers: speakers, framesPerSecond: Double(geometry.sampleRate) / Double(hop), options: options)
        } format: { format = $0 } frame: { features, isSpeech, _ in
            diarizer?.push(features: features, speech: isSpeech)
        }
        let frameLabels = diarizer?.finish(enrolled: enrolled.map(\.voice)) ?? []
        let rate = format?.sampleRate ?? 1

        // 3. The conversation, as for one microphone per person.
        var conversation = ConversationAnalyzer(speakerCount: speakers, hopSamples: hop, sampleRate: rate, config: config)
        var active = [Bool](repeating: false, count: speakers)
        for k in 0..<frameLabels.count {
            for s in 0..<speakers { active[s] = false }
            if frameLabels[k] >= 0 { active[indexOfLabel[Int(frameLabels[k])]] = true }
            active.withUnsafeBufferPointer { conversation.push($0) }
        }
        conversation.finish()
        let segments = conversation.segments.map { seg -> SpeechSegment in
            var s = seg
            s.endSample = min(s.endSample, speech.durationSamples)
            return s
        }.sorted { ($0.startSample, $0.speaker) < ($1.startSample, $1.speaker) }
        return SessionResult(sampleRate: rate, channelCount: format?.channelCount ?? 1, durationSamples: speech.durationSamples,
                             speakers: conversation.summaries(labels: names), segments: segments, turns: conversation.turns,
                             events: conversation.events, balance: conversation.balance, marks: [],
                             silenceSamples: conversation.silenceSamples, overlapSamples: conversation.overlapSamples,
                             pauseCount: conversation.pauseCount, gapCount: conversation.gapCount, config: config)
    }

    /// The room front end, shared by sessions and enrolment: (1) the usual pipeline finds speech on the
    /// mono mix; (2) a second pass computes the mel cepstra of every 10 ms frame (window centred on the
    /// hop) and hands each to `frame` with whether it is speech and the hop in samples. `start` gets the
    /// frame geometry before the first frame. Returns the speech found.
    private static func frontEnd(open: () throws -> AudioSource, config: AnalysisConfig,
                                 start: (FrameGeometry) -> Void, format: (StreamFormat) -> Void = { _ in },
                                 frame: (UnsafeBufferPointer<Float>, Bool, Int) -> Void) throws(Failure) -> SessionResult {
        // 1. Speech on the mono mix.
        let first: AudioSource
        do { first = try open() } catch { throw .source(error) }
        format(first.format)
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
        start(geometry)

        // 2. Mel cepstra per frame (window centred on the hop).
        let cepstrum = MelCepstrum(geometry: geometry, coefficients: coefficients)
        var features = [Float](repeating: 0, count: coefficients)
        let capacity = ringSize(n)
        var ring = [Float](repeating: 0, count: capacity)
        var fed = 0, index = 0, segment = 0
        var window = [Float](repeating: 0, count: n)
        func isSpeech(_ k: Int) -> Bool {
            let centre = k * hop + hop / 2
            while segment < speech.segments.count && speech.segments[segment].endSample <= centre { segment += 1 }
            guard segment < speech.segments.count else { return false }
            return speech.segments[segment].startSample <= centre
        }
        func analyzeReadyFrames(final: Bool) {
            while index < frameCount && (final || fed >= index * hop + hop / 2 + n / 2) {
                let start = index * hop + hop / 2 - n / 2
                for i in 0..<n {
                    let j = start + i
                    window[i] = j >= 0 && j < fed && j >= fed - capacity ? ring[j & (capacity - 1)] : 0
                }
                window.withUnsafeBufferPointer { w in features.withUnsafeMutableBufferPointer { cepstrum.analyze(samples: w, into: $0) } }
                features.withUnsafeBufferPointer { frame($0, isSpeech(index), hop) }
                index += 1
            }
        }
        let second: AudioSource
        do { second = try open() } catch { throw .source(error) }
        do {
            try forEachMonoBlock(second, into: &mono) { block in
                for v in block {
                    ring[fed & (capacity - 1)] = v
                    fed += 1
                    if fed >= index * hop + hop / 2 + n / 2 { analyzeReadyFrames(final: false) }
                }
            }
        } catch { throw .source(error) }
        analyzeReadyFrames(final: true)
        return speech
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
