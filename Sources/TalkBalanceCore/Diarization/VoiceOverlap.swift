import Foundation
import TalkBalanceDSP

/// A person's voice as a mixture of diagonal Gaussians over the natural-log mel energies of a frame
/// (`MelCepstrum.withLogMelEnergies`), trained by EM on frames that person says alone. A value type.
public struct VoiceMixture: Sendable, Equatable {
    public let dimensions: Int
    public private(set) var logWeights: [Double]
    /// Component c's means, `dimensions` values each.
    public private(set) var means: [Float]
    /// 1 / standard deviation, and -log(standard deviation) - log(2 pi) / 2, per component and dimension.
    private var inverseDeviations: [Float]
    private var densityOffsets: [Float]
    public var components: Int { logWeights.count }

    /// EM from `frames` (n x `dimensions` values): the means start at n / K evenly spaced frames, the
    /// variances at the data's; each variance is floored at 5% of the data's (plus 1e-3).
    public init(frames: [Float], dimensions d: Int, components wanted: Int, iterations: Int = 20) {
        precondition(d > 0 && frames.count % d == 0 && frames.count >= d)
        let n = frames.count / d
        let k = max(1, min(wanted, n / 20))
        dimensions = d
        var mean = [Double](repeating: 0, count: d), variance = [Double](repeating: 0, count: d)
        for f in 0..<n { for i in 0..<d { mean[i] += Double(frames[f * d + i]) } }
        for i in 0..<d { mean[i] /= Double(n) }
        for f in 0..<n { for i in 0..<d { let x = Double(frames[f * d + i]) - mean[i]; variance[i] += x * x } }
        for i in 0..<d { variance[i] = variance[i] / Double(n) + 1e-3 }
        let floor = variance.map { 0.05 * $0 + 1e-3 }
        var mu = [Double](repeating: 0, count: k * d), va = [Double](repeating: 0, count: k * d)
        var logW = [Double](repeating: -log(Double(k)), count: k)
        for c in 0..<k {
            let f = (c * n) / k + n / (2 * k)
            for i in 0..<d { mu[c * d + i] = Double(frames[f * d + i]); va[c * d + i] = variance[i] }
        }
        var ll = [Double](repeating: 0, count: k)
        var weight = [Double](repeating: 0, count: k)
        var s1 = [Double](repeating: 0, count: k * d), s2 = [Double](repeating: 0, count: k * d)
        var muF = [Float](repeating: 0, count: k * d), inverse = [Float](repeating: 0, count: k * d)
        var constant = [Double](repeating: 0, count: k)
        for _ in 0..<iterations {
            for c in 0..<k {
                var sum = 0.0
                for i in 0..<d {
                    sum += log(va[c * d + i])
                    muF[c * d + i] = Float(mu[c * d + i])
                    inverse[c * d + i] = Float(1 / va[c * d + i])
                }
                constant[c] = logW[c] - 0.5 * sum - 0.5 * Double(d) * log(2 * Double.pi)
                weight[c] = 0
            }
            for i in s1.indices { s1[i] = 0; s2[i] = 0 }
            frames.withUnsafeBufferPointer { x in muF.withUnsafeBufferPointer { m in inverse.withUnsafeBufferPointer { v in
                for f in 0..<n {
                    var top = -Double.infinity
                    let row = f * d
                    for c in 0..<k {
                        var q: Float = 0
                        let base = c * d
                        for i in 0..<d { let e = x[row + i] - m[base + i]; q += e * e * v[base + i] }
                        ll[c] = constant[c] - 0.5 * Double(q)
                        top = max(top, ll[c])
                    }
                    var total = 0.0
                    for c in 0..<k { ll[c] = exp(ll[c] - top); total += ll[c] }
                    for c in 0..<k {
                        let r = ll[c] / total
                        guard r > 1e-6 else { continue }
                        weight[c] += r
                        let base = c * d
                        for i in 0..<d { let e = Double(x[row + i]); s1[base + i] += r * e; s2[base + i] += r * e * e }
                    }
                }
            } } }
            for c in 0..<k {
                let w = weight[c] + 1e-6
                logW[c] = log(w / (Double(n) + 1e-6 * Double(k)))
                for i in 0..<d {
                    let m = s1[c * d + i] / w
                    mu[c * d + i] = m
                    va[c * d + i] = max(s2[c * d + i] / w - m * m, floor[i])
                }
            }
        }
        logWeights = logW
        means = mu.map { Float($0) }
        inverseDeviations = va.map { Float(1 / $0.squareRoot()) }
        densityOffsets = va.map { Float(-0.5 * log($0) - 0.5 * log(2 * Double.pi)) }
    }

    /// For frame `x`: each component's log density per dimension (`density`) and log probability of
    /// lying below x (`below`), K x D values each, and each component's log weight plus log density of
    /// the whole frame (`joint`, K values); returns the frame's log-likelihood under the mixture.
    func evaluate(_ x: UnsafeBufferPointer<Float>, density: UnsafeMutablePointer<Float>, below: UnsafeMutablePointer<Float>,
                  joint: UnsafeMutablePointer<Double>) -> Double {
        let d = dimensions
        var top = -Double.infinity
        means.withUnsafeBufferPointer { mu in inverseDeviations.withUnsafeBufferPointer { inv in densityOffsets.withUnsafeBufferPointer { off in
            for c in 0..<components {
                var sum: Float = 0
                let base = c * d
                for i in 0..<d {
                    let z = (x[i] - mu[base + i]) * inv[base + i]
                    let p = off[base + i] - 0.5 * z * z
                    density[base + i] = p
                    below[base + i] = LogNormalCDF.value(z)
                    sum += p
                }
                joint[c] = logWeights[c] + Double(sum)
                top = max(top, joint[c])
            }
        } } }
        var total = 0.0
        for c in 0..<components { total += exp(joint[c] - top) }
        return top + log(total)
    }
}

/// A function sampled every 1 / `steps` over [`low`, `high`], read back by linear interpolation.
struct SampledFunction: Sendable {
    let low: Float, high: Float, steps: Float
    let table: [Float]
    init(low: Float, high: Float, steps: Float, _ f: (Double) -> Double) {
        self.low = low; self.high = high; self.steps = steps
        table = (0..<(Int((high - low) * steps) + 2)).map { k in Float(f(Double(low) + Double(k) / Double(steps))) }
    }
    /// For `low` <= x < `high`.
    @inline(__always) func callAsFunction(_ x: Float) -> Float {
        let t = (x - low) * steps
        let k = Int(t)
        return table[k] + (t - Float(k)) * (table[k + 1] - table[k])
    }
}

/// log(1 + e^-d) for d >= 0, from a table (step 1/32 over [0, 16]; 0 beyond).
enum SoftplusTail {
    static let sampled = SampledFunction(low: 0, high: 16, steps: 32) { log1p(exp(-$0)) }
    @inline(__always) static func value(_ d: Float) -> Float { d >= sampled.high ? 0 : sampled(d) }
}

/// log Phi(z), the standard normal's log CDF, from a table (step 1/64 over [-12, 8]); below -12 its
/// asymptote, above 8 zero.
enum LogNormalCDF {
    static let sampled = SampledFunction(low: -12, high: 8, steps: 64) { log(0.5 * erfc(-$0 / 2.0.squareRoot())) }
    @inline(__always) static func value(_ z: Float) -> Float {
        if z >= sampled.high { return 0 }
        if z <= sampled.low { return -0.5 * z * z - log(-z) - 0.9189385 }
        return sampled(z)
    }
}

/// Overlapped speech on one microphone for the room, from the voices themselves: where two people
/// speak at once, each band's log energy is about the larger of their two (the "MIXMAX" model of
/// Nadas, Nahamoo and Picheny 1989; Varga and Moore 1990). Once the room analysis has said who speaks
/// when, each person gets a `VoiceMixture` of their log-mel frames (frames they say alone); every frame
/// given to one person is then scored as that person with each other one underneath (the pair's
/// MIXMAX likelihood, from the `topComponents` likeliest components of each) against the best single
/// voice; the score's mean over `smoothingFrames` around the frame (the frames given to one person but
/// that other, at least half of them) above `threshold` puts that other person in the frame as well.
///
/// A value-type state machine fed one frame at a time over two passes of the recording: the first
/// (`collect`) gathers each person's training frames, `train` makes the models, the second (`score`,
/// then `finish`) finds the runs. Memory: at most `maxTrainingFrames` frames per person (a deterministic
/// reservoir sample) until trained, then the models and a ring of `smoothingFrames` scores; the runs
/// found. Measured on every room set in docs/ACCURACY.md ("overlapped speech from the voices"): on the
/// generated rooms about half of the overlapped frames found, nine in ten of those added right; on the
/// real recordings here little, mostly wrong.
public struct VoiceOverlapFinder: Sendable {
    public struct Options: Sendable, Equatable {
        /// The log-mel bands scored (`MelCepstrum`'s filterbank over `bandHz`).
        public var melBands = 32
        public var bandHz: ClosedRange<Double> = 100...7000
        /// Gaussians per person, and how many of each person's likeliest take part in a pair's score.
        public var components = 16
        public var topComponents = 4
        /// Log density of whatever may mask a band, used to rank components for a pair.
        public var maskingLogDensity: Float = -2
        /// Frames a person must say alone to get a model (5 s), and the most kept to train it.
        public var minTrainingFrames = 500
        public var maxTrainingFrames = 20000
        /// The centred window the score is averaged over (0.41 s), and the share of it that must be
        /// scorable (given to one person but the other).
        public var smoothingFrames = 41
        public var minScoredFraction = 0.5
        /// Mean log-likelihood gain per frame of two voices over one that marks a frame overlapped.
        public var threshold = 1.0
        /// Shorter runs of one person underneath are dropped.
        public var minRunFrames = 20
        /// A run that stops or starts within this many frames of the same person's own speech reaches it,
        /// and two runs of one person that close are one (`RoomAnalysis.joined`). 0.8 s: an interrupter
        /// heard underneath in pieces 0.3-0.4 s apart made two "backchannels" at 0.3 s (room interruptions
        /// found 16 -> 18 of 24 on the tuning seeds, backchannels invented 10 -> 6; docs/ACCURACY.md).
        public var joinFrames = 80
        /// Whether the report keeps the backchannels this overlap gives when it is the only source (live, and
        /// offline without the segmentation network; with the network they are kept). Off: too many are wrong
        /// (docs/ACCURACY.md, "the join at 0.8 s"); a developer switch for measuring them.
        public var reportsBackchannels = false
        public init() {}
    }

    public let options: Options
    public let people: Int
    private var reservoirs: [[Float]]
    private var seen: [Int]
    private var random: UInt64 = 0x9E37_79B9_7F4A_7C15
    public private(set) var models: [VoiceMixture?]
    // Scoring: a ring of the last `smoothingFrames` frames' scores per other person (NaN: not scorable).
    private var ring: [Float]
    private var ringLabel: [Int8]
    private var pushed = 0
    private var sums: [Double]
    private var counts: [Int]
    // Per person (K components x D bands each, K the most components of any model): log densities, log
    // CDFs, component joints, and the indices of their `topComponents` components for a pair.
    private var stride = 0
    private var density: [Float]
    private var below: [Float]
    private var joint: [Double]
    private var topIndices: [Int]
    private var rank: [(Double, Int)] = []
    private var terms: [Double] = []
    /// The last frame `score`d: for each other person, the gain of the pair over the best single voice
    /// (NaN where not scored).
    public private(set) var gains: [Float]
    /// The frames found overlapped and the person underneath, in time order (not with `streamsDecisions`).
    public private(set) var runs: [(frames: Range<Int>, person: Int)] = []
    /// Live: every frame's decision is handed out by `swapDecisions` (the person heard underneath, or -1)
    /// instead of being gathered into `runs`; shortest runs are then the caller's to drop.
    public var streamsDecisions = false
    private var decisions: [(frame: Int, person: Int)] = []
    /// Frames whose decision is made so far.
    public private(set) var framesDecided = 0

    public init(people: Int, options: Options = Options()) {
        precondition(people >= 1 && options.smoothingFrames >= 1 && options.topComponents >= 1)
        self.options = options
        self.people = people
        reservoirs = Array(repeating: [], count: people)
        seen = Array(repeating: 0, count: people)
        models = Array(repeating: nil, count: people)
        ring = [Float](repeating: .nan, count: options.smoothingFrames * people)
        ringLabel = [Int8](repeating: -1, count: options.smoothingFrames)
        sums = [Double](repeating: 0, count: people)
        counts = [Int](repeating: 0, count: people)
        gains = [Float](repeating: .nan, count: people)
        density = []
        below = []
        joint = []
        topIndices = [Int](repeating: 0, count: people * options.topComponents)
    }

    private mutating func nextRandom() -> UInt64 {
        // SplitMix64: the same sample on every run.
        random &+= 0x9E37_79B9_7F4A_7C15
        var z = random
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// First pass: frame `logMel` (`melBands` values) said by `person` alone.
    public mutating func collect(_ logMel: UnsafeBufferPointer<Float>, person: Int) {
        let d = options.melBands, cap = options.maxTrainingFrames
        let i = seen[person]
        seen[person] += 1
        if i < cap {
            reservoirs[person].append(contentsOf: logMel[0..<d])
        } else {
            let j = Int(nextRandom() % UInt64(i + 1))
            if j < cap { for b in 0..<d { reservoirs[person][j * d + b] = logMel[b] } }
        }
    }

    /// Between the passes: a model for each person with `minTrainingFrames` frames or more; the training
    /// frames are then let go. The people's models are fitted at the same time, on up to two threads
    /// (each fit is independent and deterministic, so the models are the same as one after the other):
    /// the fits were a third of a second alone on one core at the end of the bench's ten-minute room
    /// session (`perf record`).
    public mutating func train() {
        let ready = (0..<people).filter { seen[$0] >= options.minTrainingFrames }
        let (reservoirs, d, k) = (self.reservoirs, options.melBands, options.components)
        let fitted = concurrentResults(count: ready.count, workers: min(2, ProcessInfo.processInfo.activeProcessorCount)) {
            VoiceMixture(frames: reservoirs[ready[$0]], dimensions: d, components: k)
        }
        for (p, model) in zip(ready, fitted) { models[p] = model }
        for p in 0..<people { self.reservoirs[p] = [] }
        allocate()
    }

    /// Live: a model for `person` from the frames collected so far, which stay (`collect` goes on filling
    /// the reservoir, and the person can be trained again). False when they have under
    /// `minTrainingFrames`.
    @discardableResult
    public mutating func train(person p: Int) -> Bool {
        guard seen[p] >= options.minTrainingFrames else { return false }
        fit(p)
        allocate()
        return true
    }

    /// Frames collected for `person` so far.
    public func framesCollected(_ person: Int) -> Int { seen[person] }

    private mutating func fit(_ p: Int) {
        models[p] = VoiceMixture(frames: reservoirs[p], dimensions: options.melBands, components: options.components)
    }

    private mutating func allocate() {
        let k = models.compactMap { $0?.components }.max() ?? 0
        guard k != stride || density.isEmpty else { return }
        let d = options.melBands
        stride = k
        density = [Float](repeating: 0, count: people * k * d)
        below = density
        joint = [Double](repeating: 0, count: people * k)
    }

    /// Whether the second pass can find anything (two people or more have models).
    public var canScore: Bool { models.compactMap { $0 }.count >= 2 }

    /// Second pass: the next frame (every frame of the recording, in order), given to `person` alone
    /// (-1: silence, or more than one person already).
    public mutating func score(_ logMel: UnsafeBufferPointer<Float>, person: Int) {
        let w = options.smoothingFrames, slot = pushed % w
        // The frame leaving the window.
        if pushed >= w { remove(slot: slot) }
        for q in 0..<people { ring[slot * people + q] = .nan }
        ringLabel[slot] = Int8(person)
        scoreGains(logMel, person: person)
        if person >= 0, models[person] != nil {
            for q in 0..<people where !gains[q].isNaN {
                ring[slot * people + q] = gains[q]
                sums[q] += Double(gains[q])
                counts[q] += 1
            }
        }
        pushed += 1
        // The frame at the window's centre is decided.
        let centre = pushed - 1 - w / 2
        if centre >= 0 { decide(centre) }
    }

    /// Frame `logMel`, given to `person` alone, scored as that person with each other one underneath: into
    /// `gains`, for each other person with a model, the pair's log-likelihood gain over the best single
    /// voice (what `score` averages; after `score`, that frame's); NaN for the rest, and for every person
    /// when `person` is -1 or has no model. The finder's decisions are not touched.
    private mutating func scoreGains(_ logMel: UnsafeBufferPointer<Float>, person: Int) {
        for q in 0..<people { gains[q] = .nan }
        guard person >= 0, person < people, models[person] != nil else { return }
        let d = options.melBands
        var best = -Double.infinity
        density.withUnsafeMutableBufferPointer { den in below.withUnsafeMutableBufferPointer { bel in joint.withUnsafeMutableBufferPointer { jo in
            for q in 0..<people {
                guard let m = models[q] else { continue }
                let ll = m.evaluate(logMel, density: den.baseAddress! + q * stride * d, below: bel.baseAddress! + q * stride * d,
                                    joint: jo.baseAddress! + q * stride)
                best = max(best, ll)
            }
        } } }
        chooseTop(person)
        for q in 0..<people where q != person && models[q] != nil {
            chooseTop(q)
            gains[q] = Float(pairLikelihood(person, q) - best)
        }
    }

    /// Decides the frames still waiting at the end of the recording.
    public mutating func finish() {
        let w = options.smoothingFrames
        var centre = max(0, pushed - w / 2)
        // The window shrinks past the end: frames leave from its start.
        var leaving = max(0, pushed - w)
        while centre < pushed {
            // Window of `centre` is [centre - w/2, centre + w/2]: frames before its start leave.
            while leaving < centre - w / 2 { remove(slot: leaving % w); leaving += 1 }
            decide(centre)
            centre += 1
        }
        runs.removeAll { $0.frames.count < options.minRunFrames }
    }

    private mutating func remove(slot: Int) {
        for q in 0..<people {
            let v = ring[slot * people + q]
            if !v.isNaN { sums[q] -= Double(v); counts[q] -= 1; ring[slot * people + q] = .nan }
        }
    }

    /// Hands out the decisions made since the last call, in frame order (`streamsDecisions`): they go into
    /// `buffer`, whose old contents the finder clears and reuses (no allocation per frame).
    public mutating func swapDecisions(_ buffer: inout [(frame: Int, person: Int)]) {
        swap(&decisions, &buffer)
        decisions.removeAll(keepingCapacity: true)
    }

    private mutating func decide(_ frame: Int) {
        framesDecided = frame + 1
        let chosen = choose(frame)
        if streamsDecisions {
            decisions.append((frame, chosen))
            return
        }
        guard chosen >= 0 else { return }
        if let last = runs.last, last.person == chosen, last.frames.upperBound == frame {
            runs[runs.count - 1].frames = last.frames.lowerBound..<(frame + 1)
        } else {
            runs.append((frame..<(frame + 1), chosen))
        }
    }

    /// The person heard underneath at `frame` (the window's centre), or -1.
    private func choose(_ frame: Int) -> Int {
        let w = options.smoothingFrames, slot = frame % w
        let person = Int(ringLabel[slot])
        guard person >= 0 else { return -1 }
        let needed = Int((options.minScoredFraction * Double(w)).rounded(.up))
        var chosen = -1
        var best = options.threshold
        for q in 0..<people where q != person && counts[q] >= needed && !ring[slot * people + q].isNaN {
            let mean = sums[q] / Double(counts[q])
            if mean > best { best = mean; chosen = q }
        }
        return chosen
    }

    /// The `topComponents` components of person `p` likeliest when something else may mask a band
    /// (each band either their own or below a masker of density `maskingLogDensity`), into `topIndices`.
    private mutating func chooseTop(_ p: Int) {
        guard let m = models[p] else { return }
        let d = options.melBands, g = options.maskingLogDensity, base = p * stride * d
        rank.removeAll(keepingCapacity: true)
        for c in 0..<m.components {
            var s: Float = 0
            for i in 0..<d { s += max(density[base + c * d + i], below[base + c * d + i] + g) }
            rank.append((m.logWeights[c] + Double(s), c))
        }
        // A partial selection: topComponents is small.
        let t = min(options.topComponents, rank.count)
        for i in 0..<t {
            var best = i
            for j in (i + 1)..<rank.count where rank[j].0 > rank[best].0 { best = j }
            rank.swapAt(i, best)
            topIndices[p * options.topComponents + i] = rank[i].1
        }
        for i in t..<options.topComponents { topIndices[p * options.topComponents + i] = -1 }
    }

    /// log p(frame | the louder of person a's and person b's voice in each band), over the pairs of
    /// their top components (`chooseTop` first).
    private mutating func pairLikelihood(_ a: Int, _ b: Int) -> Double {
        guard let ma = models[a], let mb = models[b] else { return -.infinity }
        let d = options.melBands, t = options.topComponents
        let baseA = a * stride * d, baseB = b * stride * d
        terms.removeAll(keepingCapacity: true)
        density.withUnsafeBufferPointer { den in below.withUnsafeBufferPointer { bel in
            for u in 0..<t {
                let i = topIndices[a * t + u]
                guard i >= 0 else { continue }
                for v in 0..<t {
                    let j = topIndices[b * t + v]
                    guard j >= 0 else { continue }
                    var s: Float = 0
                    let pa = baseA + i * d, pb = baseB + j * d
                    for k in 0..<d {
                        let x = den[pa + k] + bel[pb + k]
                        let y = den[pb + k] + bel[pa + k]
                        s += max(x, y) + SoftplusTail.value(abs(x - y))
                    }
                    terms.append(ma.logWeights[i] + mb.logWeights[j] + Double(s))
                }
            }
        } }
        let top = terms.max() ?? -Double.infinity
        guard top > -Double.infinity else { return top }
        var total = 0.0
        for v in terms { total += exp(v - top) }
        return top + log(total)
    }
}
