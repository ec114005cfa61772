import Foundation
import TalkBalanceDSP

/// Where a voice comes from, for a stereo microphone between the partners: per 10 ms frame, the level
/// difference between the two channels (dB, left minus right, speech band) and the delay of the right
/// channel behind the left (GCC-PHAT, samples, with its coherence). A person nearer the left capsule
/// gives a positive level difference and a positive delay; the facilitator in the middle, about zero.
/// One FFTW-backed front end per instance, plans made once.
public final class StereoCues {
    public struct Frame: Sendable, Equatable {
        public var levelDifferenceDB: Float
        /// The louder channel's speech-band level, dBFS.
        public var levelDB: Float
        public var delaySamples: Int
        public var coherence: Float
    }

    public let geometry: FrameGeometry
    public let maxDelaySamples: Int
    private let frontEnd: SpectralFrontEnd
    /// Log-spaced bands (bins of the front end's speech band) for `levelSpreadDB()`.
    public let bands: [Range<Int>]
    public static let bandCount = 16
    public static let spreadBandHz: ClosedRange<Double> = 200...4000

    /// - Parameter maxDelaySeconds: largest delay searched; 1 ms is about 34 cm of path difference,
    ///   more than the spacing of a stereo recorder's capsules.
    public init(geometry: FrameGeometry, maxDelaySeconds: Double = 0.001) {
        self.geometry = geometry
        maxDelaySamples = max(1, Int((maxDelaySeconds * Double(geometry.sampleRate)).rounded()))
        frontEnd = SpectralFrontEnd(geometry: geometry, channelCount: 2)
        bands = Self.logBands(frontEnd: frontEnd, count: Self.bandCount, hz: Self.spreadBandHz)
    }

    /// `count` log-spaced bands over `hz` (as bin ranges of the speech band), each at least one bin,
    /// fewer when the band holds too few bins.
    static func logBands(frontEnd: SpectralFrontEnd, count: Int, hz: ClosedRange<Double>) -> [Range<Int>] {
        let bins = frontEnd.speechBandBins
        func bin(_ f: Double) -> Int { min(bins, max(0, Int(((f - frontEnd.speechBandFirstHz) / frontEnd.binHz).rounded()))) }
        var edges: [Int] = []
        for i in 0...count {
            let f = hz.lowerBound * pow(hz.upperBound / hz.lowerBound, Double(i) / Double(count))
            let e = bin(f)
            if edges.isEmpty || e > edges[edges.count - 1] { edges.append(e) }
        }
        return zip(edges, edges.dropFirst()).map { $0..<$1 }
    }

    /// Both windows must be `geometry.windowLength` samples.
    public func analyze(left: UnsafeBufferPointer<Float>, right: UnsafeBufferPointer<Float>) -> Frame {
        let l = frontEnd.analyze(channel: 0, samples: left)
        let r = frontEnd.analyze(channel: 1, samples: right)
        let lag = frontEnd.lag(0, 1, maxLagSamples: maxDelaySamples)
        return Frame(levelDifferenceDB: l.energyDB - r.energyDB, levelDB: max(l.energyDB, r.energyDB), delaySamples: lag.lagSamples,
                     coherence: lag.coherence)
    }

    /// How much the level difference of the frame last analysed varies across the speech band
    /// (power-weighted standard deviation over `bands`, dB; each band's difference clamped to ±30 dB,
    /// so that a band silent on one side cannot dominate). One voice gives about the same difference in
    /// every band; two voices from different sides at once give each band to the louder of them, so the
    /// differences spread. Reverberation spreads them too. Computed only when asked (overlap finding).
    public func levelSpreadDB() -> Float {
        var weight: Float = 0, sum: Float = 0, sumSquares: Float = 0
        for band in bands {
            let l = frontEnd.bandPower(channel: 0, bins: band), r = frontEnd.bandPower(channel: 1, bins: band)
            let w = l + r
            guard w > 1e-12 else { continue }
            let d = min(30, max(-30, 10 * log10f((l + 1e-12) / (r + 1e-12))))
            weight += w; sum += w * d; sumSquares += w * d * d
        }
        guard weight > 0 else { return 0 }
        let mean = sum / weight
        return max(0, sumSquares / weight - mean * mean).squareRoot()
    }
}

/// Decides whether the two channels of a room recording carry spatial information: the level
/// difference of loud frames must spread (people on different sides give different differences). A
/// stereo file made from one microphone (identical or merely scaled channels) has a constant
/// difference and does not qualify. It also says whether the delay between the channels carries
/// position (spaced capsules) or not (coincident capsules, as on most handheld recorders: 0 but for a few
/// stray frames). A small value type: running means and variances only.
public struct SpatialDetector: Sendable {
    /// Running mean and variance (Welford) of one value.
    private struct Spread: Sendable {
        private var count = 0
        private var mean = 0.0
        private var m2 = 0.0
        mutating func add(_ x: Double) {
            count += 1
            let delta = x - mean
            mean += delta / Double(count)
            m2 += delta * (x - mean)
        }
        var standardDeviation: Double { count > 1 ? (m2 / Double(count - 1)).squareRoot() : 0 }
    }
    private var count = 0
    private var level = Spread()
    private var delay = Spread()
    /// Loud frames needed before deciding (2 s of speech).
    public static let minFrames = 200
    /// Spread of the level difference (standard deviation, dB) from which the channels count as spatial.
    public static let minSpreadDB = 1.5
    /// Spread of the delay (standard deviation, samples) from which it counts as position. Coincident
    /// capsules in reverberant rooms stay under a sample (0 but for stray frames); capsules set apart
    /// with a person on either side give each side its own delay, several samples apart.
    public static let minDelaySpreadSamples = 1.5

    public init() {}

    /// Adds a frame's level difference; only loud frames (speech, not the noise between) should be added.
    public mutating func add(levelDifferenceDB: Float, delaySamples: Int = 0) {
        guard levelDifferenceDB.isFinite else { return }
        count += 1
        level.add(Double(levelDifferenceDB))
        delay.add(Double(delaySamples))
    }

    public var frames: Int { count }
    public var spreadDB: Double { level.standardDeviation }
    public var isSpatial: Bool { count >= Self.minFrames && spreadDB >= Self.minSpreadDB }
    public var delaySpreadSamples: Double { delay.standardDeviation }
    /// Whether the delay varies enough to tell positions apart (judged on the same loud frames).
    public var carriesDelay: Bool { count >= Self.minFrames && delaySpreadSamples >= Self.minDelaySpreadSamples }
}

/// Finds overlapping speech of a stereo microphone between the partners from
/// `StereoCues.levelSpreadDB()`: frames whose spread, averaged over `smoothingFrames` centred on them, reaches
/// `thresholdDB`, inside speech, in runs of at least `minFrames`. A small value type: decides each
/// frame `smoothingFrames / 2` frames late and keeps only the runs found (frame ranges).
public struct StereoOverlapFinder: Sendable {
    public struct Options: Sendable, Equatable {
        public var thresholdDB: Float
        public var smoothingFrames: Int
        public var minFrames: Int
        public init(thresholdDB: Float = 3, smoothingFrames: Int = 11, minFrames: Int = 10) {
            self.thresholdDB = thresholdDB
            self.smoothingFrames = smoothingFrames
            self.minFrames = minFrames
        }
    }

    public let options: Options
    public private(set) var runs: [Range<Int>] = []
    private var spreads: [Float]
    private var speech: [Bool]
    private var pushed = 0
    private var decided = 0
    private var runStart: Int? = nil

    public init(options: Options = Options()) {
        precondition(options.smoothingFrames >= 1 && options.minFrames >= 1)
        self.options = options
        spreads = [Float](repeating: 0, count: options.smoothingFrames)
        speech = [Bool](repeating: false, count: options.smoothingFrames)
    }

    /// The next frame's spread (dB) and whether it is speech.
    public mutating func push(spreadDB: Float, speech isSpeech: Bool) {
        let w = options.smoothingFrames
        let slot = pushed % w
        let value = spreadDB.isFinite ? spreadDB : 0
        spreads[slot] = value
        speech[slot] = isSpeech
        pushed += 1
        // Frame `decided` is centred in the window once `w / 2` frames after it are in.
        while decided + w / 2 < pushed { decideNext() }
    }

    /// Decides the last frames (their windows cut at the end) and closes the last run.
    public mutating func finish() {
        while decided < pushed { decideNext() }
        close(at: decided)
    }

    private mutating func decideNext() {
        let w = options.smoothingFrames
        let first = max(0, decided - w / 2, pushed - w), end = min(pushed, decided + w / 2 + 1)
        var total: Float = 0
        for k in first..<end { total += spreads[k % w] }
        let mean = total / Float(end - first)
        let isOverlap = speech[decided % w] && mean >= options.thresholdDB
        if isOverlap {
            if runStart == nil { runStart = decided }
        } else {
            close(at: decided)
        }
        decided += 1
    }

    private mutating func close(at end: Int) {
        if let start = runStart, end - start >= options.minFrames { runs.append(start..<end) }
        runStart = nil
    }
}
