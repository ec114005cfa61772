import Foundation
import Testing
import TalkBalanceCore

/// Two people, one microphone each, 16 kHz: person 0 a 150 Hz harmonic complex at 0.5-2.0 s, person 1
/// a 230 Hz complex at 3.0-4.5 s; each voice leaks into the other microphone 12 dB down and 3 ms late;
/// low white noise on both.
private enum TwoMicSignal {
    static let rate = 16000
    static let seconds = 5.0
    static let bursts: [(f0: Double, start: Double, end: Double)] = [(150, 0.5, 2.0), (230, 3.0, 4.5)]

    static let interleaved: [Float] = {
        let n = Int(seconds * Double(rate))
        let leakGain = Float(pow(10, -12.0 / 20))
        let delay = Int(0.003 * Double(rate))   // 48 samples
        func voice(_ b: (f0: Double, start: Double, end: Double)) -> [Float] {
            var out = [Float](repeating: 0, count: n)
            let a = Int(b.start * Double(rate)), e = Int(b.end * Double(rate))
            let ramp = Int(0.01 * Double(rate))
            for i in a..<e {
                let t = Double(i - a) / Double(rate)
                var v = 0.0
                for h in 1...15 { v += 0.04 * sin(2 * .pi * b.f0 * Double(h) * t + Double(h * h) * 0.7) }
                let edge = min(i - a, e - 1 - i)
                let g = edge < ramp ? 0.5 - 0.5 * cos(Double.pi * Double(edge) / Double(ramp)) : 1
                out[i] = Float(v * g)
            }
            return out
        }
        let voices = bursts.map(voice)
        var seed: UInt64 = 0x1234_5678
        func noise() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return (Float(seed >> 40) / Float(1 << 24) - 0.5) * 0.004
        }
        var out = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n {
            for c in 0..<2 {
                let other = voices[1 - c]
                let leak = i >= delay ? other[i - delay] * leakGain : 0
                out[2 * i + c] = voices[c][i] + leak + noise()
            }
        }
        return out
    }()
}

private func analyze(_ samples: [Float], channels: Int = 2, rate: Int = TwoMicSignal.rate, blockFrames: Int?) throws -> SessionResult {
    let a = try SessionAnalyzer(format: StreamFormat(sampleRate: rate, channelCount: channels))
    samples.withUnsafeBufferPointer { all in
        let total = all.count / channels
        let step = blockFrames ?? total
        var i = 0
        while i < total {
            let k = min(step, total - i)
            a.process(interleaved: UnsafeBufferPointer(rebasing: all[(i * channels)..<((i + k) * channels)]))
            i += k
        }
    }
    return a.finish()
}

/// One person on one microphone: a 180 Hz harmonic complex at the level `gainDB(t)` gives (below -100 dB:
/// silent), over white noise about 27 dB under the full voice; 3 s at 16 kHz, analysed as one channel.
private func voiceOverNoise(softWordEdges: Bool, hangoverSeconds: Double = 0, gainDB: (Double) -> Double) throws -> SessionResult {
    let rate = 16000, n = 3 * rate
    var seed: UInt64 = 0x9E37_79B9
    var samples = [Float](repeating: 0, count: n)
    for i in 0..<n {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        let t = Double(i) / Double(rate)
        let g = gainDB(t)
        var v = 0.0
        if g > -100 { for h in 1...12 { v += 0.05 * sin(2 * .pi * 180 * Double(h) * t + Double(h) * 0.9) } }
        samples[i] = Float(v * pow(10, g / 20)) + (Float(seed >> 40) / Float(1 << 24) - 0.5) * 0.02
    }
    var config = AnalysisConfig()
    config.hangoverSeconds = hangoverSeconds
    let a = try SessionAnalyzer(format: StreamFormat(sampleRate: rate, channelCount: 1), config: config, softWordEdges: softWordEdges)
    samples.withUnsafeBufferPointer { a.process(interleaved: $0) }
    return a.finish()
}

/// The voice at 0.5-1.5 s ending in a tail fading 40 dB over 0.3 s (a soft word end); or, with
/// `abrupt`, stopping at once at 1.5 s. Returns the analysed end of speech, seconds (no hangover
/// unless given, so the soft ends are measured alone).
private func endOfSpeech(softWordEdges: Bool, abrupt: Bool, hangoverSeconds: Double = 0) throws -> Double {
    let r = try voiceOverNoise(softWordEdges: softWordEdges, hangoverSeconds: hangoverSeconds) { t in
        if t >= 0.5 && t < 1.5 { return 0 }
        return !abrupt && t >= 1.5 && t < 1.8 ? -40 * (t - 1.5) / 0.3 : -200
    }
    return r.seconds(try #require(r.segments.last).endSample)
}

/// The same voice fading in 40 dB over 0.3 s (0.2-0.5 s, a soft word start) before 0.5-1.5 s at full
/// level. Returns the analysed start of speech, seconds.
private func startOfSpeech(softWordEdges: Bool) throws -> Double {
    let r = try voiceOverNoise(softWordEdges: softWordEdges) { t in
        if t >= 0.5 && t < 1.5 { return 0 }
        return t >= 0.2 && t < 0.5 ? -40 * (0.5 - t) / 0.3 : -200
    }
    return r.seconds(try #require(r.segments.first).startSample)
}

@Suite("soft word starts")
struct SoftWordStartTests {
    @Test("a fading-in word start is taken earlier, by at most 60 ms")
    func fadingStart() throws {
        let plain = try startOfSpeech(softWordEdges: false)
        let soft = try startOfSpeech(softWordEdges: true)
        #expect(plain > 0.2 && plain < 0.5, "plain start \(plain)")
        #expect(soft < plain, "soft \(soft) vs plain \(plain)")
        #expect(plain - soft <= 0.065, "soft \(soft) vs plain \(plain)")
    }
}

@Suite("soft word ends")
struct SoftWordEndTests {
    @Test("a fading word end is followed further into the fade, by at most 60 ms more")
    func fadingEnd() throws {
        let plain = try endOfSpeech(softWordEdges: false, abrupt: false)
        let soft = try endOfSpeech(softWordEdges: true, abrupt: false)
        #expect(plain > 1.5 && plain < 1.8, "plain end \(plain)")
        #expect(soft > plain, "soft \(soft) vs plain \(plain)")
        #expect(soft - plain <= 0.065, "soft \(soft) vs plain \(plain)")
    }

    @Test("a voice that stops at once ends within 60 ms of where it would without soft ends")
    func abruptEnd() throws {
        let plain = try endOfSpeech(softWordEdges: false, abrupt: true)
        let soft = try endOfSpeech(softWordEdges: true, abrupt: true)
        #expect(abs(plain - 1.5) <= 0.05, "plain end \(plain)")
        #expect(soft >= plain && soft - plain <= 0.065, "soft \(soft) vs plain \(plain)")
    }
}

@Suite("hangover")
struct HangoverTests {
    @Test("speech goes on for the hangover after a voice stops at once, with one microphone per person only")
    func abruptEndWithHangover() throws {
        let none = try endOfSpeech(softWordEdges: true, abrupt: true, hangoverSeconds: 0)
        let hangover = AnalysisConfig().hangoverSeconds
        #expect(hangover > 0)
        let with = try endOfSpeech(softWordEdges: true, abrupt: true, hangoverSeconds: hangover)
        #expect(abs(with - none - hangover) <= 0.0051, "end \(with) with the hangover, \(none) without")
        // The room pipeline's voice activity (no soft word edges) takes no hangover.
        let room = try endOfSpeech(softWordEdges: false, abrupt: true, hangoverSeconds: hangover)
        let roomNone = try endOfSpeech(softWordEdges: false, abrupt: true, hangoverSeconds: 0)
        #expect(room == roomNone)
    }
}

@Suite struct SessionAnalyzerTests {
    @Test func eachChannelGetsItsOwnBurstAndNoneOfTheOther() throws {
        let r = try analyze(TwoMicSignal.interleaved, blockFrames: 1000)
        #expect(r.sampleRate == 16000)
        #expect(r.channelCount == 2)
        #expect(r.durationSamples == 80000)
        for (c, burst) in TwoMicSignal.bursts.enumerated() {
            let own = r.segments.filter { $0.speaker == c }
            let secs = own.map { (r.seconds($0.startSample), r.seconds($0.endSample)) }
            #expect(own.count == 1, "channel \(c): \(secs)")
            if let first = secs.first, let last = secs.last {
                #expect(abs(first.0 - burst.start) <= 0.1, "channel \(c) starts at \(first.0)")
                #expect(abs(last.1 - burst.end - AnalysisConfig().hangoverSeconds) <= 0.1, "channel \(c) ends at \(last.1)")
            }
            // Nothing during the other person's burst.
            let other = TwoMicSignal.bursts[1 - c]
            #expect(!secs.contains { $0.0 < other.end && $0.1 > other.start }, "channel \(c): \(secs)")
            // Talk time close to the burst's length.
            #expect(abs(r.seconds(r.speakers[c].talkSamples) - (burst.end - burst.start)) <= 0.2)
        }
        #expect(r.overlapSamples == 0)
        #expect(r.events.filter { $0.kind == .interruption }.isEmpty)
        #expect(r.turns.map(\.speaker) == [0, 1])
        #expect(r.speakers.map(\.label) == ["ch1", "ch2"])
    }

    @Test func resultDoesNotDependOnBlockSize() throws {
        let reference = try analyze(TwoMicSignal.interleaved, blockFrames: nil)
        #expect(!reference.segments.isEmpty)
        for block in [1, 160, 1000] {
            let r = try analyze(TwoMicSignal.interleaved, blockFrames: block)
            #expect(r == reference, "block of \(block) frames")
        }
    }

    @Test func memorySourceWithOddReadSizesGivesTheSameResult() throws {
        let reference = try analyze(TwoMicSignal.interleaved, blockFrames: nil)
        let source = MemoryAudioSource(format: StreamFormat(sampleRate: 16000, channelCount: 2),
                                       interleaved: TwoMicSignal.interleaved, maxFramesPerRead: 333)
        let a = try SessionAnalyzer(format: source.format)
        var block = AudioBlock(channelCount: 2, capacityFrames: 512)
        while try source.read(into: &block) > 0 { a.process(block) }
        #expect(a.finish() == reference)
    }

    @Test func silenceGivesNoSpeech() throws {
        let r = try analyze([Float](repeating: 0, count: 2 * 32000), blockFrames: 777)
        #expect(r.segments.isEmpty)
        #expect(r.durationSamples == 32000)
        #expect(r.speakers.allSatisfy { $0.talkSamples == 0 })
    }

    @Test func invalidConfigThrows() {
        var config = AnalysisConfig()
        config.minSpeechSeconds = 0
        do {
            _ = try SessionAnalyzer(format: StreamFormat(sampleRate: 16000, channelCount: 2), config: config)
            Issue.record("invalid config was accepted")
        } catch {
            guard case .invalid(let inner) = error else {
                Issue.record("wrong error: \(error)")
                return
            }
            #expect(inner.option == "--min-speech")
        }
    }

    @Test func wrongLabelCountThrows() {
        do {
            _ = try SessionAnalyzer(format: StreamFormat(sampleRate: 16000, channelCount: 2), labels: ["only one"])
            Issue.record("wrong label count was accepted")
        } catch {
            #expect(error == .labelCount(expected: 2, got: 1))
        }
    }

    @Test func unsupportedFormatsThrow() {
        do {
            _ = try SessionAnalyzer(format: StreamFormat(sampleRate: 4000, channelCount: 1))
            Issue.record("4000 Hz accepted")
        } catch {
            #expect(error == .unsupportedRate(4000))
        }
        do {
            _ = try SessionAnalyzer(format: StreamFormat(sampleRate: 16000, channelCount: 0))
            Issue.record("0 channels accepted")
        } catch {
            #expect(error == .unsupportedChannels(0))
        }
    }

    @Test func labelsAreUsed() throws {
        let a = try SessionAnalyzer(format: StreamFormat(sampleRate: 16000, channelCount: 2), labels: ["Ann", "Bo"])
        #expect(a.finish().speakers.map(\.label) == ["Ann", "Bo"])
    }
}
