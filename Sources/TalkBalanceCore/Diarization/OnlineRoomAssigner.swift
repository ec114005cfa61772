import Foundation

/// Who speaks now on ONE microphone for the room, decided online: the streaming counterpart of
/// `RoomDiarizer` for the live meter. A value-type state machine, no I/O, no clock.
///
/// Feed it one 10 ms frame at a time (`push`): the frame's `MelCepstrum` coefficients and whether the
/// voice activity detector called it speech. It answers with labels, in frame order, through
/// `takeLabels`: -1 no speech, 0..<speakers a person. Speech frames are labelled a *block* at a time:
/// a block is at most `blockFrames` consecutive speech frames (0.2 s), so a label is decided at most
/// 0.2 s after its frame arrives (plus whatever the detector itself waits).
///
/// Method (classical, nothing learned offline):
/// - What is judged for a block is an embedding of a *window*: the block and the informative blocks
///   before it in the same stretch of speech, up to `contextBlocks` (1.6 s; a silence of
///   `contextGapFrames` restarts it). The embedding is the mean and the log standard deviation of the
///   cepstra c1...c12 over the window (c0, the loudness, is no voice property), as `RoomDiarizer`'s
///   windows. 0.2 s alone does not tell voices apart (measured: blocks of one voice scattered as far
///   as blocks of two); 1.6 s does, at the price of a slower switch at a change of speaker.
/// - A person is the mean embedding of their windows. Once two people are known, a window's score for
///   each is the cosine similarity of the standardised, session-centred embeddings (as the offline
///   clustering compares windows), times `cosineScale`; with one person known, and for novelty, the
///   Gaussian distance with a shared within-person variance (learnt from the labelled windows) is used.
///   Scores scale with the window's and the block's length.
/// - Stability: inside continuous speech the label changes only when the evidence for another person,
///   accumulated over consecutive blocks (CUSUM), exceeds `switchEvidence`; after a silence of at
///   least `gapFrames` one block deciding by `gapEvidence` is enough (speakers mostly change at gaps).
/// - Adaptation is slow: a window joins its person's model only when it beat the runner-up by
///   `adaptMargin`, and a model remembers at most `maxModelBlocks` windows (older ones are
///   down-weighted), so the models follow a voice that drifts but one misjudged block cannot take a
///   model over. Silence changes nothing: after a long pause the same voices get the same labels.
/// - New people, in order of first appearance: the first speech starts person 0. While fewer than
///   `speakers` people are known (and each known model holds `minModelBlocks`), every
///   `splitEveryBlocks` blocks the recent windows (`historyBlocks`, 15 s of speech: a bounded
///   buffer) are clustered as the offline diarizer does (average-linkage cosine) into one group more
///   than people known. If the group holding the newest window has `splitMinBlocks` windows and its
///   mean lies `splitMinDistance` from every known person (mean squared, in within-person standard
///   deviations), it becomes the next person. Until then the new voice keeps the current label (it is
///   named about 2-3 s after it starts). While people are still unheard, the known models grow only to
///   `earlyModelBlocks`, so each stays one voice. (`noveltyBySplit = false`: a CUSUM of each window's
///   distance to the nearest person instead; measured no better on average and far more sensitive to
///   tiny input changes: 17.8% against 34.7% strict DER on the same conversation with and without
///   sox's dither.)
/// - Enrolment from a recording (`enrol(person:features:featureCount:frames:)`, before the session):
///   the recording's windows become person k's anchored model and join the session's scatter.
/// - Enrolment (`enrol`): the facilitator says "this is person k". The recent speech (back to a
///   silence of `enrolGapFrames`, at most `enrolLookbackFrames`) and the speech that follows until the
///   next pause of `enrolEndGapFrames` (at most `enrolFrames` in all) become person k's anchored model:
///   never forgotten, always part of k's statistics. If the assigner had given that voice another,
///   not yet enrolled label, the two labels swap from now on (past labels stay as they were).
///
/// Memory is constant in the session length: per person two embedding sums (2 x 2D doubles), the
/// shared statistics, `contextBlocks` block sums, `historyBlocks` window embeddings, and a ring of the
/// last `enrolLookbackFrames` speech frames (D floats each). CPU: the split test clusters at most
/// `historyBlocks` windows once a second, and only until everyone has been heard.
public struct OnlineRoomAssigner: Sendable {
    public struct Options: Sendable, Equatable {
        /// Features before this index are ignored (c0 is loudness).
        public var firstFeature = 1
        /// Features from this index on are ignored (nil: all).
        public var endFeature: Int? = nil
        /// Longest decision block of consecutive speech frames (the label latency, 0.2 s).
        public var blockFrames = 20
        /// The embedding judged for a block covers it and the speech before it, up to this many blocks
        /// (1.6 s): 0.2 s alone does not tell voices apart. It restarts after a silence of
        /// `contextGapFrames`.
        public var contextBlocks = 8
        public var contextGapFrames = 15
        /// Blocks shorter than this carry too little evidence to change the label or update a model.
        public var minBlockFrames = 8
        /// Log-likelihood another person must gain, over consecutive blocks of continuous speech, to
        /// take over the label.
        public var switchEvidence = 4.0
        /// Silence (frames) after which the next block is judged afresh.
        public var gapFrames = 15
        /// Log-likelihood margin a block after such a silence needs to change the label.
        public var gapEvidence = 1.0
        /// Novelty CUSUM: drift and threshold, in mean squared within-person standard deviations.
        public var noveltyDrift = 1.3
        public var noveltyThreshold = 3.0
        /// Novelty is judged only once every known person's model holds this many blocks (3 s).
        public var minModelBlocks = 15
        /// Compare windows by cosine similarity of their standardised, centred embeddings (as the
        /// offline clustering does) instead of a Gaussian with a shared within-person variance.
        public var cosine = true
        /// With `cosine`: log-likelihood-like score per unit of cosine similarity.
        public var cosineScale = 10.0
        /// Novelty by re-clustering the recent windows (`historyBlocks`, 15 s of speech) into one more
        /// group than people known, every `splitEveryBlocks` blocks: a group holding the newest window,
        /// at least `splitMinBlocks` windows, whose mean lies `splitMinDistance` (mean squared
        /// within-person standard deviations) from every known person's is the next person. (Otherwise: the distance CUSUM below.)
        public var noveltyBySplit = true
        public var historyBlocks = 75
        public var splitEveryBlocks = 5
        public var splitMinBlocks = 10
        /// Measured with `analyze --online` (pooled strict DER): 0.5 / 1.0 / 1.5 gave 34.0% / 29.3% /
        /// 27.8% on the reverberant rooms' tuning seeds (`tools/evaluate --room --online`) and 34.3% / 30.8% /
        /// 35.2% on the live tuning seeds (`tools/measure-live-room 2x801 2x802 3x803 3x804`); at 0.5 a
        /// voice's own variation often started a new person.
        public var splitMinDistance = 1.0
        /// Fewest novel blocks that start the next person.
        public var newSpeakerBlocks = 3
        /// While people are still unheard, a model grows only to this many blocks (3 s).
        public var earlyModelBlocks = 15
        /// Adaptation memory in blocks (60 s of speech): older blocks weigh less.
        public var maxModelBlocks = 300
        /// Prior weight, in blocks, of the session-wide scatter in the shared within-person variance.
        public var variancePrior = 5.0
        /// A block updates its person's model only when it beat the runner-up by this much.
        public var adaptMargin = 1.0
        /// Enrolment: most speech taken in all (10 s).
        public var enrolFrames = 1000
        /// Enrolment: most recent speech looked back over (3 s), and the silence that ends the look-back.
        public var enrolLookbackFrames = 300
        public var enrolGapFrames = 100
        /// Enrolment: the pause that ends the speech taken after the key.
        public var enrolEndGapFrames = 30
        public init() {}
    }

    public let speakers: Int
    public let options: Options
    /// Features used per frame (D); embeddings have 2D values.
    public let dimensions: Int
    let embeddingSize: Int

    /// Sums of a block's frames.
    struct Stats: Sendable, Equatable {
        var n = 0.0
        var s1: [Double]
        var s2: [Double]
        init(dimensions d: Int) { s1 = [Double](repeating: 0, count: d); s2 = [Double](repeating: 0, count: d) }
        mutating func clear() { n = 0; for i in s1.indices { s1[i] = 0; s2[i] = 0 } }
        mutating func add(_ x: Double, at i: Int) { s1[i] += x; s2[i] += x * x }
    }

    /// Sum of embeddings (weight per block).
    struct Embeddings: Sendable, Equatable {
        var count = 0.0
        var sum: [Double]
        init(size: Int) { sum = [Double](repeating: 0, count: size) }
        mutating func add(_ e: [Double], weight w: Double = 1) { count += w; for i in sum.indices { sum[i] += w * e[i] } }
        mutating func add(_ o: Embeddings) { count += o.count; for i in sum.indices { sum[i] += o.sum[i] } }
        mutating func scale(_ w: Double) { count *= w; for i in sum.indices { sum[i] *= w } }
        mutating func clear() { count = 0; for i in sum.indices { sum[i] = 0 } }
    }

    struct Person: Sendable, Equatable {
        var adaptive: Embeddings
        var enrolment: Embeddings
        var active = false
        var enrolled: Bool { enrolment.count > 0 }
        init(size: Int) { adaptive = Embeddings(size: size); enrolment = Embeddings(size: size) }
    }

    var people: [Person]
    // Session-wide scatter of block embeddings, and the pooled within-person scatter.
    private var globalSum: [Double]
    private var globalSquares: [Double]
    private var globalCount = 0.0
    private var withinSquares: [Double]
    private var withinCount = 0.0
    private var block: Stats
    private var context: [Stats]
    private var contextNext = 0
    private var contextFilled = 0
    private var window: Stats
    private var embedding: [Double]
    private var blockAfterGap = true
    // Recent window embeddings and their labels (for the split test), a ring.
    private var history: [Double]
    private var historyLabel: [Int8]
    private var historyNext = 0
    private var historyCount = 0
    private var blocksSinceSplit = 0
    private var candidate: Embeddings
    private var candidateBlocks = 0
    private var novelty = 0.0
    private var current: Int? = nil
    private var evidence: [Double]
    private var silenceRun = Int.max / 2
    private var frame = 0
    private var ready: [Int8] = []
    // Per block (allocated once).
    private var means: [Double]
    private var variance: [Double]
    private var centre: [Double]
    private var spread: [Double]
    private var unit: [Double]
    private var directions: [Double]
    private var scores: [Double]
    private var distances: [Double]
    // Recent speech frames: features and labels, for enrolment.
    private var recent: [Float]
    private var recentFrame: [Int]
    private var recentLabel: [Int8]
    private var recentCount = 0
    private var recentNext = 0
    // Enrolment.
    private var pendingEnrolments: [(frame: Int, person: Int)] = []
    private var enrolling: Int? = nil
    private var enrolTaken = 0
    /// Enrolments applied so far (person, frame).
    public private(set) var enrolments: [(person: Int, frame: Int)] = []

    /// - Parameters:
    ///   - speakers: people in the room, 1...100.
    ///   - featureCount: coefficients per pushed frame (13 from `MelCepstrum`'s default).
    public init(speakers: Int, featureCount: Int = 13, options: Options = Options()) {
        precondition(speakers >= 1 && speakers <= 100, "speakers must be 1...100")
        let end = min(options.endFeature ?? featureCount, featureCount)
        precondition(end > options.firstFeature, "too few features")
        precondition(options.blockFrames >= 1 && options.minBlockFrames >= 1 && options.enrolLookbackFrames >= 1)
        self.speakers = speakers
        self.options = options
        let d = end - options.firstFeature
        dimensions = d
        let e = 2 * d
        embeddingSize = e
        people = Array(repeating: Person(size: e), count: speakers)
        globalSum = [Double](repeating: 0, count: e)
        globalSquares = [Double](repeating: 0, count: e)
        withinSquares = [Double](repeating: 0, count: e)
        block = Stats(dimensions: d)
        history = [Double](repeating: 0, count: max(1, options.historyBlocks) * e)
        historyLabel = [Int8](repeating: -1, count: max(1, options.historyBlocks))
        context = Array(repeating: Stats(dimensions: d), count: max(1, options.contextBlocks))
        window = Stats(dimensions: d)
        embedding = [Double](repeating: 0, count: e)
        candidate = Embeddings(size: e)
        evidence = [Double](repeating: 0, count: speakers)
        means = [Double](repeating: 0, count: speakers * e)
        variance = [Double](repeating: 1, count: e)
        centre = [Double](repeating: 0, count: e)
        spread = [Double](repeating: 1, count: e)
        unit = [Double](repeating: 0, count: e)
        directions = [Double](repeating: 0, count: speakers * e)
        scores = [Double](repeating: 0, count: speakers)
        distances = [Double](repeating: 0, count: speakers)
        recent = [Float](repeating: 0, count: options.enrolLookbackFrames * d)
        recentFrame = [Int](repeating: 0, count: options.enrolLookbackFrames)
        recentLabel = [Int8](repeating: -1, count: options.enrolLookbackFrames)
        ready.reserveCapacity(options.blockFrames + 1)
    }

    /// Frames pushed so far.
    public var framesPushed: Int { frame }
    /// Frames pushed but not yet labelled (the open block).
    public var framesPending: Int { Int(block.n) }
    /// The person the last speech was given to.
    public var currentPerson: Int? { current }
    /// Which people have been heard (or enrolled) so far.
    public var knownPeople: [Bool] { people.map(\.active) }
    public var enrolledPeople: [Bool] { people.map(\.enrolled) }

    /// "The voice speaking now (or just now, or next) is person `person`", from frame `frame` on (the
    /// key's position in the stream; applied when the assigner reaches that frame).
    public mutating func enrol(person: Int, atFrame frame: Int) {
        precondition(person >= 0 && person < speakers)
        pendingEnrolments.append((frame, person))
    }

    /// Adds one frame. `features` holds at least `featureCount` values.
    public mutating func push(features: UnsafeBufferPointer<Float>, speech: Bool) {
        while let e = pendingEnrolments.first, e.frame <= frame {
            pendingEnrolments.removeFirst()
            applyEnrolment(person: e.person)
        }
        let d = dimensions, first = options.firstFeature
        if speech {
            if block.n == 0 {
                blockAfterGap = silenceRun >= options.gapFrames
                if silenceRun >= options.contextGapFrames { contextFilled = 0 }
            }
            silenceRun = 0
            block.n += 1
            for i in 0..<d { block.add(Double(features[first + i]), at: i) }
            // Remember the frame for enrolment.
            let slot = recentNext
            for i in 0..<d { recent[slot * d + i] = features[first + i] }
            recentFrame[slot] = frame
            recentLabel[slot] = -1
            recentNext = (recentNext + 1) % recentFrame.count
            recentCount = min(recentCount + 1, recentFrame.count)
            frame += 1
            if Int(block.n) >= options.blockFrames { closeBlock() }
        } else {
            if block.n > 0 { closeBlock() }
            silenceRun += 1
            // The speech after an enrolment key ends at a pause (a key pressed in silence, with no
            // recent speech, waits for the next speech).
            if enrolling != nil, enrolTaken > 0, silenceRun >= options.enrolEndGapFrames { enrolling = nil }
            ready.append(-1)
            frame += 1
        }
    }

    public mutating func push(features: [Float], speech: Bool) {
        features.withUnsafeBufferPointer { push(features: $0, speech: speech) }
    }

    /// Ends the stream: labels the open block.
    public mutating func finish() {
        if block.n > 0 { closeBlock() }
    }

    /// The labels decided since the last call, in frame order (-1 no speech, else a person).
    public mutating func takeLabels(_ body: (Int8) -> Void) {
        for l in ready { body(l) }
        ready.removeAll(keepingCapacity: true)
    }

    // MARK: - Blocks

    /// The judged window: the sum of the `filled` most recent blocks of the ring `context` (the newest
    /// just before `next`).
    static func sum(_ context: [Stats], next: Int, filled: Int, into window: inout Stats) {
        window.clear()
        var slot = next
        for _ in 0..<filled {
            slot = (slot - 1 + context.count) % context.count
            window.n += context[slot].n
            for i in 0..<window.s1.count { window.s1[i] += context[slot].s1[i]; window.s2[i] += context[slot].s2[i] }
        }
    }

    /// Mean and log standard deviation of each feature over `stats`.
    static func embed(_ stats: Stats, into e: inout [Double]) {
        let d = stats.s1.count
        for i in 0..<d {
            let m = stats.s1[i] / stats.n
            e[i] = m
            e[d + i] = 0.5 * log(max(1e-4, stats.s2[i] / stats.n - m * m))
        }
    }

    private mutating func closeBlock() {
        let count = Int(block.n)
        let label = decide()
        for _ in 0..<count { ready.append(Int8(label)) }
        var slot = recentNext
        for _ in 0..<min(count, recentCount) {
            slot = (slot - 1 + recentFrame.count) % recentFrame.count
            recentLabel[slot] = Int8(label)
        }
        block.clear()
    }

    /// The label of the block just closed, with all model bookkeeping.
    private mutating func decide() -> Int {
        let informative = Int(block.n) >= options.minBlockFrames
        // The judged window: this block and the recent blocks of the same stretch of speech.
        if informative {
            context[contextNext] = block
            contextNext = (contextNext + 1) % context.count
            contextFilled = min(contextFilled + 1, context.count)
        }
        window.clear()
        window.n = block.n
        for i in 0..<dimensions { window.s1[i] = block.s1[i]; window.s2[i] = block.s2[i] }
        if informative { Self.sum(context, next: contextNext, filled: contextFilled, into: &window) }
        let n = window.n
        Self.embed(window, into: &embedding)
        if informative {
            globalCount += 1
            for i in 0..<embeddingSize { globalSum[i] += embedding[i]; globalSquares[i] += embedding[i] * embedding[i] }
            let cap = Double(5 * options.maxModelBlocks)
            if globalCount > cap {
                let w = cap / globalCount
                globalCount = cap
                for i in 0..<embeddingSize { globalSum[i] *= w; globalSquares[i] *= w }
            }
        }
        if let k = enrolling {
            if informative { people[k].enrolment.add(embedding) }
            enrolTaken += Int(block.n)
            if enrolTaken >= options.enrolFrames { enrolling = nil }
            current = k
            resetEvidence()
            return k
        }
        guard people.contains(where: \.active) else {
            let k = firstFree()!
            people[k].active = true
            if informative { people[k].adaptive.add(embedding) }
            current = k
            return k
        }
        guard informative else { return current ?? firstActive() }
        refreshModels()
        // A short window scatters more: its distances count in proportion to its length.
        let weight = min(1, n / Double(options.contextBlocks * options.blockFrames))
        var best = -1, second = -1
        var nearest = Double.infinity
        if options.cosine {
            var norm = 0.0
            for i in 0..<embeddingSize { unit[i] = (embedding[i] - centre[i]) / spread[i]; norm += unit[i] * unit[i] }
            norm = max(1e-12, norm.squareRoot())
            for i in 0..<embeddingSize { unit[i] /= norm }
        }
        let known = people.filter(\.active).count
        for k in 0..<speakers where people[k].active {
            var q = 0.0
            for i in 0..<embeddingSize {
                let x = embedding[i] - means[k * embeddingSize + i]
                q += x * x / variance[i]
            }
            distances[k] = weight * q / Double(embeddingSize)
            nearest = min(nearest, distances[k])
            if options.cosine && known >= 2 {
                // Directions from the session centre mean nothing while only one voice is known.
                var c = 0.0
                for i in 0..<embeddingSize { c += unit[i] * directions[k * embeddingSize + i] }
                scores[k] = options.cosineScale * c * weight.squareRoot() * block.n / Double(options.blockFrames)
            } else {
                scores[k] = -0.5 * weight * q * block.n / Double(options.blockFrames)
            }
            if best < 0 || scores[k] > scores[best] { second = best; best = k } else if second < 0 || scores[k] > scores[second] { second = k }
        }
        // Novelty: a run of blocks far from everyone known starts the next person.
        var novel = false
        if options.noveltyBySplit {
            let slot = historyNext
            for i in 0..<embeddingSize { history[slot * embeddingSize + i] = embedding[i] }
            historyLabel[slot] = Int8(current ?? -1)
            historyNext = (historyNext + 1) % historyLabel.count
            historyCount = min(historyCount + 1, historyLabel.count)
            blocksSinceSplit += 1
            if people.contains(where: { !$0.active }), blocksSinceSplit >= options.splitEveryBlocks,
               !people.contains(where: { $0.active && $0.adaptive.count + $0.enrolment.count < Double(options.minModelBlocks) }),
               let k = splitTest() {
                blocksSinceSplit = 0
                current = k
                resetEvidence()
                return k
            }
        } else if people.contains(where: { !$0.active }),
           !people.contains(where: { $0.active && $0.adaptive.count + $0.enrolment.count < Double(options.minModelBlocks) }) {
            // A short window counts for less either way (its distance scatters more).
            novelty = max(0, novelty + nearest - 1 - weight * (options.noveltyDrift - 1))
            if novelty > 0 {
                novel = true
                candidate.add(embedding)
                candidateBlocks += 1
                if novelty > options.noveltyThreshold && candidateBlocks >= options.newSpeakerBlocks {
                    let k = firstFree()!
                    people[k].active = true
                    people[k].adaptive = candidate
                    candidate.clear(); candidateBlocks = 0; novelty = 0
                    current = k
                    resetEvidence()
                    return k
                }
            } else {
                candidate.clear(); candidateBlocks = 0
            }
        }
        // Stay or switch.
        var label = best
        if let c = current, people[c].active {
            label = c
            if blockAfterGap { resetEvidence() }
            let threshold = blockAfterGap ? options.gapEvidence : options.switchEvidence
            var leader = -1
            for k in 0..<speakers where people[k].active && k != c {
                evidence[k] = max(0, evidence[k] + scores[k] - scores[c])
                if evidence[k] > threshold && (leader < 0 || evidence[k] > evidence[leader]) { leader = k }
            }
            if leader >= 0 { label = leader; resetEvidence() }
        }
        current = label
        // Slow adaptation: only clear, not novel blocks.
        let margin = second >= 0 ? scores[label] - scores[second] : .infinity
        if !novel && label == best && margin > options.adaptMargin {
            let cap = Double(options.maxModelBlocks * speakers)
            if withinCount > cap {
                let w = cap / withinCount
                withinCount = cap
                for i in 0..<embeddingSize { withinSquares[i] *= w }
            }
            let everyone = !people.contains { !$0.active }
            // While people are still unheard, an enrolled person's model stays their enrolment: adapting, it
            // took in the voice of whoever spoke next (labelled theirs while nobody else was known), and the
            // split test then never found that person (one of two enrolled, `tools/measure-enrolment
            // --online --partial`: 21.9 / 26.6 / 21.9% strict DER, 26 of 36 named; frozen 20.6 / 16.5 /
            // 13.6%, 35 of 36).
            let frozen = !everyone && people[label].enrolled
            if !frozen && (everyone || people[label].adaptive.count < Double(options.earlyModelBlocks)) {
                for i in 0..<embeddingSize {
                    let x = embedding[i] - means[label * embeddingSize + i]
                    withinSquares[i] += x * x
                }
                withinCount += 1
                people[label].adaptive.add(embedding)
                let cap = Double(options.maxModelBlocks)
                if people[label].adaptive.count > cap { people[label].adaptive.scale(cap / people[label].adaptive.count) }
            }
        }
        return label
    }

    /// Clusters the recent windows into (people known + 1) groups; starts the next person from a new
    /// group if there is one (see `Options.noveltyBySplit`). Returns the new person.
    private mutating func splitTest() -> Int? {
        blocksSinceSplit = 0
        let e = embeddingSize, count = historyCount, capacity = historyLabel.count
        let known = people.filter(\.active).count
        guard count >= 2 * options.splitMinBlocks else { return nil }
        let g = max(1, globalCount)
        refreshModels()
        var centre = [Double](repeating: 0, count: e), spreadNow = [Double](repeating: 1, count: e)
        for i in 0..<e {
            let m = globalSum[i] / g
            spreadNow[i] = max(1e-3, (globalSquares[i] / g - m * m).squareRoot())
        }
        // Oldest first; index count - 1 is the newest window.
        var slots: [Int] = []
        for j in 0..<count { slots.append((historyNext - count + j + 2 * capacity) % capacity) }
        for s in slots { for i in 0..<e { centre[i] += history[s * e + i] / Double(count) } }
        func unit(_ v: [Double]) -> [Double] {
            let n = max(1e-12, v.reduce(0) { $0 + $1 * $1 }.squareRoot())
            return v.map { $0 / n }
        }
        let items = slots.map { s in unit((0..<e).map { (history[s * e + $0] - centre[$0]) / spreadNow[$0] }) }
        let groups = RoomDiarizer.clusterCosine(items, clusters: known + 1)
        let newest = groups[count - 1]
        let members = groups.indices.filter { groups[$0] == newest }
        guard members.count >= options.splitMinBlocks else { return nil }
        // The group's mean against each known person's mean, in within-person standard deviations
        // (mean square over the embedding): a new voice stands clearly apart from everyone known.
        var mean = [Double](repeating: 0, count: e)
        for m in members { let s = slots[m]; for i in 0..<e { mean[i] += history[s * e + i] / Double(members.count) } }
        for p in 0..<speakers where people[p].active {
            var q = 0.0
            for i in 0..<e {
                let x = mean[i] - means[p * e + i]
                q += x * x / variance[i]
            }
            if q / Double(e) < options.splitMinDistance { return nil }
        }
        guard let k = firstFree() else { return nil }
        var model = Embeddings(size: e)
        for m in members {
            let s = slots[m]
            model.add((0..<e).map { history[s * e + $0] })
            historyLabel[s] = Int8(k)
        }
        people[k].active = true
        people[k].adaptive = model
        return k
    }

    private mutating func resetEvidence() { for k in evidence.indices { evidence[k] = 0 } }

    /// Rebuilds the people's adaptive models from recent speech labelled by a better judge (the offline
    /// clustering of the last minutes): `features` holds `labels.count` frames of `featureCount` values as
    /// pushed; `labels[f]` is the person of frame f, or -1 where the speech breaks (a pause); with
    /// `frames` (each frame's index in the stream), a jump in the index breaks it too. Windows are
    /// made as `push` makes them (blocks of `blockFrames`, up to `contextBlocks` of context within one
    /// person's stretch). A person gets the new model only when it holds `minModelBlocks` windows;
    /// enrolments stay as they are. With `activating`, people not yet heard who get such a model count
    /// as heard from now on (the re-clustering found them).
    public mutating func retrain(features: [Float], featureCount: Int, labels: [Int8], frames: [Int]? = nil, activating: Bool = false) {
        let fresh = windowEmbeddings(features: features, featureCount: featureCount, labels: labels, frames: frames)
        for k in 0..<speakers where (people[k].active || activating) && fresh[k].count >= Double(options.minModelBlocks) {
            people[k].active = true
            var model = fresh[k]
            let cap = Double(options.maxModelBlocks)
            if model.count > cap { model.scale(cap / model.count) }
            people[k].adaptive = model
        }
    }

    /// Enrols person `person` from a recording of their voice alone, before the session (`live --enroll
    /// NAME=FILE`): `features` holds its speech frames, `featureCount` values each as pushed, and
    /// `frames` each frame's index in that recording (a jump is a pause). Its windows, made as `push`
    /// makes them, become the person's anchored model, as an enrolment key's speech does, and the
    /// person counts as heard. Call before the first `push`.
    public mutating func enrol(person k: Int, features: [Float], featureCount: Int, frames: [Int]) {
        precondition(k >= 0 && k < speakers && frames.count * featureCount <= features.count)
        // The windows also join the session's scatter, so that its centre lies among the voices from
        // the first block on (the session's own windows soon outweigh them).
        let fresh = windowEmbeddings(features: features, featureCount: featureCount,
                                     labels: [Int8](repeating: Int8(k), count: frames.count), frames: frames) { e in
            globalCount += 1
            for i in 0..<embeddingSize { globalSum[i] += e[i]; globalSquares[i] += e[i] * e[i] }
        }
        people[k].enrolment = fresh[k]
        people[k].active = true
        enrolments.append((k, frame))
    }

    /// Each person's window embeddings over labelled frames (see `retrain`); `each` sees every window's.
    private func windowEmbeddings(features: [Float], featureCount: Int, labels: [Int8], frames: [Int]?,
                                  each: ([Double]) -> Void = { _ in }) -> [Embeddings] {
        let d = dimensions, first = options.firstFeature
        var fresh = [Embeddings](repeating: Embeddings(size: embeddingSize), count: speakers)
        var blk = Stats(dimensions: d), win = Stats(dimensions: d)
        var ctx = [Stats](repeating: Stats(dimensions: d), count: max(1, options.contextBlocks))
        var ctxNext = 0, ctxFilled = 0, owner = -1
        var e = [Double](repeating: 0, count: embeddingSize)
        func close() {
            guard blk.n >= Double(options.minBlockFrames), owner >= 0 else { blk.clear(); return }
            ctx[ctxNext] = blk
            ctxNext = (ctxNext + 1) % ctx.count
            ctxFilled = min(ctxFilled + 1, ctx.count)
            Self.sum(ctx, next: ctxNext, filled: ctxFilled, into: &win)
            Self.embed(win, into: &e)
            fresh[owner].add(e)
            each(e)
            blk.clear()
        }
        for f in 0..<labels.count {
            let l = Int(labels[f])
            if let frames, f > 0, frames[f] != frames[f - 1] + 1 {
                close()
                ctxFilled = 0
                owner = -1
            }
            if l != owner {
                close()
                ctxFilled = 0
                owner = l
            }
            guard l >= 0 && l < speakers else { continue }
            blk.n += 1
            for i in 0..<d { blk.add(Double(features[f * featureCount + first + i]), at: i) }
            if Int(blk.n) >= options.blockFrames { close() }
        }
        close()
        return fresh
    }
    private func firstFree() -> Int? { people.firstIndex { !$0.active } }
    private func firstActive() -> Int { people.firstIndex { $0.active } ?? 0 }

    /// Each active person's mean embedding and the shared within-person variance.
    private mutating func refreshModels() {
        let e = embeddingSize
        let g = max(1, globalCount)
        for i in 0..<e {
            let m = globalSum[i] / g
            let scatter = max(1e-4, globalSquares[i] / g - m * m)
            variance[i] = max(1e-4, (withinSquares[i] + options.variancePrior * scatter) / (withinCount + options.variancePrior))
        }
        for i in 0..<e {
            centre[i] = globalSum[i] / g
            spread[i] = max(1e-3, (globalSquares[i] / g - centre[i] * centre[i]).squareRoot())
        }
        for k in 0..<speakers where people[k].active {
            var all = people[k].adaptive
            all.add(people[k].enrolment)
            // One block's worth of the session mean keeps an empty model defined.
            for i in 0..<e { means[k * e + i] = (all.sum[i] + globalSum[i] / g) / (all.count + 1) }
            if options.cosine {
                // The person's direction from the session centre, standardised, unit length.
                var norm = 0.0
                for i in 0..<e {
                    let x = (means[k * e + i] - centre[i]) / spread[i]
                    directions[k * e + i] = x
                    norm += x * x
                }
                norm = max(1e-12, norm.squareRoot())
                for i in 0..<e { directions[k * e + i] /= norm }
            }
        }
    }

    // MARK: - Enrolment

    private mutating func applyEnrolment(person k: Int) {
        let d = dimensions
        // The recent speech: back from the newest speech frame to a silence of enrolGapFrames, if it
        // ended no longer than enrolGapFrames ago, in blocks. The open block is taken when it closes.
        var taken = Embeddings(size: embeddingSize)
        var chunk = Stats(dimensions: d)
        var votes = [Int](repeating: 0, count: speakers)
        var slot = recentNext
        var last = frame
        var takenFrames = 0
        let open = Int(block.n)
        for back in 0..<recentCount {
            slot = (slot - 1 + recentFrame.count) % recentFrame.count
            let f = recentFrame[slot]
            if back < open { last = f; continue }
            if last - f > options.enrolGapFrames { break }
            last = f
            chunk.n += 1
            for i in 0..<d { chunk.add(Double(recent[slot * d + i]), at: i) }
            takenFrames += 1
            let l = Int(recentLabel[slot])
            if l >= 0 { votes[l] += 1 }
            recentLabel[slot] = Int8(k)
        }
        // One embedding of the whole stretch, weighted as the windows it spans (windows are what is compared).
        if Int(chunk.n) >= options.minBlockFrames {
            Self.embed(chunk, into: &embedding)
            taken.add(embedding, weight: chunk.n / Double(options.contextBlocks * options.blockFrames))
        }
        // Which label had the assigner given this voice?
        var given = current
        if let top = votes.indices.max(by: { votes[$0] < votes[$1] }), votes[top] > 0 { given = top }
        enrolments.append((k, frame))
        if let j = given, j != k, !people[j].enrolled, !people[k].enrolled {
            people.swapAt(j, k)
            evidence.swapAt(j, k)
        } else if given != k {
            // The voice was not k's model: k starts over from the enrolment.
            people[k].adaptive.clear()
        }
        people[k].active = true
        people[k].enrolment = taken
        enrolTaken = takenFrames
        enrolling = k
        candidate.clear(); candidateBlocks = 0; novelty = 0
        current = k
        resetEvidence()
    }
}
