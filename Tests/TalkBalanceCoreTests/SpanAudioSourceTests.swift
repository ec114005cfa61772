import Testing
import TalkBalanceCore

/// `SpanAudioSource`: exactly the frames asked for, whatever the block sizes of the source and the reader.
@Suite struct SpanAudioSourceTests {
    /// Reads everything from `source` in blocks of `capacity` frames.
    static func drain(_ source: AudioSource, capacity: Int) throws -> [Float] {
        var block = AudioBlock(channelCount: source.format.channelCount, capacityFrames: capacity)
        var out: [Float] = []
        while try source.read(into: &block) > 0 {
            out += block.samples[0..<(block.frameCount * block.channelCount)]
        }
        return out
    }

    @Test("a stretch of a stereo source, read in odd block sizes", arguments: [(1, 7), (5, 64), (64, 5), (1000, 1000)])
    func stretch(sourceBlock: Int, readerBlock: Int) throws {
        let format = StreamFormat(sampleRate: 16000, channelCount: 2)
        let samples = (0..<2000).map { Float($0) }   // 1000 frames, frame k holds 2k and 2k + 1
        let span = SpanAudioSource(MemoryAudioSource(format: format, interleaved: samples, maxFramesPerRead: sourceBlock), frames: 123..<456)
        #expect(span.format == format)
        #expect(try Self.drain(span, capacity: readerBlock) == Array(samples[246..<912]))
    }

    @Test("a stretch past the end gives what there is; one beyond it gives nothing")
    func pastTheEnd() throws {
        let format = StreamFormat(sampleRate: 8000, channelCount: 1)
        let samples = (0..<100).map { Float($0) }
        let tail = SpanAudioSource(MemoryAudioSource(format: format, interleaved: samples, maxFramesPerRead: 9), frames: 90..<200)
        #expect(try Self.drain(tail, capacity: 16) == Array(samples[90..<100]))
        let beyond = SpanAudioSource(MemoryAudioSource(format: format, interleaved: samples), frames: 150..<200)
        #expect(try Self.drain(beyond, capacity: 16).isEmpty)
        let empty = SpanAudioSource(MemoryAudioSource(format: format, interleaved: samples), frames: 40..<40)
        #expect(try Self.drain(empty, capacity: 16).isEmpty)
    }
}
