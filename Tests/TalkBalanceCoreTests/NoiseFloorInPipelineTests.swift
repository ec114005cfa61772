import Foundation
import Testing
import TalkBalanceCore

/// The noise floor inside the pipeline: digital silence must not pin it, and sound far below the
/// talker (room noise, reverberation) must not count as speech.
@Suite struct NoiseFloorInPipelineTests {
    /// 0.5 s of digital silence, then three 0.4 s harmonic bursts at -10 dBFS separated by 0.6 s of
    /// fluctuating noise around -65 dBFS (more than 40 dB below the bursts) (far above digital silence, far below the talker).
    private func signal() -> [Float] {
        let rate = 16000
        var x = [Float](repeating: 0, count: rate / 2)
        var seed: UInt64 = 7
        func noise() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 2_000_000) / 1_000_000 - 1
        }
        for burst in 0..<3 {
            for i in 0..<(rate * 4 / 10) {
                let t = Double(i) / Double(rate)
                var v = 0.0
                for h in 1...10 { v += sin(2 * Double.pi * 140 * Double(h) * t) / Double(h) }
                x.append(Float(0.15 * v) + 0.002 * noise())
            }
            if burst < 2 {
                // Noise whose level swings by 20 dB every 50 ms, like a room with things going on.
                for i in 0..<(rate * 6 / 10) {
                    let loud = (i / 800) % 2 == 0
                    x.append((loud ? 0.0015 : 0.00015) * noise())
                }
            }
        }
        x += [Float](repeating: 0, count: rate / 2)
        return x
    }

    @Test func burstsAfterADigitalSilenceLeadInStaySeparate() throws {
        let analyzer = try SessionAnalyzer(format: StreamFormat(sampleRate: 16000, channelCount: 1))
        signal().withUnsafeBufferPointer { analyzer.process(interleaved: $0) }
        let result = analyzer.finish()
        #expect(result.segments.count == 3, "segments: \(result.segments)")
        for (k, s) in result.segments.enumerated() {
            let start = Double(s.startSample) / 16000, end = Double(s.endSample) / 16000
            let expected = 0.5 + Double(k)
            let expectedEnd = expected + 0.4 + AnalysisConfig().hangoverSeconds
            #expect(abs(start - expected) < 0.06 && abs(end - expectedEnd) < 0.06, "burst \(k): \(start)-\(end)")
        }
    }
}
