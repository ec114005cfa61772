import Foundation
import Testing
import TestSupport
import TalkBalanceCore
import TalkBalanceDSP
import TalkBalanceIO
import TalkBalanceEval

/// The neural voice encoder (`VoiceEmbedder`, Resemblyzer's GE2E network with its mel spectrum on FFTW)
/// against the same network computed with numpy in float64 from the checkpoint
/// (fixtures/voice-embeddings/demo.embeddings, written by `tools/voice-model --reference`), and what
/// its embeddings are for: the same voice near, another voice far.
@Suite("Voice embedder")
struct VoiceEmbedderTests {
    /// Each 10 ms frame's mel powers (the window centred on the middle of the frame's hop, zeros
    /// beyond the recording, as the reference tool frames it), channels averaged.
    static func melFrames(path: String) throws -> (rate: Int, frames: [[Float]]) {
        try centredFrames(path: path, bands: VoiceEmbedder.bands) { rate in
            let embedder = VoiceEmbedder(sampleRate: rate)
            return (embedder.windowLength, { embedder.melPowers(centredIn: $0, into: $1) })
        }
    }

    static func embeddings(path: String, framesEach: Int = 150) throws -> [[Float]] {
        let frames = try melFrames(path: path).frames
        let stretches = stride(from: 0, to: frames.count, by: framesEach).map { Array(frames[$0..<min(frames.count, $0 + framesEach)].joined()) }
        return try #require(VoiceEmbedder.embed(stretches))
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    @Test("16 kHz: the same embeddings as the network computed with numpy")
    func sameAsReference() throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("fixtures/voice-embeddings/demo.embeddings"), encoding: .utf8)
        let expected = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").compactMap { Float($0) } }
        let found = try Self.embeddings(path: packageRoot.appendingPathComponent("fixtures/demo/demo.flac").path)
        #expect(found.count == expected.count)
        var worst: Float = 0
        for (f, e) in zip(found, expected) {
            #expect(f.count == VoiceEmbedder.dimensions && e.count == VoiceEmbedder.dimensions)
            worst = max(worst, zip(f, e).map { abs($0 - $1) }.max() ?? 1)
        }
        #expect(worst < 2e-3, "largest difference \(worst)")
        // Not all alike: the demo has two people, and silence.
        let similarities = expected.indices.dropFirst().map { Self.cosine(expected[0], expected[$0]) }
        #expect(similarities.contains { $0 < 0.8 })
    }

    @Test("48 kHz without resampling: nearly the same embeddings as at 16 kHz")
    func otherRate() throws {
        let demo = packageRoot.appendingPathComponent("fixtures/demo/demo.flac").path
        try withDemoAt48kHz("voice-embedder") { high in
            let low = try Self.embeddings(path: demo), found = try Self.embeddings(path: high)
            #expect(low.count == found.count)
            let worst = zip(low, found).map { Self.cosine($0, $1) }.min() ?? 0
            #expect(worst > 0.98, "least cosine similarity \(worst)")
        }
    }

    @Test("The same voice is nearer than another voice (real recordings, two people each)")
    func separatesVoices() throws {
        // ARCTIC speakers: aew (male) and axb (female), three sentences each.
        let voices = sharedData.appendingPathComponent("voices")
        // The frames of speech only (the reference's), as the room analysis embeds its windows.
        func embedding(_ name: String) throws -> [Float] {
            let frames = try Self.melFrames(path: voices.appendingPathComponent(name).path).frames
            let speech = try RTTM.parse(String(contentsOfFile: voices.appendingPathComponent(name.replacingOccurrences(of: ".flac", with: ".rttm")).path, encoding: .utf8))
            var kept: [Float] = []
            for (k, f) in frames.enumerated() where speech.contains(where: { $0.start <= Double(k) / 100 && Double(k) / 100 < $0.end }) { kept += f }
            try #require(kept.count >= 100 * VoiceEmbedder.bands)
            return try #require(VoiceEmbedder.embed([kept])?.first)
        }
        let a = try ["cmu_arctic_us_aew_a0001.flac", "cmu_arctic_us_aew_a0002.flac", "cmu_arctic_us_aew_a0003.flac"].map(embedding)
        let b = try ["cmu_arctic_us_axb_a0004.flac", "cmu_arctic_us_axb_a0005.flac", "cmu_arctic_us_axb_a0006.flac"].map(embedding)
        let same = [Self.cosine(a[0], a[1]), Self.cosine(a[0], a[2]), Self.cosine(a[1], a[2]),
                    Self.cosine(b[0], b[1]), Self.cosine(b[0], b[2]), Self.cosine(b[1], b[2])]
        let other = a.flatMap { x in b.map { Self.cosine(x, $0) } }
        #expect(same.min()! > other.max()!, "same voice at least \(same.min()!), other voice at most \(other.max()!)")
    }
}
