/// Sample rate and channel count of a stream of audio.
public struct StreamFormat: Sendable, Equatable, Codable {
    public var sampleRate: Int
    public var channelCount: Int
    public init(sampleRate: Int, channelCount: Int) {
        self.sampleRate = sampleRate
        self.channelCount = channelCount
    }
}

/// A block of interleaved float samples (-1...1), `frameCount` sample frames of `channelCount`
/// channels. Allocated once with a fixed capacity and refilled by a source; never resized per block.
public struct AudioBlock: Sendable {
    public let channelCount: Int
    public let capacityFrames: Int
    public var samples: [Float]
    public var frameCount: Int = 0

    public init(channelCount: Int, capacityFrames: Int) {
        precondition(channelCount >= 1 && capacityFrames >= 1)
        self.channelCount = channelCount
        self.capacityFrames = capacityFrames
        samples = [Float](repeating: 0, count: channelCount * capacityFrames)
    }
}

/// Anything that delivers audio blocks: a sound file, ALSA capture, a generated test signal.
/// `read` fills `block` with up to `block.capacityFrames` frames and returns how many; 0 means the end.
public protocol AudioSource: AnyObject {
    var format: StreamFormat { get }
    func read(into block: inout AudioBlock) throws -> Int
}

/// A source of samples held in memory (tests, generated signals). Interleaved.
public final class MemoryAudioSource: AudioSource {
    public let format: StreamFormat
    private let samples: [Float]
    private var position = 0
    /// Deliver at most this many frames per read (to exercise odd block sizes).
    public let maxFramesPerRead: Int

    public init(format: StreamFormat, interleaved samples: [Float], maxFramesPerRead: Int = .max) {
        precondition(samples.count % format.channelCount == 0)
        self.format = format
        self.samples = samples
        self.maxFramesPerRead = maxFramesPerRead
    }

    public func read(into block: inout AudioBlock) throws -> Int {
        let channels = format.channelCount
        let remaining = (samples.count - position) / channels
        let frames = min(remaining, block.capacityFrames, maxFramesPerRead)
        for i in 0..<(frames * channels) { block.samples[i] = samples[position + i] }
        position += frames * channels
        block.frameCount = frames
        return frames
    }
}
