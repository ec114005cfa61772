/// Overlapped speech from the voices, live: the streaming counterpart of `RoomAnalysis`'s two extra
/// passes (`VoiceOverlapFinder`, then `RoomAnalysis.joined`), for the labels the live meter accounts.
///
/// A value-type state machine fed every frame once, in order, with its log-mel energies and its person
/// (-1: nobody). Each person's model is trained from the frames given to them alone so far (a reservoir
/// of at most `options.maxTrainingFrames`), one person at a time so that no frame waits for more than
/// one model's EM (about 35 ms at 30 s of frames): every `minTrainingFrames` (5 s) until two people
/// are modelled, then every `retrainEveryFrames` (20 s) the person modelled longest ago (or not yet);
/// frames before two people are modelled are not scored. Each frame comes
/// back out of `take` after `delayFrames` with the person heard underneath it (-1: nobody), decided as
/// the offline analysis decides: runs shorter than `minRunFrames` dropped, a run reaches the same
/// person's own speech within `joinFrames` (speech all the way), and two runs of one person that close
/// are one. Memory: the reservoirs, the models and `delayFrames` frames; nothing grows with the session.
public struct LiveVoiceOverlap: Sendable {
    public let options: VoiceOverlapFinder.Options
    public let people: Int
    /// Frames between a frame going in and coming out: the finder's half window, the shortest run and the
    /// join reach, plus one.
    public let delayFrames: Int
    public let retrainEveryFrames: Int
    private var finder: VoiceOverlapFinder
    /// The frame each person's model was last trained at (nil: not yet).
    private var trainedAt: [Int?]
    /// The first frame scored with models of two people or more (nil: none yet).
    public private(set) var firstScoredFrame: Int? = nil
    // Frames in, not yet out: person and person underneath, frames `base..<base + label.count`
    // (`head` is the first not yet out).
    private var label: [Int8] = []
    private var under: [Int8] = []
    private var head = 0
    private var base = 0
    private var pushed = 0
    // The run the finder is deciding now, and the last run kept.
    private var run: (person: Int, start: Int, end: Int)? = nil
    private var lastKept: (person: Int, end: Int)? = nil
    // A kept run that ended: it may still reach its person's own speech after it.
    private var reach: (person: Int, from: Int, next: Int)? = nil
    // The finder's latest decisions (a buffer swapped with it, not reallocated).
    private var decided: [(frame: Int, person: Int)] = []

    public init(people: Int, options: VoiceOverlapFinder.Options = LiveVoiceOverlap.defaultOptions, retrainEveryFrames: Int = 2000) {
        precondition(people >= 1 && retrainEveryFrames >= 1)
        self.options = options
        self.people = people
        self.retrainEveryFrames = retrainEveryFrames
        finder = VoiceOverlapFinder(people: people, options: options)
        finder.streamsDecisions = true
        trainedAt = Array(repeating: nil, count: people)
        delayFrames = options.smoothingFrames / 2 + options.minRunFrames + options.joinFrames + 1
    }

    /// The offline options with a smaller training sample (30 s alone per person), so that each
    /// model's EM stays short in the live loop (`tools/bench-live --speakers 2`).
    public static var defaultOptions: VoiceOverlapFinder.Options {
        var o = VoiceOverlapFinder.Options()
        o.maxTrainingFrames = 3000
        return o
    }

    /// The frame last pushed, scored as its person with each other one underneath: for each other person
    /// with a model, the pair's log-likelihood gain over the best single voice (`VoiceOverlapFinder.gains`);
    /// NaN where not scored (nobody, no model, or before two people are modelled).
    public var gains: [Float] { finder.gains }

    /// Whether `person` has a voice model yet.
    public func hasModel(_ person: Int) -> Bool { finder.models[person] != nil }

    /// The next frame: its log-mel energies (`options.melBands`) and its person (-1: nobody).
    public mutating func push(_ logMel: UnsafeBufferPointer<Float>, person: Int) {
        let frame = pushed
        pushed += 1
        label.append(Int8(person))
        under.append(-1)
        if person >= 0 { finder.collect(logMel, person: person) }
        if frame > 0 && frame % (finder.canScore ? retrainEveryFrames : options.minTrainingFrames) == 0 { trainNext(at: frame) }
        if finder.canScore && firstScoredFrame == nil { firstScoredFrame = frame }
        finder.score(logMel, person: finder.canScore ? person : -1)
        settle()
    }

    /// Trains the person with enough frames whose model is oldest (or missing).
    private mutating func trainNext(at frame: Int) {
        let ready = (0..<people).filter { finder.framesCollected($0) >= options.minTrainingFrames }
        guard let next = ready.min(by: { (trainedAt[$0] ?? -1, $0) < (trainedAt[$1] ?? -1, $1) }) else { return }
        finder.train(person: next)
        trainedAt[next] = frame
    }

    /// Flushes the frames still in the finder's window; all frames can then be taken.
    public mutating func finish() {
        finder.finish()
        settle()
        endRun()
        if let r = reach { extend(r, upTo: pushed) }
        reach = nil
    }

    /// Hands out the frames ready (all of them after `finish`): person and person heard underneath.
    public mutating func take(_ body: (_ person: Int8, _ underneath: Int8) -> Void) {
        let ready = finishedAll ? pushed : pushed - delayFrames
        while base + head < ready {
            body(label[head], under[head])
            head += 1
        }
        if head >= 4096 {
            label.removeFirst(head)
            under.removeFirst(head)
            base += head
            head = 0
        }
    }

    private var finishedAll: Bool { finder.framesDecided >= pushed && run == nil && reach == nil }

    // MARK: - Runs, as `RoomAnalysis.joined` shapes them

    private func labelAt(_ k: Int) -> Int8 { label[k - base] }

    private mutating func settle() {
        finder.swapDecisions(&decided)
        for d in decided { decide(d.frame, d.person) }
        if let r = reach { extend(r, upTo: pushed) }
    }

    private mutating func decide(_ frame: Int, _ person: Int) {
        if var r = run, r.person == person, r.end == frame {
            r.end = frame + 1
            run = r
            if r.end - r.start == options.minRunFrames { keep(r) } else if r.end - r.start > options.minRunFrames { under[frame - base] = Int8(person) }
            return
        }
        endRun()
        guard person >= 0 else { return }
        // A new run: a pending reach of the last one stops here.
        if let r = reach { extend(r, upTo: frame); reach = nil }
        run = (person, frame, frame + 1)
        if options.minRunFrames <= 1 { keep(run!) }
    }

    /// A run long enough to keep: its frames so far, and back to its person's own speech or last run.
    private mutating func keep(_ r: (person: Int, start: Int, end: Int)) {
        let p = Int8(r.person), join = options.joinFrames
        for k in r.start..<r.end { under[k - base] = p }
        var start = r.start
        // Back to the person's own speech, with speech all the way (not past the last run kept).
        let earliest = max(base + head, r.start - join, lastKept?.end ?? 0)
        var own: Int? = nil
        for k in earliest..<r.start {
            let l = labelAt(k)
            if l < 0 { own = nil } else if l == p { own = k }
        }
        if let own { start = own + 1 }
        // Or to the same person's last run, with speech between.
        if let last = lastKept, last.person == r.person, r.start - last.end <= join, last.end >= base + head {
            if (last.end..<r.start).allSatisfy({ labelAt($0) >= 0 }) { start = last.end }
        }
        for k in start..<r.start where labelAt(k) != p { under[k - base] = p }
    }

    private mutating func endRun() {
        guard let r = run else { return }
        run = nil
        guard r.end - r.start >= options.minRunFrames else { return }
        lastKept = (r.person, r.end)
        reach = (r.person, r.end, r.end)
    }

    /// On from a kept run's end to its person's own speech within `joinFrames`, speech all the way;
    /// looks at the frames up to `limit` (those pushed, or the start of the next run).
    private mutating func extend(_ r: (person: Int, from: Int, next: Int), upTo limit: Int) {
        var k = r.next
        let stop = min(limit, r.from + options.joinFrames)
        while k < stop {
            let l = labelAt(k)
            if l < 0 { reach = nil; return }
            if Int(l) == r.person {
                for j in r.from..<k { under[j - base] = Int8(r.person) }
                lastKept = (r.person, k)
                reach = nil
                return
            }
            k += 1
        }
        // Undecided while frames within reach are still to come; else given up.
        reach = k < r.from + options.joinFrames && k >= limit && limit == pushed ? (r.person, r.from, k) : nil
    }
}
