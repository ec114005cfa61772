import Foundation

/// Who speaks when on ONE microphone for the room, for a known number of people, from the voices
/// themselves (cepstral statistics, agglomerative clustering, Gaussian re-segmentation; the first
/// clustering from neural voice embeddings when the caller gives them, `finishBlocks(embed:)`).
///
/// Feed it one 10 ms frame at a time: the frame's feature vector (the `MelCepstrum` coefficients
/// c0...c12, c0 is ignored by default) and whether the voice activity detector called it speech. At
/// `finishBlocks()` it returns a person per block of speech frames (`Labels`: -1 no speech outside the
/// blocks, 0..<speakers a person, numbered in order of first appearance); `finish()` spells that out as a
/// label per pushed frame.
///
/// Method:
/// 1. Speech frames are gathered into *blocks* of at most `blockFrames` consecutive speech frames; a
///    block keeps only its first frame, its frame count and the sum and sum of squares of each feature.
/// 2. At `finish()` the features are normalised per session (cepstral mean and variance, exact on the
///    block sums). Sliding windows of about `windowSeconds` of speech every `hopSeconds` of speech
///    (skipping the silences) get an embedding: the mean and the log standard deviation of each
///    feature. Average-linkage agglomerative clustering merges them down to exactly `speakers` clusters
///    (above `maxClusteredWindows` windows an evenly spaced subset is clustered and the rest join the
///    nearest cluster centroid). By default (`Options.Clustering.overclustered`) this is done by cosine
///    and by Euclidean distance, into `speakers` and into one more cluster with each pair merged; every
///    candidate is re-segmented (step 3) and the likeliest, with changes of person costing extra, kept.
///    When the caller can embed windows with a neural network (`finishBlocks(embed:)`, see
///    `Options.voiceEmbedding` and `Options.voiceNetwork`), the windows' embeddings are clustered instead
///    (cosine, average linkage, `speakers` clusters of at least `minClusterWindows` windows, the other
///    windows joining the nearest; at most `maxEmbeddedWindows`; with `sameVoiceSimilarity` clusters of
///    one voice merged) and that one clustering is re-segmented.
/// 3. Re-segmentation: a diagonal Gaussian per cluster is fitted on the blocks it holds; every block is
///    scored under each Gaussian (exact from the block sums) and a Viterbi pass with a speaker-switch
///    penalty relabels the blocks; repeated `iterations` times.
/// 4. Enrolment (optional, `finish(enrolled:)`): each enrolled voice's statistics are normalised with the
///    session's, matched one-to-one to a cluster, and seed and anchor that person's Gaussian (see
///    `Options.enrolmentUse`); enrolled people get labels 0..<enrolled.count. Voices recorded on another
///    microphone, all offset the same way from the session's voices, are first moved back by that offset
///    (`Options.otherMicrophoneShift`, `microphoneShift`).
///
/// Memory: no label per pushed frame (a frame is speech iff it lies in a block). Per block of up to
/// 0.2 s of speech: two 32-bit integers and 2 x D floats (D = features used, 12 by default), 104 bytes,
/// kept by a `BlockStore`: one chunk of 2048 blocks (213 kB) in memory, the full chunks in an unlinked
/// 0600 temporary file (feature statistics only, never audio; if no such file can be made or written the
/// chunks stay in memory, about 2.5 MB per hour of speech, and `spillFailure` says why). `finish` reads
/// them a chunk at a time, normalised as read, and makes the window embeddings only when needed; it adds
/// the distance matrix of at most `maxClusteredWindows`^2 doubles (about 11.5 MB at 1200), the clustered
/// embeddings, and what still grows with the session, all small: per block a label (an `Int`) in a few
/// segmentations at a time (the candidate being judged and the best so far) and in the window clustering, the Viterbi pass's way back (one byte per block
/// and person), per window of the clustering its block range and cluster, and the result's one byte
/// per block. Together under 1 MB per hour of speech (`tools/bench`: 1 h and 2 h of one channel peak
/// at 39.3 and 39.6 MB with `.overclustered`; before the store, 39.5 and 41.9 MB).
///
/// Not handled in this version: overlapping speech (each speech frame gets exactly one person) and
/// speakers who never get enough speech to form their own cluster.
public struct RoomDiarizer: Sendable {
    public struct Options: Sendable, Equatable {
        /// Features before this index are ignored (c0, the frame's loudness, is no voice property).
        public var firstFeature: Int = 1
        /// Features from this index on are ignored (nil: use all).
        public var endFeature: Int? = nil
        /// Longest block of speech frames summarised together (the time resolution of re-segmentation).
        public var blockFrames: Int = 20
        public var windowSeconds: Double = 1.5
        public var hopSeconds: Double = 0.5
        /// Use the log standard deviation as well as the mean in the clustering embedding.
        public var useDeviation: Bool = true
        /// Natural-log likelihood a change of speaker costs in the re-segmentation.
        public var switchPenalty: Double = 80
        /// `switchPenalty` when the stereo cues join the voice features (`RoomAnalysis`, `--spatial`):
        /// where each voice comes from makes a short run of the other voice, a backchannel, believable,
        /// and such a run counts for both people (`Labels.underlying`). Chosen on the tuning seeds
        /// (`tools/evaluate --stereo-overlap` 1501-1508 and `--stereo` 901-906; 10, 20, 40, 60, 80): 20
        /// took the two-person dry / room mixes from 10.0 / 11.0% to 7.9 / 9.5% strict DER and the
        /// stereo rooms from 11.7% to 10.8%; kept out (1601-1608, 911-914) 11.0 / 12.3% -> 10.6 / 10.8%
        /// and 12.1% -> 11.8%. The quiet partner recorded in stereo (`--quiet-partner --stereo`) does not
        /// change (share error 0.3 points, 0.6 on `--sweep-base 3001`). On one channel a lower penalty
        /// splits the quiet partner's session (docs/ACCURACY.md), so `switchPenalty` stays 80 there.
        public var spatialSwitchPenalty: Double = 20
        public var iterations: Int = 3
        public var maxClusteredWindows: Int = 1200
        /// Cluster the voices by neural embeddings (`voiceNetwork`) when the caller can make them
        /// (`finishBlocks(embed:)`; no enrolled voices, no `fewerPeopleWeight`): on the AMI excerpts strict
        /// DER 54.4% -> 48.1% (docs/ACCURACY.md, "neural voice embeddings").
        public var voiceEmbedding: Bool = true
        /// The network that embeds the windows (offline; the live re-clustering uses `VoiceEmbedder`).
        public enum VoiceNetwork: String, Sendable, Equatable, CaseIterable {
            /// CAM++ (`SpeakerEmbedder`, the default since 2026-11-28): on the fresh rooms 1701-1706 strict
            /// DER 11.9% -> 8.3% (a clustering failure fixed), the AMI excerpts 40.7% -> 40.0%; one
            /// synthetic quiet partner worse (docs/ACCURACY.md, "CAM++"). Its large products on 8-bit
            /// steps since 2026-11-29 where the CPU has AVX-512 VNNI, else in float
            /// (`SpeakerEmbedder.Precision.fastest`; docs/ACCURACY.md, "CAM++ on 8-bit steps").
            case camPlusPlus = "cam"
            /// CAM++ with its products in float, as before they ran on 8-bit steps (hidden
            /// `--voice-embedding cam-float`; docs/ACCURACY.md, "CAM++ on 8-bit steps").
            case camPlusPlusFloat = "cam-float"
            /// Resemblyzer's GE2E encoder (`VoiceEmbedder`), the network before (hidden `--voice-embedding resemblyzer`).
            case resemblyzer
        }
        public var voiceNetwork: VoiceNetwork = .camPlusPlus
        /// Most windows embedded (evenly spaced when there are more): bounds the network's work. CAM++ in
        /// float costs about four times Resemblyzer's network a window; 300 keeps an hour over 100x real
        /// time, and ten minutes too where CAM++ runs on 8-bit steps (tools/bench, docs/BENCHMARKS.md). On ten-minute rooms (`analyze --embedded-windows N`, fresh
        /// sets 2601 / 2801 at 600 s) 150 windows gave 8.2% / 8.6% strict DER, 300 7.3% / 7.4%, 600 7.1% /
        /// 7.1% (docs/ACCURACY.md, "how many windows the voice network embeds").
        public var maxEmbeddedWindows: Int = 300
        /// With the speaker segmentation network (`RoomAnalysis.refinedChanges`): how far, in seconds, a change
        /// of person with no silence between moves from the edge of the re-segmentation's blocks to where the
        /// network hears it. nil: the changes stay at the blocks' edges. Chosen on the tuning rooms
        /// (`tools/evaluate --room --analyze-option --change-refinement=S`): off 7.8%, 0.1 s 7.5%, 0.2 s 7.4%
        /// strict DER (0.2 s lets a change cross all of a block but its last frame; docs/ACCURACY.md,
        /// "changes of person where the network hears them").
        public var changeRefinementSeconds: Double? = 0.2
        /// With the neural embeddings: once the windows are in `speakers` clusters, two clusters whose
        /// windows' mean cosine similarity is above this are one voice, and are merged (again, while a
        /// pair is): fewer people than `speakers` are found when some were never heard alone for a
        /// window, rather than one talker split to make up the number. nil: exactly `speakers`.
        public var sameVoiceSimilarity: Double? = nil
        /// With the neural embeddings: a cluster of fewer windows than this is not a person but windows
        /// that mix voices (or noise): the windows are clustered into more clusters, until `speakers` of them
        /// have at least this many windows (at most `speakers + 8` clusters), and the windows of the rest
        /// join the nearest of those. nil (or never reached): the `speakers` clusters as they come.
        /// 2: a window of its own is no person (a window across two voices, which CAM++ can place far
        /// from both). With CAM++, measured against 1 (`--min-cluster-windows`): AMI excerpts strict DER
        /// 42.1% -> 40.0% (ami-trn06 55.3% -> 40.5%); the rooms and quiet partners do not change.
        public var minClusterWindows: Int? = 2
        /// With the neural embeddings: in the re-segmentation on the cepstra, a block's likelihood under
        /// the person the windows' clustering gave it gains, per frame (natural log), this times the
        /// clustering's margin there (`clusterMargins`: how much nearer its window is to its own cluster
        /// than to any other, in cosine similarity; none when not nearer). So the cepstral Gaussians move a
        /// block to another person only where they are surer than the voice network, and where a window
        /// mixes voices (an interruption, a backchannel) or the voices are alike, they decide as before.
        /// nil: the clustering only starts the re-segmentation. Chosen on the tuning rooms
        /// (docs/ACCURACY.md, "the voice network's clustering holds in the re-segmentation").
        public var embeddingPriorWeight: Double? = 2.0
        /// With the speaker segmentation network (offline, no enrolment, no names from the session): two
        /// people are one voice, and merged, when the network hears them as one and their voices are alike
        /// (`SameVoice`, `RoomAnalysis.sameLocalSpeaker`). Fewer people than `speakers` are then found,
        /// rather than one talker split to make up the number. Only with the neural embeddings. nil:
        /// exactly `speakers`.
        public var sameLocalSpeaker: SameVoice? = SameVoice()
        /// When two people found are one voice (`sameLocalSpeaker`): in some 10 s chunk the segmentation
        /// network gives the frames of both, where each speaks alone, mostly (`purity`) to one local speaker,
        /// at least `seconds` each, and in no chunk to two different ones; their windows' neural
        /// embeddings have a mean cosine similarity of at least `similarity` (`voiceSimilarity`); and one of
        /// them has at most `maxTalkSeconds` of speech in all. Without the last two, real people were merged:
        /// the network gave two different voices one local speaker in a chunk (four generated rooms,
        /// paa-diarizationExample2); without the last, two synthetic quiet partners with 12 s and 24 s of
        /// speech were merged with their partners. Chosen looking at the AMI excerpts and the quiet partners
        /// (docs/ACCURACY.md, "a talker split in two is one voice again").
        public struct SameVoice: Sendable, Equatable {
            public var seconds = 1.0
            public var purity = 0.8
            public var similarity = 0.3
            public var maxTalkSeconds = 8.0
            /// The speech of the one who speaks less at most this share of the other's (nil: no such condition;
            /// the live check's, `RoomSessionAnalyzer.defaultSameVoice`).
            public var maxTalkRatio: Double? = nil
            public init() {}
        }
        public enum Clustering: String, Sendable, Equatable, CaseIterable {
            /// Average-linkage agglomerative clustering of window embeddings, cosine distance.
            case cosine
            /// The same with Euclidean distance. Alone it leaves outlying windows as clusters of their own
            /// (three-person rooms lost a voice), so it is used through `.likelier`.
            case euclidean
            /// Both `.cosine` and `.euclidean`, each re-segmented; keeps the segmentation with the higher
            /// likelihood (blocks under their cluster's Gaussian, minus the switch penalties). Cosine
            /// distance is measured from the session's mean window, which one dominant talker pulls to
            /// their own voice: their windows then point every way, get split in two, and a quiet person
            /// is merged into one half. Euclidean distance has no centre. Measured (pooled strict DER,
            /// `.cosine` -> `.likelier`): reverberant rooms 14.7% -> 13.7% (tuning) and 20.1% -> 15.9%
            /// (held out); AMI excerpts 70.7% -> 61.2% (confusion 28.0% -> 18.5%); the live set's offline
            /// column 17.5% -> 12.4%; but paa-diarizationExample2 (six people, 3.5 s each) 16.0% -> 30.9%.
            case likelier
            /// `.likelier` with more candidates and a stricter judge: the `.cosine` and `.euclidean`
            /// clusterings into `speakers`, and (up to 3 people) into `speakers + 1` with each pair of clusters merged,
            /// every one re-segmented; keeps the likeliest (as `.likelier`) where each change of person
            /// costs `selectionExtraSwitchPenalty` more than in the re-segmentation. A talker whose voice
            /// has two registers (or whose content repeats) is likelier split in two, with a quiet
            /// partner merged into one half, than kept whole under one Gaussian per person; but the
            /// halves then alternate all through the talker's turns, and the stricter judge counts
            /// that. Measured (pooled strict DER, `.likelier` -> this): see docs/ACCURACY.md.
            case overclustered
            /// Agglomerative clustering of non-overlapping windows by the generalised likelihood ratio of
            /// diagonal Gaussians (the BIC merge criterion). Experimental: measured worse than `.cosine`
            /// (generated conversations 0.129 vs 0.101 strict DER with the reference speech mask) and its
            /// pair search is cubic in the number of windows (at most `maxClusteredWindows`).
            case glr
        }
        public var clustering: Clustering = .overclustered
        /// With `.overclustered`: what a change of person costs when choosing among the candidates, on
        /// top of `switchPenalty` (chosen on the tuning rooms and quiet-partner sessions: 0, 25, 50,
        /// 75, 100, 125, 150; 50 was best).
        public var selectionExtraSwitchPenalty: Double = 50
        /// With `.glr`: once at `speakers` clusters, keep merging while BIC (penalty weight `bicLambda`)
        /// says two clusters are one voice (people who hardly spoke). nil: exactly `speakers`.
        public var bicLambda: Double? = nil
        /// With `.likelier` or `.overclustered` and no enrolled voices: `speakers` is the most people
        /// there may be, not the number (`analyze`'s hidden `--max-speakers N`; not offered: it merges real
        /// people too often, see docs/ACCURACY.md). Once the segmentation into
        /// `speakers` is chosen, the two people whose merger (re-segmented) scores best are merged, again
        /// and again, while that raises the score: the likelihood, less the judgement's switch charges,
        /// less a BIC charge per person of this weight × ½ × 2 parameters per feature × ln(speech frames).
        /// nil: exactly `speakers` people (other clusterings ignore it).
        public var fewerPeopleWeight: Double? = nil
        /// The weight `--max-speakers` uses, chosen on the tuning rooms analysed with one person more than
        /// there are (0, 3, 5, 6, 8, 10: 8 was best) and with the true number, and on the quiet-partner
        /// sessions (unchanged up to 8). Held out it merged real people (docs/ACCURACY.md).
        public static let atMostWeight = 8.0
        /// What enrolled voices (see `finish(enrolled:)`) do besides naming the clusters.
        public enum EnrolmentUse: String, Sendable, Equatable, CaseIterable {
            /// Only name: cluster and re-segment as without enrolment (with the neural embeddings when
            /// given), then match voices to clusters.
            case name
            /// Anchor: match voices to the clustering's clusters, then let each enrolled voice's
            /// statistics (times `enrolmentWeight`) join its cluster's Gaussian in every re-segmentation
            /// round, so the models cannot drift off the enrolled voices; match again at the end.
            case anchor
            /// Seed: the first labels come from decoding the session with the enrolled voices' Gaussians
            /// (plus the Gaussians of the clusters no voice matched, when not everyone is enrolled;
            /// everyone enrolled: no clustering), then as `.anchor`.
            case seed
            /// Run `.anchor` and `.seed` and keep the segmentation with the higher log-likelihood (session
            /// blocks under their cluster's Gaussian, minus the switch penalties, plus each enrolment under
            /// its matched cluster's Gaussian, weighted by `enrolmentWeight`).
            case select
        }
        /// Measured on generated real-voice conversations (tuning seeds 101-106, 2 and 3 people, strict /
        /// 0.25 s collar DER; docs/ACCURACY.md). Everyone enrolled: no enrolment or `.name` 0.190 / 0.143,
        /// `.anchor` 0.151 / 0.094 (one of 12 misnamed), `.seed` 0.113 / 0.052, `.select` 0.112 / 0.052
        /// (weight 0.5). All but the last person enrolled: `.anchor` 0.191 / 0.143, `.seed` 0.181 / 0.136,
        /// `.select` 0.156 / 0.106. Clustering sometimes splits one voice and merges two others; seeding
        /// from the enrolment avoids that, and selecting by likelihood keeps the clustering's answer where
        /// it was the better one. Since the offline analysis clusters by CAM++ and holds that clustering in
        /// the re-segmentation, `.name` (which then uses them) is the better one offline: everyone enrolled,
        /// strict DER 5.5% -> 5.1% on 101-106 and 6.5% -> 5.0% on the held-out 201-206, all but the last
        /// 5.5% -> 5.1%, every person named (`tools/measure-enrolment`; docs/ACCURACY.md, "enrolment names
        /// the held clustering"). The live re-clustering keeps `.select` (no CAM++ there).
        public var enrolmentUse: EnrolmentUse = .name
        /// With `.anchor`, `.seed` and `.select`: an enrolled voice counts as this many times its own frames
        /// in its person's Gaussian (measured: 0.5 and 1 alike with everyone enrolled, 0.5 better with some
        /// enrolled, 2 worse).
        public var enrolmentWeight: Double = 0.5
        /// Enrolment recordings made on another microphone than the session: when two or more voices are
        /// enrolled and their cepstra sit this far (or farther) from the session's voices matched to them,
        /// all in one direction (`MicrophoneShift.size`), the enrolled voices are moved by that common
        /// offset before they are used. A microphone's frequency response multiplies the spectrum, which
        /// adds the same vector to every frame's cepstrum, whoever speaks. Chosen from
        /// `tools/measure-enrolment --clip-effect` (seeds 101-103, 201-203): the same microphone, or clips
        /// through ±8 dB of equaliser, a reverberant room, a 150 Hz high-pass or a 3 kHz low-pass, sit
        /// 0.5-1.3 from the session; clips through a telephone band (300-3400 Hz) 4.5-5.5 (sizes printed by
        /// a build for the purpose; the DER and naming figures are rerunnable, docs/ACCURACY.md). nil: never
        /// move them.
        public var otherMicrophoneShift: Double? = 2.0
        /// The first this many features in use are spectral (the cepstra, c1...c12): a microphone moves
        /// them. The rest (the pitch, the stereo cues) it does not.
        public var spectralFeatures: Int = 12
        public init() {}
    }

    public let speakers: Int
    public let framesPerSecond: Double
    public let options: Options

    /// How far the enrolled voices sit from the session's voices, all in one direction (see
    /// `Options.otherMicrophoneShift`); set by `finishBlocks(enrolled:)` when voices are enrolled.
    public struct MicrophoneShift: Sendable, Equatable {
        /// The length of the common offset, in session standard deviations over the spectral features. With
        /// one enrolled voice: its distance to the nearest of the session's voices.
        public var size: Double
        /// Whether `size` is at least `Options.otherMicrophoneShift`: the recordings sound as if made on
        /// another microphone than the session.
        public var otherMicrophone: Bool
        /// Whether the enrolled voices were moved by the offset (`otherMicrophone`, and two or more
        /// voices). With one voice the offset cannot be told from the voice itself.
        public var compensated: Bool
    }
    public private(set) var microphoneShift: MicrophoneShift?
    /// The windows the neural embeddings clustered (with them; empty otherwise): the block at each one's
    /// centre and its embedding as a unit vector. At most `Options.maxEmbeddedWindows`.
    private(set) var embeddedWindows: [(centreBlock: Int, unit: [Double])] = []

    /// Frames pushed so far (a frame is speech iff it lies in a block).
    public private(set) var frameCount = 0
    private var featureCount = -1
    /// The blocks (first frame, frame count, D sums and D sums of squares), made at the first speech
    /// frame; full chunks of it live in an unlinked temporary file (see `BlockStore`).
    private var store: BlockStore?
    private let chunkBlocks: Int
    private let spillDirectory: String?
    private var open = false
    private var finished = false

    public init(speakers: Int, framesPerSecond: Double, options: Options = Options()) {
        self.init(speakers: speakers, framesPerSecond: framesPerSecond, options: options,
                  chunkBlocks: BlockStore.defaultChunkBlocks, spillDirectory: nil)
    }

    /// As the public initialiser, with the store's chunk size and temporary folder (tests).
    init(speakers: Int, framesPerSecond: Double, options: Options = Options(), chunkBlocks: Int, spillDirectory: String?) {
        precondition(speakers >= 1 && speakers <= 100, "speakers must be 1...100")
        precondition(framesPerSecond > 0)
        precondition(options.blockFrames >= 1 && options.windowSeconds > 0 && options.hopSeconds > 0)
        self.speakers = speakers
        self.framesPerSecond = framesPerSecond
        self.options = options
        self.chunkBlocks = chunkBlocks
        self.spillDirectory = spillDirectory
    }

    /// Why the blocks stay in memory instead of the temporary file (nil: they do not; see `BlockStore`).
    public var spillFailure: BlockStoreError? { store?.spillFailure }

    /// Adds one frame. `features` must have the same length on every call (at least `firstFeature + 1`).
    public mutating func push(features: UnsafeBufferPointer<Float>, speech: Bool) {
        precondition(!finished, "push after finish")
        let frame = frameCount
        frameCount += 1
        guard speech else { open = false; return }
        if featureCount < 0 {
            let end = min(options.endFeature ?? features.count, features.count)
            precondition(end > options.firstFeature, "too few features")
            featureCount = end - options.firstFeature
            store = BlockStore(dims: featureCount, chunkBlocks: chunkBlocks, directory: spillDirectory)
        }
        // A copy of this diarizer shares the store: the one that pushes first takes its own.
        if !isKnownUniquelyReferenced(&store) { store = store!.copy() }
        let blocks = store!
        if !open || blocks.lastFrames >= options.blockFrames {
            blocks.append(start: frame)
            open = true
        }
        blocks.addFrame(features, first: options.firstFeature)
    }

    public mutating func push(features: [Float], speech: Bool) {
        features.withUnsafeBufferPointer { push(features: $0, speech: speech) }
    }

    /// A label per pushed frame: -1 no speech, 0..<speakers in order of first appearance.
    /// One byte per frame: for tests and short sessions; `finishBlocks` does not hold them.
    public mutating func finish() -> [Int8] { finish(enrolled: []) }

    /// As `finishBlocks(enrolled:)`, as a label per pushed frame (one byte per frame).
    public mutating func finish(enrolled: [VoiceStatistics]) -> [Int8] { finishBlocks(enrolled: enrolled).perFrame }

    /// The labels, per block of speech frames: -1 no speech; `enrolled[e]` gets label e; the people not
    /// enrolled get `enrolled.count`..<speakers in order of first appearance.
    ///
    /// `enrolled` holds at most `speakers` voices measured with the same front end as the pushed
    /// features (all coefficients, raw: this diarizer normalises them with the session's statistics and
    /// uses the same coefficient range). Voices are matched to clusters one-to-one by the symmetric
    /// average log-likelihood of each voice's frames under the cluster's Gaussian and the cluster's frames
    /// under the voice's Gaussian; what else they do is `options.enrolmentUse`.
    ///
    /// Call once: it takes no more frames afterwards. The statistics are normalised as they are read
    /// (`BlockReader`), a chunk at a time; the store is not changed (a copy of this diarizer finishes on
    /// its own). Memory besides the store's chunks: per block a label (an `Int`) in a few candidate
    /// segmentations at a time, the Viterbi pass's way back (one byte per block and person) and the window
    /// clustering (see the type's comment).
    public mutating func finishBlocks(enrolled: [VoiceStatistics] = [], embed: WindowEmbedding? = nil) -> Labels {
        precondition(enrolled.count <= speakers, "more enrolled voices than speakers")
        precondition(!finished, "finish called twice")
        finished = true
        guard let store, store.count > 0 else { return Labels(frameCount: frameCount, store: nil, blockLabels: []) }
        let blocks = store.count
        guard speakers > 1 else {
            return Labels(frameCount: frameCount, store: store, blockLabels: [Int8](repeating: 0, count: blocks))
        }
        let (mean, scale) = normalisation(BlockReader(store))
        let stats = BlockReader(store, mean: mean, scale: scale)
        var voices = enrolled.map { normalisedVoice($0, mean: mean, scale: scale) }
        if !voices.isEmpty {
            let (shift, offset) = commonOffset(of: voices, stats: stats)
            let other = options.otherMicrophoneShift.map { shift >= $0 } ?? false
            let compensate = other && voices.count >= 2
            if compensate { voices = voices.map { $0.moved(by: offset) } }
            microphoneShift = MicrophoneShift(size: shift, otherMicrophone: other, compensated: compensate)
        }
        let d = featureCount
        let blockLabels: [Int]
        switch options.enrolmentUse {
        case .seed where !voices.isEmpty:
            blockLabels = seeded(stats: stats, voices: voices)
        case .select where !voices.isEmpty:
            var candidates = [anchored(stats: stats, voices: voices, distance: .cosine), seeded(stats: stats, voices: voices)]
            if options.clustering == .likelier || options.clustering == .overclustered {
                candidates.append(anchored(stats: stats, voices: voices, distance: .euclidean))
            }
            let scores = candidates.map { objective(stats: stats, labels: $0, voices: voices) }
            var best = 0
            for i in 1..<candidates.count where scores[i] > scores[best] { best = i }   // ties: the earlier
            blockLabels = candidates[best]
        case .name where !voices.isEmpty:
            if let embedded = embeddedSegmentation(stats: stats, embed: embed) {
                blockLabels = embedded
            } else {
                let initial = initialLabels(stats: stats)
                blockLabels = Self.resegment(stats: stats, dims: d,
                                             initial: initial, speakers: (initial.max() ?? 0) + 1, options: options)
            }
        default:
            if voices.isEmpty, let embedded = embeddedSegmentation(stats: stats, embed: embed) {
                blockLabels = embedded
            } else if voices.isEmpty && (options.clustering == .likelier || options.clustering == .overclustered) {
                blockLabels = likeliestCandidate(stats: stats, overclustered: options.clustering == .overclustered)
            } else {
                blockLabels = anchored(stats: stats, voices: voices)
            }
        }
        // Enrolled voices first (by a final match), the rest in order of first appearance.
        var map = [Int](repeating: -1, count: speakers)
        if !voices.isEmpty {
            let match = Self.match(voices: voices, stats: stats, dims: d, labels: blockLabels, clusters: speakers)
            for (e, c) in match.enumerated() { map[c] = e }
        }
        var next = voices.count
        var out = [Int8](repeating: 0, count: blocks)
        for b in 0..<blocks {
            let l = blockLabels[b]
            if map[l] < 0 { map[l] = next; next += 1 }
            out[b] = Int8(map[l])
        }
        return Labels(frameCount: frameCount, store: store, blockLabels: out)
    }

    /// What `finishBlocks` decides: a person per block of speech frames, in time order; every frame
    /// outside the blocks is no speech. Memory: one byte per block (a block holds up to 0.2 s of speech);
    /// the blocks' frames are read from the diarizer's store, a chunk at a time, as `forEachBlock` goes.
    public struct Labels: Sendable {
        /// Frames pushed, speech or not.
        public let frameCount: Int
        let store: BlockStore?
        /// The person of each block.
        private(set) var blockLabels: [Int8]

        init(frameCount: Int, store: BlockStore?, blockLabels: [Int8]) {
            self.frameCount = frameCount
            self.store = store
            self.blockLabels = blockLabels
        }

        /// Calls `body` with each block's frames and person, in time order.
        public func forEachBlock(_ body: (_ frames: Range<Int>, _ label: Int8) -> Void) {
            guard let store else { return }
            let reader = BlockReader(store)
            for b in blockLabels.indices {
                let start = Int(reader.start(b))
                body(start..<(start + Int(reader.frames(b))), blockLabels[b])
            }
        }

        /// Per block, the person who goes on speaking underneath it (-1: nobody): a run of one person's
        /// blocks of at most `maxFrames` frames, with no silence on either side, between two runs of one
        /// other person. DOMAIN calls that a within-speaker overlap, typically a backchannel: the floor
        /// holder does not stop for it. When the short run is really the holder's own voice taken for
        /// the other's, saying both costs no more than the confusion it already was (one wrong label a
        /// frame); when the holder did pause for it, it adds their false alarm. One byte per block.
        public func underlying(maxFrames: Int) -> [Int8] {
            var out = [Int8](repeating: -1, count: blockLabels.count)
            guard let store, blockLabels.count >= 3 else { return out }
            let reader = BlockReader(store)
            // Runs of one label over contiguous frames: (label, first block, end block, first frame, end frame).
            typealias Run = (label: Int8, first: Int, end: Int, start: Int, stop: Int)
            var previous: Run? = nil, middle: Run? = nil, current: Run? = nil
            func judge() {
                guard let a = previous, let b = middle, let c = current else { return }
                if a.label == c.label, b.label != a.label, a.stop == b.start, b.stop == c.start, b.stop - b.start <= maxFrames {
                    for i in b.first..<b.end { out[i] = a.label }
                }
            }
            for b in blockLabels.indices {
                let start = Int(reader.start(b)), stop = start + Int(reader.frames(b)), label = blockLabels[b]
                if var run = current, run.label == label, run.stop == start {
                    run.end = b + 1; run.stop = stop; current = run
                } else {
                    judge()
                    previous = middle; middle = current
                    current = (label, b, b + 1, start, stop)
                }
            }
            judge()
            return out
        }

        /// The people with speech: labels are 0..<peopleFound (numbered in order of first appearance
        /// without enrolment; fewer than `speakers` only if someone got no block).
        public var peopleFound: Int { Int(blockLabels.max() ?? -1) + 1 }

        /// Walks the frames in order: `label(at:)` says whose block holds a frame (-1: none) and which
        /// block it is, reading the blocks as it goes (nothing per frame is held).
        struct FrameCursor {
            let reader: BlockReader?
            let labels: [Int8]
            var block = 0
            init(_ labels: Labels) { reader = labels.store.map { BlockReader($0) }; self.labels = labels.blockLabels }
            /// Frames must be asked in increasing order.
            mutating func label(at frame: Int) -> (label: Int8, block: Int) {
                guard let reader else { return (-1, -1) }
                while block < labels.count && Int(reader.start(block)) + Int(reader.frames(block)) <= frame { block += 1 }
                guard block < labels.count, Int(reader.start(block)) <= frame else { return (-1, -1) }
                return (labels[block], block)
            }
        }

        /// The label of `frame`, -1 no speech (a binary search over the blocks).
        public func label(at frame: Int) -> Int8 {
            guard let store, !blockLabels.isEmpty else { return -1 }
            let reader = BlockReader(store)
            var low = 0, high = blockLabels.count
            while low < high {
                let mid = (low + high) / 2
                if Int(reader.start(mid)) + Int(reader.frames(mid)) <= frame { low = mid + 1 } else { high = mid }
            }
            guard low < blockLabels.count, Int(reader.start(low)) <= frame else { return -1 }
            return blockLabels[low]
        }

        /// A label per frame, -1 no speech (one byte per frame).
        public var perFrame: [Int8] {
            var out = [Int8](repeating: -1, count: frameCount)
            forEachBlock { frames, label in for f in frames { out[f] = label } }
            return out
        }

        /// Person l becomes `map[l]`.
        public mutating func rename(_ map: [Int8]) {
            for b in blockLabels.indices { blockLabels[b] = map[Int(blockLabels[b])] }
        }
    }

    // MARK: - Enrolment

    /// Clustering, voices matched to its clusters, re-segmentation with the voices anchoring their clusters.
    private func anchored(stats: BlockReader, voices: [Voice], distance: Options.Clustering? = nil) -> [Int] {
        let d = featureCount
        let initial = initialLabels(stats: stats, distance: distance)
        var anchors: [Int: Voice] = [:]
        if !voices.isEmpty {
            let match = Self.match(voices: voices, stats: stats, dims: d, labels: initial, clusters: speakers)
            for (e, c) in match.enumerated() { anchors[c] = voices[e].weighted(options.enrolmentWeight) }
        }
        let found = max((initial.max() ?? 0) + 1, (anchors.keys.max() ?? 0) + 1)
        return Self.resegment(stats: stats, dims: d, initial: initial,
                              speakers: found, options: options, anchors: anchors)
    }

    /// The first labels come from decoding with the enrolled voices' own Gaussians (plus, when not
    /// everyone is enrolled, the Gaussians of the clustering's clusters no voice matched), then
    /// re-segmentation with the voices anchoring their clusters. Everyone enrolled: no clustering at all.
    private func seeded(stats: BlockReader, voices: [Voice]) -> [Int] {
        let d = featureCount
        var models = voices.map { Self.mapModel(frames: $0.frames, sum: $0.sum, sumOfSquares: $0.sumOfSquares, stats: stats, dims: d) }
        if voices.count < speakers {
            // The people not enrolled: the clustering's clusters that no voice matched. (Tried instead:
            // the blocks a session-wide Gaussian explains better than any enrolled voice; the broad
            // Gaussian took most blocks and DER went to 0.38.)
            let clusters = initialLabels(stats: stats)
            let matched = Set(Self.match(voices: voices, stats: stats, dims: d, labels: clusters, clusters: speakers))
            for c in 0..<speakers where !matched.contains(c) {
                var n = 0.0
                var s1 = [Double](repeating: 0, count: d), s2 = s1
                stats.forEach { b, frames, sums in
                    guard clusters[b] == c else { return }
                    n += Double(frames)
                    for i in 0..<d { s1[i] += Double(sums[i]); s2[i] += Double(sums[d + i]) }
                }
                if n > 0 { models.append(Self.mapModel(frames: n, sum: s1, sumOfSquares: s2, stats: stats, dims: d)) }
            }
        }
        let initial = Self.decode(stats: stats, dims: d, models: models, penalty: options.switchPenalty)
        var anchors: [Int: Voice] = [:]
        for (e, v) in voices.enumerated() { anchors[e] = v.weighted(options.enrolmentWeight) }
        return Self.resegment(stats: stats, dims: d, initial: initial,
                              speakers: models.count, options: options, anchors: anchors)
    }

    /// Most people for whom `.overclustered` adds the merged candidates (a couple and the facilitator).
    /// Their number grows as (N + 1) N / 2 per distance (36 with 8 people), and with 8 people a live
    /// re-clustering of 5 minutes took most of the 0.32 s the ALSA buffer holds; with more people only
    /// the two plain clusterings are judged (with the extra charge per change of person).
    static let mostOverclustered = 3

    /// The `.cosine` and `.euclidean` clusterings into `speakers`, each re-segmented, and the one with the
    /// highest `objective` (ties: the earlier, the cosine clustering): `.likelier`. With `overclustered`
    /// (up to `mostOverclustered` people) also the clusterings into `speakers + 1` with each pair of
    /// clusters merged, and `selectionExtraSwitchPenalty` less per change of person.
    private func likeliestCandidate(stats: BlockReader, overclustered: Bool) -> [Int] {
        let d = featureCount, k = speakers
        let extraPenalty = overclustered ? options.selectionExtraSwitchPenalty : 0
        // Only the best labelling so far is kept (a candidate met twice scores the same, and ties keep
        // the earlier), so memory is two labellings whatever the number of candidates.
        var best: [Int] = [], bestScore = -Double.infinity
        func consider(_ initial: [Int]) {
            let labels = Self.numberedInOrder(Self.resegment(stats: stats, dims: d, initial: initial,
                                                             speakers: (initial.max() ?? 0) + 1, options: options))
            let score = judged(stats: stats, labels: labels, extraPenalty: extraPenalty)
            if score > bestScore { bestScore = score; best = labels }
        }
        for distance in [Options.Clustering.cosine, .euclidean] {
            consider(initialLabels(stats: stats, distance: distance))
            guard overclustered && k <= Self.mostOverclustered else { continue }
            let over = initialLabels(stats: stats, distance: distance, clusters: k + 1)
            guard (over.max() ?? 0) >= k else { continue }   // too few windows for one cluster more
            for a in 0..<k {
                for b in (a + 1)...k { consider(Self.numberedInOrder(over.map { $0 == b ? a : $0 })) }
            }
        }
        guard let weight = options.fewerPeopleWeight else { return best }
        return fewer(stats: stats, best: best, extraPenalty: extraPenalty, weight: weight)
    }

    /// A candidate segmentation's score when choosing among candidates: `objective` less
    /// `extraPenalty` per change of person.
    private func judged(stats: BlockReader, labels: [Int], extraPenalty: Double) -> Double {
        var changes = 0
        for b in 1..<max(1, labels.count) where labels[b] != labels[b - 1] { changes += 1 }
        return objective(stats: stats, labels: labels, voices: []) - extraPenalty * Double(changes)
    }

    /// `best` with people merged while the score rises (see `Options.fewerPeopleWeight`): each round
    /// tries every pair merged and re-segmented with one person fewer, and keeps the best if it beats
    /// the current segmentation.
    private func fewer(stats: BlockReader, best start: [Int], extraPenalty: Double, weight: Double) -> [Int] {
        let d = featureCount
        var speechFrames = 0.0
        stats.forEach { _, frames, _ in speechFrames += Double(frames) }
        let perPerson = weight * 0.5 * Double(2 * d) * log(max(2, speechFrames))
        func people(_ labels: [Int]) -> Int { (labels.max() ?? 0) + 1 }
        func score(_ labels: [Int]) -> Double {
            judged(stats: stats, labels: labels, extraPenalty: extraPenalty) - perPerson * Double(people(labels))
        }
        var best = start, bestScore = score(start)
        while people(best) > 1 {
            let m = people(best)
            var round: [Int]? = nil, roundScore = -Double.infinity
            for a in 0..<m {
                for b in (a + 1)..<m {
                    let initial = Self.numberedInOrder(best.map { $0 == b ? a : $0 })
                    let labels = Self.numberedInOrder(Self.resegment(stats: stats, dims: d, initial: initial,
                                                                     speakers: m - 1, options: options))
                    let s = score(labels)
                    if s > roundScore { roundScore = s; round = labels }
                }
            }
            guard let round, roundScore > bestScore else { break }
            best = round; bestScore = roundScore
        }
        return best
    }

    /// Log-likelihood of a segmentation: every block under its cluster's Gaussian (fitted on the
    /// cluster's blocks), minus the switch penalty per change, plus every enrolled voice's frames under
    /// the Gaussian of the cluster it matches, weighted by `enrolmentWeight` as in the fit. (Measured:
    /// without the enrolment term the clustering's answer wins where it is wrong, 0.152 vs 0.112 strict
    /// DER on the tuning seeds; unweighted, one 40 s session picked a seeding that doubled confusion.)
    private func objective(stats: BlockReader, labels: [Int], voices: [Voice]) -> Double {
        let d = featureCount, k = speakers
        var n = [Double](repeating: 0, count: k)
        var s1 = [[Double]](repeating: [Double](repeating: 0, count: d), count: k), s2 = s1
        stats.forEach { b, frames, sums in
            n[labels[b]] += Double(frames)
            for i in 0..<d {
                s1[labels[b]][i] += Double(sums[i])
                s2[labels[b]][i] += Double(sums[d + i])
            }
        }
        let session = SessionMoments(stats, dims: d)
        let models = (0..<k).map { Self.mapModel(frames: n[$0], sum: s1[$0], sumOfSquares: s2[$0], session: session) }
        var total = 0.0
        for c in 0..<k where n[c] > 0 { total += n[c] * models[c].averageLogLikelihood(frames: n[c], sum: s1[c], sumOfSquares: s2[c]) }
        for b in 1..<max(1, labels.count) where labels[b] != labels[b - 1] { total -= options.switchPenalty }
        let match = Self.match(voices: voices, stats: stats, dims: d, labels: labels, clusters: k)
        var enrol = 0.0
        for (e, c) in match.enumerated() {
            enrol += voices[e].frames * models[c].averageLogLikelihood(frames: voices[e].frames, sum: voices[e].sum,
                                                                         sumOfSquares: voices[e].sumOfSquares, dims: voices[e].known)
        }
        return total + options.enrolmentWeight * enrol
    }

    /// Sufficient statistics of some frames in the normalised feature space. Only the first `known`
    /// features were measured (an enrolment recording has the voice, not where the person sits: the
    /// stereo cues that follow the cepstra are unknown); the rest hold the session-wide distribution
    /// (mean 0, variance 1) and are left out wherever the voice is compared or anchors a model.
    struct Voice: Sendable {
        var frames: Double
        var sum: [Double]
        var sumOfSquares: [Double]
        var known: Int

        func weighted(_ w: Double) -> Voice {
            Voice(frames: w * frames, sum: sum.map { w * $0 }, sumOfSquares: sumOfSquares.map { w * $0 }, known: known)
        }

        /// Every frame moved by `offset` (its first `offset.count` features), exactly on the sums.
        func moved(by offset: [Double]) -> Voice {
            var out = self
            for i in offset.indices where i < known {
                out.sumOfSquares[i] += 2 * offset[i] * sum[i] + frames * offset[i] * offset[i]
                out.sum[i] += frames * offset[i]
            }
            return out
        }
    }

    /// The offset, over the spectral features, that best takes the enrolled voices' means to the means of
    /// the session's voices (a clustering and re-segmentation of the session alone, without the
    /// enrolment), and its length. Each voice is matched one-to-one to a session voice; the matching
    /// chosen is the one the best single offset explains (least squares over every voice and feature),
    /// so it does not depend on the offset's size. With one voice: the offset to its nearest session
    /// voice.
    private func commonOffset(of voices: [Voice], stats: BlockReader) -> (size: Double, offset: [Double]) {
        let d = featureCount
        let spectral = min(options.spectralFeatures, voices.map(\.known).min() ?? 0)
        let initial = initialLabels(stats: stats, distance: .cosine)
        let labels = Self.resegment(stats: stats, dims: d, initial: initial, speakers: (initial.max() ?? 0) + 1, options: options)
        let k = (labels.max() ?? 0) + 1
        var n = [Double](repeating: 0, count: k)
        var s1 = [[Double]](repeating: [Double](repeating: 0, count: spectral), count: k)
        stats.forEach { b, frames, sums in
            n[labels[b]] += Double(frames)
            for i in 0..<spectral { s1[labels[b]][i] += Double(sums[i]) }
        }
        // Difference of means, session voice c minus enrolled voice e.
        let difference = voices.map { v in (0..<k).map { c in (0..<spectral).map { s1[c][$0] / max(n[c], 1) - v.sum[$0] / v.frames } } }
        var best: (residual: Double, offset: [Double])? = nil
        // Every one-to-one matching (at most 8!/(8-v)!): the mean difference is the offset, what is left the residual.
        func search(_ e: Int, _ taken: [Int]) {
            guard e == voices.count else {
                for c in 0..<k where n[c] > 0 && !taken.contains(c) { search(e + 1, taken + [c]) }
                return
            }
            var offset = [Double](repeating: 0, count: spectral)
            for (v, c) in taken.enumerated() { for i in 0..<spectral { offset[i] += difference[v][c][i] / Double(voices.count) } }
            var residual = 0.0
            for (v, c) in taken.enumerated() { for i in 0..<spectral { residual += pow(difference[v][c][i] - offset[i], 2) } }
            if voices.count == 1 { residual = offset.reduce(0) { $0 + $1 * $1 } }
            if best == nil || residual < best!.residual { best = (residual, offset) }
        }
        search(0, [])
        guard let offset = best?.offset else { return (0, []) }
        return (offset.reduce(0) { $0 + $1 * $1 }.squareRoot(), offset)
    }

    /// `voice` restricted to the coefficients in use and mapped through the session's normalisation
    /// (x - mean) * scale, exactly on its sums.
    private func normalisedVoice(_ voice: VoiceStatistics, mean: [Double], scale: [Double]) -> Voice {
        let d = featureCount, first = options.firstFeature
        precondition(voice.coefficients > first, "enrolled voice has too few coefficients")
        let known = min(d, voice.coefficients - first)
        let n = Double(voice.frames)
        var s1 = [Double](repeating: 0, count: d), s2 = [Double](repeating: n, count: d)
        for i in 0..<known {
            let a = voice.sum[first + i], q = voice.sumOfSquares[first + i], m = mean[i], k = scale[i]
            s1[i] = (a - n * m) * k
            s2[i] = (q - 2 * m * a + n * m * m) * k * k
        }
        return Voice(frames: n, sum: s1, sumOfSquares: s2, known: known)
    }

    /// For each voice, its cluster (one-to-one; `clusters` >= voices; clusters without blocks fit nobody).
    static func match(voices: [Voice], stats: BlockReader, dims d: Int, labels: [Int], clusters k: Int) -> [Int] {
        var n = [Double](repeating: 0, count: k)
        var s1 = [[Double]](repeating: [Double](repeating: 0, count: d), count: k), s2 = s1
        stats.forEach { b, frames, sums in
            let l = labels[b]
            n[l] += Double(frames)
            for i in 0..<d {
                s1[l][i] += Double(sums[i])
                s2[l][i] += Double(sums[d + i])
            }
        }
        let scores = voices.map { v -> [Double] in
            let voiceModel = DiagonalGaussian(frames: v.frames, sum: v.sum, sumOfSquares: v.sumOfSquares)
            return (0..<k).map { c in
                guard n[c] > 0 else { return -1e12 }
                let clusterModel = DiagonalGaussian(frames: n[c], sum: s1[c], sumOfSquares: s2[c])
                return clusterModel.averageLogLikelihood(frames: v.frames, sum: v.sum, sumOfSquares: v.sumOfSquares, dims: v.known)
                    + voiceModel.averageLogLikelihood(frames: n[c], sum: s1[c], sumOfSquares: s2[c], dims: v.known)
            }
        }
        return BestAssignment.solve(scores)
    }

    // MARK: - Normalisation

    /// The per-session mean and scale (1 / standard deviation) of each feature, from the raw block sums;
    /// `BlockReader(store, mean:scale:)` applies them as it reads.
    private func normalisation(_ raw: BlockReader) -> (mean: [Double], scale: [Double]) {
        let d = featureCount
        var total = 0.0
        var mean = [Double](repeating: 0, count: d), square = [Double](repeating: 0, count: d)
        raw.forEach { _, frames, sums in
            total += Double(frames)
            for i in 0..<d {
                mean[i] += Double(sums[i])
                square[i] += Double(sums[d + i])
            }
        }
        var scale = [Double](repeating: 1, count: d)
        for i in 0..<d {
            mean[i] /= total
            let variance = square[i] / total - mean[i] * mean[i]
            scale[i] = variance > 1e-9 ? 1 / variance.squareRoot() : 1
        }
        return (mean, scale)
    }

    // MARK: - Windows, embeddings, clustering

    /// Neural embeddings of windows of speech: given each window's frames (ranges of frame indices, in
    /// time order; windows in time order by first frame, overlapping), one unit vector per window, or
    /// nil when they cannot be made (the classic clustering is used then).
    public typealias WindowEmbedding = (_ windows: [[Range<Int>]]) -> [[Float]]?

    /// The segmentation from the neural embeddings (`embeddedLabels`), re-segmented on the cepstra with
    /// each block held to its cluster by `options.embeddingPriorWeight` times its window's margin. Nil
    /// without embeddings (none given, too few windows) or with `fewerPeopleWeight` (at most N people).
    private mutating func embeddedSegmentation(stats: BlockReader, embed: WindowEmbedding?) -> [Int]? {
        guard options.fewerPeopleWeight == nil, let embed, let (initial, margins) = embeddedLabels(stats: stats, embed: embed) else { return nil }
        return Self.resegment(stats: stats, dims: featureCount, initial: initial, speakers: (initial.max() ?? 0) + 1, options: options,
                              prior: options.embeddingPriorWeight.map { w in (initial, margins.map { w * max(0, $0) }) })
    }

    /// Cluster per block from neural embeddings of the sliding windows (`windows`; at most
    /// `options.maxEmbeddedWindows`, evenly spaced, when there are more): average linkage by cosine
    /// into `speakers`, each block taking the cluster of the nearest window centre among those embedded,
    /// and that window's margin (`clusterMargins`). Nil when there are too few windows or no embeddings.
    private mutating func embeddedLabels(stats: BlockReader, embed: WindowEmbedding) -> (labels: [Int], margins: [Double])? {
        let all = windows(stats)
        let chosen = all.count > options.maxEmbeddedWindows
            ? (0..<options.maxEmbeddedWindows).map { all[$0 * all.count / options.maxEmbeddedWindows] } : all
        guard chosen.count > speakers else { return nil }
        let frames = chosen.map { r -> [Range<Int>] in
            var out: [Range<Int>] = []
            for b in r {
                let start = Int(stats.start(b)), end = start + Int(stats.frames(b))
                if let last = out.last, last.upperBound == start { out[out.count - 1] = last.lowerBound..<end } else { out.append(start..<end) }
            }
            return out
        }
        guard let embeddings = embed(frames), embeddings.count == chosen.count else { return nil }
        let units = embeddings.map { e -> [Double] in
            let v = e.map(Double.init)
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 1e-12 ? v.map { $0 / norm } : v
        }
        embeddedWindows = zip(chosen, units).map { ((($0.0.lowerBound + $0.0.upperBound - 1) / 2), $0.1) }
        var windowLabels = Self.averageLinkage(units, clusters: speakers)
        if let minimum = options.minClusterWindows { windowLabels = Self.withoutSmallClusters(units, labels: windowLabels, speakers: speakers, minimum: minimum) }
        if let threshold = options.sameVoiceSimilarity { windowLabels = Self.mergedSameVoices(units, labels: windowLabels, threshold: threshold) }
        // Each block (also those between embedded windows, when thinned) takes the window whose centre
        // is nearest; the centres are in time order.
        func distance(_ b: Int, _ w: Int) -> Int { abs(2 * b - (chosen[w].lowerBound + chosen[w].upperBound - 1)) }
        let windowMargins = Self.clusterMargins(units, labels: windowLabels)
        var labels = [Int](repeating: 0, count: stats.count)
        var margins = [Double](repeating: 0, count: stats.count)
        var w = 0
        for b in 0..<stats.count {
            while w + 1 < chosen.count && distance(b, w + 1) <= distance(b, w) { w += 1 }
            labels[b] = windowLabels[w]
            margins[b] = windowMargins[w]
        }
        return (labels, margins)
    }

    /// How alike the voices of the people of `labels` are (with the neural embeddings; nil otherwise):
    /// per pair, row-major `speakers` x `speakers`, the mean cosine similarity of the embedded windows
    /// whose centre block is the one's with those whose centre block is the other's (nil where either
    /// has no window).
    public func voiceSimilarity(_ labels: Labels) -> [Double?]? {
        guard !embeddedWindows.isEmpty, let dims = embeddedWindows.first?.unit.count else { return nil }
        var sums = [[Double]](repeating: [Double](repeating: 0, count: dims), count: speakers)
        var sizes = [Double](repeating: 0, count: speakers)
        for w in embeddedWindows where w.centreBlock < labels.blockLabels.count {
            let l = Int(labels.blockLabels[w.centreBlock])
            guard l >= 0 && l < speakers else { continue }
            sizes[l] += 1
            for d in 0..<dims { sums[l][d] += w.unit[d] }
        }
        var out = [Double?](repeating: nil, count: speakers * speakers)
        for a in 0..<speakers where sizes[a] > 0 {
            for b in 0..<speakers where b != a && sizes[b] > 0 {
                out[a * speakers + b] = Self.meanSimilarity(sums[a], sums[b], sizes[a] * sizes[b])
            }
        }
        return out
    }

    /// Each item's margin in the clustering `labels` (items: unit vectors): its mean cosine similarity to
    /// the other items of its cluster (0 when alone) less its mean similarity to the items of the nearest
    /// other cluster. Near 0 or below: the item could as well be in another cluster.
    static func clusterMargins(_ units: [[Double]], labels: [Int]) -> [Double] {
        let (sums, sizes) = clusterSums(units, labels: labels)
        return units.indices.map { i in
            let own = labels[i]
            let inOwn = sizes[own] > 1 ? (meanSimilarity(units[i], sums[own], 1) - 1) / (sizes[own] - 1) : 0
            var other = -Double.infinity
            for c in sums.indices where c != own && sizes[c] > 0 { other = max(other, meanSimilarity(units[i], sums[c], sizes[c])) }
            return other.isFinite ? inOwn - other : inOwn
        }
    }

    /// `options.minClusterWindows`: `speakers` clusters of at least `minimum` items each, from a finer
    /// average-linkage clustering, the other items joining the one whose items they are most similar to
    /// on average; `labels` when no clustering into up to `speakers + 8` has that many.
    static func withoutSmallClusters(_ units: [[Double]], labels: [Int], speakers: Int, minimum: Int) -> [Int] {
        var current = labels
        var k = speakers
        while clusterSums(units, labels: current).sizes.filter({ $0 >= Double(minimum) }).count < speakers {
            k += 1
            guard k <= speakers + 8, k < units.count else { return labels }
            current = averageLinkage(units, clusters: k)
        }
        let (sums, sizes) = clusterSums(units, labels: current)
        guard sizes.contains(where: { $0 < Double(minimum) }) else { return current }
        let people = sizes.indices.filter { sizes[$0] >= Double(minimum) }.sorted { sizes[$0] > sizes[$1] }.prefix(speakers)
        var out = current
        for i in current.indices where !people.contains(current[i]) {
            out[i] = people.max { meanSimilarity(units[i], sums[$0], sizes[$0]) < meanSimilarity(units[i], sums[$1], sizes[$1]) }!
        }
        return numberedInOrder(out)
    }

    /// Merges the two clusters of `labels` whose items' mean cosine similarity (items: unit vectors) is
    /// highest while it is above `threshold`; labels renumbered in order of first appearance.
    static func mergedSameVoices(_ units: [[Double]], labels: [Int], threshold: Double) -> [Int] {
        var owner = labels
        var (sums, sizes) = clusterSums(units, labels: labels)
        var alive = Array(sums.indices)
        while alive.count > 1 {
            var best: (similarity: Double, a: Int, b: Int)? = nil
            for (i, a) in alive.enumerated() {
                for b in alive[(i + 1)...] {
                    let similarity = meanSimilarity(sums[a], sums[b], sizes[a] * sizes[b])
                    if similarity > (best?.similarity ?? -.infinity) { best = (similarity, a, b) }
                }
            }
            guard let (similarity, a, b) = best, similarity > threshold else { break }
            for d in sums[a].indices { sums[a][d] += sums[b][d] }
            sizes[a] += sizes[b]
            alive.removeAll { $0 == b }
            for i in owner.indices where owner[i] == b { owner[i] = a }
        }
        return numberedInOrder(owner)
    }

    /// Per cluster of `labels` (0..<max + 1): the sum of its items and how many there are.
    private static func clusterSums(_ units: [[Double]], labels: [Int]) -> (sums: [[Double]], sizes: [Double]) {
        let k = (labels.max() ?? -1) + 1
        var sums = [[Double]](repeating: [Double](repeating: 0, count: units.first?.count ?? 0), count: k)
        var sizes = [Double](repeating: 0, count: k)
        for (i, l) in labels.enumerated() {
            sizes[l] += 1
            for d in units[i].indices { sums[l][d] += units[i][d] }
        }
        return (sums, sizes)
    }

    /// The mean cosine similarity of unit vectors summed in `a` with those summed in `b`, `pairs` pairs.
    private static func meanSimilarity(_ a: [Double], _ b: [Double], _ pairs: Double) -> Double {
        var dot = 0.0
        for d in a.indices { dot += a[d] * b[d] }
        return dot / pairs
    }

    /// Block ranges of the sliding windows.
    private func windows(_ stats: BlockReader) -> [Range<Int>] {
        let windowFrames = max(1, Int((options.windowSeconds * framesPerSecond).rounded()))
        let hopFrames = max(1, Int((options.hopSeconds * framesPerSecond).rounded()))
        let blocks = stats.count
        var out: [Range<Int>] = []
        var start = 0
        while start < blocks {
            var end = start, frames = 0
            while end < blocks && frames < windowFrames { frames += Int(stats.frames(end)); end += 1 }
            out.append(start..<end)
            if end >= blocks { break }
            var moved = 0
            var next = start
            while next < end - 1 && moved < hopFrames { moved += Int(stats.frames(next)); next += 1 }
            start = max(start + 1, next)
        }
        return out
    }

    private func embedding(stats: BlockReader, range: Range<Int>) -> [Double] {
        let d = featureCount
        var s1 = [Double](repeating: 0, count: d), s2 = [Double](repeating: 0, count: d)
        var n = 0.0
        stats.forEach(range) { _, frames, sums in
            n += Double(frames)
            for i in 0..<d {
                s1[i] += Double(sums[i])
                s2[i] += Double(sums[d + i])
            }
        }
        var e = [Double](repeating: 0, count: options.useDeviation ? 2 * d : d)
        for i in 0..<d {
            let m = s1[i] / n
            e[i] = m
            if options.useDeviation {
                let v = max(1e-4, s2[i] / n - m * m)
                e[d + i] = 0.5 * log(v)
            }
        }
        return e
    }

    /// Cluster per block from the window clustering (each block takes the cluster of the window whose
    /// centre is nearest).
    /// `distance`: `.cosine` or `.euclidean` for the window clustering (default: as the options say;
    /// `.likelier` clusters by cosine here, `finish` tries both).
    private func initialLabels(stats: BlockReader, distance: Options.Clustering? = nil, clusters: Int? = nil) -> [Int] {
        let distance = distance ?? options.clustering
        if distance == .glr { return glrLabels(stats: stats) }
        let ranges = windows(stats)
        // Centre the embeddings (cosine distance is about directions from the session mean). They are
        // made when needed and never all held: memory stays at the clustered subset.
        let dim = options.useDeviation ? 2 * featureCount : featureCount
        var centre = [Double](repeating: 0, count: dim)
        for r in ranges {
            let e = embedding(stats: stats, range: r)
            for i in 0..<dim { centre[i] += e[i] / Double(ranges.count) }
        }
        let windowLabels = Self.clusterWindows(count: ranges.count, clusters: clusters ?? speakers, maxItems: options.maxClusteredWindows,
                                              euclidean: distance == .euclidean) { w in
            var e = embedding(stats: stats, range: ranges[w])
            for i in 0..<dim { e[i] -= centre[i] }
            return e
        }
        var labels = [Int](repeating: 0, count: stats.count)
        var bestDistance = [Int](repeating: Int.max, count: stats.count)
        for (w, r) in ranges.enumerated() {
            let centreBlock2 = r.lowerBound + r.upperBound - 1  // twice the centre
            for b in r {
                let distance = abs(2 * b - centreBlock2)
                if distance < bestDistance[b] { bestDistance[b] = distance; labels[b] = windowLabels[w] }
            }
        }
        return labels
    }

    /// Average-linkage agglomerative clustering with cosine distance down to `clusters` clusters.
    /// Labels are 0..<clusters (every label used when there are at least that many items).
    static func clusterCosine(_ items: [[Double]], clusters: Int, maxItems: Int = 1200) -> [Int] {
        clusterWindows(count: items.count, clusters: clusters, maxItems: maxItems) { items[$0] }
    }

    /// As `clusterCosine(_:clusters:maxItems:)`, with item w made by `item(w)` when needed (at most
    /// `maxItems` are held at once). `euclidean`: Euclidean distance instead of cosine (items as they
    /// are, not made unit vectors; the rest join the nearest cluster mean).
    static func clusterWindows(count n: Int, clusters: Int, maxItems: Int = 1200, euclidean: Bool = false,
                               item: (Int) -> [Double]) -> [Int] {
        guard n > clusters else { return (0..<n).map { $0 } }
        func unit(_ v: [Double]) -> [Double] {
            if euclidean { return v }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 1e-12 ? v.map { $0 / norm } : v
        }
        // Too many items: cluster an evenly spaced subset, then give every item its nearest centroid.
        let chosen: [Int] = n > maxItems ? (0..<maxItems).map { $0 * n / maxItems } : Array(0..<n)
        let sub = chosen.map { unit(item($0)) }
        let subLabels = averageLinkage(sub, clusters: clusters, euclidean: euclidean)
        guard n > maxItems else { return subLabels }
        let dim = sub[0].count
        var centroids = [[Double]](repeating: [Double](repeating: 0, count: dim), count: clusters)
        var members = [Double](repeating: 0, count: clusters)
        for (k, item) in sub.enumerated() {
            members[subLabels[k]] += 1
            for i in 0..<dim { centroids[subLabels[k]][i] += item[i] }
        }
        centroids = euclidean ? centroids.enumerated().map { c, v in v.map { $0 / max(1, members[c]) } } : centroids.map(unit)
        return (0..<n).map { w in
            let u = unit(item(w))
            var best = 0, bestScore = -Double.infinity
            for c in 0..<clusters {
                var score = 0.0
                if euclidean {
                    for i in 0..<dim { score -= (u[i] - centroids[c][i]) * (u[i] - centroids[c][i]) }
                } else {
                    for i in 0..<dim { score += u[i] * centroids[c][i] }
                }
                if score > bestScore { bestScore = score; best = c }
            }
            return best
        }
    }

    /// Average linkage on unit vectors (distance 1 - cosine), or with `euclidean` on any vectors
    /// (Euclidean distance); nearest-neighbour chain bookkeeping.
    static func averageLinkage(_ units: [[Double]], clusters: Int, euclidean: Bool = false) -> [Int] {
        let n = units.count
        guard n > clusters else { return (0..<n).map { $0 } }
        let dim = units[0].count
        var dist = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                var d = 0.0
                if euclidean {
                    for k in 0..<dim { d += (units[i][k] - units[j][k]) * (units[i][k] - units[j][k]) }
                    d = d.squareRoot()
                } else {
                    var dot = 0.0
                    for k in 0..<dim { dot += units[i][k] * units[j][k] }
                    d = 1 - dot
                }
                dist[i * n + j] = d
                dist[j * n + i] = d
            }
        }
        var size = [Int](repeating: 1, count: n)
        var active = [Bool](repeating: true, count: n)
        var owner = Array(0..<n)  // item -> cluster representative
        var nearest = [Int](repeating: -1, count: n)
        var nearestDistance = [Double](repeating: .infinity, count: n)
        func refresh(_ i: Int) {
            var best = -1, bestD = Double.infinity
            for j in 0..<n where j != i && active[j] && dist[i * n + j] < bestD { bestD = dist[i * n + j]; best = j }
            nearest[i] = best
            nearestDistance[i] = bestD
        }
        for i in 0..<n { refresh(i) }
        var remaining = n
        while remaining > clusters {
            var a = -1, bestD = Double.infinity
            for i in 0..<n where active[i] && nearestDistance[i] < bestD { bestD = nearestDistance[i]; a = i }
            let b = nearest[a]
            // Merge b into a (Lance-Williams, average linkage).
            let sa = Double(size[a]), sb = Double(size[b])
            for k in 0..<n where active[k] && k != a && k != b {
                let d = (sa * dist[a * n + k] + sb * dist[b * n + k]) / (sa + sb)
                dist[a * n + k] = d
                dist[k * n + a] = d
            }
            size[a] += size[b]
            active[b] = false
            for i in 0..<n where owner[i] == b { owner[i] = a }
            remaining -= 1
            for k in 0..<n where active[k] {
                if k == a || nearest[k] == a || nearest[k] == b {
                    refresh(k)
                } else if dist[k * n + a] < nearestDistance[k] {
                    nearest[k] = a
                    nearestDistance[k] = dist[k * n + a]
                }
            }
        }
        return Self.numberedInOrder(owner)
    }

    /// GLR clustering: non-overlapping windows of about `windowSeconds` of speech, each a diagonal
    /// Gaussian; merge the pair whose merged Gaussian loses least likelihood.
    private func glrLabels(stats: BlockReader) -> [Int] {
        let d = featureCount
        let windowFrames = max(1, Int((options.windowSeconds * framesPerSecond).rounded()))
        var owner = [Int](repeating: 0, count: stats.count)
        var n: [Double] = [], s1: [[Double]] = [], s2: [[Double]] = []
        var frames = windowFrames
        stats.forEach { b, blockFrames, sums in
            if frames >= windowFrames {
                n.append(0); s1.append([Double](repeating: 0, count: d)); s2.append([Double](repeating: 0, count: d))
                frames = 0
            }
            let c = n.count - 1
            owner[b] = c
            n[c] += Double(blockFrames)
            frames += Int(blockFrames)
            for i in 0..<d {
                s1[c][i] += Double(sums[i])
                s2[c][i] += Double(sums[d + i])
            }
        }
        let labels = Self.clusterGLR(n: n, s1: s1, s2: s2, clusters: speakers, bicLambda: options.bicLambda,
                                     maxItems: options.maxClusteredWindows)
        return owner.map { labels[$0] }
    }

    /// Sum over dimensions of n * log(variance) for a diagonal Gaussian from its sums.
    static func logDetTerm(n: Double, s1: [Double], s2: [Double]) -> Double {
        var t = 0.0
        for i in 0..<s1.count {
            let m = s1[i] / n
            t += log(max(1e-3, s2[i] / n - m * m))
        }
        return n * t
    }

    /// GLR agglomerative clustering of diagonal Gaussians given by sufficient statistics.
    static func clusterGLR(n inN: [Double], s1 inS1: [[Double]], s2 inS2: [[Double]], clusters: Int,
                           bicLambda: Double?, maxItems: Int) -> [Int] {
        var n = inN, s1 = inS1, s2 = inS2
        let count = n.count
        guard count > clusters else { return (0..<count).map { $0 } }
        // Too many items: merge neighbours in time first (they are mostly the same voice) until it fits.
        var owner = Array(0..<count)
        var active = [Bool](repeating: true, count: count)
        let d = s1[0].count
        func merged(_ a: Int, _ b: Int) -> (Double, [Double], [Double]) {
            var m1 = s1[a], m2 = s2[a]
            for i in 0..<d { m1[i] += s1[b][i]; m2[i] += s2[b][i] }
            return (n[a] + n[b], m1, m2)
        }
        var own = (0..<count).map { logDetTerm(n: n[$0], s1: s1[$0], s2: s2[$0]) }
        func cost(_ a: Int, _ b: Int) -> Double {
            let (mn, m1, m2) = merged(a, b)
            return 0.5 * (logDetTerm(n: mn, s1: m1, s2: m2) - own[a] - own[b])
        }
        var remaining = count
        if count > maxItems {
            // Pairwise merge of time neighbours, cheapest first within each pass.
            var order = Array(0..<count)
            while order.count > maxItems {
                var next: [Int] = []
                var i = 0
                while i < order.count {
                    if i + 1 < order.count {
                        let a = order[i], b = order[i + 1]
                        let (mn, m1, m2) = merged(a, b)
                        n[a] = mn; s1[a] = m1; s2[a] = m2; own[a] = logDetTerm(n: mn, s1: m1, s2: m2)
                        active[b] = false
                        for k in 0..<count where owner[k] == b { owner[k] = a }
                        remaining -= 1
                        next.append(a)
                        i += 2
                    } else { next.append(order[i]); i += 1 }
                    if next.count + (order.count - i) <= maxItems { next += order[i...]; break }
                }
                order = next
            }
        }
        let total = n.reduce(0, +)
        let penalty = bicLambda.map { 0.5 * $0 * Double(2 * d) * log(total) }
        let ids = (0..<count).filter { active[$0] }
        var matrix = [Double](repeating: .infinity, count: count * count)
        for x in 0..<ids.count { for y in (x + 1)..<ids.count {
            let c = cost(ids[x], ids[y]); matrix[ids[x] * count + ids[y]] = c; matrix[ids[y] * count + ids[x]] = c
        } }
        while remaining > (penalty == nil ? clusters : 1) {
            var a = -1, b = -1, best = Double.infinity
            for x in ids where active[x] { for y in ids where y > x && active[y] && matrix[x * count + y] < best {
                best = matrix[x * count + y]; a = x; b = y
            } }
            if a < 0 { break }
            // At `clusters` or fewer: merge on only while BIC says the two are one voice.
            if let penalty, remaining <= clusters, best - penalty > 0 { break }
            let (mn, m1, m2) = merged(a, b)
            n[a] = mn; s1[a] = m1; s2[a] = m2; own[a] = logDetTerm(n: mn, s1: m1, s2: m2)
            active[b] = false
            for k in 0..<count where owner[k] == b { owner[k] = a }
            remaining -= 1
            for y in ids where active[y] && y != a {
                let c = cost(a, y); matrix[a * count + y] = c; matrix[y * count + a] = c
            }
        }
        return Self.numberedInOrder(owner)
    }

    /// Cluster ids renumbered 0, 1, ... in order of first appearance.
    private static func numberedInOrder(_ owner: [Int]) -> [Int] {
        var map: [Int: Int] = [:]
        return owner.map { o in
            if let l = map[o] { return l }
            let l = map.count
            map[o] = l
            return l
        }
    }

    // MARK: - Re-segmentation

    /// Diagonal Gaussian per cluster, blocks scored exactly from their sums, Viterbi with a switch
    /// penalty; `options.iterations` rounds. `anchors[c]`: statistics (already weighted) that join
    /// cluster c's Gaussian in every round (enrolled voices).
    static func resegment(stats: BlockReader, dims d: Int, initial: [Int],
                          speakers k: Int, options: Options, anchors: [Int: Voice] = [:],
                          prior: (labels: [Int], perFrame: [Double])? = nil) -> [Int] {
        var labels = initial
        let session = SessionMoments(stats, dims: d)
        for _ in 0..<max(0, options.iterations) {
            // Fit.
            var n = [Double](repeating: 0, count: k)
            var s1 = [[Double]](repeating: [Double](repeating: 0, count: d), count: k), s2 = s1
            stats.forEach { b, frames, sums in
                let l = labels[b]
                n[l] += Double(frames)
                for i in 0..<d {
                    s1[l][i] += Double(sums[i])
                    s2[l][i] += Double(sums[d + i])
                }
            }
            for (c, v) in anchors where c < k {
                // Features the voice does not know join as the cluster's own moments: they change nothing.
                let own = n[c]
                for i in v.known..<d where own > 0 {
                    s1[c][i] += v.frames * s1[c][i] / own
                    s2[c][i] += v.frames * s2[c][i] / own
                }
                n[c] += v.frames
                for i in 0..<v.known { s1[c][i] += v.sum[i]; s2[c][i] += v.sumOfSquares[i] }
            }
            let models = (0..<k).map { mapModel(frames: n[$0], sum: s1[$0], sumOfSquares: s2[$0], session: session) }
            labels = decode(stats: stats, dims: d, models: models, penalty: options.switchPenalty, prior: prior)
        }
        return labels
    }

    /// A cluster's Gaussian; clusters with little data lean on the session-wide statistics (MAP-style,
    /// 50 frames of prior).
    static func mapModel(frames n: Double, sum s1: [Double], sumOfSquares s2: [Double], stats: BlockReader,
                         dims d: Int) -> DiagonalGaussian {
        mapModel(frames: n, sum: s1, sumOfSquares: s2, session: SessionMoments(stats, dims: d))
    }

    /// The whole session's frame count and feature sums: the prior of `mapModel`. Computed once per
    /// re-segmentation or judgement (a pass over the blocks), not once per person and round.
    struct SessionMoments {
        var frames = 0.0
        var sum: [Double], sumOfSquares: [Double]
        init(_ stats: BlockReader, dims d: Int) {
            var g1 = [Double](repeating: 0, count: d), g2 = [Double](repeating: 0, count: d)
            var total = 0.0
            stats.forEach { _, frames, sums in
                total += Double(frames)
                for i in 0..<d {
                    g1[i] += Double(sums[i])
                    g2[i] += Double(sums[d + i])
                }
            }
            frames = total
            sum = g1
            sumOfSquares = g2
        }
    }

    static func mapModel(frames n: Double, sum s1: [Double], sumOfSquares s2: [Double], session: SessionMoments) -> DiagonalGaussian {
        let d = s1.count
        let g1 = session.sum, g2 = session.sumOfSquares, total = session.frames
        let prior = 50.0
        var mean = [Double](repeating: 0, count: d), variance = [Double](repeating: 1, count: d)
        for i in 0..<d {
            let gm = g1[i] / total, gv = max(1e-3, g2[i] / total - gm * gm)
            let m = (s1[i] + prior * gm) / (n + prior)
            let second = (s2[i] + prior * (gv + gm * gm)) / (n + prior)
            mean[i] = m
            variance[i] = max(1e-3, second - m * m)
        }
        return DiagonalGaussian(mean: mean, variance: variance)
    }

    /// Scores every block under every model (sum over the block's frames of log N(x | mean, variance),
    /// exact from the sums; computed as the Viterbi pass reaches the block, never all held) and returns
    /// the Viterbi labels. With `prior`, a block's score under its label there gains its `perFrame` per frame.
    static func decode(stats: BlockReader, dims d: Int, models: [DiagonalGaussian], penalty: Double,
                       prior: (labels: [Int], perFrame: [Double])? = nil) -> [Int] {
        let logNorm = models.map { m in -0.5 * m.variance.reduce(0) { $0 + log(2 * Double.pi * $1) } }
        return viterbi(blocks: stats.count, states: models.count, penalty: penalty) { b, c in
            stats.withBlock(b) { blockFrames, sums in
                let frames = Double(blockFrames)
                var q = 0.0
                for i in 0..<d {
                    let a = Double(sums[i]), s = Double(sums[d + i])
                    let m = models[c].mean[i]
                    q += (s - 2 * m * a + frames * m * m) / models[c].variance[i]
                }
                let held = prior.map { $0.labels[b] == c ? $0.perFrame[b] * frames : 0 } ?? 0
                return frames * logNorm[c] - 0.5 * q + held
            }
        }
    }

    static func viterbi(score: [Double], blocks: Int, states k: Int, penalty: Double) -> [Int] {
        viterbi(blocks: blocks, states: k, penalty: penalty) { score[$0 * k + $1] }
    }

    /// Best state path: `score(block, state)` per block, `penalty` per change of state. Memory: one byte
    /// per block and state for the way back.
    static func viterbi(blocks: Int, states k: Int, penalty: Double, score: (Int, Int) -> Double) -> [Int] {
        precondition(k >= 1 && k <= 255)
        guard blocks > 0 else { return [] }
        var back = [UInt8](repeating: 0, count: blocks * k)
        var previous = [Double](repeating: 0, count: k)
        var current = [Double](repeating: 0, count: k)
        for c in 0..<k { previous[c] = score(0, c) }
        if blocks > 1 {
            for b in 1..<blocks {
                var best = 0
                for c in 1..<k where previous[c] > previous[best] { best = c }
                for c in 0..<k {
                    let stay = previous[c], move = previous[best] - penalty
                    if stay >= move { current[c] = stay; back[b * k + c] = UInt8(c) } else { current[c] = move; back[b * k + c] = UInt8(best) }
                    current[c] += score(b, c)
                }
                swap(&previous, &current)
            }
        }
        var state = 0
        for c in 1..<k where previous[c] > previous[state] { state = c }
        var out = [Int](repeating: 0, count: blocks)
        var b = blocks - 1
        while b >= 0 {
            out[b] = state
            state = Int(back[b * k + state])
            b -= 1
        }
        return out
    }
}
