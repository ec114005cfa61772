import Foundation
import Testing
import TalkBalanceDSP

/// Deterministic uniform white noise in [-amplitude, amplitude].
private struct Noise {
    var seed: UInt64
    mutating func next(_ amplitude: Float = 0.5) -> Float {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return (Float(seed >> 40) / Float(1 << 24) * 2 - 1) * amplitude
    }
    mutating func samples(_ n: Int, _ amplitude: Float = 0.5) -> [Float] { (0..<n).map { _ in next(amplitude) } }
}

private func features(_ fe: SpectralFrontEnd, channel: Int = 0, _ x: [Float]) -> FrameFeatures {
    x.withUnsafeBufferPointer { fe.analyze(channel: channel, samples: $0) }
}

@Suite struct FrameGeometryTests {
    @Test(arguments: [(8000, 256, 80), (16000, 512, 160), (44100, 1408, 441), (48000, 1536, 480)])
    func geometryAtCommonRates(rate: Int, window: Int, hop: Int) {
        let g = FrameGeometry(sampleRate: rate)
        #expect(g.sampleRate == rate)
        #expect(g.windowLength == window)
        #expect(g.hopLength == hop)
        #expect(g.windowLength % 32 == 0)
        #expect(abs(Double(g.windowLength) / Double(rate) - 0.032) < 0.001)
        #expect(abs(Double(g.hopLength) / Double(rate) - 0.010) < 0.0001)
        #expect(g.lookaheadSamples == (window + hop) / 2)
        #expect(abs(g.seconds(frames: 100) - 1.0) < 1e-9)
    }
}

@Suite struct SpectralFrontEndTests {
    let geometry = FrameGeometry(sampleRate: 16000)

    @Test func fullScaleSineIsAboutMinus3DB() {
        let fe = SpectralFrontEnd(geometry: geometry, channelCount: 1)
        let n = geometry.windowLength
        let x = (0..<n).map { Float(sin(2 * Double.pi * 1000 * Double($0) / 16000)) }
        let f = features(fe, x)
        #expect(abs(f.energyDB - -3.01) <= 0.5, "got \(f.energyDB) dB")
        #expect(f.flatness < 0.1, "got flatness \(f.flatness)")
    }

    @Test func levelScalesWithAmplitude() {
        let fe = SpectralFrontEnd(geometry: geometry, channelCount: 1)
        let n = geometry.windowLength
        let loud = features(fe, (0..<n).map { Float(sin(2 * Double.pi * 700 * Double($0) / 16000)) })
        let quiet = features(fe, (0..<n).map { 0.1 * Float(sin(2 * Double.pi * 700 * Double($0) / 16000)) })
        #expect(abs((loud.energyDB - quiet.energyDB) - 20) <= 0.1)
    }

    @Test func sineOutsideTheSpeechBandIsMuchQuieter() {
        let fe = SpectralFrontEnd(geometry: geometry, channelCount: 1)
        let n = geometry.windowLength
        let f = features(fe, (0..<n).map { Float(sin(2 * Double.pi * 6000 * Double($0) / 16000)) })
        #expect(f.energyDB < -40, "got \(f.energyDB) dB")
    }

    @Test func silenceReadsAsTheFloor() {
        let fe = SpectralFrontEnd(geometry: geometry, channelCount: 1)
        let f = features(fe, [Float](repeating: 0, count: geometry.windowLength))
        #expect(f.energyDB == FrameFeatures.floorDB)
    }

    @Test func whiteNoiseIsFlat() {
        let fe = SpectralFrontEnd(geometry: geometry, channelCount: 1)
        var noise = Noise(seed: 42)
        var total: Float = 0
        let frames = 40
        for _ in 0..<frames {
            total += features(fe, noise.samples(geometry.windowLength)).flatness
        }
        let mean = total / Float(frames)
        #expect(mean > 0.5, "mean flatness \(mean)")
        #expect(mean <= 1)
    }

    @Test(arguments: [25, -25])
    func lagFindsAKnownDelay(delay: Int) {
        let fe = SpectralFrontEnd(geometry: geometry, channelCount: 2)
        let n = geometry.windowLength
        var noise = Noise(seed: 7)
        let x = noise.samples(n + abs(delay))
        // Channel 1 hears the sound `delay` samples after channel 0 (negative: before).
        let ch0 = Array(x[(delay > 0 ? delay : 0)..<((delay > 0 ? delay : 0) + n)])
        let ch1 = Array(x[(delay > 0 ? 0 : -delay)..<((delay > 0 ? 0 : -delay) + n)])
        _ = features(fe, channel: 0, ch0)
        _ = features(fe, channel: 1, ch1)
        let lag = fe.lag(0, 1, maxLagSamples: 160)
        #expect(lag.lagSamples == delay)
        #expect(lag.coherence > 0.5, "coherence \(lag.coherence)")
        // The reverse pair gives the opposite lag.
        #expect(fe.lag(1, 0, maxLagSamples: 160).lagSamples == -delay)
    }

    /// Independent noise in both channels: low coherence at any lag.
    @Test(arguments: [40, 160])
    func independentNoiseIsIncoherent(maxLag: Int) {
        let fe = SpectralFrontEnd(geometry: geometry, channelCount: 2)
        var a = Noise(seed: 1), b = Noise(seed: 999)
        var values: [Float] = []
        for _ in 0..<200 {
            _ = features(fe, channel: 0, a.samples(geometry.windowLength))
            _ = features(fe, channel: 1, b.samples(geometry.windowLength))
            values.append(fe.lag(0, 1, maxLagSamples: maxLag).coherence)
        }
        // With ~124 speech-band bins the PHAT peak of unrelated noise is about 3 standard deviations
        // (1 / sqrt(2 * bins) each) of the largest of 2 * maxLag + 1 lags: around 0.2, far below the
        // > 0.8 of a delayed copy.
        let mean = values.reduce(0, +) / Float(values.count)
        #expect(mean < 0.25, "mean coherence \(mean)")
        #expect(values.allSatisfy { $0 < 0.4 }, "largest \(values.max() ?? 0)")
    }

    @Test func identicalChannelsAreFullyCoherentAtLagZero() {
        let fe = SpectralFrontEnd(geometry: geometry, channelCount: 2)
        var noise = Noise(seed: 3)
        let x = noise.samples(geometry.windowLength)
        _ = features(fe, channel: 0, x)
        _ = features(fe, channel: 1, x.map { $0 * 0.25 })
        let lag = fe.lag(0, 1, maxLagSamples: 160)
        #expect(lag.lagSamples == 0)
        #expect(lag.coherence > 0.95)
    }
}
