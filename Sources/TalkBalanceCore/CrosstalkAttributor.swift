/// Decides, frame by frame, which microphones carry their own person's voice when every microphone
/// also hears the others (one microphone per person).
///
/// The level a microphone picks up from another person's voice, relative to that person's own
/// microphone, is a property of the room and the gains (typically -6 to -20 dB, plus any difference in
/// mic gain). It is learned online, per ordered pair of channels, from frames in which GCC-PHAT finds
/// one coherent source and says which microphone heard it first (the speaker's own mic is the nearest).
/// A channel counts as own voice when it is active and louder, against every other active channel, than
/// that channel's crosstalk would explain (plus a margin). Two people talking at once both pass.
public struct CrosstalkAttributor: Sendable {
    public let channelCount: Int
    /// Minimum GCC-PHAT coherence for a frame to teach the crosstalk level.
    public static let minCoherence: Float = 0.2
    /// Learned samples needed before a pair's measured crosstalk replaces the assumed one.
    public static let minSamples = 30
    private static let binDB: Float = 0.5
    private static let lowestDB: Float = -70
    private static let binCount = 160   // -70 ... +10 dB
    /// Quantile of the learned leak levels used as the pair's crosstalk level: high enough to cover the
    /// spread of leaked speech, low enough that the few overlap frames learned by mistake do not matter.
    private static let quantile = 0.8
    private static let recomputeEvery = 25
    /// The estimate never sits more than this above the median leak: overlap frames learned by mistake
    /// (both people talking, one path coherent) pile up above the true leak and must not drag it up.
    private static let maxSpreadDB: Float = 3

    private func quantileDB(_ index: Int, _ q: Double) -> Float {
        let target = Int(Double(counts[index]) * q)
        var seen = 0
        for (bin, c) in histograms[index].enumerated() {
            seen += Int(c)
            if seen > target { return Self.lowestDB + (Float(bin) + 0.5) * Self.binDB }
        }
        return Self.lowestDB + Float(Self.binCount) * Self.binDB
    }

    private var histograms: [[UInt32]]      // [from * channelCount + to]
    /// Per ordered pair: how often each lag (offset by `maxLag`) was seen in a coherent frame. The true
    /// crosstalk path gives one sharp lag; frames whose lag is elsewhere are chance peaks, not leaks.
    private var lagCounts: [[UInt32]]
    private var modalLag: [Int]
    private let maxLag: Int
    /// Hits needed at the modal lag before it is trusted.
    public static let minLagHits: UInt32 = 8
    private var counts: [Int]
    private var leakDB: [Float]             // current estimate per ordered pair
    private let assumedDB: Float
    private let marginDB: Float
    private let quietestRoomNoiseDB: Float
    private var sinceRecompute = 0
    /// Each channel's level with a peak hold that falls `releaseDBPerFrame` a frame: crosstalk is
    /// delayed and reverberant, so it outlasts its source by a few frames; compared against the held
    /// level, that tail is still explained as crosstalk.
    private var heldDB: [Float]
    public static let releaseDBPerFrame: Float = 3
    /// This frame's coherent leader per ordered pair (`from` heard first at the modal lag).
    private var leadsNow: [Bool]

    /// - Parameter quietestRoomNoiseDB: noise floors at or below this level (dB) are not taken as room
    ///   noise when lowering the assumed crosstalk (see `updatePriors`); the pipeline passes the level
    ///   below which nothing is speech.
    public init(channelCount: Int, assumedCrosstalkDB: Double, marginDB: Double, maxLagSamples: Int,
                quietestRoomNoiseDB: Double = -70) {
        self.channelCount = channelCount
        self.quietestRoomNoiseDB = Float(quietestRoomNoiseDB)
        let pairs = channelCount * channelCount
        maxLag = max(1, maxLagSamples)
        lagCounts = Array(repeating: Array(repeating: 0, count: 2 * maxLag + 1), count: pairs)
        modalLag = Array(repeating: 0, count: pairs)
        leadsNow = Array(repeating: false, count: pairs)
        heldDB = Array(repeating: -120, count: channelCount)
        histograms = Array(repeating: Array(repeating: 0, count: Self.binCount), count: pairs)
        counts = Array(repeating: 0, count: pairs)
        leakDB = Array(repeating: Float(assumedCrosstalkDB), count: pairs)
        assumedDB = Float(assumedCrosstalkDB)
        self.marginDB = Float(marginDB)
    }

    /// Crosstalk level (dB) of `from`'s voice on `to`'s microphone, relative to `from`'s microphone.
    public func crosstalkDB(from: Int, to: Int) -> Float { leakDB[from * channelCount + to] }
    public func learnedSamples(from: Int, to: Int) -> Int { counts[from * channelCount + to] }
    /// The delay (samples) at which `from`'s voice reaches `to`'s microphone after its own, once learned.
    public func crosstalkDelaySamples(from: Int, to: Int) -> Int? {
        let index = from * channelCount + to
        return lagCounts[index][modalLag[index] + maxLag] >= Self.minLagHits ? modalLag[index] : nil
    }

    /// Starts a new frame with each channel's (noise-subtracted) level: forgets which channel led in
    /// the previous frame and updates the held levels.
    public mutating func beginFrame(levelsDB: UnsafeBufferPointer<Float>) {
        for i in leadsNow.indices { leadsNow[i] = false }
        for c in 0..<channelCount { heldDB[c] = max(levelsDB[c], heldDB[c] - Self.releaseDBPerFrame) }
    }

    /// Teaches one frame: `lags[a * channelCount + b]` (a < b) holds GCC-PHAT between every pair of
    /// active channels (positive lag: `b` heard it later), nil for pairs not measured. Only pairs whose
    /// earlier channel heard the sound before every other coherent channel teach: with three or more
    /// microphones, a third person's voice reaches two mics at different times too, and must not be
    /// learned as crosstalk between them.
    public mutating func learn(lags: UnsafeBufferPointer<ChannelLagValue?>, levelsDB: UnsafeBufferPointer<Float>) {
        let n = channelCount
        func lag(_ a: Int, _ b: Int) -> ChannelLagValue? {
            guard a != b else { return nil }
            if a < b { return lags[a * n + b] }
            return lags[b * n + a].map { ChannelLagValue(lagSamples: -$0.lagSamples, coherence: $0.coherence) }
        }
        for from in 0..<n {
            // `from` must lead every other active channel.
            var leadsAll = true
            for other in 0..<n where other != from {
                // A measured pair must be coherent and led by `from`: an incoherent one may hide the
                // true source, whose sound then reaches `from` and `to` as third-party crosstalk.
                if let l = lag(from, other), l.coherence < Self.minCoherence || l.lagSamples <= 0 { leadsAll = false; break }
            }
            guard leadsAll else { continue }
            for to in 0..<n where to != from {
                if let l = lag(from, to) { learnPair(from: from, to: to, lag: l, levelsDB: levelsDB) }
            }
        }
    }

    private mutating func learnPair(from: Int, to: Int, lag: ChannelLagValue, levelsDB: UnsafeBufferPointer<Float>) {
        guard lag.coherence >= Self.minCoherence, lag.lagSamples > 0, lag.lagSamples <= maxLag else { return }
        let delay = lag.lagSamples
        let index = from * channelCount + to
        lagCounts[index][delay + maxLag] += 1
        if lagCounts[index][delay + maxLag] > lagCounts[index][modalLag[index] + maxLag] { modalLag[index] = delay }
        guard lagCounts[index][modalLag[index] + maxLag] >= Self.minLagHits, abs(delay - modalLag[index]) <= 1 else { return }
        leadsNow[index] = true
        let leak = levelsDB[to] - levelsDB[from]
        let bin = Int(((leak - Self.lowestDB) / Self.binDB).rounded(.down))
        histograms[index][min(Self.binCount - 1, max(0, bin))] += 1
        counts[index] += 1
        sinceRecompute += 1
        if sinceRecompute >= Self.recomputeEvery { recompute() }
    }

    private mutating func recompute() {
        sinceRecompute = 0
        for index in 0..<counts.count where counts[index] >= Self.minSamples {
            let upper = quantileDB(index, Self.quantile)
            let median = quantileDB(index, 0.5)
            leakDB[index] = min(upper, median + Self.maxSpreadDB)
            // Keep counts bounded over a long session (and let the estimate follow slow changes).
            if counts[index] > 200_000 {
                for b in 0..<Self.binCount { histograms[index][b] /= 2 }
                for b in lagCounts[index].indices { lagCounts[index][b] /= 2 }
                counts[index] = histograms[index].reduce(0) { $0 + Int($1) }
            }
        }
    }

    /// Until a pair's crosstalk is learned, the assumed level allows for a difference in mic gain, read
    /// from the channels' noise floors: room noise reaches each mic through its gain, so a mic whose
    /// floor is 10 dB above another's hears that other person's voice up to 10 dB louder than assumed.
    /// A hotter receiving mic raises the assumption (at most `maxGainAllowanceDB`). Without this, a low
    /// mic's person makes everyone else "speak" until the pair is learned, and with a low mic the pair
    /// may be learned late or never (its own signal is the least coherent).
    /// A quieter receiving mic lowers it just as much, but only when both floors are room noise (above
    /// `quietestRoomNoiseDB`): a noiseless or gated channel's floor is its quietest sound, not a gain.
    /// Without this, the low mic's person loses every word spoken while someone louder talks (an
    /// interruption's start, the overlap at a change of turn) until the pair is learned.
    public mutating func updatePriors(floorsDB: UnsafeBufferPointer<Float>) {
        for from in 0..<channelCount {
            for to in 0..<channelCount where to != from {
                let index = from * channelCount + to
                guard counts[index] < Self.minSamples else { continue }
                let measured = floorsDB[to] > Self.minFloorDB && floorsDB[from] > Self.minFloorDB
                let roomNoise = floorsDB[to] > quietestRoomNoiseDB && floorsDB[from] > quietestRoomNoiseDB
                let lowest: Float = roomNoise ? -Self.maxGainAllowanceDB : 0
                leakDB[index] = assumedDB + (measured ? max(lowest, min(Self.maxGainAllowanceDB, floorsDB[to] - floorsDB[from])) : 0)
            }
        }
    }
    /// Largest mic-gain difference the assumed crosstalk allows for, either way, dB.
    public static let maxGainAllowanceDB: Float = 12
    /// Floors at or below this (dB) are not measurements yet.
    private static let minFloorDB: Float = -100

    /// Own-voice decision for `channel`, given whether it is active and every channel's level.
    public func isOwnVoice(_ channel: Int, active: UnsafeBufferPointer<Bool>, levelsDB: UnsafeBufferPointer<Float>) -> Bool {
        guard active[channel] else { return false }
        for other in 0..<channelCount where other != channel {
            let index = other * channelCount + channel
            // Until the crosstalk level is learned, a frame in which the other mic coherently heard
            // the sound first is taken as crosstalk.
            if counts[index] < Self.minSamples && leadsNow[index] { return false }
            let excess = levelsDB[channel] - heldDB[other]
            if excess <= leakDB[index] + marginDB { return false }
        }
        return true
    }
}

/// The part of a GCC-PHAT result the attributor needs (kept free of the DSP module's types so the
/// decision logic can be tested without audio).
public struct ChannelLagValue: Sendable, Equatable {
    public var lagSamples: Int
    public var coherence: Float
    public init(lagSamples: Int, coherence: Float) {
        self.lagSamples = lagSamples
        self.coherence = coherence
    }
}
