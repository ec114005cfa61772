import Foundation
import Testing
import TalkBalanceCore

@Suite("room speech must be voiced")
struct VoicedSegmentTests {
    /// 8 s at 16 kHz on one microphone: a 130 Hz voice at 0.5-2.5 s, a 220 Hz voice at 3.0-5.0 s (harmonic,
    /// syllable-modulated), and a burst of white noise as loud (a chair, rustle) at 6.0-7.0 s; low noise
    /// throughout.
    private static func room() -> [Float] {
        let rate = 16000, n = 8 * rate
        var seed: UInt64 = 0xC0FFEE
        func noise() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(seed >> 40) / Float(1 << 24) - 0.5
        }
        var x = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let t = Double(i) / Double(rate)
            var v = 0.0
            for (f0, a, b) in [(130.0, 0.5, 2.5), (220.0, 3.0, 5.0)] where t >= a && t < b {
                for h in 1...12 { v += 0.05 / Double(h).squareRoot() * sin(2 * .pi * f0 * Double(h) * t + Double(h)) }
                v *= 0.6 + 0.4 * sin(2 * .pi * 4 * t)
            }
            var s = Float(v) + 0.002 * noise()
            if t >= 6 && t < 7 { s += 0.35 * noise() }
            x[i] = s
        }
        return x
    }

    /// The voicing check alone: the neural speech gate (on by default) would also drop these synthetic
    /// voices, which are harmonic tones, not speech.
    @Test("a loud unvoiced burst is not speech; the voices are")
    func noiseBurstIsDropped() throws {
        let samples = Self.room()
        let result = try RoomAnalysis.analyze(open: { MemoryAudioSource(format: StreamFormat(sampleRate: 16000, channelCount: 1), interleaved: samples) },
                                              speakers: 2, speechGate: nil)
        let spans = result.segments.map { (Double($0.startSample) / 16000, Double($0.endSample) / 16000) }
        #expect(!spans.contains { $0.0 < 7.0 && $0.1 > 6.0 }, "the noise burst counted as speech: \(spans)")
        let talk = result.segments.reduce(0) { $0 + $1.endSample - $1.startSample }
        #expect(Double(talk) / 16000 > 3.5, "the voices were lost: \(spans)")
    }
}
