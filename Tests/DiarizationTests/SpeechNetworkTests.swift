import Foundation
import Testing
import TestSupport
import TalkBalanceCore
import TalkBalanceDSP
import TalkBalanceEval
import TalkBalanceIO

/// The neural speech detector (`SpeechNetwork`, Silero VAD's 16 kHz network with its STFT on FFTW)
/// against Silero's own ONNX model run with onnxruntime (fixtures/speech-network/*.probabilities, written
/// by `tools/speech-model --reference`).
@Suite("Speech network")
struct SpeechNetworkTests {
    static func reference(_ name: String) throws -> [Float] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("fixtures/speech-network/\(name).probabilities"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { Float($0) }
    }

    /// Channels averaged, as the reference tool does.
    static func probabilities(path: String, blockFrames: Int = 1000) throws -> (rate: Int, values: [Float]) {
        let reader = try SoundFileReader(path: path)
        let channels = reader.format.channelCount
        let network = SpeechNetwork(sampleRate: reader.format.sampleRate)
        var block = AudioBlock(channelCount: channels, capacityFrames: blockFrames)
        var mono = [Float](repeating: 0, count: blockFrames)
        var out: [Float] = []
        while try reader.read(into: &block) > 0 {
            for f in 0..<block.frameCount {
                var s: Float = 0
                for c in 0..<channels { s += block.samples[f * channels + c] }
                mono[f] = s / Float(channels)
            }
            mono.withUnsafeBufferPointer { network.push(UnsafeBufferPointer(rebasing: $0[0..<block.frameCount])) { out.append($0) } }
        }
        network.finish { out.append($0) }
        return (reader.format.sampleRate, out)
    }

    @Test("16 kHz: the same probabilities as Silero's ONNX model, chunk by chunk", arguments: [
        ("ami-trn02", sharedData.appendingPathComponent("real/ami-trn02/trn02.flac").path),
        ("demo", packageRoot.appendingPathComponent("fixtures/demo/demo.flac").path),
    ])
    func sameAsReference(name: String, path: String) throws {
        let expected = try Self.reference(name)
        let (_, found) = try Self.probabilities(path: path, blockFrames: 777)
        #expect(found.count == expected.count)
        let worst = zip(found, expected).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-3, "\(name): largest difference \(worst)")
        // Not trivially all the same: the recording has speech and non-speech chunks.
        #expect(expected.contains { $0 > 0.5 } && expected.contains { $0 < 0.1 })
    }

    @Test("48 kHz without resampling: the same decisions as at 16 kHz on nearly every chunk")
    func otherRate() throws {
        try withDemoAt48kHz("speech-network") { high in
            let expected = try Self.reference("demo")
            let (rate, found) = try Self.probabilities(path: high)
            #expect(rate == 48000)
            #expect(abs(found.count - expected.count) <= 1)
            let pairs = zip(found, expected)
            let agree = pairs.filter { ($0 >= 0.5) == ($1 >= 0.5) }.count
            let meanDifference = pairs.map { abs($0 - $1) }.reduce(0, +) / Float(min(found.count, expected.count))
            #expect(Double(agree) / Double(expected.count) >= 0.95, "decisions agree on \(agree) of \(expected.count) chunks")
            #expect(meanDifference < 0.05, "mean difference \(meanDifference)")
        }
    }
}

/// The gate on real room noise: ami-trn02 is 30 s of an AMI meeting room with 0.7 s of speech and knocks
/// and handling noise that pass the room detector's voicing check.
@Suite("Speech gate")
struct SpeechGateTests {
    @Test("ami-trn02: the knocks and handling noise are dropped, the speech is kept")
    func roomNoise() throws {
        let audio = sharedData.appendingPathComponent("real/ami-trn02/trn02.flac").path
        let reference = try RTTM.parse(String(contentsOfFile: sharedData.appendingPathComponent("real/ami-trn02/trn02.rttm").path, encoding: .utf8))
        func score(_ gate: SpeechGate.Options?) throws -> DiarizationScore {
            let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: audio) }, speakers: 2, speechGate: gate)
            return Scoring.diarization(reference: reference, hypothesis: labeledSegments(result))
        }
        let without = try score(nil), with = try score(SpeechGate.Options())
        #expect(without.falseAlarm > 5, "without the gate: \(without.falseAlarm) s of false alarm")
        #expect(with.falseAlarm < 1, "with the gate: \(with.falseAlarm) s of false alarm")
        #expect(with.missed <= without.missed + 0.1, "speech lost: \(with.missed) s missed against \(without.missed) s")
    }

    @Test("open around each confident chunk by the reach; segments cut to it; passed ranges dropped")
    func ranges() {
        var gate = SpeechGate(sampleRate: 1000, options: SpeechGate.Options(threshold: 0.5, reachSeconds: 0.1))
        // Chunks of 32 samples: 0-2 quiet, 3 and 4 speech, 5-19 quiet, 20 speech.
        for k in 0..<21 { gate.add(probability: [3, 4, 20].contains(k) ? 0.9 : 0.1) }
        // Open so far: up to the last confident chunk plus the reach.
        #expect(gate.open == [0..<260])
        let early = gate.isOpen(sample: 250)
        #expect(early)
        gate.finish()
        #expect(gate.open == [(96 - 100)..<(160 + 100), (640 - 100)..<(672 + 100)].map { max(0, $0.lowerBound)..<$0.upperBound })
        let kept = gate.keep([SpeechSegment(speaker: 0, startSample: 200, endSample: 700)], minimumSamples: 10)
        #expect(kept.map { [$0.startSample, $0.endSample] } == [[200, 260], [540, 700]])
        let at = [300, 700, 800].map { gate.isOpen(sample: $0) }
        #expect(at == [false, true, false])
        #expect(gate.open.count == 2)   // passed ranges are dropped in batches, not one by one
    }
}
