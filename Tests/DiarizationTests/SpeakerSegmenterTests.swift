import Foundation
import Testing
import TestSupport
import TalkBalanceDSP

/// The speaker segmentation network (`SpeakerSegmenter`, pyannote segmentation-3.0 in C) against the same
/// network computed with numpy in float64 from the checkpoint (fixtures/segmentation/demo.logprobs,
/// written by `tools/segmentation-model --reference`), and the resampler that feeds it other rates.
@Suite("Speaker segmenter")
struct SpeakerSegmenterTests {
    static func classes(path: String) throws -> [UInt8] {
        let audio = try MonoAudio.load(path: path)
        var segmenter = SpeakerSegmenter(sampleRate: audio.sampleRate)
        try audio.samples.withUnsafeBufferPointer { try segmenter.push($0) }
        try segmenter.finish()
        return segmenter.frameClasses
    }

    @Test("a live session forgets old classes in whole chunks: the kept frames keep their class")
    func dropClasses() throws {
        let audio = try MonoAudio.load(path: packageRoot.appendingPathComponent("fixtures/demo/demo.flac").path)
        var segmenter = SpeakerSegmenter(sampleRate: audio.sampleRate)
        try audio.samples.withUnsafeBufferPointer { try segmenter.push($0) }
        try segmenter.finish()
        let all = segmenter.frameClasses, perChunk = SpeakerSegmenter.framesPerChunk
        try #require(all.count == 8 * perChunk && Set(all).count > 1)
        segmenter.dropClasses(before: 5 * perChunk)   // under six chunks: kept until there are more to drop
        #expect(segmenter.droppedFrames == 0 && segmenter.frameClasses.count == all.count)
        segmenter.dropClasses(before: 7 * perChunk - 1)   // six whole chunks go, the seventh (partly needed) stays
        #expect(segmenter.droppedFrames == 6 * perChunk && segmenter.frameClasses.count == 2 * perChunk)
        #expect((0..<(6 * perChunk)).allSatisfy { segmenter.frameClass($0) == nil })
        #expect((6 * perChunk..<all.count).allSatisfy { segmenter.frameClass($0) == all[$0] })
        #expect(segmenter.frameClass(all.count) == nil)
    }

    @Test("16 kHz: the same log-probabilities as the network computed with numpy, and the same classes")
    func sameAsReference() throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("fixtures/segmentation/demo.logprobs"), encoding: .utf8)
        let expected = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").compactMap { Float($0) } }
        try #require(expected.count == 2 * SpeakerSegmenter.framesPerChunk && expected.allSatisfy { $0.count == SpeakerSegmenter.classCount })
        // The reference adds the channels, as `MonoAudio` does.
        let audio = try MonoAudio.load(path: packageRoot.appendingPathComponent("fixtures/demo/demo.flac").path)
        var worst: Float = 0
        for c in 0..<2 {
            let chunk = Array(audio.samples[(c * SpeakerSegmenter.chunkSamples)..<((c + 1) * SpeakerSegmenter.chunkSamples)])
            let found = try SpeakerSegmenter.logProbabilities(chunk: chunk)
            for f in 0..<SpeakerSegmenter.framesPerChunk {
                for k in 0..<SpeakerSegmenter.classCount {
                    worst = max(worst, abs(found[f * SpeakerSegmenter.classCount + k] - expected[c * SpeakerSegmenter.framesPerChunk + f][k]))
                }
            }
        }
        #expect(worst < 1e-3, "largest difference \(worst)")
        // The streaming path gives each frame the reference's likeliest class.
        let classes = try Self.classes(path: packageRoot.appendingPathComponent("fixtures/demo/demo.flac").path)
        #expect(classes.count == 8 * SpeakerSegmenter.framesPerChunk)   // 75 s: eight chunks, the last padded
        let likeliest = expected.map { row in UInt8(row.indices.max { row[$0] < row[$1] }!) }
        #expect(Array(classes.prefix(likeliest.count)) == likeliest)
        // Not all one class: the demo has silence, each of two people, and two overlaps.
        #expect(Set(likeliest).count >= 3 && likeliest.contains(0))
    }

    @Test("48 kHz: resampled to 16 kHz, nearly every frame gets the class it gets at 16 kHz")
    func otherRates() throws {
        let at16 = try Self.classes(path: packageRoot.appendingPathComponent("fixtures/demo/demo.flac").path)
        try withDemoAt48kHz("segmenter") { path in
            let at48 = try Self.classes(path: path)
            #expect(at48.count == at16.count)
            let same = zip(at16, at48).filter { $0 == $1 }.count
            #expect(Double(same) > 0.95 * Double(at16.count), "\(same) of \(at16.count) frames the same")
        }
    }

    @Test("resampler: a tone under 8 kHz keeps its level and pitch, one over is removed, the length is the duration at 16 kHz",
          arguments: [44100, 48000, 22050, 8000])
    func resampler(rate: Int) throws {
        func tone(_ hz: Double, seconds: Double) -> [Float] {
            (0..<Int(seconds * Double(rate))).map { Float(0.5 * sin(2 * Double.pi * hz * Double($0) / Double(rate))) }
        }
        func resampled(_ x: [Float]) -> [Float] {
            var r = Resampler(from: rate, to: 16000)
            var out: [Float] = [], piece: [Float] = []
            // In uneven pieces, as blocks come from a file.
            var i = 0, size = 1000
            while i < x.count {
                let n = min(size, x.count - i)
                x[i..<(i + n)].withUnsafeBufferPointer { r.push($0, into: &piece) }
                out += piece
                i += n
                size = size == 1000 ? 4093 : 1000
            }
            r.finish(into: &piece)
            return out + piece
        }
        let seconds = 2.0
        let low = resampled(tone(1000, seconds: seconds))
        #expect(low.count == Int((seconds * 16000).rounded(.up)))
        // Away from the edges: the level (RMS of a 0.5 sine is 0.354) and the pitch (zero crossings).
        let middle = Array(low[4000..<28000])
        let rms = (middle.reduce(0) { $0 + Double($1 * $1) } / Double(middle.count)).squareRoot()
        #expect(abs(rms - 0.5 / 2.0.squareRoot()) < 0.01, "RMS \(rms)")
        let crossings = zip(middle, middle.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        #expect(abs(crossings - 3000) <= 2, "\(crossings) zero crossings in 1.5 s of 1 kHz")
        if rate > 16000 {
            let high = resampled(tone(11000, seconds: seconds))
            let rest = Array(high[4000..<28000])
            let leak = (rest.reduce(0) { $0 + Double($1 * $1) } / Double(rest.count)).squareRoot()
            #expect(leak < 0.354 * 0.01, "11 kHz leaks at RMS \(leak)")   // at least 40 dB down
        }
    }
}
