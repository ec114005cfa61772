import Foundation
import TalkBalanceDSP

/// One microphone for the room (or several channels that all hear the room): who speaks when comes
/// from the voices themselves. The number of people is given.
///
/// Three steps over a re-openable source: (1) the usual pipeline finds speech on the mono mix;
/// (2) mel cepstra and the smoothed pitch (`SmoothedPitch`) of every 10 ms frame feed `RoomDiarizer`, which clusters the speech into exactly
/// `speakers` voices and re-segments it; (3) its labels, block by block with the frames between them
/// silent, go frame by frame through the same conversation analysis as one-mic-per-person sessions;
/// a run of one voice of at most `maxExcursionSeconds` with no silence on either side, inside another
/// person's speech, is taken as said over them (both speak; `RoomDiarizer.Labels.underlying`).
/// Memory: the speech segments, one bit per frame for voicing (`VoicedFrames`) and the diarizer's
/// (see `RoomDiarizer`: its statistics spill to an unlinked temporary file, what stays grows by under
/// 1 MB per hour of speech); no label per frame is held, and audio never beyond one analysis window.
/// Enrolment (`enrol`, then `analyze(enrolled:)`) names people by their voices. A stereo recording
/// can add where each voice comes from (`spatial`). Live use: `RoomSessionAnalyzer`. Not yet:
/// overlapping speech beyond those short runs.
public enum RoomAnalysis {
    public enum Failure: Error, CustomStringConvertible {
        case invalid(String)
        case source(Error)
        /// A named stretch (`NamedStretch`) with too little speech in it, and how much it had (seconds).
        case stretchWithoutSpeech(name: String, foundSeconds: Double)
        public var description: String {
            switch self {
            case .invalid(let s): return s
            case .source(let e): return "\(e)"
            case .stretchWithoutSpeech(let name, let found):
                return String(format: "only %.1f s of speech found in %@'s stretch; name a stretch where they talk for at least %.1f s",
                              found, name, RoomAnalysis.minimumStretchSeconds)
            }
        }
    }

    /// Least speech a named stretch must hold: enough to know whose voice it is (the voice is not
    /// modelled from it, so less than an enrolment recording needs).
    public static let minimumStretchSeconds = 1.0

    /// "`name` talks alone in these samples of the recording" (`analyze --enroll NAME=@START-END`). The
    /// voice found speaking there gets the name, and the report an `enrol` mark at its start; nothing
    /// else changes (measured: modelling the voice from such a stretch, as an enrolment recording is,
    /// made the clustering worse; docs/ACCURACY.md).
    public struct NamedStretch: Sendable, Equatable {
        public let name: String
        public let samples: Range<Int>
        public init(name: String, samples: Range<Int>) {
            self.name = name
            self.samples = samples
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
        try enrolRecording(open: open, config: config, minimumSpeechSeconds: minimumSpeechSeconds, keptSpeechSeconds: 0).voice
    }

    /// A person's enrolment recording as the live meter takes it (`live --enroll NAME=FILE`): the
    /// statistics of `enrol`, and the speech frames themselves for the online assigner's windows.
    public struct EnrolmentRecording: Sendable {
        public let voice: VoiceStatistics
        /// The first speech frames' `MelCepstrum` coefficients, `liveCoefficients` values per frame.
        public let cepstra: [Float]
        /// Each of those frames' index in the recording (a jump is a pause).
        public let frames: [Int]
    }

    /// Coefficients per frame the live assigner uses (the cepstra without the pitch).
    public static let liveCoefficients = coefficients

    /// `enrol`, keeping the cepstra of the first `keptSpeechSeconds` of speech (a minute at most by
    /// default: about 0.3 MB).
    public static func enrolRecording(open: () throws -> AudioSource, config: AnalysisConfig = AnalysisConfig(),
                                      minimumSpeechSeconds: Double = minimumEnrolmentSeconds,
                                      keptSpeechSeconds: Double = 60) throws(EnrolmentFailure) -> EnrolmentRecording {
        var voice: VoiceStatistics? = nil
        var cepstra: [Float] = [], frames: [Int] = []
        var keptFrames = 0, frame = 0
        do {
            _ = try frontEnd(open: open, config: config, spatial: false, overlap: nil, speechGate: SpeechGate.Options()) { geometry, _ in
                voice = VoiceStatistics(coefficients: voiceFeatures, sampleRate: geometry.sampleRate)
                keptFrames = Int(keptSpeechSeconds * Double(geometry.sampleRate) / Double(geometry.hopLength))
            } frame: { features, speech, hop in
                if speech {
                    voice?.add(features: features, hopSamples: hop)
                    if frames.count < keptFrames {
                        cepstra.append(contentsOf: features[0..<liveCoefficients])
                        frames.append(frame)
                    }
                }
                frame += 1
            }
        } catch {
            switch error {
            case .source(let e): throw .source(e)
            case .invalid, .stretchWithoutSpeech: throw .source(error)
            }
        }
        guard let voice else { throw .tooLittleSpeech(foundSeconds: 0, neededSeconds: minimumSpeechSeconds) }
        guard voice.speechSeconds >= minimumSpeechSeconds else {
            throw .tooLittleSpeech(foundSeconds: voice.speechSeconds, neededSeconds: minimumSpeechSeconds)
        }
        return EnrolmentRecording(voice: voice, cepstra: cepstra, frames: frames)
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
    /// The voice features of a frame: the cepstra, then the smoothed pitch (`SmoothedPitch`).
    static let voiceFeatures = coefficients + 1

    /// The longest run of another voice inside one person's speech (no silence on either side) that
    /// is taken as said over them: DOMAIN's backchannel, listener speech of at most 1 s while the other
    /// holds the floor. The diarizer labels most backchannels as the floor holder (the switch penalty
    /// outweighs 0.2-0.5 s of another voice); the ones it does label are counted for both people.
    /// Measured with `tools/evaluate` (docs/ACCURACY.md, "short runs of one voice inside another's speech"): reverberant
    /// rooms 12.3% -> 12.0% tuning, 12.9% -> 12.6% held out; the stereo recorder with `--spatial`, which
    /// finds far more of them, 13.2% -> 11.7% and 13.4% -> 12.1% (10.8% and 11.8% with its lower switch
    /// penalty, `RoomDiarizer.Options.spatialSwitchPenalty`). On the tuning rooms 1.5 s and 2 s gave
    /// 12.1% and 12.4%.
    public static let maxExcursionSeconds = 1.0

    /// The room's speech detector bridges pauses this long whatever `AnalysisConfig.bridgePauseSeconds` says:
    /// the default, with which the clustering was measured. `--bridge-pause` shapes the report (`PauseShaper`).
    public static let detectionBridgeSeconds = AnalysisConfig().bridgePauseSeconds

    /// - Parameters:
    ///   - open: opens the recording from its start (called twice, and twice more to find overlapped speech
    ///     from the voices unless `voiceOverlap` is nil).
    ///   - labels: names in order of first appearance; default S1, S2, ...
    ///   - enrolled: voices to recognise (at most `speakers`); see `naming` for how names combine.
    ///   - spatial: for a two-channel recording, use the level and time difference between the channels
    ///     (a stereo microphone between the partners) as well as the voices: `true` always, `false`
    ///     never, nil when the channels turn out to differ (see `SpatialDetector`). Enrolled voices
    ///     have no position (an enrolment recording has none): they are compared on the voice features
    ///     only, and each person's position comes from the session.
    ///   - matching: another analysis's segments of the same recording (the live session's, whose
    ///     people may have been enrolled by name): the voices found are numbered to agree with it as
    ///     far as possible (the one-to-one mapping with the most common speech), not by first appearance.
    ///   - voiceOverlap: find overlapped speech from the voices (`VoiceOverlapFinder`; the result's
    ///     `overlapInPart` says when it ran); nil: one person a moment but for short runs of another.
    ///   - speakerSegmentation: with `voiceOverlap`, find it from the speaker segmentation network
    ///     (`SpeakerSegmenter`) as well, one more pass over the recording.
    public static func analyze(open: () throws -> AudioSource, speakers: Int, config: AnalysisConfig = AnalysisConfig(),
                               labels: [String]? = nil, enrolled: [EnrolledVoice] = [], stretches: [NamedStretch] = [],
                               spatial: Bool? = nil, matching: [SpeechSegment]? = nil,
                               options: RoomDiarizer.Options = RoomDiarizer.Options(),
                               overlap: StereoOverlapFinder.Options? = nil,
                               voiceOverlap: VoiceOverlapFinder.Options? = VoiceOverlapFinder.Options(),
                               speakerSegmentation: Bool = true,
                               speechGate: SpeechGate.Options? = SpeechGate.Options()) throws(Failure) -> SessionResult {
        try analyzeReporting(open: open, speakers: speakers, config: config, labels: labels, enrolled: enrolled, stretches: stretches,
                             spatial: spatial, matching: matching, options: options, overlap: overlap, voiceOverlap: voiceOverlap,
                             speakerSegmentation: speakerSegmentation, speechGate: speechGate).result
    }

    /// As `analyze`, and says whether the spatial cues were used, which named stretches are doubtful
    /// (see `name(_:by:after:speakers:hop:rate:)`) and, with enrolled voices, how far they sit from the
    /// session's voices in one direction (`RoomDiarizer.MicrophoneShift`: recordings from another microphone).
    public static func analyzeReporting(open: () throws -> AudioSource, speakers: Int, config: AnalysisConfig = AnalysisConfig(),
                                        labels: [String]? = nil, enrolled: [EnrolledVoice] = [], stretches: [NamedStretch] = [],
                                        spatial: Bool? = nil, matching: [SpeechSegment]? = nil,
                                        options: RoomDiarizer.Options = RoomDiarizer.Options(),
                                        overlap: StereoOverlapFinder.Options? = nil,
                                        voiceOverlap: VoiceOverlapFinder.Options? = VoiceOverlapFinder.Options(),
                                        speakerSegmentation: Bool = true,
                                        speechGate: SpeechGate.Options? = SpeechGate.Options()) throws(Failure)
        -> (result: SessionResult, spatial: Bool, doubtfulStretches: [NamedStretch], microphoneShift: RoomDiarizer.MicrophoneShift?) {
        guard (1...8).contains(speakers) else { throw .invalid("--speakers must be between 1 and 8 for one microphone in the room") }
        let (allNames, indexOfLabel) = try naming(speakers: speakers, labels: labels, enrolled: enrolled.map(\.name) + stretches.map(\.name))
        // The segmentation network's pass, alongside (used where the overlap is found from the voices, 2b).
        var segmentation: SegmentationPass? = nil
        if speakerSegmentation && voiceOverlap != nil && speakers >= 2 {
            do { segmentation = SegmentationPass(source: try open()) } catch { throw .source(error) }
        }
        defer { segmentation?.cancel() }

        var diarizer: RoomDiarizer? = nil
        var format: StreamFormat? = nil
        var hop = 1
        var usedSpatial = false
        // Overlap from the stereo cues: two people only, where the one not labelled is the other one.
        let findOverlap = speakers == 2 ? overlap : nil
        var frameGeometry: FrameGeometry? = nil
        let (speech, foundOverlaps, reportSpeech) = try frontEnd(open: open, config: config, spatial: spatial, overlap: findOverlap, speechGate: speechGate) { geometry, useSpatial in
            frameGeometry = geometry
            hop = geometry.hopLength
            usedSpatial = useSpatial
            var chosen = options
            if useSpatial { chosen.switchPenalty = options.spatialSwitchPenalty }
            diarizer = RoomDiarizer(speakers: speakers, framesPerSecond: Double(geometry.sampleRate) / Double(hop), options: chosen)
        } format: { format = $0 } frame: { features, isSpeech, _ in
            diarizer?.push(features: features, speech: isSpeech)
        }
        var labelled: RoomDiarizer.Labels? = nil
        var embeddingFailure: Failure? = nil
        if diarizer != nil {
            labelled = withoutActuallyEscaping(open) { open in
                diarizer!.finishBlocks(enrolled: enrolled.map(\.voice), embed: options.voiceEmbedding ? { windows in
                    guard let frameGeometry else { return nil }
                    do throws(Failure) { return try embedWindows(windows, open: open, geometry: frameGeometry, network: options.voiceNetwork) } catch {
                        embeddingFailure = error
                        return nil
                    }
                } : nil)
            }
        }
        if let embeddingFailure { throw embeddingFailure }
        if let matching, labelled != nil { relabel(&labelled!, like: matching, speakers: speakers, hop: hop) }
        let rate = format?.sampleRate ?? 1
        var doubtful: [NamedStretch] = []
        if !stretches.isEmpty {
            guard labelled != nil else { throw .stretchWithoutSpeech(name: stretches[0].name, foundSeconds: 0) }
            doubtful = try name(&labelled!, by: stretches, after: enrolled.count, speakers: speakers, hop: hop, rate: rate)
        }
        // A talker split in two to make up `speakers` is one person again where the segmentation network hears
        // one voice, the voices are alike and one part hardly speaks (`RoomDiarizer.Options.SameVoice`).
        if let same = options.sameLocalSpeaker, enrolled.isEmpty, stretches.isEmpty, matching == nil,
           let segmentation, labelled != nil, let frameGeometry, let similarity = diarizer?.voiceSimilarity(labelled!),
           let map = sameLocalSpeaker(classes: try segmentation.classes(), labels: labelled!, geometry: frameGeometry, speakers: speakers,
                                      same: same, similarity: similarity) {
            labelled!.rename(map)
        }
        // With `options.fewerPeopleWeight` (no enrolment or stretches, no matching) `speakers` is the most people: the
        // report has those found (at least one), with the first names.
        let atMost = options.fewerPeopleWeight != nil && enrolled.isEmpty && stretches.isEmpty && matching == nil
        let people = atMost ? max(1, labelled?.peopleFound ?? 0) : speakers
        let names = Array(allNames.prefix(people))
        let overlaps = people == 2 ? foundOverlaps : nil

        // 3. The conversation, as for one microphone per person: frame by frame, the frames between the
        // diarizer's blocks silent (no label per frame is held).
        var conversation = ConversationAnalyzer(speakerCount: people, hopSamples: hop, sampleRate: rate, config: config)
        var shaper = PauseShaper(people: people, config: config, framesPerSecond: Double(rate) / Double(hop))
        var reportFrames = reportSpeech.map { SpeechFrames(segments: $0, hopSamples: hop) }
        func emit(_ frame: UnsafeBufferPointer<Bool>) { shaper.push(frame, speech: reportFrames?.next() ?? true, to: &conversation) }
        let silent = [Bool](repeating: false, count: people)
        var active = silent
        var pushed = 0
        var nextOverlap = 0
        let underneath = overlaps == nil ? labelled?.underlying(maxFrames: Int((Self.maxExcursionSeconds * Double(rate) / Double(hop)).rounded())) : nil
        // 2b. Overlapped speech where the stereo cues do not say it: from the speaker segmentation network
        // (`SpeakerSegmenter`) and from the voices' own models (`VoiceOverlapFinder`), the network's where both
        // say someone.
        var voiceRuns: [(frames: Range<Int>, person: Int)] = []
        var voicesScored = false
        // The segmentation network's classes and who its local speakers are, per chunk (for 2b and 2c).
        var network: (classes: [UInt8], personOf: [Int])? = nil
        if people >= 2, let segmentation, let labelled, let frameGeometry {
            let classes = try segmentation.classes()
            network = (classes, localSpeakerPeople(classes: classes, labels: labelled, geometry: frameGeometry, speakers: speakers))
        }
        if overlaps == nil, people >= 2, let labelled, let frameGeometry, let voiceOverlap {
            var fromNetwork: [(frames: Range<Int>, person: Int)]? = nil
            if let network {
                fromNetwork = segmentedOverlaps(classes: network.classes, personOf: network.personOf, labels: labelled, geometry: frameGeometry,
                                                minimumSeconds: config.minSpeechSeconds)
            }
            // Who is heard underneath the network's runs is the voices' call (with two people, the other one).
            let voices = try voiceOverlaps(open: open, geometry: frameGeometry, labels: labelled, underneath: underneath,
                                           speakers: speakers, options: voiceOverlap, attributing: fromNetwork ?? [])
            let fromVoices = voices?.runs
            if let attributed = voices?.attributed, fromNetwork != nil { fromNetwork = attributed }
            if fromVoices != nil || fromNetwork != nil {
                voiceRuns = merged(fromNetwork ?? [], over: fromVoices ?? [])
                voicesScored = true
            }
        }
        // 2c. Changes of person with no silence between, moved from the blocks' edges to the frame the
        // segmentation network hears them at.
        var changes: [(frames: Range<Int>, person: Int)] = []
        if let seconds = options.changeRefinementSeconds, let network, let labelled, let frameGeometry {
            changes = refinedChanges(classes: network.classes, labels: labelled, geometry: frameGeometry, personOf: network.personOf,
                                     underneath: underneath, maxShiftFrames: Int((seconds * Double(rate) / Double(hop)).rounded()))
        }
        var nextVoiceRun = 0
        var nextChange = 0
        var block = 0
        func emitBlock(_ frames: Range<Int>, label: Int, holder: Int8) {
            silent.withUnsafeBufferPointer { for _ in pushed..<frames.lowerBound { emit($0) } }
            let person = indexOfLabel[label]
            active[person] = true
            if holder >= 0 {
                let other = indexOfLabel[Int(holder)]
                active[other] = true
                active.withUnsafeBufferPointer { for _ in frames { emit($0) } }
                active[other] = false
            } else if let overlaps {
                // Two people: within a block of one, the frames the stereo cues find overlapped are the
                // other's as well.
                let other = indexOfLabel[1 - label]
                for k in frames {
                    while nextOverlap < overlaps.count && overlaps[nextOverlap].upperBound <= k { nextOverlap += 1 }
                    active[other] = nextOverlap < overlaps.count && overlaps[nextOverlap].contains(k)
                    active.withUnsafeBufferPointer { emit($0) }
                }
                active[other] = false
            } else if !voiceRuns.isEmpty {
                // Within a block of one, the frames the voices find overlapped are the other person's as well.
                for k in frames {
                    while nextVoiceRun < voiceRuns.count && voiceRuns[nextVoiceRun].frames.upperBound <= k { nextVoiceRun += 1 }
                    let run = nextVoiceRun < voiceRuns.count && voiceRuns[nextVoiceRun].frames.contains(k) ? voiceRuns[nextVoiceRun].person : -1
                    let other = run >= 0 ? indexOfLabel[run] : -1
                    if other >= 0 { active[other] = true }
                    active.withUnsafeBufferPointer { emit($0) }
                    if other >= 0 && other != person { active[other] = false }
                }
            } else {
                active.withUnsafeBufferPointer { for _ in frames { emit($0) } }
            }
            active[person] = false
            pushed = frames.upperBound
        }
        labelled?.forEachBlock { blockFrames, blockLabel in
            let holder = underneath.map { $0[block] } ?? -1
            block += 1
            // The block, in pieces where a moved change gives some of its frames to the person next to it.
            var start = blockFrames.lowerBound
            while start < blockFrames.upperBound {
                while nextChange < changes.count && changes[nextChange].frames.upperBound <= start { nextChange += 1 }
                var end = blockFrames.upperBound, label = Int(blockLabel)
                if nextChange < changes.count {
                    let change = changes[nextChange]
                    if change.frames.lowerBound <= start {
                        label = change.person
                        end = min(end, change.frames.upperBound)
                    } else {
                        end = min(end, change.frames.lowerBound)
                    }
                }
                emitBlock(start..<end, label: label, holder: holder)
                start = end
            }
        }
        silent.withUnsafeBufferPointer { for _ in pushed..<(labelled?.frameCount ?? 0) { emit($0) } }
        shaper.finish(to: &conversation)
        conversation.finish()
        let segments = conversation.segments.map { seg -> SpeechSegment in
            var s = seg
            s.endSample = min(s.endSample, speech.durationSamples)
            return s
        }.sorted { ($0.startSample, $0.speaker) < ($1.startSample, $1.speaker) }
        var result = SessionResult(sampleRate: rate, channelCount: format?.channelCount ?? 1, durationSamples: speech.durationSamples,
                                   speakers: conversation.summaries(labels: names), segments: segments, turns: conversation.turns,
                                   events: conversation.events, balance: conversation.balance,
                                   marks: stretches.map { Mark(kind: .enrol, sample: $0.samples.lowerBound, person: names.firstIndex(of: $0.name)) }
                                       .sorted { $0.sample < $1.sample },
                                   silenceSamples: conversation.silenceSamples, overlapSamples: conversation.overlapSamples,
                                   pauseCount: conversation.pauseCount, gapCount: conversation.gapCount, config: config)
        let silentPeople = result.speakers.filter { $0.talkSamples == 0 }.map(\.label)
        if !atMost && speakers > 1 && !silentPeople.isEmpty {
            result.note = SessionResult.fewerVoices(found: speakers - silentPeople.count, of: speakers, silent: silentPeople)
        }
        if voicesScored && segmentation != nil {
            result.overlapInPart = SessionResult.overlapFromVoices
            result.backchannelsInPart = true
        } else if voicesScored {
            result.overlapInPart = SessionResult.overlapFromVoicesAlone
            if voiceOverlap?.reportsBackchannels != true { result.dropBackchannels() }
        } else if overlaps == nil {
            result.overlapNotMeasured = SessionResult.shortRunsOnly
        }
        return (result, usedSpatial, doubtful, diarizer?.microphoneShift)
    }

    /// The room front end, shared by sessions and enrolment: (1) the usual pipeline finds speech on the
    /// mono mix (and, for a stereo recording that may use them, measures whether the two channels carry
    /// position); (2) a second pass computes the mel cepstra and the smoothed pitch of every 10 ms frame (window centred on the
    /// hop), followed by the stereo cues when used, and hands each to `frame` with whether it is speech
    /// and the hop in samples. `start` gets the frame geometry and whether the stereo cues are used
    /// before the first frame. Returns the speech found.
    private static func frontEnd(open: () throws -> AudioSource, config: AnalysisConfig, spatial: Bool?,
                                 overlap: StereoOverlapFinder.Options?, speechGate: SpeechGate.Options?,
                                 start: (FrameGeometry, Bool) -> Void, format: (StreamFormat) -> Void = { _ in },
                                 frame: (UnsafeBufferPointer<Float>, Bool, Int) -> Void) throws(Failure)
        -> (speech: SessionResult, overlaps: [Range<Int>]?, reportSpeech: [Range<Int>]?) {
        // 1. Speech on the mono mix. No soft word ends here: on one microphone for everyone a trailing
        // soft end is as likely the next person's start (it measured worse).
        let first: AudioSource
        do { first = try open() } catch { throw .source(error) }
        format(first.format)
        let rate = first.format.sampleRate
        // The detector bridges at `detectionBridgeSeconds` whatever `--bridge-pause` says (see `PauseShaper`); with a
        // shorter `--bridge-pause` a second detector finds the speech the report keeps.
        let vad: SessionAnalyzer, finer: SessionAnalyzer?
        do {
            vad = try SessionAnalyzer(format: StreamFormat(sampleRate: rate, channelCount: 1), config: PauseShaper.detection(config), softWordEdges: false)
            finer = PauseShaper.needsFinerDetector(config)
                ? try SessionAnalyzer(format: StreamFormat(sampleRate: rate, channelCount: 1), config: PauseShaper.finer(config), softWordEdges: false) : nil
        } catch {
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
        // Voicing of every frame of the mix, to keep only speech that is voiced (see `VoicedFrames`).
        let voicingCepstrum = MelCepstrum(geometry: geometry, coefficients: coefficients)
        var voicingScratch = [Float](repeating: 0, count: coefficients)
        var voiced = VoicedFrames(hopLength: hop)
        var monoFrames = StereoFramer(windowLength: n, hopLength: hop)
        // The neural speech detector, to drop noises that pass the voicing check (see `SpeechGate`).
        let network = speechGate.map { _ in SpeechNetwork(sampleRate: rate) }
        var gate = speechGate.map { SpeechGate(sampleRate: rate, options: $0) }
        var mono: [Float] = []
        do {
            try forEachMonoBlock(first, into: &mono, stereo: cues == nil ? nil : { left, right in
                stereoFrames.push(left: left, right: right) { l, r in
                    let f = cues!.analyze(left: l, right: r)
                    // Loud frames only: a voice, not the noise between voices.
                    let floor = loudness.update(levelDB: f.levelDB)
                    if f.levelDB > floor + 15 { detector.add(levelDifferenceDB: f.levelDifferenceDB, delaySamples: f.delaySamples) }
                }
            }) { block in
                vad.process(interleaved: block)
                finer?.process(interleaved: block)
                network?.push(block) { gate?.add(probability: $0) }
                monoFrames.push(left: block, right: block) { w, _ in
                    voicingScratch.withUnsafeMutableBufferPointer { voicingCepstrum.analyze(samples: w, into: $0) }
                    voiced.append(voicingCepstrum.voicing >= MelCepstrum.voicingThreshold)
                }
            }
        } catch { throw .source(error) }
        let found = vad.finish()
        var finerSegments = finer?.finish().segments
        // Speech segments that are hardly voiced (room noises, rustle, distant clatter) are not speech.
        var speech = found
        func isVoiced(_ s: SpeechSegment) -> Bool {
            voiced.fraction(fromSample: s.startSample, toSample: s.endSample, windowLength: n) >= VoicedFrames.minVoicedFraction
        }
        speech.segments = found.segments.filter(isVoiced)
        // (The finer detector's pieces only carve pauses out of that speech: not checked on their own.)
        // Nor is what the neural speech detector finds no speech in or near.
        if var g = gate {
            network?.finish { g.add(probability: $0) }
            g.finish()
            speech.segments = g.keep(speech.segments, minimumSamples: hop)
            finerSegments = finerSegments.map { g.keep($0, minimumSamples: hop) }
        }
        let reportSpeech = finerSegments?.map { $0.startSample..<$0.endSample }
        let frameCount = (speech.durationSamples + hop - 1) / hop
        let useSpatial = cues != nil && (spatial == true || detector.isSpatial)
        // The delay only where it varies (spaced capsules): coincident capsules give 0 but for a few
        // stray frames, and normalised to unit variance those strays split people.
        let useDelay = useSpatial && detector.carriesDelay
        start(geometry, useSpatial)

        // 2. Mel cepstra and the smoothed pitch per frame (window centred on the hop). With spatial cues, the level difference
        // and the delay follow the cepstra, repeated so that they weigh about as much as the voice (the
        // diarizer normalises each feature to unit variance, so a feature repeated k times counts k times).
        let cepstrum = MelCepstrum(geometry: geometry, coefficients: coefficients)
        var pitch = SmoothedPitch()
        var features = [Float](repeating: 0, count: voiceFeatures + (useSpatial ? levelRepeats : 0) + (useDelay ? delayRepeats : 0))
        let capacity = ringSize(n)
        var ring = [Float](repeating: 0, count: capacity)
        var leftRing = [Float](repeating: 0, count: useSpatial ? capacity : 0)
        var rightRing = leftRing
        var leftWindow = [Float](repeating: 0, count: useSpatial ? n : 0)
        var rightWindow = leftWindow
        var fed = 0, index = 0, segment = 0
        var window = [Float](repeating: 0, count: n)
        var overlapFinder = useSpatial ? overlap.map { StereoOverlapFinder(options: $0) } : nil
        func isSpeech(_ k: Int) -> Bool {
            let centre = k * hop + hop / 2
            while segment < speech.segments.count && speech.segments[segment].endSample <= centre { segment += 1 }
            guard segment < speech.segments.count else { return false }
            return speech.segments[segment].startSample <= centre
        }
        func analyzeReadyFrames(final: Bool) {
            while index < frameCount && (final || fed >= index * hop + hop / 2 + n / 2) {
                let start = index * hop + hop / 2 - n / 2
                copyWindow(from: ring, start: start, fed: fed, into: &window)
                window.withUnsafeBufferPointer { w in
                    features.withUnsafeMutableBufferPointer { cepstrum.analyze(samples: w, into: UnsafeMutableBufferPointer(rebasing: $0[0..<coefficients])) }
                }
                features[coefficients] = pitch.update(pitchHz: cepstrum.pitchHz)
                if useSpatial, let cues {
                    for i in 0..<n {
                        let j = start + i
                        let inside = j >= 0 && j < fed && j >= fed - capacity
                        leftWindow[i] = inside ? leftRing[j & (capacity - 1)] : 0
                        rightWindow[i] = inside ? rightRing[j & (capacity - 1)] : 0
                    }
                    let f = leftWindow.withUnsafeBufferPointer { l in rightWindow.withUnsafeBufferPointer { r in cues.analyze(left: l, right: r) } }
                    for k in 0..<levelRepeats { features[voiceFeatures + k] = f.levelDifferenceDB }
                    if useDelay { for k in 0..<delayRepeats { features[voiceFeatures + levelRepeats + k] = Float(f.delaySamples) } }
                    overlapFinder?.push(spreadDB: cues.levelSpreadDB(), speech: isSpeech(index))
                }
                features.withUnsafeBufferPointer { frame($0, isSpeech(index), hop) }
                index += 1
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
                    if fed >= index * hop + hop / 2 + n / 2 { analyzeReadyFrames(final: false) }
                }
            }
        } catch { throw .source(error) }
        analyzeReadyFrames(final: true)
        overlapFinder?.finish()
        return (speech, overlapFinder?.runs, reportSpeech)
    }

    /// Two more passes over the recording for `VoiceOverlapFinder`: the first gathers each person's
    /// frames said alone (blocks of one person, not under a short run of another), the second scores
    /// every frame. Returns the overlapped frames and the diarizer's label of the person underneath; nil when
    /// fewer than two people said enough alone to be modelled.
    ///
    /// `attributing`: other runs of someone heard underneath (the segmentation network's), returned in
    /// `attributed` with each run's person the voices' call: the frames of a run, as the second pass scores
    /// them (each as its labelled person with each other one underneath, `VoiceOverlapFinder.gains`), give
    /// each other person a mean gain, and the run goes to the highest. The network says when well but, with
    /// three people, often not who: a listener's backchannel leaves them no frame alone in the chunk to be
    /// matched by, so it went to whoever spoke most nearby (docs/ACCURACY.md, "one person, who is underneath
    /// with three people, and backchannels"). A run whose person has no model, or with no frame scored,
    /// keeps its person.
    private static func voiceOverlaps(open: () throws -> AudioSource, geometry: FrameGeometry, labels: RoomDiarizer.Labels,
                                      underneath: [Int8]?, speakers: Int, options: VoiceOverlapFinder.Options,
                                      attributing candidates: [(frames: Range<Int>, person: Int)] = []) throws(Failure)
        -> (runs: [(frames: Range<Int>, person: Int)], attributed: [(frames: Range<Int>, person: Int)])? {
        var finder = VoiceOverlapFinder(people: speakers, options: options)
        // Per candidate run and person: the sum and number of the gains scored.
        var sums = [Double](repeating: 0, count: candidates.count * speakers), counts = [Int](repeating: 0, count: candidates.count * speakers)
        var run = 0
        let mel = MelCepstrum(geometry: geometry, melBands: options.melBands, coefficients: 1, estimatesPitch: false, bandHz: options.bandHz)
        var scratch = [Float](repeating: 0, count: 1)
        for pass in 0..<2 {
            var cursor = RoomDiarizer.Labels.FrameCursor(labels)
            let source: AudioSource
            do { source = try open() } catch { throw .source(error) }
            do {
                try forEachFrame(source, geometry: geometry, frameCount: labels.frameCount) { k, window in
                    let (label, block) = cursor.label(at: k)
                    let alone = label >= 0 && (underneath.map { $0[block] < 0 } ?? true)
                    if pass == 0 && !alone { return }
                    scratch.withUnsafeMutableBufferPointer { mel.analyze(samples: window, into: $0) }
                    mel.withLogMelEnergies { energies in
                        if pass == 0 { finder.collect(energies, person: Int(label)); return }
                        finder.score(energies, person: alone ? Int(label) : -1)
                        while run < candidates.count && candidates[run].frames.upperBound <= k { run += 1 }
                        guard run < candidates.count, candidates[run].frames.contains(k) else { return }
                        for q in 0..<speakers where !finder.gains[q].isNaN {
                            sums[run * speakers + q] += Double(finder.gains[q])
                            counts[run * speakers + q] += 1
                        }
                    }
                }
            } catch { throw .source(error) }
            if pass == 0 {
                finder.train()
                guard finder.canScore else { return nil }
            }
        }
        finder.finish()
        let attributed = candidates.enumerated().map { i, candidate -> (frames: Range<Int>, person: Int) in
            guard finder.models[candidate.person] != nil else { return candidate }
            var best = candidate.person, bestMean = -Double.infinity
            for q in 0..<speakers where counts[i * speakers + q] > 0 {
                let mean = sums[i * speakers + q] / Double(counts[i * speakers + q])
                if mean > bestMean { best = q; bestMean = mean }
            }
            return (candidate.frames, best)
        }
        return (joined(finder.runs, labels: labels, maxFrames: options.joinFrames), attributed)
    }

    /// The speaker segmentation network's pass over the recording (`SpeakerSegmenter` on the mono mix), on a
    /// thread of its own from the start of the analysis: it needs only the audio, so on a second core it
    /// costs no time. The source is opened before and then read by that thread alone. `cancel` stops it
    /// at the next block; `classes` waits for it.
    final class SegmentationPass: @unchecked Sendable {
        private let lock = NSLock()
        private let finished = DispatchSemaphore(value: 0)
        private var result: Result<[UInt8], Failure>? = nil
        private var cancelled = false
        private let source: AudioSource

        init(source: AudioSource) {
            self.source = source
            Thread.detachNewThread { [self] in
                let outcome = Result { () throws(Failure) -> [UInt8] in try self.run() }
                lock.withLock { result = outcome }
                finished.signal()
            }
        }

        func cancel() { lock.withLock { cancelled = true } }

        func classes() throws(Failure) -> [UInt8] {
            finished.wait()
            finished.signal()
            return try lock.withLock { result! }.get()
        }

        private func run() throws(Failure) -> [UInt8] {
            var segmenter = SpeakerSegmenter(sampleRate: source.format.sampleRate)
            var mono: [Float] = []
            var failure: SpeakerSegmenter.Failure? = nil
            do {
                try RoomAnalysis.forEachMonoBlock(source, into: &mono) { block in
                    guard failure == nil, !lock.withLock({ cancelled }) else { return }
                    do throws(SpeakerSegmenter.Failure) { try segmenter.push(block) } catch { failure = error }
                }
            } catch { throw .source(error) }
            if failure == nil { do throws(SpeakerSegmenter.Failure) { try segmenter.finish() } catch { failure = error } }
            if let failure { throw .source(failure) }
            return segmenter.frameClasses
        }
    }

    /// Who each 10 s chunk's local speakers of the segmentation network are: per chunk and local speaker
    /// (`chunk * 3 + slot`), the person (-1: nobody). Each local speaker is the person it shares most frames
    /// with (of the frames the network gives to one speaker alone; each person to one local speaker at most).
    /// Memory: a count per chunk, local speaker and person.
    static func localSpeakerPeople(classes: [UInt8], labels: RoomDiarizer.Labels, geometry: FrameGeometry, speakers: Int) -> [Int] {
        let perChunk = SpeakerSegmenter.framesPerChunk
        let chunks = (classes.count + perChunk - 1) / perChunk
        func networkFrame(_ k: Int) -> Int { Self.networkFrame(k, geometry: geometry) }
        // Frames shared by each chunk's local speaker and each person.
        var shared = [Int](repeating: 0, count: chunks * 3 * speakers)
        var cursor = RoomDiarizer.Labels.FrameCursor(labels)
        for k in 0..<labels.frameCount {
            let label = Int(cursor.label(at: k).label)
            let g = networkFrame(k)
            guard label >= 0, g < classes.count, (1...3).contains(classes[g]) else { continue }
            shared[(g / perChunk * 3 + Int(classes[g]) - 1) * speakers + label] += 1
        }
        // The one-to-one match with the most shared frames (`BestAssignment`, the smaller side as rows); a
        // local speaker who shares no frame with the person matched gets nobody.
        var personOf = [Int](repeating: -1, count: chunks * 3)
        for c in 0..<chunks {
            func score(_ slot: Int, _ person: Int) -> Double { Double(shared[(c * 3 + slot) * speakers + person]) }
            if speakers <= 3 {
                let slotOf = BestAssignment.solve((0..<speakers).map { p in (0..<3).map { score($0, p) } })
                for (person, slot) in slotOf.enumerated() where score(slot, person) > 0 { personOf[c * 3 + slot] = person }
            } else {
                let match = BestAssignment.solve((0..<3).map { slot in (0..<speakers).map { score(slot, $0) } })
                for (slot, person) in match.enumerated() where score(slot, person) > 0 { personOf[c * 3 + slot] = person }
            }
        }
        // A local speaker never alone in its chunk (an interrupter heard only over the floor holder) is the
        // person, of those not given to another local speaker there, who speaks most in the chunk and the
        // ones either side. Local speakers the network never says speak in the chunk get nobody.
        var spoken = [Int](repeating: 0, count: chunks * speakers)
        for c in 0..<chunks { for slot in 0..<3 { for person in 0..<speakers { spoken[c * speakers + person] += shared[(c * 3 + slot) * speakers + person] } } }
        var heard = [Bool](repeating: false, count: chunks * 3)
        for (g, c) in classes.enumerated() { for slot in SpeakerSegmenter.speakers(ofClass: c) { heard[g / perChunk * 3 + slot] = true } }
        var used = [Bool](repeating: false, count: speakers)
        for c in 0..<chunks {
            for person in 0..<speakers { used[person] = (0..<3).contains { personOf[c * 3 + $0] == person } }
            for slot in 0..<3 where personOf[c * 3 + slot] < 0 && heard[c * 3 + slot] {
                var best = -1, bestFrames = -1
                for person in 0..<speakers where !used[person] {
                    var frames = 0
                    for n in max(0, c - 1)...min(chunks - 1, c + 1) { frames += spoken[n * speakers + person] }
                    if frames > bestFrames { best = person; bestFrames = frames }
                }
                if best >= 0 { personOf[c * 3 + slot] = best; used[best] = true }
            }
        }
        return personOf
    }

    /// Where one person's speech hands over to another's with no silence between, the labels change at an
    /// edge of the re-segmentation's blocks (up to 0.2 s of speech each), so up to a block from the true
    /// change. The segmentation network says who speaks every 16.875 ms: each such change moves to the frame
    /// where the fewest frames disagree with the people the network hears alone (its local speakers as
    /// `localSpeakerPeople` maps them; only in chunks where both people are local speakers: where the network
    /// hears one voice for the two, it cannot place the change), and only where fewer disagree than at the
    /// block edge (ties: the nearest the edge; `bestChange`). It moves at most `maxShiftFrames`, never across
    /// the change before, and leaves each block at least one frame, but for a block at the start or the end of
    /// a stretch of speech, which may go whole (a frame of it left alone is no speech). Changes into or out of
    /// a run heard underneath another person's speech (`underneath`) stay. Returns the frames whose person
    /// changes and their new person, in time order. Memory: the runs returned and four blocks.
    static func refinedChanges(classes: [UInt8], labels: RoomDiarizer.Labels, geometry: FrameGeometry, personOf: [Int],
                               underneath: [Int8]?, maxShiftFrames: Int) -> [(frames: Range<Int>, person: Int)] {
        guard maxShiftFrames > 0 else { return [] }
        let perChunk = SpeakerSegmenter.framesPerChunk
        /// The person the network hears alone at frame `k` (-1: nobody, two people, or a local speaker nobody is).
        func alone(_ k: Int) -> Int {
            let g = networkFrame(k, geometry: geometry)
            guard g < classes.count, (1...3).contains(classes[g]) else { return -1 }
            return personOf[g / perChunk * 3 + Int(classes[g]) - 1]
        }
        var out: [(frames: Range<Int>, person: Int)] = []
        typealias Block = (frames: Range<Int>, label: Int, block: Int)
        var lastChange = Int.min
        /// The change between `p` and `q`, with the blocks either side of them (nil: none, or silence between):
        /// a block at the edge of a stretch of speech may go whole, elsewhere it keeps a frame.
        func consider(_ x: Block?, _ p: Block, _ q: Block, _ next: Block?) {
            guard p.frames.upperBound == q.frames.lowerBound, p.label >= 0, q.label >= 0, p.label != q.label else { return }
            if let underneath, underneath[p.block] >= 0 || underneath[q.block] >= 0 { return }
            let (a, b, edge) = (p.label, q.label, q.frames.lowerBound)
            let startsStretch = x.map { $0.frames.upperBound != p.frames.lowerBound } ?? true
            let endsStretch = next.map { $0.frames.lowerBound != q.frames.upperBound } ?? true
            let low = max(edge - min(maxShiftFrames, p.frames.count - (startsStretch ? 0 : 1)), lastChange + 1)
            let high = edge + min(maxShiftFrames, q.frames.count - (endsStretch ? 0 : 1))
            // Only where the network tells the two apart: in a chunk where one of them is none of its local
            // speakers, it hears both voices as one, and says nothing about where one gives way to the other.
            func toldApart(_ k: Int) -> Int {
                let c = networkFrame(k, geometry: geometry) / perChunk
                let people = personOf[(c * 3)..<(c * 3 + 3)]
                return people.contains(a) && people.contains(b) ? alone(k) : -1
            }
            guard high > low, let change = bestChange(from: a, to: b, edge: edge, within: low..<high, heardAlone: toldApart) else { return }
            lastChange = change
            if change < edge { out.append((change..<edge, b)) } else { out.append((edge..<change, a)) }
        }
        // The last four blocks: the change between the middle two is decided once the one after them is known.
        var window: [Block] = []
        var block = 0
        labels.forEachBlock { frames, label in
            window.append((frames, Int(label), block))
            block += 1
            if window.count > 4 { window.removeFirst() }
            if window.count == 4 {
                consider(window[0], window[1], window[2], window[3])
            } else if window.count == 3 {
                consider(nil, window[0], window[1], window[2])
            }
        }
        if window.count >= 2 {
            consider(window.count >= 3 ? window[window.count - 3] : nil, window[window.count - 2], window[window.count - 1], nil)
        }
        return out
    }

    /// Where, in `frames` (which hold `edge`), a change from person `a` to person `b` disagrees least with
    /// who the segmentation network hears alone (`heardAlone(k)`, -1: nobody or not known): the first frame
    /// of `b`, when fewer frames disagree there than at `edge` (ties: the nearest `edge`) and most of the frames
    /// that change person are heard as the person they go to; nil: `edge` stays.
    /// Used offline (`refinedChanges`) and live (`RoomSessionAnalyzer`).
    static func bestChange(from a: Int, to b: Int, edge: Int, within frames: Range<Int>, heardAlone: (Int) -> Int) -> Int? {
        guard frames.count > 0 else { return nil }
        // Disagreements with the change at c: frames before c heard as b, and from c on heard as a.
        var cost = 0
        for k in frames where heardAlone(k) == a { cost += 1 }
        var best = (change: frames.lowerBound, cost: cost), atEdge = frames.lowerBound == edge ? cost : Int.max
        for k in frames {
            let who = heardAlone(k)
            if who == a { cost -= 1 } else if who == b { cost += 1 }
            let c = k + 1
            if c == edge { atEdge = cost }
            if cost < best.cost || (cost == best.cost && abs(c - edge) < abs(best.change - edge)) { best = (c, cost) }
        }
        guard best.cost < atEdge else { return nil }
        // The frames that change person: most of them heard as the person they go to.
        let moved = min(best.change, edge)..<max(best.change, edge), to = best.change < edge ? b : a
        return 2 * moved.filter { heardAlone($0) == to }.count > moved.count ? best.change : nil
    }

    /// Overlapped speech from the segmentation network: where its frame says two local speakers and the
    /// analysis' label is one of them, the other is heard too. Each chunk's local speakers are the people
    /// `personOf` says (`localSpeakerPeople`). Returns runs of frames and the person added, each at least
    /// `minimumSeconds` long (the shortest speech counted anywhere, `AnalysisConfig.minSpeechSeconds`).
    static func segmentedOverlaps(classes: [UInt8], personOf: [Int], labels: RoomDiarizer.Labels, geometry: FrameGeometry,
                                  minimumSeconds: Double = 0) -> [(frames: Range<Int>, person: Int)] {
        let perChunk = SpeakerSegmenter.framesPerChunk
        var runs: [(frames: Range<Int>, person: Int)] = []
        var cursor = RoomDiarizer.Labels.FrameCursor(labels)
        for k in 0..<labels.frameCount {
            let label = Int(cursor.label(at: k).label)
            let g = networkFrame(k, geometry: geometry)
            guard label >= 0, g < classes.count else { continue }
            let local = SpeakerSegmenter.speakers(ofClass: classes[g])
            guard local.count == 2 else { continue }
            let chunk = g / perChunk
            let a = personOf[chunk * 3 + local[0]], b = personOf[chunk * 3 + local[1]]
            let other = a == label ? b : (b == label ? a : -1)
            guard other >= 0 else { continue }
            if let last = runs.last, last.person == other, last.frames.upperBound == k {
                runs[runs.count - 1].frames = last.frames.lowerBound..<(k + 1)
            } else {
                runs.append((k..<(k + 1), other))
            }
        }
        // Handovers: a run that continues the added person's own block (their speech going on into the next
        // person's, or begun before it) loses `handoverSeconds` on its other side; one with that person's
        // blocks on both sides goes.
        let handoverFrames = Int((Self.handoverSeconds * Double(geometry.sampleRate) / Double(geometry.hopLength)).rounded())
        let minimumFrames = Int((minimumSeconds * Double(geometry.sampleRate) / Double(geometry.hopLength)).rounded())
        var trimmed: [(frames: Range<Int>, person: Int)] = []
        for run in runs {
            var lower = run.frames.lowerBound, upper = run.frames.upperBound
            let before = lower > 0 && Int(labels.label(at: lower - 1)) == run.person
            let after = upper < labels.frameCount && Int(labels.label(at: upper)) == run.person
            if before && after { continue }
            if before { upper -= handoverFrames }
            if after { lower += handoverFrames }
            if upper - lower >= max(1, minimumFrames) { trimmed.append((lower..<upper, run.person)) }
        }
        return trimmed
    }

    /// The segmentation network's frame (index into its classes) nearest the centre of analysis frame `k`.
    static func networkFrame(_ k: Int, geometry: FrameGeometry) -> Int {
        let perChunk = SpeakerSegmenter.framesPerChunk
        let scale = Double(SpeakerSegmenter.sampleRate) / Double(geometry.sampleRate)
        let centre = (Double(k * geometry.hopLength) + Double(geometry.hopLength) / 2) * scale
        let chunk = Int(centre) / SpeakerSegmenter.chunkSamples
        let within = centre - Double(chunk * SpeakerSegmenter.chunkSamples) - Double(SpeakerSegmenter.frameSpanSamples) / 2
        let i = min(max(Int((within / Double(SpeakerSegmenter.frameStepSamples)).rounded()), 0), perChunk - 1)
        return chunk * perChunk + i
    }

    /// People the segmentation network hears as one voice (`RoomDiarizer.Options.SameVoice`): per 10 s
    /// chunk, each person's frames where the network says one local speaker alone go mostly (at least
    /// `same.purity`) to one local speaker, when there are at least `same.seconds` of them. Two people
    /// with the same local speaker in some chunk and different ones in none, whose `similarity` (row-major
    /// `speakers` x `speakers`; nil: never merged) is at least `same.similarity`, and one of whom has at
    /// most `same.maxTalkSeconds` of speech, are merged (and groups so merged, while no two of their
    /// people were told apart). Returns the renaming of the labels (merged
    /// people to one label, then numbered in order of first appearance), or nil when nobody merges.
    /// Memory: a count per chunk, local speaker and person.
    static func sameLocalSpeaker(classes: [UInt8], labels: RoomDiarizer.Labels, geometry: FrameGeometry, speakers: Int,
                                 same options: RoomDiarizer.Options.SameVoice, similarity: [Double?]) -> [Int8]? {
        guard speakers >= 2 else { return nil }
        let perChunk = SpeakerSegmenter.framesPerChunk
        var evidence = SameVoiceEvidence(speakers: speakers, firstChunk: 0, chunks: (classes.count + perChunk - 1) / perChunk)
        var cursor = RoomDiarizer.Labels.FrameCursor(labels)
        for k in 0..<labels.frameCount {
            let g = networkFrame(k, geometry: geometry)
            evidence.add(person: Int(cursor.label(at: k).label), networkFrame: g, class: g < classes.count ? classes[g] : 0)
        }
        let framesPerSecond = Double(geometry.sampleRate) / Double(geometry.hopLength)
        return evidence.renaming(labels: labels, same: options, similarity: similarity, framesPerSecond: framesPerSecond)
    }

    /// What `sameLocalSpeaker` decides on: per 10 s chunk of the segmentation network (from `firstChunk`), the
    /// frames of each local speaker (alone) under each person, and each person's frames.
    struct SameVoiceEvidence {
        let speakers: Int
        let firstChunk: Int
        let chunks: Int
        private(set) var shared: [Int]
        private(set) var talk: [Int]

        init(speakers: Int, firstChunk: Int, chunks: Int) {
            self.speakers = speakers
            self.firstChunk = firstChunk
            self.chunks = max(0, chunks)
            shared = [Int](repeating: 0, count: self.chunks * 3 * speakers)
            talk = [Int](repeating: 0, count: speakers)
        }

        /// A frame of `person` (none when outside 0..<speakers), at the network's frame `networkFrame`, whose
        /// class there is `class` (0: none or not known).
        mutating func add(person: Int, networkFrame g: Int, class cls: UInt8) {
            guard person >= 0, person < speakers else { return }
            talk[person] += 1
            let c = g / SpeakerSegmenter.framesPerChunk - firstChunk
            guard c >= 0, c < chunks, (1...3).contains(cls) else { return }
            shared[(c * 3 + Int(cls) - 1) * speakers + person] += 1
        }

        /// The renaming of `labels` that merges the people heard as one voice, or nil (see `sameLocalSpeaker`).
        func renaming(labels: RoomDiarizer.Labels, same options: RoomDiarizer.Options.SameVoice, similarity: [Double?],
                      framesPerSecond: Double) -> [Int8]? {
            guard speakers >= 2 else { return nil }
            let minimumFrames = max(1, Int((options.seconds * framesPerSecond).rounded()))
            let maxTalkFrames = Int((options.maxTalkSeconds * framesPerSecond).rounded())
            var same = [Bool](repeating: false, count: speakers * speakers)
            var apart = [Bool](repeating: false, count: speakers * speakers)
            for c in 0..<chunks {
                var slotOf = [Int](repeating: -1, count: speakers)
                for person in 0..<speakers {
                    let counts = (0..<3).map { shared[(c * 3 + $0) * speakers + person] }
                    let total = counts.reduce(0, +)
                    let top = counts.indices.max { counts[$0] < counts[$1] }!
                    if total >= minimumFrames && Double(counts[top]) >= options.purity * Double(total) { slotOf[person] = top }
                }
                for a in 0..<speakers where slotOf[a] >= 0 {
                    for b in 0..<speakers where b != a && slotOf[b] >= 0 {
                        if slotOf[a] == slotOf[b] { same[a * speakers + b] = true } else { apart[a * speakers + b] = true }
                    }
                }
            }
            var group = Array(0..<speakers)
            for a in 0..<speakers {
                for b in (a + 1)..<max(a + 1, speakers) where same[a * speakers + b] && group[a] != group[b] {
                    guard let alike = similarity[a * speakers + b], alike >= options.similarity else { continue }
                    guard min(talk[a], talk[b]) <= maxTalkFrames else { continue }
                    if let r = options.maxTalkRatio, Double(min(talk[a], talk[b])) > r * Double(max(talk[a], talk[b])) { continue }
                    let ga = (0..<speakers).filter { group[$0] == group[a] }, gb = (0..<speakers).filter { group[$0] == group[b] }
                    guard !ga.contains(where: { i in gb.contains { apart[i * speakers + $0] } }) else { continue }
                    let from = group[b], to = group[a]
                    for i in 0..<speakers where group[i] == from { group[i] = to }
                }
            }
            guard Set(group).count < speakers else { return nil }
            // Renumber in order of first appearance.
            var number = [Int8](repeating: -1, count: speakers)
            var next: Int8 = 0
            labels.forEachBlock { _, label in
                guard label >= 0, Int(label) < speakers else { return }
                let g = group[Int(label)]
                if number[g] < 0 { number[g] = next; next += 1 }
            }
            for g in 0..<speakers where number[g] < 0 && group.contains(g) { number[g] = next; next += 1 }
            return (0..<speakers).map { number[group[$0]] }
        }
    }

    /// How much shorter the network's overlap is made at a change of person: its frames smear each voice's
    /// start and end (a 62 ms receptive field, and the room's reverberation), and what it adds there read
    /// as interruptions where the next person began as the other stopped (DOMAIN: a terminal overlap of up
    /// to 0.25 s is none). Chosen on the tuning rooms (docs/ACCURACY.md, "overlapped speech from the
    /// segmentation network").
    static let handoverSeconds = 0.2

    /// `first`'s runs, and `second`'s where `first` has none, in time order (adjacent runs of one person joined).
    static func merged(_ first: [(frames: Range<Int>, person: Int)], over second: [(frames: Range<Int>, person: Int)])
        -> [(frames: Range<Int>, person: Int)] {
        var out: [(frames: Range<Int>, person: Int)] = []
        var i = 0
        for run in second {
            var start = run.frames.lowerBound
            while i < first.count && first[i].frames.upperBound <= start { i += 1 }
            var j = i
            while start < run.frames.upperBound {
                if j < first.count && first[j].frames.lowerBound < run.frames.upperBound {
                    if first[j].frames.lowerBound > start { out.append((start..<first[j].frames.lowerBound, run.person)) }
                    start = max(start, first[j].frames.upperBound)
                    j += 1
                } else {
                    out.append((start..<run.frames.upperBound, run.person))
                    break
                }
            }
        }
        out += first
        out.sort { $0.frames.lowerBound < $1.frames.lowerBound }
        var joined: [(frames: Range<Int>, person: Int)] = []
        for run in out {
            if let last = joined.last, last.person == run.person, last.frames.upperBound == run.frames.lowerBound {
                joined[joined.count - 1].frames = last.frames.lowerBound..<run.frames.upperBound
            } else {
                joined.append(run)
            }
        }
        return joined
    }

    /// One more pass over the recording for `RoomDiarizer.finishBlocks(embed:)`: each window's frames
    /// (ranges of frames, in time order) through the network (`SpeakerEmbedder`, CAM++, one window at a
    /// time; or `VoiceEmbedder`, 16 windows at a time). Memory: the bands of the windows begun and not
    /// yet embedded (80 or 40 floats a frame; the windows overlap, so a frame is in about three) and one
    /// batch. Nil when the network's memory cannot be had.
    static func embedWindows(_ windows: [[Range<Int>]], open: () throws -> AudioSource,
                             geometry: FrameGeometry, network: RoomDiarizer.Options.VoiceNetwork) throws(Failure) -> [[Float]]? {
        let net = WindowNetwork(network, sampleRate: geometry.sampleRate)
        let (bandCount, batchSize, measure, embed) = (net.bands, net.batchSize, net.measure, net.embed)
        guard geometry.windowLength >= net.windowLength else { return nil }
        var out = [[Float]](repeating: [], count: windows.count)
        var pending: [(window: Int, range: Int, mel: [Float])] = []
        var batch: [(window: Int, mel: [Float])] = []
        var next = 0
        var failed = false
        var bands = [Float](repeating: 0, count: bandCount)
        func flush() {
            guard !batch.isEmpty else { return }
            if let e = embed(batch.map(\.mel)) {
                for (k, item) in batch.enumerated() { out[item.window] = e[k] }
            } else {
                failed = true
            }
            batch.removeAll(keepingCapacity: true)
        }
        let frameCount = windows.map { $0.last?.upperBound ?? 0 }.max() ?? 0
        let source: AudioSource
        do { source = try open() } catch { throw .source(error) }
        do {
            try forEachFrame(source, geometry: geometry, frameCount: frameCount) { k, window in
                while next < windows.count, (windows[next].first?.lowerBound ?? 0) <= k {
                    pending.append((next, 0, []))
                    next += 1
                }
                var measured = false
                var i = 0
                while i < pending.count {
                    let ranges = windows[pending[i].window]
                    while pending[i].range < ranges.count && ranges[pending[i].range].upperBound <= k { pending[i].range += 1 }
                    if pending[i].range < ranges.count && ranges[pending[i].range].contains(k) {
                        if !measured {
                            bands.withUnsafeMutableBufferPointer { measure(window, $0) }
                            measured = true
                        }
                        pending[i].mel.append(contentsOf: bands)
                    }
                    if k + 1 >= (ranges.last?.upperBound ?? 0) {   // its last frame
                        batch.append((pending[i].window, pending[i].mel))
                        pending.remove(at: i)
                        if batch.count >= batchSize { flush() }
                    } else {
                        i += 1
                    }
                }
            }
        } catch { throw .source(error) }
        for p in pending { batch.append((p.window, p.mel)) }
        flush()
        return failed ? nil : out
    }

    /// Runs of a person heard underneath another that stop (or start) within `maxFrames` of that
    /// person's own speech, with speech all the way between, reach it: the score, averaged over a window
    /// that cannot be scored across the change of person, fades before it, though the voice goes on. Two
    /// runs of one person that close, with speech between, are one (an interrupter heard in two pieces
    /// under a floor holder who kept talking). Measured in docs/ACCURACY.md ("interruptions with one
    /// microphone"): room interruptions found 13 -> 22 of 36, invented 1 -> 0; with `maxFrames` 0.8 s
    /// instead of 0.3 s 27 of 36, none invented ("the join at 0.8 s").
    static func joined(_ runs: [(frames: Range<Int>, person: Int)], labels: RoomDiarizer.Labels,
                       maxFrames: Int) -> [(frames: Range<Int>, person: Int)] {
        guard maxFrames > 0 else { return runs }
        var before = RoomDiarizer.Labels.FrameCursor(labels), after = RoomDiarizer.Labels.FrameCursor(labels)
        var out = runs
        for (i, run) in runs.enumerated() {
            var start = run.frames.lowerBound, end = run.frames.upperBound
            // Back: the person's last own frame before the run, with no silence after it.
            var own: Int? = nil
            let earliest = max(i > 0 ? out[i - 1].frames.upperBound : 0, start - maxFrames)
            for k in earliest..<start {
                let l = before.label(at: k).label
                if l < 0 { own = nil } else if Int(l) == run.person { own = k }
            }
            if let own { start = own + 1 }
            // On: the person's first own frame after the run, with no silence before it.
            let latest = min(i + 1 < runs.count ? runs[i + 1].frames.lowerBound : labels.frameCount, end + maxFrames)
            for k in end..<max(end, latest) {
                let l = after.label(at: k).label
                if l < 0 { break }
                if Int(l) == run.person { end = k; break }
            }
            out[i].frames = start..<end
        }
        // Two runs of one person with a short stretch of speech between them are one.
        var merged: [(frames: Range<Int>, person: Int)] = []
        var between = RoomDiarizer.Labels.FrameCursor(labels)
        for run in out {
            if let last = merged.last, last.person == run.person, run.frames.lowerBound - last.frames.upperBound <= maxFrames {
                var speech = true
                for k in last.frames.upperBound..<run.frames.lowerBound where between.label(at: k).label < 0 { speech = false }
                if speech {
                    merged[merged.count - 1].frames = last.frames.lowerBound..<run.frames.upperBound
                    continue
                }
            }
            merged.append(run)
        }
        return merged
    }

    /// Hands every analysis window of the mono mix of `source` (centred on each hop, zero beyond the
    /// recording), frames 0..<frameCount, to `body`.
    private static func forEachFrame(_ source: AudioSource, geometry: FrameGeometry, frameCount: Int,
                                     _ body: (Int, UnsafeBufferPointer<Float>) -> Void) throws {
        let hop = geometry.hopLength, n = geometry.windowLength
        let capacity = ringSize(n)
        var ring = [Float](repeating: 0, count: capacity)
        var window = [Float](repeating: 0, count: n)
        var mono: [Float] = []
        var fed = 0, index = 0
        func ready(final: Bool) {
            while index < frameCount && (final || fed >= index * hop + hop / 2 + n / 2) {
                copyWindow(from: ring, start: index * hop + hop / 2 - n / 2, fed: fed, into: &window)
                window.withUnsafeBufferPointer { body(index, $0) }
                index += 1
            }
        }
        try forEachMonoBlock(source, into: &mono) { block in
            for v in block {
                ring[fed & (capacity - 1)] = v
                fed += 1
                if fed >= index * hop + hop / 2 + n / 2 { ready(final: false) }
            }
        }
        ready(final: true)
    }

    /// How many times the level difference and the delay are repeated among the features (their weight
    /// against the 12 cepstral coefficients the diarizer uses).
    static let levelRepeats = 4
    static let delayRepeats = 2

    /// Gives stretch s's name (label `after + s`) to the voice that speaks most in it, one voice per stretch
    /// (`BestAssignment` over the labels not taken by the `after` enrolled voices); the other voices
    /// follow in order of first appearance. Throws when a stretch holds under
    /// `minimumStretchSeconds` of speech. One pass over the blocks.
    ///
    /// Returns the stretches whose named voice holds under half of the speech in them (two stretches of
    /// one voice, or two people the analysis took for one): their names may be wrong.
    static func name(_ labels: inout RoomDiarizer.Labels, by stretches: [NamedStretch], after fixed: Int, speakers: Int,
                     hop: Int, rate: Int) throws(Failure) -> [NamedStretch] {
        let ranges = stretches.map { max(0, $0.samples.lowerBound / hop)..<max(0, ($0.samples.upperBound + hop - 1) / hop) }
        var common = [[Int]](repeating: [Int](repeating: 0, count: speakers), count: stretches.count)
        var firstFrame = [Int](repeating: Int.max, count: speakers)
        labels.forEachBlock { frames, label in
            let l = Int(label)
            firstFrame[l] = min(firstFrame[l], frames.lowerBound)
            for (s, r) in ranges.enumerated() { common[s][l] += r.clamped(to: frames).count }
        }
        let speech = common.map { $0.reduce(0, +) }
        for (s, stretch) in stretches.enumerated() {
            let seconds = Double(speech[s] * hop) / Double(rate)
            if seconds < minimumStretchSeconds { throw .stretchWithoutSpeech(name: stretch.name, foundSeconds: seconds) }
        }
        let free = Array(fixed..<speakers)
        let pick = BestAssignment.solve(stretches.indices.map { s in free.map { Double(common[s][$0]) } })
        var map = [Int8](repeating: -1, count: speakers)
        for l in 0..<fixed { map[l] = Int8(l) }
        for (s, column) in pick.enumerated() { map[free[column]] = Int8(fixed + s) }
        var next = fixed + stretches.count
        for l in free.sorted(by: { firstFrame[$0] < firstFrame[$1] }) where map[l] < 0 { map[l] = Int8(next); next += 1 }
        labels.rename(map)
        return stretches.indices.filter { 2 * common[$0][free[pick[$0]]] < speech[$0] }.map { stretches[$0] }
    }

    /// Renumbers `labels` by the one-to-one mapping onto `segments`' speakers that shares the most frames
    /// (`BestAssignment`: exhaustive, at most 8! maps for 8 people). One pass over the blocks, the
    /// segments sorted by start (memory: the segments' frame ranges).
    static func relabel(_ labels: inout RoomDiarizer.Labels, like segments: [SpeechSegment], speakers: Int, hop: Int) {
        var common = [Int](repeating: 0, count: speakers * speakers)
        let ranges = segments.compactMap { seg -> (frames: Range<Int>, speaker: Int)? in
            guard seg.speaker >= 0 && seg.speaker < speakers else { return nil }
            let first = max(0, seg.startSample / hop), end = min(labels.frameCount, (seg.endSample + hop - 1) / hop)
            return first < end ? (first..<end, seg.speaker) : nil
        }.sorted { $0.frames.lowerBound < $1.frames.lowerBound }
        var next = 0
        var open: [Int] = []  // ranges that may still overlap a block
        labels.forEachBlock { frames, label in
            while next < ranges.count && ranges[next].frames.lowerBound < frames.upperBound { open.append(next); next += 1 }
            for r in open {
                let shared = ranges[r].frames.clamped(to: frames).count
                common[Int(label) * speakers + ranges[r].speaker] += shared
            }
            open.removeAll { ranges[$0].frames.upperBound <= frames.upperBound }
        }
        let best = BestAssignment.solve((0..<speakers).map { i in (0..<speakers).map { Double(common[i * speakers + $0]) } })
        labels.rename(best.map { Int8($0) })
    }

    /// The samples `start..<start + window.count` of a stream of which `fed` have entered `ring` (a
    /// power-of-two ring); zero where they are not there (before the start, past the end, overwritten).
    private static func copyWindow(from ring: [Float], start: Int, fed: Int, into window: inout [Float]) {
        let capacity = ring.count
        for i in window.indices {
            let j = start + i
            window[i] = j >= 0 && j < fed && j >= fed - capacity ? ring[j & (capacity - 1)] : 0
        }
    }

    private static func ringSize(_ n: Int) -> Int {
        var c = 1
        while c < 2 * n { c *= 2 }
        return c
    }

    /// Reads `source` to its end in fixed blocks, averaging the channels into `mono` (reused buffer).
    /// With `stereo` (two-channel sources only), each block's left and right samples are handed over
    /// first.
    fileprivate static func forEachMonoBlock(_ source: AudioSource, into mono: inout [Float],
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

/// One bit per analysis frame of a stream: was the frame voiced (periodic enough for a pitch)? Frames are
/// windows of `windowLength` samples ending every hop (`StereoFramer`'s framing). Memory: one bit per
/// 10 ms, 45 kB an hour.
struct VoicedFrames {
    /// A room-microphone speech segment needs at least this share of voiced frames. Measured with
    /// tools/evaluate on ../shared/data/real (room rows): 0 (no filter) VAD F1 0.859, DER 62.3%; 0.25:
    /// 0.890, 54.9%; 0.35: 0.894, 53.8% but it dropped true speech on a generated stereo room
    /// (`tools/evaluate --stereo`, mixed: 14.1% -> 18.6%). On reverberant generated rooms
    /// (`tools/evaluate --room`, tuning seeds) 0.25 dropped whole utterances of a low, breathy voice
    /// whose frames read voiced only 25-32% of the time under reverberation (the measure runs on the
    /// pre-emphasised frame): pooled DER 21.2% at 0.25, 15.4% at 0.15 and at 0.08; the real room rows are
    /// the same at 0.15 (F1 0.898, DER 53.9%) and worse at 0.08 (0.896, 54.6%).
    static let minVoicedFraction = 0.15
    let hopLength: Int
    private var bits: [UInt64] = []
    private(set) var count = 0
    init(hopLength: Int) { self.hopLength = hopLength }
    mutating func append(_ voiced: Bool) {
        if count % 64 == 0 { bits.append(0) }
        if voiced { bits[count / 64] |= 1 << UInt64(count % 64) }
        count += 1
    }
    /// Share of voiced frames among those whose window centre lies in [from, to) samples; 1 when none.
    func fraction(fromSample from: Int, toSample to: Int, windowLength: Int) -> Double {
        // Frame k's window ends at (k + 1) * hop, so its centre is at (k + 1) * hop - windowLength / 2.
        let first = max(0, (from + windowLength / 2 + hopLength - 1) / hopLength - 1)
        let end = min(count, (to + windowLength / 2 + hopLength - 1) / hopLength - 1)
        guard end > first else { return 1 }
        var on = 0
        for k in first..<end where bits[k / 64] & (1 << UInt64(k % 64)) != 0 { on += 1 }
        return Double(on) / Double(end - first)
    }
}

/// The pitch as a voice feature: log2 of `MelCepstrum.pitchHz`, smoothed over the voiced frames
/// (exponential, `alpha` per voiced frame: about 3 voiced frames' memory) and held through unvoiced ones,
/// so every frame has a value and intonation within a word weighs less than the speaker's register.
/// Two voices the cepstra alone mixed up (a man and a woman among them: one voice split, the other
/// merged into one half) are told apart by it; `alpha` 0.3 was chosen among 0.1-1 on
/// `tools/evaluate --stereo-overlap` (1501-1508, channels mixed) and the `--room` tuning seeds.
public struct SmoothedPitch: Sendable {
    public static let alpha: Float = 0.3
    /// Start: 150 Hz, between typical men's and women's voices.
    public private(set) var value: Float = log2f(150)

    public init() {}

    /// The next frame's pitch (0: not voiced), and the feature for it.
    public mutating func update(pitchHz: Float) -> Float {
        if pitchHz > 0 { value += Self.alpha * (log2f(pitchHz) - value) }
        return value
    }
}
