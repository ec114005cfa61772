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

    /// - Parameter maxDelaySeconds: largest delay searched; 1 ms is about 34 cm of path difference,
    ///   more than the spacing of a stereo recorder's capsules.
    public init(geometry: FrameGeometry, maxDelaySeconds: Double = 0.001) {
        self.geometry = geometry
        maxDelaySamples = max(1, Int((maxDelaySeconds * Double(geometry.sampleRate)).rounded()))
        frontEnd = SpectralFrontEnd(geometry: geometry, channelCount: 2)
    }

    /// Both windows must be `geometry.windowLength` samples.
    public func analyze(left: UnsafeBufferPointer<Float>, right: UnsafeBufferPointer<Float>) -> Frame {
        let l = frontEnd.analyze(channel: 0, samples: left)
        let r = frontEnd.analyze(channel: 1, samples: right)
        let lag = frontEnd.lag(0, 1, maxLagSamples: maxDelaySamples)
        return Frame(levelDifferenceDB: l.energyDB - r.energyDB, levelDB: max(l.energyDB, r.energyDB), delaySamples: lag.lagSamples, coherence: lag.coherence)
    }
}

/// Decides whether the two channels of a room recording carry spatial information: the level
/// difference of loud frames must spread (people on different sides give different differences). A
/// stereo file made from one microphone (identical or merely scaled channels) has a constant
/// difference and does not qualify. A small value type: running mean and variance only.
public struct SpatialDetector: Sendable {
    private var count = 0
    private var mean = 0.0
    private var m2 = 0.0
    /// Loud frames needed before deciding (2 s of speech).
    public static let minFrames = 200
    /// Spread of the level difference (standard deviation, dB) from which the channels count as spatial.
    public static let minSpreadDB = 1.5

    public init() {}

    /// Adds a frame's level difference; only loud frames (speech, not the noise between) should be added.
    public mutating func add(levelDifferenceDB: Float) {
        guard levelDifferenceDB.isFinite else { return }
        count += 1
        let x = Double(levelDifferenceDB)
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
    }

    public var frames: Int { count }
    public var spreadDB: Double { count > 1 ? (m2 / Double(count - 1)).squareRoot() : 0 }
    public var isSpatial: Bool { count >= Self.minFrames && spreadDB >= Self.minSpreadDB }
}
