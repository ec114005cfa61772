/// Who holds the floor, turns, backchannels, interruptions, overlaps, monologues and balance, from
/// the final per-frame voice activity of each person (after `ActivitySmoother`).
///
/// A value-type state machine fed one frame at a time, in order; it never looks at audio. Decisions
/// need a bounded look-ahead (a backchannel is known once the floor holder resumes, an interruption once
/// the holder stops or the interrupter gives up), so events come out a little after the fact, in the
/// order of the speech that caused them. Memory is bounded by what is still undecided, plus the
/// session's own list of segments, turns and events.
public struct ConversationAnalyzer: Sendable {
    public let speakerCount: Int
    public let hopSamples: Int
    public let sampleRate: Int
    private let config: AnalysisConfig

    // Thresholds in frames.
    private let backchannelMax: Int
    private let resume: Int
    private let minOverlap: Int
    private let minInterrupterSpeech: Int
    private let minHolderSpeech: Int
    private let prePause: Int
    private let successWindow: Int
    private let monologue: Int
    private let minOverlapEvent: Int

    private struct Run { var start: Int; var end: Int? }   // end exclusive; nil while open
    private var runs: [[Run]]
    private var pending: [(speaker: Int, start: Int)] = []
    private var now = 0                     // frames pushed so far

    private var holder: Int? = nil
    private var turnStart = 0

    private var talkFrames: [Int]
    private var overlapFrames: [Int]
    private var overlapStart: Int? = nil
    private var overlapSpeakers: Set<Int> = []
    private var totalOverlapFrames = 0
    private var silenceFrames = 0
    private var pauses = 0
    private var gaps = 0
    private var latencies: [[Int]]

    private var sender: Int? = nil
    private var senderChanges: [(frame: Int, sender: Int?)] = []
    private var sendingFrames: [Int]
    private var receivingFrames: [Int]

    private var window: SlidingShare
    private var flagged: [Bool]

    public private(set) var segments: [SpeechSegment] = []
    public private(set) var turns: [Turn] = []
    public private(set) var events: [ConversationEvent] = []
    public private(set) var balance: [BalanceSnapshot] = []
    /// Index into `events` of the first event not yet taken by `drainEvents()`.
    private var drained = 0

    public init(speakerCount: Int, hopSamples: Int, sampleRate: Int, config: AnalysisConfig) {
        self.speakerCount = speakerCount
        self.hopSamples = hopSamples
        self.sampleRate = sampleRate
        self.config = config
        let framesPerSecond = Double(sampleRate) / Double(hopSamples)
        func frames(_ s: Double) -> Int { Int((s * framesPerSecond).rounded()) }
        backchannelMax = frames(config.backchannelMaxSeconds)
        resume = frames(config.floorResumeSeconds)
        minOverlap = frames(config.interruptionMinOverlapSeconds)
        minInterrupterSpeech = frames(config.interruptionMinSpeechSeconds)
        minHolderSpeech = frames(config.interruptionMinHolderSeconds)
        prePause = frames(config.interruptionPrePauseSeconds)
        successWindow = frames(config.interruptionSuccessSeconds)
        monologue = frames(config.monologueSeconds)
        minOverlapEvent = max(1, frames(config.minOverlapEventSeconds))
        runs = Array(repeating: [], count: speakerCount)
        talkFrames = Array(repeating: 0, count: speakerCount)
        overlapFrames = Array(repeating: 0, count: speakerCount)
        latencies = Array(repeating: [], count: speakerCount)
        flagged = Array(repeating: false, count: speakerCount)
        sendingFrames = Array(repeating: 0, count: speakerCount)
        receivingFrames = Array(repeating: 0, count: speakerCount)
        window = SlidingShare(speakerCount: speakerCount, bucketFrames: max(1, Int(framesPerSecond.rounded())),
                              bucketCount: max(1, Int(config.windowSeconds.rounded())))
    }

    /// Who is speaking in the latest frame pushed.
    public var speakingNow: [Bool] { runs.map { $0.last.map { $0.end == nil } ?? false } }
    public var floorHolder: Int? { holder }
    public var framesPushed: Int { now }
    /// Length of the current turn so far, in frames (0 when nobody holds the floor).
    public var currentTurnFrames: Int { holder == nil ? 0 : now - turnStart }
    public func talkSamples(_ speaker: Int) -> Int { talkFrames[speaker] * hopSamples }
    public var windowTalkSamples: [Int] { window.totals.map { $0 * hopSamples } }

    /// Takes the events decided since the last call.
    public mutating func drainEvents() -> ArraySlice<ConversationEvent> {
        defer { drained = events.count }
        return events[drained...]
    }

    /// From frame `frame` on, `person` is the Imago sender (nil: nobody). Changes must come in order.
    public mutating func setSender(_ person: Int?, fromFrame frame: Int) {
        senderChanges.append((max(frame, senderChanges.last?.frame ?? 0), person))
    }

    /// Pushes the final activity of the next frame (one flag per speaker).
    public mutating func push(_ active: UnsafeBufferPointer<Bool>) {
        precondition(active.count == speakerCount)
        let f = now
        while let change = senderChanges.first, change.frame <= f {
            sender = change.sender
            senderChanges.removeFirst()
        }
        var activeCount = 0
        for s in 0..<speakerCount {
            let wasOpen = runs[s].last.map { $0.end == nil } ?? false
            if active[s] {
                activeCount += 1
                talkFrames[s] += 1
                if let sender { if sender == s { sendingFrames[s] += 1 } else { receivingFrames[s] += 1 } }
                if !wasOpen {
                    runs[s].append(Run(start: f, end: nil))
                    pending.append((s, f))
                }
            } else if wasOpen {
                closeRun(s, at: f)
            }
        }
        trackOverlap(frame: f, active: active, count: activeCount)
        if activeCount == 0 { silenceFrames += 1 }
        now = f + 1
        if window.push(active) { checkBalance() }
        decidePending(final: false)
    }

    /// Ends the stream: closes open speech, decides everything still pending, closes the last turn.
    public mutating func finish() {
        for s in 0..<speakerCount where runs[s].last.map({ $0.end == nil }) ?? false { closeRun(s, at: now) }
        trackOverlapEnd(at: now)
        decidePending(final: true)
        if let h = holder { closeTurn(of: h, before: now) }
        holder = nil
        if now % window.bucketFrames != 0 || balance.isEmpty { recordSnapshot() }
    }

    public func summaries(labels: [String]) -> [SpeakerSummary] {
        let totalTalk = talkFrames.reduce(0, +)
        return (0..<speakerCount).map { s in
            let own = turns.filter { $0.speaker == s }
            let lengths = own.map { $0.endSample - $0.startSample }
            let made = events.filter { $0.kind == .interruption && $0.by == s }
            let lat = latencies[s]
            return SpeakerSummary(
                index: s, label: labels[s], talkSamples: talkFrames[s] * hopSamples,
                share: totalTalk > 0 ? Double(talkFrames[s]) / Double(totalTalk) : 0,
                turns: own.count,
                meanTurnSamples: lengths.isEmpty ? 0 : lengths.reduce(0, +) / lengths.count,
                longestTurnSamples: lengths.max() ?? 0,
                interruptionsMade: made.count,
                interruptionsSuffered: events.filter { $0.kind == .interruption && $0.of == s }.count,
                successfulInterruptionsMade: made.filter { $0.successful == true }.count,
                backchannels: events.filter { $0.kind == .backchannel && $0.by == s }.count,
                backchannelsReceived: events.filter { $0.kind == .backchannel && $0.of == s }.count,
                overlapSamples: overlapFrames[s] * hopSamples,
                meanResponseLatencySamples: lat.isEmpty ? nil : lat.reduce(0, +) * hopSamples / lat.count,
                sendingSamples: sendingFrames[s] * hopSamples, receivingSamples: receivingFrames[s] * hopSamples)
        }
    }

    public var silenceSamples: Int { silenceFrames * hopSamples }
    public var overlapSamples: Int { totalOverlapFrames * hopSamples }
    public var pauseCount: Int { pauses }
    public var gapCount: Int { gaps }

    // MARK: - Runs

    private mutating func closeRun(_ s: Int, at f: Int) {
        let i = runs[s].count - 1
        runs[s][i].end = f
        segments.append(SpeechSegment(speaker: s, startSample: runs[s][i].start * hopSamples, endSample: f * hopSamples))
    }

    /// The run of `s` that covers frame `f`, if `s` was speaking then.
    private func run(_ s: Int, covering f: Int) -> Run? {
        guard f < now else { return nil }
        for r in runs[s].reversed() {
            if r.start > f { continue }
            if r.end.map({ f < $0 }) ?? true { return r }
            return nil
        }
        return nil
    }

    /// End of the latest closed run of `s` that ended at or before `f`.
    private func lastEnd(_ s: Int, atOrBefore f: Int) -> Int? {
        for r in runs[s].reversed() { if let e = r.end, e <= f { return e } }
        return nil
    }

    /// Whether `s` speaks at some frame in `[from, to)` (only frames already pushed count).
    private func speaks(_ s: Int, from: Int, to: Int) -> Bool {
        for r in runs[s].reversed() {
            let end = r.end ?? now
            if end <= from { return false }
            if r.start < to { return true }
        }
        return false
    }

    // MARK: - Floor decisions

    private enum Decision { case done, wait }

    private mutating func decidePending(final: Bool) {
        while let item = pending.first {
            if decide(speaker: item.speaker, start: item.start, final: final) == .wait { break }
            pending.removeFirst()
        }
        trimRuns()
    }

    private mutating func decide(speaker x: Int, start a: Int, final: Bool) -> Decision {
        guard let h = holder else {
            takeFloor(x, at: a, previous: nil)
            return .done
        }
        guard let xRun = runs[x].last(where: { $0.start == a }) else { return .done }
        if x == h {
            if let e = lastEnd(x, atOrBefore: a), e < a { pauses += 1 }
            return .done
        }
        let b = xRun.end
        let xLength = (b ?? now) - a
        let hAtStart = run(h, covering: a)

        // A short reply while the holder holds the floor, and the holder goes on: a backchannel.
        if xLength <= backchannelMax {
            guard let b else { return final ? .done : .wait }
            let holderAround = hAtStart != nil || (lastEnd(h, atOrBefore: a).map { a - $0 <= resume } ?? false)
            if holderAround {
                if speaks(h, from: b - 1, to: b + resume) {
                    emit(ConversationEvent(kind: .backchannel, startSample: a * hopSamples,
                                           durationSamples: (b - a) * hopSamples, by: x, of: h))
                    return .done
                }
                if now < b + resume && !final { return .wait }
            }
        }

        guard let hRun = hAtStart else {
            // Started in silence (or in the holder's pause) and is not a backchannel: the floor moves.
            takeFloor(x, at: a, previous: h)
            return .done
        }

        // Started while the holder was speaking.
        let eligible = (a - turnStart) >= minHolderSpeech && (a - hRun.start) >= prePause
        if let hEnd = hRun.end {
            if let b, b <= hEnd {
                // The listener stopped first: the holder keeps the floor.
                noteAttempt(x, of: h, at: a, overlap: b - a, length: xLength, eligible: eligible, successful: false)
                return .done
            }
            // The holder stopped first while the listener goes on.
            let overlap = hEnd - a
            if overlap > minOverlap && eligible && xLength <= minInterrupterSpeech && b == nil && !final {
                return .wait   // not yet long enough to tell
            }
            // Successful when the holder gave way within the success window (DOMAIN: about 2 s).
            noteAttempt(x, of: h, at: a, overlap: overlap, length: xLength, eligible: eligible, successful: overlap <= successWindow)
            takeFloor(x, at: a, previous: h)
            return .done
        }
        // The holder is still speaking.
        if let b {
            noteAttempt(x, of: h, at: a, overlap: b - a, length: xLength, eligible: eligible, successful: false)
            return .done
        }
        return final ? .done : .wait
    }

    private mutating func noteAttempt(_ x: Int, of h: Int, at a: Int, overlap: Int, length: Int, eligible: Bool, successful: Bool) {
        guard eligible, overlap > minOverlap, length > minInterrupterSpeech else { return }
        emit(ConversationEvent(kind: .interruption, startSample: a * hopSamples, durationSamples: overlap * hopSamples,
                               by: x, of: h, successful: successful))
    }

    private mutating func takeFloor(_ x: Int, at a: Int, previous h: Int?) {
        if let h {
            closeTurn(of: h, before: a)
            if let e = lastEnd(h, atOrBefore: a) {
                latencies[x].append(a - e)
                if a > e { gaps += 1 }
            } else if let r = run(h, covering: a), let e = r.end {
                latencies[x].append(a - e)   // negative: overlap at the change
            }
        }
        holder = x
        turnStart = a
    }

    /// Closes `h`'s turn at the end of its last speech that started before frame `a`.
    private mutating func closeTurn(of h: Int, before a: Int) {
        var end = turnStart
        for r in runs[h].reversed() where r.start < a {
            end = r.end ?? now
            break
        }
        guard end > turnStart else { return }
        turns.append(Turn(speaker: h, startSample: turnStart * hopSamples, endSample: end * hopSamples))
        if end - turnStart > monologue {
            emit(ConversationEvent(kind: .monologue, startSample: turnStart * hopSamples,
                                   durationSamples: (end - turnStart) * hopSamples, by: h))
        }
    }

    /// Drops runs no pending decision can need again (keeps the last two of each speaker).
    private mutating func trimRuns() {
        let horizon = (pending.first?.start ?? now) - 2 * (resume + successWindow + backchannelMax) - 1
        for s in 0..<speakerCount where runs[s].count > 2 {
            var drop = 0
            while drop < runs[s].count - 2, let e = runs[s][drop].end, e < horizon, runs[s][drop].start < turnStart { drop += 1 }
            if drop > 0 { runs[s].removeFirst(drop) }
        }
    }

    private mutating func emit(_ event: ConversationEvent) {
        // Keep the list in time order: decisions may come out slightly after later overlap events.
        var i = events.count
        while i > drained, events[i - 1].startSample > event.startSample { i -= 1 }
        events.insert(event, at: i)
    }

    // MARK: - Overlap and balance

    private mutating func trackOverlap(frame f: Int, active: UnsafeBufferPointer<Bool>, count: Int) {
        if count >= 2 {
            totalOverlapFrames += 1
            if overlapStart == nil { overlapStart = f }
            for s in 0..<speakerCount where active[s] {
                overlapFrames[s] += 1
                overlapSpeakers.insert(s)
            }
        } else {
            trackOverlapEnd(at: f)
        }
    }

    private mutating func trackOverlapEnd(at f: Int) {
        guard let start = overlapStart else { return }
        if f - start >= minOverlapEvent {
            emit(ConversationEvent(kind: .overlap, startSample: start * hopSamples,
                                   durationSamples: (f - start) * hopSamples, speakers: overlapSpeakers.sorted()))
        }
        overlapStart = nil
        overlapSpeakers.removeAll(keepingCapacity: true)
    }

    private mutating func checkBalance() {
        recordSnapshot()
        let totals = window.totals
        let sum = totals.reduce(0, +)
        guard Double(sum * hopSamples) >= config.imbalanceMinTalkSeconds * Double(sampleRate), sum > 0 else { return }
        for s in 0..<speakerCount {
            let share = Double(totals[s]) / Double(sum)
            if !flagged[s] && share > config.imbalanceShare {
                flagged[s] = true
                emit(ConversationEvent(kind: .imbalance, startSample: now * hopSamples, by: s, share: share))
            } else if flagged[s] && share < config.imbalanceShare - 0.05 {
                flagged[s] = false
            }
        }
    }

    private static let snapshotEveryBuckets = 10

    private mutating func recordSnapshot() {
        let buckets = now / window.bucketFrames
        guard buckets % Self.snapshotEveryBuckets == 0 || now % window.bucketFrames != 0 else { return }
        let totals = window.totals
        let sum = totals.reduce(0, +)
        balance.append(BalanceSnapshot(
            endSample: now * hopSamples, windowSamples: min(now, window.bucketFrames * window.bucketCount) * hopSamples,
            talkSamples: totals.map { $0 * hopSamples },
            shares: totals.map { sum > 0 ? Double($0) / Double(sum) : 0 }))
    }
}

/// Talk frames per speaker in a sliding window of whole buckets (one bucket a second by default):
/// constant memory however long the session runs.
struct SlidingShare: Sendable {
    let bucketFrames: Int
    let bucketCount: Int
    private var buckets: [[Int]]
    private var next = 0
    private var inBucket = 0
    private(set) var totals: [Int]

    init(speakerCount: Int, bucketFrames: Int, bucketCount: Int) {
        self.bucketFrames = bucketFrames
        self.bucketCount = bucketCount
        buckets = Array(repeating: Array(repeating: 0, count: speakerCount), count: bucketCount)
        totals = Array(repeating: 0, count: speakerCount)
    }

    /// Adds one frame; returns true when a bucket was completed.
    mutating func push(_ active: UnsafeBufferPointer<Bool>) -> Bool {
        for s in 0..<totals.count where active[s] {
            buckets[next][s] += 1
            totals[s] += 1
        }
        inBucket += 1
        guard inBucket == bucketFrames else { return false }
        inBucket = 0
        next = (next + 1) % bucketCount
        for s in 0..<totals.count {
            totals[s] -= buckets[next][s]
            buckets[next][s] = 0
        }
        return true
    }
}
