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

/// The frames `frames` of another source (a stretch of a recording, e.g. a few seconds of one voice to
/// enrol: `analyze --enroll NAME=@START-END`). Frames before the stretch are read and dropped; reading
/// stops at its end, or earlier where the source ends. Owns `base`.
public final class SpanAudioSource: AudioSource {
    public var format: StreamFormat { base.format }
    public let frames: Range<Int>
    private let base: AudioSource
    /// Frames of `base` read so far.
    private var position = 0
    private var scratch: AudioBlock? = nil

    public init(_ base: AudioSource, frames: Range<Int>) {
        precondition(frames.lowerBound >= 0)
        self.base = base
        self.frames = frames
    }

    public func read(into block: inout AudioBlock) throws -> Int {
        let channels = format.channelCount
        if scratch?.capacityFrames != block.capacityFrames {
            scratch = AudioBlock(channelCount: channels, capacityFrames: block.capacityFrames)
        }
        block.frameCount = 0
        while position < frames.upperBound {
            let got = try base.read(into: &scratch!)
            guard got > 0 else { return 0 }
            let start = position
            position += got
            let first = max(start, frames.lowerBound), end = min(position, frames.upperBound)
            guard end > first else { continue }
            let from = (first - start) * channels
            for i in 0..<((end - first) * channels) { block.samples[i] = scratch!.samples[from + i] }
            block.frameCount = end - first
            return end - first
        }
        return 0
    }
}
