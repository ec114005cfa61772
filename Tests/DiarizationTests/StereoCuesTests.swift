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
        // The delay counts only where it varies: coincident capsules give 0 but for about 1% stray
        // frames (reverberation); spaced capsules give each side its own delay.
        var coincident = SpatialDetector()
        var spaced = SpatialDetector()
        for k in 0..<400 {
            let side: Float = (k / 50) % 2 == 0 ? 6 : -6
            coincident.add(levelDifferenceDB: side, delaySamples: k % 100 == 7 ? 9 : 0)
            spaced.add(levelDifferenceDB: side, delaySamples: side > 0 ? 4 : -4)
        }
        #expect(coincident.isSpatial && !coincident.carriesDelay, "\(coincident.delaySpreadSamples)")
        #expect(spaced.isSpatial && spaced.carriesDelay, "\(spaced.delaySpreadSamples)")
        var short = SpatialDetector()
        for k in 0..<(SpatialDetector.minFrames - 1) { short.add(levelDifferenceDB: k % 2 == 0 ? 6 : -6) }
        #expect(!short.isSpatial, "too little speech to decide")
    }

    /// Harmonics of `f0` inside `band` (Hz), `gainDB` louder on the left.
    private func tones(f0: Float, band: ClosedRange<Float>, gainDB: Float, count n: Int) -> (left: [Float], right: [Float]) {
        let g = powf(10, gainDB / 20)
        var left = [Float](repeating: 0, count: n), right = left
        var h: Float = 1
        while h * f0 <= band.upperBound {
            if h * f0 >= band.lowerBound {
                for i in 0..<n {
                    let v = 0.03 * sinf(2 * .pi * f0 * h * Float(i) / 16000 + h)
                    left[i] += v * g.squareRoot()
                    right[i] += v / g.squareRoot()
                }
            }
            h += 1
        }
        return (left, right)
    }

    @Test("the level difference hardly varies across the band for one voice and spreads for two voices from two sides")
    func levelSpread() {
        let geometry = FrameGeometry(sampleRate: 16000)
        let cues = StereoCues(geometry: geometry)
        #expect(cues.bands.count == StereoCues.bandCount)
        func analyze(_ x: (left: [Float], right: [Float])) -> (frame: StereoCues.Frame, levelSpreadDB: Float) {
            let f = x.left.withUnsafeBufferPointer { l in x.right.withUnsafeBufferPointer { r in cues.analyze(left: l, right: r) } }
            return (f, cues.levelSpreadDB())
        }
        let one = analyze(tones(f0: 150, band: 150...4000, gainDB: 6, count: geometry.windowLength))
        #expect(abs(one.frame.levelDifferenceDB - 6) < 1, "\(one)")
        #expect(one.levelSpreadDB < 1, "\(one)")
        // Person 1 (low voice, left) and person 2 (bright voice, right) at once.
        let low = tones(f0: 130, band: 130...900, gainDB: 8, count: geometry.windowLength)
        let high = tones(f0: 210, band: 1200...4000, gainDB: -8, count: geometry.windowLength)
        let both = analyze((zip(low.left, high.left).map { $0 + $1 }, zip(low.right, high.right).map { $0 + $1 }))
        #expect(both.levelSpreadDB > 5, "\(both)")
    }

    @Test("overlap runs: smoothed spread over the threshold, inside speech, long enough; decided late and closed at the end")
    func overlapFinder() {
        func runs(_ spreads: [Float], speech: (Int) -> Bool = { _ in true }) -> [Range<Int>] {
            var finder = StereoOverlapFinder(options: .init(thresholdDB: 3, smoothingFrames: 11, minFrames: 10))
            for (k, s) in spreads.enumerated() { finder.push(spreadDB: s, speech: speech(k)) }
            finder.finish()
            return finder.runs
        }
        let burst = [Float](repeating: 0.5, count: 100) + [Float](repeating: 6, count: 30) + [Float](repeating: 0.5, count: 100)
        let found = runs(burst)
        #expect(found.count == 1)
        if let r = found.first {
            #expect(abs(r.lowerBound - 100) <= 5 && abs(r.upperBound - 130) <= 5, "\(r)")
        }
        // Too short to reach the threshold once smoothed, or outside speech: nothing.
        #expect(runs([Float](repeating: 0.5, count: 100) + [Float](repeating: 6, count: 5) + [Float](repeating: 0.5, count: 100)).isEmpty)
        #expect(runs(burst, speech: { $0 < 100 || $0 >= 130 }).isEmpty)
        // A run still open at the end is closed by finish; a not-a-number spread counts as none.
        let open = runs([Float](repeating: 0.5, count: 50) + [Float](repeating: 6, count: 40))
        #expect(open.count == 1 && abs(open[0].lowerBound - 50) <= 5 && open[0].upperBound == 90, "\(open)")
        #expect(runs([Float](repeating: .nan, count: 60)).isEmpty)
    }
}
