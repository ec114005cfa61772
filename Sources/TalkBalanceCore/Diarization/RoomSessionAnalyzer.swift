import Foundation
import TalkBalanceDSP

/// One microphone for the room, streaming: the live counterpart of `RoomAnalysis`, fed interleaved
/// blocks like `SessionAnalyzer` (live capture and files alike), any block size giving the same result.
///
/// Per block: the channels are averaged to mono; the mono signal goes through the usual pipeline as the
/// voice activity detector (`SessionAnalyzer` on one channel) and through `MelCepstrum` (10 ms frames,
/// window centred on the hop, as `RoomAnalysis`); frame by frame, features and the detector's decision
/// go to `OnlineRoomAssigner`, and its labels (after the revision delay, below) to the same
/// `ConversationAnalyzer` as one-mic-per-person sessions. So the meter, the JSON lines and the report
/// work unchanged.
///
/// Every 10 s of audio, the last 5 minutes of speech are clustered again as the offline analysis does
/// (`RoomDiarizer`), its voices are matched to the online labels by the most shared frames, and the
/// assigner's models are retrained on that labelling (`OnlineRoomAssigner.retrain`), and the labels
/// still waiting to be accounted take it. It runs at fixed frame counts, so the result does
/// not depend on block sizes. It costs about 10 ms each time (`analyze --online` on 20 minutes of one
/// channel: 3.0 s instead of 1.8 s, peak memory 32 MB instead of 27 MB).
///
/// Two kinds of label. Who speaks *now* (the meter's speaking marks) is the online label, decided with the
/// detector's latency (framing look-ahead plus activity smoothing) plus at most one assigner block (0.2 s
/// of speech). What is *accounted* (talk time, shares, turns, segments, the JSON lines and the report)
/// waits `revisionDelayFrames` (21 s by default) before it goes to the conversation analysis, so that
/// every periodic re-clustering in that time revises it: frames get the re-clustering's person, mapped
/// onto the online labels. `decisionLatencySamples` includes that delay; `onlineLatencySamples` does
/// not. Memory is constant in the session length (the re-clustering keeps at most 5 minutes of speech
/// features, the waiting labels one byte per frame) apart from what the conversation analysis keeps
/// (segments, turns, events).
///
/// Overlapped speech (unless `voiceOverlap` is nil): each accounted label goes through
/// `LiveVoiceOverlap` with its frame's log-mel energies (kept in a ring from the features until then),
/// which adds the person heard underneath, as the offline analysis does, `overlapDelayFrames` (1.21 s)
/// later. Measured (`tools/evaluate --room --online`, tuning / held out): strict DER 15.0 / 17.2% ->
/// 12.9 / 15.4%, interruptions found 0 -> 12 of 24 / 6 of 12 (2 and 2 invented); live sets
/// (`tools/measure-live-room`) 13.3 -> 11.5% (tuning), 11.2 -> 10.0% (811-824); docs/ACCURACY.md,
/// "overlapped speech from the voices, live". Cost: docs/BENCHMARKS.md (`live-room-*`).
///
/// With two or three people, the speaker segmentation network's overlap as well, as offline
/// (`speakerSegmentation`): the network hears the mono mix in 10 s chunks as they complete, and since a label
/// waits 21 s to be accounted, the chunk of a frame about to be accounted is heard and the labels after it are
/// known, so its runs are found as `RoomAnalysis.segmentedOverlaps` finds them and take precedence over the
/// voices'. Measured (`tools/evaluate --room --online`, tuning / held out): strict DER 10.5 / 12.8% -> 9.7 /
/// 11.6% with two people (docs/ACCURACY.md, "live, two people: the segmentation network's overlap"). With
/// three, the chunk's local speakers alone added the wrong person underneath; the voices decide who
/// (`NetworkRun`), once two others can be chosen between: 9.7 / 11.6% -> 9.2 / 11.5% (docs/ACCURACY.md,
/// "live, three people: the network's overlap, the voices saying who"). It needs the revision delay (at
/// least a chunk); the network's classes are kept for the frames still to be looked at only.
public final class RoomSessionAnalyzer: StreamingSessionAnalysis {
    public let format: StreamFormat
    public let config: AnalysisConfig
    public let labels: [String]
    public let speakers: Int
    public let geometry: FrameGeometry
    public private(set) var conversation: ConversationAnalyzer
    public private(set) var marks: [Mark] = []

    private let vad: SessionAnalyzer
    /// With a `--bridge-pause` shorter than the detector's (`RoomAnalysis.detectionBridgeSeconds`): the speech at
    /// that bridge, frame by frame, waiting for its frame's label (`PauseShaper`).
    private let finer: SessionAnalyzer?
    private var finerSpeech: [Bool] = []
    private var finerHead = 0
    private var shaper: PauseShaper
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
    /// Online labels of frames `committedFrames..<labelledFrames`, waiting to be accounted
    /// (`pendingLabels[pendingHead...]`).
    private var pendingLabels: [Int8] = []
    private var pendingHead = 0
    private var committedFrames = 0
    /// Voices enrolled from recordings, and whose they are: they also anchor the periodic re-clustering
    /// (`refresh`).
    private var enrolled: [(person: Int, voice: VoiceStatistics)] = []
    /// The neural speech detector and its gate on the detector's decisions (nil: no gate).
    private let network: SpeechNetwork?
    private var gate: SpeechGate?
    /// With enrolment recordings: how far they sit from the session's voices in one direction, as the last
    /// re-clustering measured it (`RoomDiarizer.MicrophoneShift`; it corrects them itself when it can).
    public private(set) var microphoneShift: RoomDiarizer.MicrophoneShift?
    /// Frames a label waits, after it is decided online, before it is accounted.
    public let revisionDelayFrames: Int
    /// The same in seconds.
    public var revisionDelaySeconds: Double { Double(revisionDelayFrames * geometry.hopLength) / Double(format.sampleRate) }
    /// Where the labels are decided, for the report's note ("live"; `analyze --online` says so).
    public var origin = "live"
    // The last minutes of speech frames (features, frame index, online label) for the periodic offline
    // re-clustering that retrains the online models (`refresh`).
    private var recentFeatures: [Float] = []
    private var recentFrame: [Int] = []
    private var recentLabel: [Int8] = []
    private var recentStart = 0
    private var recentLabelled = 0
    /// Speech frames kept for the re-clustering (5 min of speech: about 1.8 MB) and how often it runs
    /// (every 10 s of audio, at fixed frame counts, so the labels do not depend on how the audio arrives).
    /// Measured with `analyze --online` (pooled strict DER, without -> with): reverberant rooms
    /// (`tools/evaluate --room --online`) 29.3% -> 28.3% on the tuning seeds, 33.6% -> 31.1% held out;
    /// live tuning seeds (`tools/measure-live-room 2x801 2x802 3x803 3x804`) 30.8% -> 25.3%, with
    /// enrolment keys 25.9% -> 20.6%; seeds 811-824 25.6% -> 23.7% (keys 25.0% -> 22.1%).
    static let refreshSpeechFrames = 30000
    static let refreshEveryFrames = 1000

    // Neural voice embeddings for the re-clustering (`WindowNetwork`: CAM++ or Resemblyzer's network;
    // nil: the cepstra alone). Every `gridHopFrames` speech frames the last `gridWindowFrames` speech
    // frames are embedded (1.5 s of speech, one after the other), `gridBatch` windows at a time
    // (Resemblyzer's network; CAM++ one at a time); the re-clustering's windows (1.5 s every 0.5 s) take
    // the embedding whose centre is nearest theirs. For the first `denseGridSpeechFrames` speech frames
    // (none by default; hidden `analyze --online-dense-grid S`) a window is embedded every
    // `denseGridHopFrames` (0.5 s of speech, as offline). For the first 180 s of speech that halved the
    // early confusion of three voices in generated rooms, but split a dominant talker in two on the real
    // AMI excerpts (docs/ACCURACY.md, "live, the first three minutes of speech"), so it is not the
    // default. Memory: the mel bands of the last window's frames and the embeddings of the speech kept
    // for the re-clustering (200 of 256 floats, up to 600 while dense; of 192 with CAM++).
    private var embedder: WindowNetwork? = nil
    private var pendingMel: [Float] = []
    private var gridMel: [Float] = []
    private var gridFrame: [Int] = []
    private var gridFilled = 0
    private var gridSinceLast = 0
    private var gridQueue: [(centre: Int, mel: [Float])] = []
    private var gridCentre: [Int] = []
    private var gridEmbedding: [[Float]] = []
    static let gridWindowFrames = 150
    static let gridHopFrames = 150
    static let denseGridHopFrames = 50
    public static let defaultDenseGridSpeechFrames = 0
    /// Speech frames, from the start, embedded every `denseGridHopFrames` (`analyze --online-dense-grid`).
    public let denseGridSpeechFrames: Int
    static let gridBatch = 2
    /// The offline check for a talker split in two (`RoomAnalysis.sameLocalSpeaker`) on each re-clustering:
    /// two of its people with the same local speaker of the segmentation network in some 10 s chunk and
    /// different ones in none, whose voices' mean cosine similarity is at least `similarity`, one of whom
    /// has at most 8 s of speech among the recent frames, are one voice. The network's classes are kept
    /// until their frames are accounted (the revision delay), so the check sees about the last 20 s.
    /// With CAM++ (the default, `defaultVoiceNetwork`): 0.4. CAM++ puts different people far apart: the
    /// generated rooms' different voices measured -0.1 to 0.25 live, a talker the re-clustering split in
    /// two 0.45-0.55 (room3-1216, room3-1225; debug prints in a throwaway build). Early in a session a cluster of one grid embedding at a change
    /// of voices became a person and, in the re-segmentation, took half of the first talker's speech (room3-1225:
    /// 552 and 445 frames), which the check now merges (docs/ACCURACY.md, "the live meter on CAM++").
    /// With Resemblyzer's network, whose scale is narrower (different people 0.55-0.6): 0.7, where the
    /// re-clustering's split of ami-trn03's one talker measured 0.73, and the one who speaks less must
    /// also have at most half as much as the other: without that, held-out room3-1216's quietest person lost
    /// a fifth of her talk time (docs/ACCURACY.md, "live, a talker split in two"). nil: none.
    public static func defaultSameVoice(for network: RoomDiarizer.Options.VoiceNetwork) -> RoomDiarizer.Options.SameVoice? {
        var same = RoomDiarizer.Options.SameVoice()
        switch network {
        case .camPlusPlus, .camPlusPlusFloat:
            same.similarity = 0.4
        case .resemblyzer:
            same.similarity = 0.7
            same.maxTalkRatio = 0.5
        }
        return same
    }
    /// The live re-clustering's voice network: CAM++, as offline (Resemblyzer's network before 2026-11-30;
    /// docs/ACCURACY.md, "the live meter on CAM++").
    public static let defaultVoiceNetwork = RoomDiarizer.Options.VoiceNetwork.camPlusPlus
    public static let defaultSameVoice = defaultSameVoice(for: defaultVoiceNetwork)
    /// While only one person is known, how the re-clustering tells whether others have spoken (see `refresh`):
    /// with CAM++, the windows clustered into N by their embeddings, and clusters whose windows' mean
    /// similarity is at least this merged (`RoomDiarizer.Options.sameVoiceSimilarity`), at the same-voice
    /// check's 0.4; nil (Resemblyzer's network, or no embeddings): the at-most-N criterion on the cepstra
    /// (`RoomDiarizer.Options.fewerPeopleWeight`). With CAM++ the second voice of two-person rooms was found
    /// sooner: fresh room2-3301, whose second voice the cepstra found only after 34 s, 15.4% -> 5.7% strict
    /// DER (docs/ACCURACY.md, "the live meter on CAM++").
    static func discoverySameVoice(for network: RoomDiarizer.Options.VoiceNetwork) -> Double? {
        network == .resemblyzer ? nil : defaultSameVoice(for: network)?.similarity
    }
    private var discoverySameVoice: Double? = nil
    /// `defaultSameVoice` unless told otherwise (`analyze --online --online-same-voice`).
    public let sameVoice: RoomDiarizer.Options.SameVoice?
    /// How far (frames) a change of person with no silence between moves, among the waiting labels, to where
    /// the segmentation network hears it, as offline (`RoomDiarizer.Options.changeRefinementSeconds`,
    /// `RoomAnalysis.refinedChanges`); 0: not moved.
    public let changeRefinementFrames: Int
    /// The end of the last run kept at its edges as heard underneath, and the last change moved later, which
    /// `refineChange` then meets again and leaves where it is.
    private var excursionEnd = -1
    private var movedChange = -1
    /// Default accounting delay (21 s): two refresh periods plus room for the assigner's block, so every
    /// label is revised at least twice when refreshes run. Measured, pooled strict DER of what is
    /// accounted, delay 0 / 11 / 21 / 31 s: reverberant rooms' tuning seeds (`tools/evaluate --room
    /// --online`) 28.3 / 21.1 / 18.8 / 17.1%; live tuning seeds (`tools/measure-live-room --revision S
    /// 2x801 2x802 3x803 3x804`) 25.3 / 18.0 / 15.8 / 14.6%, with enrolment keys 20.6 / 13.2 / 10.4 /
    /// 11.0%. A meter of the last 5 minutes can lag 21 s; the speaking marks do not.
    public static let defaultRevisionDelayFrames = 2100
    private var finished: SessionResult? = nil
    // Overlapped speech from the voices (`LiveVoiceOverlap`) on the labels as they are accounted: each
    // frame's log-mel energies, kept from the features until then (a ring by frame index).
    private var overlap: LiveVoiceOverlap?
    private let logMel: MelCepstrum?
    private var logMelRing: [Float] = []
    private let logMelCapacity: Int
    private var melScratch = [Float](repeating: 0, count: 1)
    // Overlapped speech from the speaker segmentation network, as offline (`RoomAnalysis.segmentedOverlaps`):
    // the network hears 10 s chunks of the mono mix as they complete; a frame it gives two local speakers,
    // one of them the frame's person, adds the other's person. Its runs are found when their first frame
    // is accounted, from the labels still waiting (the revision delay is longer than a chunk), and take
    // precedence over the voices' (`RoomAnalysis.merged`). Nil: not asked for, or the network failed.
    private var segmenter: SpeakerSegmenter?
    private var chunkPeople: [(chunk: Int, personOf: [Int])] = []   // recent chunks: local speaker -> person
    private var networkRuns: [NetworkRun] = []
    private var modelled: [Bool] = []     // three people: whose voice has a model, read before each `take`
    private var networkScanned = 0        // frames looked at for the network's runs
    private var lastAccounted: Int8 = -1  // the label of frame committedFrames - 1
    private var conversationFrames = 0    // frames given to the conversation analysis

    /// A run of the network's overlap: its frames and the person added. With three people the chunk's
    /// local speakers only propose that person; the voices decide (`decide`), as offline
    /// (`RoomAnalysis.voiceOverlaps`' `attributing`): each other person's mean gain over the run's frames
    /// (`LiveVoiceOverlap.gains`, gathered as its frames are accounted), the highest wins.
    struct NetworkRun {
        var frames: Range<Int>
        var person: Int
        var decided: Bool
        var gainSums: [Double]
        var gainCounts: [Int]

        init(frames: Range<Int>, person: Int, people: Int, decided: Bool) {
            self.frames = frames
            self.person = person
            self.decided = decided
            gainSums = decided ? [] : [Double](repeating: 0, count: people)
            gainCounts = decided ? [] : [Int](repeating: 0, count: people)
        }

        mutating func add(gains: [Float]) {
            guard !decided else { return }
            for (q, g) in gains.enumerated() where !g.isNaN {
                gainSums[q] += Double(g)
                gainCounts[q] += 1
            }
        }

        /// The person with the highest mean gain over the frames gathered so far; false (the run is then
        /// dropped) when fewer than two people were scored (no choice is made then, and the chunk's proposal
        /// alone measured worse: docs/ACCURACY.md) or the proposed person has no voice model.
        mutating func decide(proposedHasModel: Bool) -> Bool {
            guard !decided else { return true }
            decided = true
            guard proposedHasModel else { return false }
            // A choice between two people at least: with one other voice modelled there is none to make.
            guard gainCounts.filter({ $0 > 0 }).count >= 2 else { return false }
            var best = -1, bestMean = -Double.infinity
            for q in gainSums.indices where gainCounts[q] > 0 {
                let mean = gainSums[q] / Double(gainCounts[q])
                if mean > bestMean { best = q; bestMean = mean }
            }
            person = best
            return true
        }
    }

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
    ///   - revisionDelayFrames: how long (10 ms frames) a label waits to be accounted, revised by the
    ///     re-clusterings meanwhile; 0 accounts the online labels as they are decided.
    ///   - speechGate: the neural speech detector's gate (`SpeechGate`), applied to the voice activity
    ///     detector's decisions as they come (0.46 s after their frame: the gate then knows about as far
    ///     ahead as its reach), so a knock is neither speaking now nor counted; nil: no gate.
    ///   - speakerSegmentation: with `voiceOverlap`, the segmentation network's overlap as well (as offline).
    ///   - voiceEmbedding, voiceNetwork: whether the re-clustering uses neural voice embeddings, and which
    ///     network (`defaultVoiceNetwork`).
    ///   - denseGridSpeechFrames: speech frames, from the start, whose voices are embedded every 0.5 s of
    ///     speech rather than every 1.5 s.
    ///   - sameVoice: the re-clustering's check for a talker split in two (`defaultSameVoice`, for CAM++;
    ///     `defaultSameVoice(for:)` with another network); nil: none.
    ///   - changeRefinementSeconds: how far a change of person with no silence between moves to where the
    ///     segmentation network hears it, as offline; nil: not moved.
    public init(format: StreamFormat, speakers: Int, config: AnalysisConfig = AnalysisConfig(), labels: [String]? = nil,
                options: OnlineRoomAssigner.Options = OnlineRoomAssigner.Options(),
                revisionDelayFrames: Int = RoomSessionAnalyzer.defaultRevisionDelayFrames,
                voiceOverlap: VoiceOverlapFinder.Options? = LiveVoiceOverlap.defaultOptions,
                speechGate: SpeechGate.Options? = SpeechGate.Options(), speakerSegmentation: Bool = true,
                voiceEmbedding: Bool = true, voiceNetwork: RoomDiarizer.Options.VoiceNetwork = RoomSessionAnalyzer.defaultVoiceNetwork,
                denseGridSpeechFrames: Int = RoomSessionAnalyzer.defaultDenseGridSpeechFrames,
                sameVoice: RoomDiarizer.Options.SameVoice? = RoomSessionAnalyzer.defaultSameVoice,
                changeRefinementSeconds: Double? = RoomDiarizer.Options().changeRefinementSeconds) throws(SetupError) {
        precondition(revisionDelayFrames >= 0 && denseGridSpeechFrames >= 0 && (changeRefinementSeconds ?? 0) >= 0)
        self.denseGridSpeechFrames = denseGridSpeechFrames
        self.sameVoice = sameVoice
        self.revisionDelayFrames = revisionDelayFrames
        guard (1...8).contains(speakers) else { throw .speakers(speakers) }
        let names = labels ?? (1...speakers).map { "S\($0)" }
        guard names.count == speakers else { throw .labelCount(expected: speakers, got: names.count) }
        // The detector bridges at `RoomAnalysis.detectionBridgeSeconds` whatever `--bridge-pause` says, so that
        // it changes the report's pauses, not who is who (`PauseShaper`).
        do {
            vad = try SessionAnalyzer(format: StreamFormat(sampleRate: format.sampleRate, channelCount: 1), config: PauseShaper.detection(config),
                                      softWordEdges: false)
            finer = PauseShaper.needsFinerDetector(config)
                ? try SessionAnalyzer(format: StreamFormat(sampleRate: format.sampleRate, channelCount: 1), config: PauseShaper.finer(config), softWordEdges: false) : nil
        } catch { throw .setup(error) }
        finer?.keepsDecisions = true
        guard (1...32).contains(format.channelCount) else { throw .setup(.unsupportedChannels(format.channelCount)) }
        vad.keepsDecisions = true
        network = speechGate.map { _ in SpeechNetwork(sampleRate: format.sampleRate) }
        gate = speechGate.map { SpeechGate(sampleRate: format.sampleRate, options: $0) }
        self.format = format
        self.config = config
        self.labels = names
        self.speakers = speakers
        modelled = [Bool](repeating: false, count: speakers >= 3 ? speakers : 0)
        geometry = vad.geometry
        let framesPerSecond = Double(format.sampleRate) / Double(geometry.hopLength)
        changeRefinementFrames = changeRefinementSeconds.map { seconds in Int((seconds * framesPerSecond).rounded()) } ?? 0
        cepstrum = MelCepstrum(geometry: geometry, coefficients: 13)
        assigner = OnlineRoomAssigner(speakers: speakers, featureCount: 13, options: options)
        conversation = ConversationAnalyzer(speakerCount: speakers, hopSamples: geometry.hopLength,
                                            sampleRate: format.sampleRate, config: config)
        shaper = PauseShaper(people: speakers, config: config, framesPerSecond: Double(format.sampleRate) / Double(geometry.hopLength))
        var capacity = 1
        while capacity < 2 * geometry.windowLength { capacity *= 2 }
        ringCapacity = capacity
        ring = [Float](repeating: 0, count: capacity)
        mono = [Float](repeating: 0, count: 4096)
        // The detector decides about a second behind the features at most (smoothing); room to spare.
        pendingCapacity = 1024
        pendingFeatures = [Float](repeating: 0, count: pendingCapacity * 13)
        if voiceEmbedding {
            let e = WindowNetwork(voiceNetwork, sampleRate: format.sampleRate)
            if e.windowLength <= geometry.windowLength {
                embedder = e
                discoverySameVoice = Self.discoverySameVoice(for: voiceNetwork)
                pendingMel = [Float](repeating: 0, count: pendingCapacity * e.bands)
                gridMel = [Float](repeating: 0, count: Self.gridWindowFrames * e.bands)
                gridFrame = [Int](repeating: 0, count: Self.gridWindowFrames)
            }
        }
        window = [Float](repeating: 0, count: geometry.windowLength)
        active = [Bool](repeating: false, count: speakers)
        lastSpoke = [Int](repeating: Int.min / 2, count: speakers)
        // The log-mel energies wait for their frame's label: the detector's lag (pendingCapacity at
        // most), the assigner's block and the revision delay.
        var melCapacity = 1
        while melCapacity < revisionDelayFrames + 2 * pendingCapacity { melCapacity *= 2 }
        logMelCapacity = melCapacity
        if let voiceOverlap, speakers >= 2 {
            overlap = LiveVoiceOverlap(people: speakers, options: voiceOverlap)
            logMel = MelCepstrum(geometry: geometry, melBands: voiceOverlap.melBands, coefficients: 1, estimatesPitch: false,
                                 bandHz: voiceOverlap.bandHz)
            logMelRing = [Float](repeating: 0, count: melCapacity * voiceOverlap.melBands)
            // Two or three people (the network has three local speakers a chunk). With three, who is underneath
            // the network's runs is the voices' call (`NetworkRun`), as offline: the chunk's local speakers
            // alone added the wrong person (docs/ACCURACY.md).
            if speakerSegmentation && speakers <= 3 { segmenter = SpeakerSegmenter(sampleRate: format.sampleRate) }
        } else {
            logMel = nil
        }
    }

    public var samplesProcessed: Int { samplesFed }
    /// Frames whose person is decided online.
    public var framesLabelled: Int { labelledFrames }
    /// Frames accounted: their labels final (the conversation analysis gets them `overlapDelayFrames`
    /// later).
    public var framesAccounted: Int { committedFrames }
    /// Latency of an online label in samples: the detector's plus one full assigner block.
    public var onlineLatencySamples: Int { vad.decisionLatencySamples + assigner.options.blockFrames * geometry.hopLength }
    /// Latency of what is accounted (talk time, turns, events) in samples: the online latency plus the
    /// revision delay.
    public var decisionLatencySamples: Int { onlineLatencySamples + (revisionDelayFrames + overlapDelayFrames) * geometry.hopLength }
    /// Frames the overlap from the voices holds an accounted label back to decide it (0 when it does not run).
    public var overlapDelayFrames: Int { overlap?.delayFrames ?? 0 }
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

    /// Before the session: person `person`'s voice from a recording of them alone (`live --enroll
    /// NAME=FILE`), so they are named from their first words (`OnlineRoomAssigner.enrol(person:features:...)`).
    /// The voice also anchors each periodic re-clustering of the last minutes, as `analyze --enroll`
    /// does, and keeps its person there. Measured (`tools/measure-live-room --clips`, seeds 101-106 /
    /// 201-206 / 401-406, strict DER): 8.8 / 8.0 / 11.0% against 20.5 / 14.5 / 14.5% without enrolment
    /// and 15.3 / 11.6 / 15.6% with keys; 18 of 18 sessions named right. Anchoring the assigner alone
    /// gave 15.9 / 14.1 / 17.3%: the re-clustering then relabelled what it decided.
    public func enrol(person: Int, recording: RoomAnalysis.EnrolmentRecording) {
        precondition(person >= 0 && person < speakers && samplesFed == 0, "enrol before the session starts")
        assigner.enrol(person: person, features: recording.cepstra, featureCount: RoomAnalysis.liveCoefficients, frames: recording.frames)
        enrolled.append((person, recording.voice))
    }

    public func liveState(cueSeconds: Double = 10, lostSeconds: Double = 0) -> LiveState {
        let bridge = Int((config.bridgePauseSeconds * Double(format.sampleRate) / Double(geometry.hopLength)).rounded())
        let now = lastSpoke.map { labelledFrames - 1 - $0 <= bridge + 1 }
        return LiveState(conversation: conversation, labels: labels, config: config, samplesFed: samplesFed,
                         sampleRate: format.sampleRate, hopSamples: geometry.hopLength, speakingNow: now, marks: marks,
                         decisionLatencySamples: decisionLatencySamples, cueSeconds: cueSeconds, lostSeconds: lostSeconds,
                         enrolKeys: true,
                         countsLagSeconds: Double((revisionDelayFrames + overlapDelayFrames) * geometry.hopLength) / Double(format.sampleRate))
    }

    /// The events since the last call. Backchannels are left out: with one microphone they are not
    /// measured (the report leaves them out too).
    public func drainEvents() -> ArraySlice<ConversationEvent> {
        let events = conversation.drainEvents()
        return overlap?.options.reportsBackchannels == true ? events : ArraySlice(events.filter { $0.kind != .backchannel })
    }

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
        if let finer {
            finer.process(interleaved: block)
            finer.takeDecisions { finerSpeech.append($0) }
        }
        network?.push(block) { gate!.add(probability: $0) }
        if segmenter != nil {
            do throws(SpeakerSegmenter.Failure) { try segmenter?.push(block) } catch { dropSegmenter() }
        }
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
                if let embedder {
                    let b = embedder.bands
                    pendingMel.withUnsafeMutableBufferPointer { embedder.measure(w, UnsafeMutableBufferPointer(rebasing: $0[(slot * b)..<((slot + 1) * b)])) }
                }
                if let logMel {
                    melScratch.withUnsafeMutableBufferPointer { logMel.analyze(samples: w, into: $0) }
                    let d = logMel.melBands, row = (featureFrames % logMelCapacity) * d
                    logMel.withLogMelEnergies { e in for b in 0..<d { logMelRing[row + b] = e[b] } }
                }
            }
            pendingCount += 1
            featureFrames += 1
        }
    }

    /// Pairs the detector's decisions with their frames' features and runs the assigner.
    private func drainDecisions() {
        let hop = geometry.hopLength
        vad.takeDecisions { detected in
            if pendingCount == 0 { analyzeFeatures(upTo: samplesFed, final: true, frameLimit: featureFrames + 1) }
            // The speech gate, as far as the network has heard (the decision comes 0.46 s after the frame,
            // so about as far as the gate's reach ahead of it).
            let speech = detected && gate?.isOpen(sample: assigner.framesPushed * hop + hop / 2) != false
            pendingFeatures.withUnsafeBufferPointer { p in
                let f = UnsafeBufferPointer(rebasing: p[(pendingStart * coefficients)..<((pendingStart + 1) * coefficients)])
                if speech {
                    recentFeatures.append(contentsOf: f)
                    recentFrame.append(assigner.framesPushed)
                    recentLabel.append(-1)
                    if embedder != nil { addToGrid(slot: pendingStart, frame: assigner.framesPushed) }
                }
                assigner.push(features: f, speech: speech)
            }
            if assigner.framesPushed % Self.refreshEveryFrames == 0 {
                pushLabels()
                refresh()
            }
            pendingStart = (pendingStart + 1) % pendingCapacity
            pendingCount -= 1
        }
        pushLabels()
    }

    /// A speech frame's mel bands join the last window; every `gridHopFrames` the window is queued for
    /// embedding, and every `gridBatch` queued windows are embedded.
    private func addToGrid(slot: Int, frame: Int) {
        guard let embedder else { return }
        let b = embedder.bands, n = Self.gridWindowFrames
        let row = gridFilled % n
        for i in 0..<b { gridMel[row * b + i] = pendingMel[slot * b + i] }
        gridFrame[row] = frame
        gridFilled += 1
        gridSinceLast += 1
        guard gridSinceLast >= (gridFilled <= denseGridSpeechFrames ? Self.denseGridHopFrames : Self.gridHopFrames) else { return }
        gridSinceLast = 0
        let count = min(gridFilled, n)
        var mel = [Float](repeating: 0, count: count * b)
        for k in 0..<count {
            let r = (gridFilled - count + k) % n
            for i in 0..<b { mel[k * b + i] = gridMel[r * b + i] }
        }
        gridQueue.append((gridFrame[(gridFilled - count + count / 2) % n], mel))
        if gridQueue.count >= min(Self.gridBatch, embedder.batchSize) { embedQueued() }
    }

    private func embedQueued() {
        guard let embedder, !gridQueue.isEmpty else { return }
        if let e = embedder.embed(gridQueue.map(\.mel)) {
            gridCentre += gridQueue.map(\.centre)
            gridEmbedding += e
        }
        gridQueue.removeAll(keepingCapacity: true)
    }

    /// For the re-clustering: each window (ranges of the frames pushed to its diarizer, which are the
    /// recent speech frames `pushedIndex` names, with a non-speech frame at each pause) gets the
    /// embedding whose centre is nearest its centre. Nil when there are none yet.
    private func gridEmbeddings(_ windows: [[Range<Int>]], pushedIndex: [Int]) -> [[Float]]? {
        embedQueued()
        guard !gridCentre.isEmpty else { return nil }
        return windows.map { ranges in
            guard let first = ranges.first?.lowerBound, let last = ranges.last?.upperBound else { return gridEmbedding[0] }
            var j = min(pushedIndex.count - 1, (first + last - 1) / 2)
            while j > 0 && pushedIndex[j] < 0 { j -= 1 }
            let centre = pushedIndex[j] >= 0 ? recentFrame[pushedIndex[j]] : 0
            // The first grid centre at or after it, or the one before, whichever is nearer.
            var lo = 0, hi = gridCentre.count
            while lo < hi { let mid = (lo + hi) / 2; if gridCentre[mid] < centre { lo = mid + 1 } else { hi = mid } }
            let k = lo == gridCentre.count || (lo > 0 && centre - gridCentre[lo - 1] <= gridCentre[lo] - centre) ? lo - 1 : lo
            return gridEmbedding[k]
        }
    }

    private func pushLabels() {
        assigner.takeLabels { label in
            if label >= 0 {
                lastSpoke[Int(label)] = labelledFrames
                while recentLabelled < recentFrame.count && recentFrame[recentLabelled] < labelledFrames { recentLabelled += 1 }
                if recentLabelled < recentFrame.count && recentFrame[recentLabelled] == labelledFrames {
                    recentLabel[recentLabelled] = label
                    recentLabelled += 1
                }
            }
            pendingLabels.append(label)
            labelledFrames += 1
        }
        account(keeping: revisionDelayFrames)
    }

    /// Feeds the conversation analysis the waiting labels until at most `keeping` wait (through the
    /// overlap from the voices, which adds its own delay, when it runs).
    private func account(keeping: Int) {
        while pendingLabels.count - pendingHead > keeping {
            if segmenter != nil && changeRefinementFrames > 0 { refineChange() }
            if segmenter != nil && networkScanned <= committedFrames { scanNetwork() }
            let label = pendingLabels[pendingHead]
            pendingHead += 1
            lastAccounted = label
            if overlap != nil, let logMel {
                let d = logMel.melBands, row = (committedFrames % logMelCapacity) * d
                precondition(featureFrames - committedFrames <= logMelCapacity, "the log-mel ring is too short")
                logMelRing.withUnsafeBufferPointer { overlap!.push(UnsafeBufferPointer(rebasing: $0[row..<(row + d)]), person: Int(label)) }
                if speakers >= 3, let i = networkRuns.lastIndex(where: { $0.frames.contains(committedFrames) }) {
                    networkRuns[i].add(gains: overlap!.gains)
                }
                takeOverlap()
            } else {
                pushConversation(label, underneath: -1)
            }
            committedFrames += 1
        }
        if pendingHead >= 4096 {
            pendingLabels.removeFirst(pendingHead)
            pendingHead = 0
        }
    }

    static func clock(seconds: Int) -> String {
        seconds >= 3600 ? String(format: "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
            : String(format: "%d:%02d", seconds / 60, seconds % 60)
    }

    private func takeOverlap() {
        // Read before `take`, which holds the overlap (the models change only in `push`); updated in place.
        if speakers >= 3, let overlap {
            for p in 0..<speakers { modelled[p] = overlap.hasModel(p) }
        }
        overlap?.take { person, underneath in
            // The network's run, where there is one, says who is underneath (`RoomAnalysis.merged`).
            let f = conversationFrames
            while let first = networkRuns.first, first.frames.upperBound <= f { networkRuns.removeFirst() }
            // A run is decided when its first frame comes out (all of its frames scored, but for runs longer
            // than the overlap's delay: then those scored so far).
            if let first = networkRuns.first, first.frames.contains(f), !first.decided,
               !networkRuns[0].decide(proposedHasModel: modelled.indices.contains(first.person) && modelled[first.person]) {
                networkRuns.removeFirst()
            }
            if let first = networkRuns.first, first.frames.contains(f), first.person != Int(person) {
                pushConversation(person, underneath: Int8(first.person))
            } else {
                pushConversation(person, underneath: underneath)
            }
        }
    }

    private func dropSegmenter() {
        segmenter = nil
        networkRuns.removeAll()
    }

    /// The label waiting for frame `j` (the last accounted one for `committedFrames - 1`); -1 beyond them.
    private func waitingLabel(_ j: Int) -> Int {
        if j == committedFrames - 1 { return Int(lastAccounted) }
        let i = pendingHead + j - committedFrames
        return j >= committedFrames && i < pendingLabels.count ? Int(pendingLabels[i]) : -1
    }

    /// The segmentation network's class of analysis frame `j`, nil until its chunk is heard.
    private func networkClass(_ j: Int) -> UInt8? {
        segmenter?.frameClass(RoomAnalysis.networkFrame(j, geometry: geometry))
    }

    /// The people of chunk `c`'s local speakers (-1: nobody), as `RoomAnalysis.segmentedOverlaps` matches them,
    /// from the waiting labels of its frames from `first` on (the chunk's first frame to be looked at).
    private func personOf(chunk c: Int, from first: Int) -> [Int] {
        if let known = chunkPeople.first(where: { $0.chunk == c }) { return known.personOf }
        let perChunk = SpeakerSegmenter.framesPerChunk
        var shared = [Double](repeating: 0, count: 3 * speakers)
        var j = first
        let waiting = committedFrames + pendingLabels.count - pendingHead
        while j < waiting {
            let g = RoomAnalysis.networkFrame(j, geometry: geometry)
            if g / perChunk > c { break }
            let label = waitingLabel(j)
            if g / perChunk == c, label >= 0, let cls = networkClass(j), (1...3).contains(cls) { shared[(Int(cls) - 1) * speakers + label] += 1 }
            j += 1
        }
        // The one-to-one match with the most shared frames (people as rows: the network runs for two only).
        var personOf = [-1, -1, -1]
        let slotOf = BestAssignment.solve((0..<speakers).map { p in (0..<3).map { shared[$0 * speakers + p] } })
        for (person, slot) in slotOf.enumerated() where shared[slot * speakers + person] > 0 { personOf[slot] = person }
        // A local speaker the network hears in the chunk but never alone (an interrupter heard only over the
        // floor holder) is the person, of those not given to another, who speaks most in the chunk.
        var heard = [false, false, false]
        for g in (c * perChunk)..<((c + 1) * perChunk) {
            guard let cls = segmenter?.frameClass(g) else { break }
            for slot in SpeakerSegmenter.speakers(ofClass: cls) { heard[slot] = true }
        }
        for slot in 0..<3 where personOf[slot] < 0 && heard[slot] {
            var best = -1, bestFrames = -1.0
            for person in 0..<speakers where !personOf.contains(person) {
                let frames = (0..<3).reduce(0.0) { $0 + shared[$1 * speakers + person] }
                if frames > bestFrames { best = person; bestFrames = frames }
            }
            if best >= 0 { personOf[slot] = best }
        }
        chunkPeople.removeAll { $0.chunk < c - 1 }
        chunkPeople.append((c, personOf))
        return personOf
    }

    /// The person the network adds to frame `j` (the other of its two local speakers, when one is the frame's
    /// person `label`), or -1.
    private func networkOther(_ j: Int, label: Int) -> Int {
        guard label >= 0, let cls = networkClass(j) else { return -1 }
        let local = SpeakerSegmenter.speakers(ofClass: cls)
        guard local.count == 2 else { return -1 }
        let people = personOf(chunk: RoomAnalysis.networkFrame(j, geometry: geometry) / SpeakerSegmenter.framesPerChunk, from: j)
        let a = people[local[0]], b = people[local[1]]
        return a == label ? b : (b == label ? a : -1)
    }

    /// Offline's `RoomAnalysis.refinedChanges` among the waiting labels: a change of person with no silence
    /// between at frame `committedFrames + W` (W: `changeRefinementFrames`, so every frame it may move is still
    /// waiting) moves to where the segmentation network hears it (`RoomAnalysis.bestChange`), at most W frames,
    /// leaving each run at least one frame (but a run at the start or the end of a stretch of speech, which may
    /// go whole). A run of at most `RoomAnalysis.maxExcursionSeconds` between two runs of one other person
    /// (offline: heard underneath it) keeps its edges.
    private func refineChange() {
        let w = changeRefinementFrames, edge = committedFrames + w
        let a = waitingLabel(edge - 1), b = waitingLabel(edge)
        guard a >= 0, b >= 0, a != b else { return }
        guard edge != excursionEnd, edge != movedChange else { return }
        let waiting = committedFrames + pendingLabels.count - pendingHead
        let maxExcursion = Int((RoomAnalysis.maxExcursionSeconds * Double(format.sampleRate) / Double(geometry.hopLength)).rounded())
        var end = edge + 1
        while end < waiting && end - edge <= maxExcursion && waitingLabel(end) == b { end += 1 }
        if end - edge <= maxExcursion && end < waiting && waitingLabel(end) == a {
            excursionEnd = end
            return
        }
        // The runs either side, as far as they matter (the one before back to the last label accounted). A run
        // at the start or the end of a stretch of speech may go whole (a frame of it left alone is no speech).
        var before = 1
        while before <= w && waitingLabel(edge - 1 - before) == a && edge - 1 - before >= committedFrames - 1 { before += 1 }
        let startsStretch = edge - 1 - before >= committedFrames - 1 && waitingLabel(edge - 1 - before) < 0
        let after = end - edge
        let endsStretch = end < waiting && waitingLabel(end) < 0
        let low = edge - min(w, before - (startsStretch ? 0 : 1)), high = edge + min(w, after - (endsStretch ? 0 : 1))
        guard high > low else { return }
        let perChunk = SpeakerSegmenter.framesPerChunk
        let change = RoomAnalysis.bestChange(from: a, to: b, edge: edge, within: low..<high) { k in
            guard let cls = networkClass(k), (1...3).contains(cls) else { return -1 }
            // Only where the network tells the two apart (as offline).
            let people = personOf(chunk: RoomAnalysis.networkFrame(k, geometry: geometry) / perChunk, from: low)
            return people.contains(a) && people.contains(b) ? people[Int(cls) - 1] : -1
        }
        guard let change else { return }
        movedChange = change
        for k in min(change, edge)..<max(change, edge) {
            pendingLabels[pendingHead + k - committedFrames] = Int8(change < edge ? b : a)
        }
    }

    /// Looks at frame `committedFrames`, about to be accounted: where a run of the network's overlap starts, finds
    /// its end among the waiting labels and keeps it as offline does: a run that continues the added person's
    /// own speech loses `RoomAnalysis.handoverSeconds` on its other side, one with that person's speech on
    /// both sides goes, and it must last the shortest speech counted (`minSpeechSeconds`).
    private func scanNetwork() {
        let j = committedFrames
        // Classes of frames no longer looked at are forgotten (whole chunks, in batches).
        segmenter?.dropClasses(before: RoomAnalysis.networkFrame(j, geometry: geometry))
        let other = networkOther(j, label: waitingLabel(j))
        guard other >= 0 else { networkScanned = j + 1; return }
        let waiting = committedFrames + pendingLabels.count - pendingHead
        var end = j + 1
        while end < waiting && networkOther(end, label: waitingLabel(end)) == other { end += 1 }
        networkScanned = end
        let framesPerSecond = Double(format.sampleRate) / Double(geometry.hopLength)
        let handover = Int((RoomAnalysis.handoverSeconds * framesPerSecond).rounded())
        let minimum = Int((config.minSpeechSeconds * framesPerSecond).rounded())
        let before = Int(lastAccounted) == other
        let after = end < waiting && waitingLabel(end) == other
        if before && after { return }
        let lower = j + (after ? handover : 0), upper = end - (before ? handover : 0)
        if upper - lower >= max(1, minimum) { networkRuns.append(NetworkRun(frames: lower..<upper, person: other, people: speakers, decided: speakers < 3)) }
    }

    private func pushConversation(_ label: Int8, underneath: Int8) {
        for s in 0..<speakers { active[s] = Int(label) == s || Int(underneath) == s }
        // The finer detector decides sooner than the labels come (its bridge is shorter), so its frame is there.
        var speech = true
        if finer != nil, finerHead < finerSpeech.count {
            speech = finerSpeech[finerHead]
            finerHead += 1
            if finerHead >= 4096 {
                finerSpeech.removeFirst(finerHead)
                finerHead = 0
            }
        }
        active.withUnsafeBufferPointer { shaper.push($0, speech: speech, to: &conversation) }
        conversationFrames += 1
    }

    /// Re-clusters the last minutes of labelled speech offline (`RoomDiarizer`), maps its voices onto the
    /// online labels by the most shared frames, and retrains the online models on that labelling. With one
    /// person known so far it looks for the others (see `discovering`).
    private func refresh() {
        // Keep only the last `refreshSpeechFrames` speech frames.
        let excess = recentFrame.count - Self.refreshSpeechFrames
        if excess > 0 {
            recentFeatures.removeFirst(excess * coefficients)
            recentFrame.removeFirst(excess)
            recentLabel.removeFirst(excess)
            recentLabelled = max(0, recentLabelled - excess)
        }
        // The embeddings of speech no longer kept go too (all of them when none is that recent).
        if let oldest = recentFrame.first {
            let drop = gridCentre.firstIndex(where: { $0 >= oldest }) ?? gridCentre.count
            gridCentre.removeFirst(drop)
            gridEmbedding.removeFirst(drop)
        }
        let n = recentLabelled
        let known = assigner.knownPeople.filter { $0 }.count
        // With one person known (and no recording enrolled) the re-clustering may find the people the
        // assigner's split test missed: it once kept a two-person conversation (tools/measure-live-room
        // --clips 2x101) on one person for all of its 2 minutes, since the within-person spread it had
        // learnt from the first 1.5 s made the second voice look near. Only where it finds several voices
        // that are not alike (`discoverySameVoice`): forced into N, the re-clustering would split one voice
        // talking alone. The new people then get models (`retrain`).
        let discovering = known == 1 && speakers >= 2 && enrolled.isEmpty
        guard n >= Self.refreshEveryFrames, known >= 2 || discovering else { return }
        var options = RoomDiarizer.Options()
        // The grid's embeddings are each 1.5 s of speech, shared by three windows: held in the
        // re-segmentation they made the live rooms worse (docs/ACCURACY.md, "the voice network's
        // clustering holds in the re-segmentation").
        options.embeddingPriorWeight = nil
        // Enrolled voices anchor and seed the live re-clustering, as measured live (docs/ACCURACY.md,
        // "live, with some people enrolled"); `.name` is the offline default since CAM++.
        options.enrolmentUse = .select
        if discovering {
            if let merge = discoverySameVoice { options.sameVoiceSimilarity = merge } else { options.fewerPeopleWeight = RoomDiarizer.Options.atMostWeight }
        }
        var diarizer = RoomDiarizer(speakers: speakers, framesPerSecond: Double(format.sampleRate) / Double(geometry.hopLength), options: options)
        var pushedIndex: [Int] = []   // entry of each pushed speech frame
        recentFeatures.withUnsafeBufferPointer { p in
            for k in 0..<n {
                if k > 0 && recentFrame[k] != recentFrame[k - 1] + 1 {
                    diarizer.push(features: UnsafeBufferPointer(rebasing: p[(k * coefficients)..<((k + 1) * coefficients)]), speech: false)
                    pushedIndex.append(-1)
                }
                diarizer.push(features: UnsafeBufferPointer(rebasing: p[(k * coefficients)..<((k + 1) * coefficients)]), speech: true)
                pushedIndex.append(k)
            }
        }
        var found = diarizer.finishBlocks(enrolled: enrolled.map(\.voice),
                                          embed: embedder == nil ? nil : { [self] windows in self.gridEmbeddings(windows, pushedIndex: pushedIndex) })
        if !enrolled.isEmpty { microphoneShift = diarizer.microphoneShift }
        if discovering && found.peopleFound < 2 { return }
        // A talker the re-clustering split in two to make up `speakers` is one voice again where the
        // segmentation network hears one voice, as offline (`sameVoice`).
        if let same = sameVoice, enrolled.isEmpty, speakers >= 2, let segmenter, let similarity = diarizer.voiceSimilarity(found),
           let first = recentFrame.first {
            let perChunk = SpeakerSegmenter.framesPerChunk
            let firstChunk = RoomAnalysis.networkFrame(first, geometry: geometry) / perChunk
            let lastChunk = RoomAnalysis.networkFrame(recentFrame[n - 1], geometry: geometry) / perChunk
            var evidence = RoomAnalysis.SameVoiceEvidence(speakers: speakers, firstChunk: firstChunk, chunks: lastChunk - firstChunk + 1)
            let perFrame = found.perFrame
            for (j, k) in pushedIndex.enumerated() where k >= 0 {
                let g = RoomAnalysis.networkFrame(recentFrame[k], geometry: geometry)
                evidence.add(person: Int(perFrame[j]), networkFrame: g, class: segmenter.frameClass(g) ?? 0)
            }
            if let map = evidence.renaming(labels: found, same: same, similarity: similarity,
                                           framesPerSecond: Double(format.sampleRate) / Double(geometry.hopLength)) {
                found.rename(map)
            }
        }
        let offline = found.perFrame
        var common = [Double](repeating: 0, count: speakers * speakers)
        for (j, k) in pushedIndex.enumerated() where k >= 0 && offline[j] >= 0 && recentLabel[k] >= 0 {
            common[Int(offline[j]) * speakers + Int(recentLabel[k])] += 1
        }
        // The re-clustering's voice e < enrolled.count is enrolled voice e: its person is fixed. The other
        // voices go to the other people with the most speech in common.
        let fixed = enrolled.count
        let free = (0..<speakers).filter { p in !enrolled.contains { $0.person == p } }
        let pick = BestAssignment.solve((fixed..<speakers).map { i in free.map { common[i * speakers + $0] } })
        let map = enrolled.map(\.person) + pick.map { free[$0] }
        var labels = [Int8](repeating: -1, count: n)
        for (j, k) in pushedIndex.enumerated() where k >= 0 && offline[j] >= 0 { labels[k] = Int8(map[Int(offline[j])]) }
        // A pause (a jump in the frame index) breaks the retraining windows as it broke the clustering's
        // blocks. Frames past `n` have no online label yet and no offline one: they are left out.
        assigner.retrain(features: recentFeatures, featureCount: coefficients, labels: labels, frames: recentFrame, activating: discovering)
        // Labels not yet accounted take the re-clustering's person.
        for k in 0..<n where labels[k] >= 0 && recentFrame[k] >= committedFrames && recentFrame[k] < labelledFrames {
            pendingLabels[pendingHead + recentFrame[k] - committedFrames] = labels[k]
        }
    }

    public func finish() -> SessionResult {
        if let finished { return finished }
        network?.finish { gate!.add(probability: $0) }
        gate?.finish()
        if let finer {
            _ = finer.finish()
            finer.takeDecisions { finerSpeech.append($0) }
        }
        let speech = vad.finish()   // pads the last frame with silence and flushes the smoothing
        drainDecisions()
        assigner.finish()
        pushLabels()
        if segmenter != nil {
            do throws(SpeakerSegmenter.Failure) { try segmenter?.finish() } catch { dropSegmenter() }
        }
        // A last re-clustering revises what still waits, then everything is accounted.
        if revisionDelayFrames > 0 { refresh() }
        account(keeping: 0)
        overlap?.finish()
        takeOverlap()
        shaper.finish(to: &conversation)
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
        result.note = "one microphone for the room, \(speakers) people: who speaks when decided online (\(origin)), block by block"
            + (revisionDelayFrames > 0 ? ", each label revised within \(String(format: "%.0f", revisionDelaySeconds)) s by re-clustering the last minutes of speech" : "")
        // With two people the network finds overlap from the start; with three only once two voices are modelled
        // (they say who is underneath), as the voices' own overlap does.
        if let overlap, overlap.firstScoredFrame != nil || (segmenter != nil && speakers == 2) {
            result.overlapInPart = SessionResult.overlapFromVoicesLive(
                since: overlap.firstScoredFrame.map { Self.clock(seconds: $0 * geometry.hopLength / format.sampleRate) }, network: segmenter != nil)
            if !overlap.options.reportsBackchannels { result.dropBackchannels() }
        } else {
            result.overlapNotMeasured = overlap == nil ? SessionResult.oneVoiceAtATime : SessionResult.tooFewVoices
        }
        finished = result
        return result
    }
}
