import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceDSP

@Suite("stereo cues for a microphone between the partners")
struct StereoCuesTests {
    /// A harmonic voice reaching the left capsule `delay` samples before the right one, `gainDB`
    /// louder, plus independent low noise on each side.
    private func frame(delay: Int, gainDB: Float, seed: UInt64) -> (left: [Float], right: [Float]) {
        let geometry = FrameGeometry(sampleRate: 16000)
        let n = geometry.windowLength
        var state = seed
        func noise() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) - 0.5) * 0.002
        }
        func voice(_ i: Int) -> Float {
            var v: Float = 0
            for h in 1...10 { v += 0.05 * sinf(2 * .pi * 170 * Float(h) * Float(i) / 16000 + Float(h)) }
            return v * (1 + 0.5 * sinf(Float(i) * 0.013))
        }
        let g = powf(10, gainDB / 20)
        let left = (0..<n).map { voice($0 + 1000) + noise() }
        let right = (0..<n).map { voice($0 + 1000 - delay) / g + noise() }
        return (left, right)
    }

    @Test("level difference and delay of a voice nearer one side", arguments: [(6, Float(6)), (-5, Float(-4)), (0, Float(0))])
    func cues(delay: Int, gainDB: Float) {
        let cues = StereoCues(geometry: FrameGeometry(sampleRate: 16000))
        let (l, r) = frame(delay: delay, gainDB: gainDB, seed: 7)
        let f = l.withUnsafeBufferPointer { lb in r.withUnsafeBufferPointer { rb in cues.analyze(left: lb, right: rb) } }
        #expect(abs(f.levelDifferenceDB - gainDB) < 1, "\(f)")
        // A harmonic voice has energy in few bins, so the PHAT peak is about a sample wide.
        #expect(abs(f.delaySamples - delay) <= 1, "\(f)")
        #expect(f.coherence > 0.3, "\(f)")
    }

    @Test("two people on two sides are spatial; one microphone copied to both channels is not")
    func detection() {
        var twoSides = SpatialDetector()
        var copied = SpatialDetector()
        var scaled = SpatialDetector()
        for k in 0..<400 {
            twoSides.add(levelDifferenceDB: (k / 50) % 2 == 0 ? 5 + Float(k % 7) / 7 : -4 - Float(k % 5) / 5)
            copied.add(levelDifferenceDB: 0)
            scaled.add(levelDifferenceDB: 3 + Float(k % 9) / 30)
        }
        #expect(twoSides.isSpatial)
        #expect(!copied.isSpatial)
        #expect(!scaled.isSpatial)
        var short = SpatialDetector()
        for k in 0..<(SpatialDetector.minFrames - 1) { short.add(levelDifferenceDB: k % 2 == 0 ? 6 : -6) }
        #expect(!short.isSpatial, "too little speech to decide")
    }
}
