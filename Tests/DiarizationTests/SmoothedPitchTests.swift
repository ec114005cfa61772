import Testing
import TalkBalanceCore

@Suite("the pitch as a voice feature")
struct SmoothedPitchTests {
    @Test("follows the voiced frames in log2 Hz, holds through unvoiced ones, and smooths a jump over a few frames")
    func smoothing() {
        var p = SmoothedPitch()
        #expect(abs(p.update(pitchHz: 0) - 7.2288) < 0.001, "before any voiced frame: 150 Hz")
        var v: Float = 0
        for _ in 0..<30 { v = p.update(pitchHz: 220) }
        #expect(abs(v - 7.7814) < 0.01, "settles on log2(220)")
        #expect(p.update(pitchHz: 0) == v, "an unvoiced frame holds the value")
        // An octave down (110 Hz): the first frame moves 0.3 of the way, after 10 frames within 3%.
        let first = p.update(pitchHz: 110)
        #expect(abs(first - (v - SmoothedPitch.alpha)) < 0.01)
        var later = first
        for _ in 0..<9 { later = p.update(pitchHz: 110) }
        #expect(abs(later - 6.7814) < 0.03)
    }
}
