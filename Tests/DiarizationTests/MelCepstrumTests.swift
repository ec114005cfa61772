import Foundation
import Testing
import TalkBalanceDSP

@Suite struct MelCepstrumTests {
    let geometry = FrameGeometry(sampleRate: 16000)

    func tone(_ hz: [Double], amplitude: Float = 0.3, count: Int, phase: Int = 0) -> [Float] {
        (0..<count).map { i in
            let t = Double(i + phase) / 16000
            return amplitude * Float(hz.reduce(0) { $0 + sin(2 * Double.pi * $1 * t) } / Double(hz.count))
        }
    }

    @Test("a sine's energy lands in the mel band around its frequency", arguments: [300.0, 1000.0, 2500.0])
    func sineBand(hz: Double) {
        let mfcc = MelCepstrum(geometry: geometry)
        let frame = tone([hz], count: geometry.windowLength)
        var out = [Float](repeating: 0, count: mfcc.coefficients)
        frame.withUnsafeBufferPointer { f in out.withUnsafeMutableBufferPointer { mfcc.analyze(samples: f, into: $0) } }
        let loudest = mfcc.withLogMelEnergies { e in (0..<e.count).max { e[$0] < e[$1] }! }
        let nearest = (0..<mfcc.melBands).min { abs(mfcc.bandCentreHz($0) - hz) < abs(mfcc.bandCentreHz($1) - hz) }!
        #expect(abs(loudest - nearest) <= 1, "\(hz) Hz peaked in band \(loudest) (centre \(mfcc.bandCentreHz(loudest)) Hz), expected \(nearest)")
        // Far bands are much weaker (in natural log units).
        mfcc.withLogMelEnergies { e in
            #expect(e[loudest] - e[(loudest + mfcc.melBands / 2) % mfcc.melBands] > 5)
        }
        #expect(out.allSatisfy { $0.isFinite })
    }

    @Test("deterministic, allocation-free reuse: the same frame gives the same cepstra")
    func deterministic() {
        let a = MelCepstrum(geometry: geometry), b = MelCepstrum(geometry: geometry)
        let frame = tone([180, 360, 540, 900], count: geometry.windowLength)
        let other = tone([1234], count: geometry.windowLength)
        var x = [Float](repeating: 0, count: 13), y = [Float](repeating: 0, count: 13)
        frame.withUnsafeBufferPointer { f in x.withUnsafeMutableBufferPointer { a.analyze(samples: f, into: $0) } }
        other.withUnsafeBufferPointer { f in y.withUnsafeMutableBufferPointer { b.analyze(samples: f, into: $0) } }
        frame.withUnsafeBufferPointer { f in y.withUnsafeMutableBufferPointer { b.analyze(samples: f, into: $0) } }
        #expect(x == y)
    }

    @Test("c0 follows the level; c1.. do not")
    func levelInvariance() {
        let m = MelCepstrum(geometry: geometry)
        var state: UInt32 = 99
        let signal: [Float] = tone([200, 400, 600, 1500], amplitude: 0.3, count: geometry.windowLength).map { v in
            state = state &* 1664525 &+ 1013904223
            return v + Float(Int32(bitPattern: state)) / Float(Int32.max) * 0.1
        }
        var loud = [Float](repeating: 0, count: 13), soft = [Float](repeating: 0, count: 13)
        signal.withUnsafeBufferPointer { f in loud.withUnsafeMutableBufferPointer { m.analyze(samples: f, into: $0) } }
        signal.map { $0 * 0.1 }.withUnsafeBufferPointer { f in soft.withUnsafeMutableBufferPointer { m.analyze(samples: f, into: $0) } }
        // 20 dB = factor 100 in power = ln(100) per band; c0 (orthonormal DCT) moves by sqrt(24) * ln(100).
        #expect(abs((loud[0] - soft[0]) - Float(24.0.squareRoot() * log(100.0))) < 0.01)
        for c in 1..<13 { #expect(abs(loud[c] - soft[c]) < 1e-3) }
    }

    @Test("pitch of a harmonic complex; noise is unvoiced", arguments: [110.0, 180.0, 260.0])
    func pitch(f0: Double) {
        let m = MelCepstrum(geometry: geometry)
        var out = [Float](repeating: 0, count: 13)
        tone((1...8).map { Double($0) * f0 }, count: geometry.windowLength).withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { m.analyze(samples: f, into: $0) }
        }
        #expect(m.voicing > 0.8)
        #expect(abs(Double(m.pitchHz) - f0) / f0 < 0.03, "pitch \(m.pitchHz) for \(f0)")
        var state: UInt32 = 12345
        let noise: [Float] = (0..<geometry.windowLength).map { _ in
            state = state &* 1664525 &+ 1013904223
            return Float(Int32(bitPattern: state)) / Float(Int32.max) * 0.3
        }
        noise.withUnsafeBufferPointer { f in out.withUnsafeMutableBufferPointer { m.analyze(samples: f, into: $0) } }
        #expect(m.pitchHz == 0)
        #expect(m.voicing < MelCepstrum.voicingThreshold)
    }
}
