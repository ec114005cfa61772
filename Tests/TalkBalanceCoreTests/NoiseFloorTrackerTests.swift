import Testing
import TalkBalanceCore

@Suite struct NoiseFloorTrackerTests {
    @Test func constantInputGivesThatConstant() {
        var t = NoiseFloorTracker(memoryFrames: 80, subWindowCount: 8)
        for k in 0..<500 {
            let floor = t.update(levelDB: -47.5)
            #expect(floor == -47.5, "frame \(k)")
        }
    }

    @Test func followsADropAtOnce() {
        var t = NoiseFloorTracker(memoryFrames: 80, subWindowCount: 8)
        for _ in 0..<200 { _ = t.update(levelDB: -40) }
        #expect(t.update(levelDB: -65) == -65)
        #expect(t.update(levelDB: -70) == -70)
    }

    @Test func risesOnlyAfterTheMemoryExpires() {
        let memory = 80, sub = 8
        let perSub = memory / sub
        var t = NoiseFloorTracker(memoryFrames: memory, subWindowCount: sub)
        for _ in 0..<200 { _ = t.update(levelDB: -70) }
        // The level rises by 30 dB and stays there.
        var floors: [Float] = []
        for _ in 0..<(memory * 3) { floors.append(t.update(levelDB: -40)) }
        // At least memory - one sub-window of frames still remembers the old minimum...
        for k in 0..<(memory - perSub) { #expect(floors[k] == -70, "frame \(k) after the rise") }
        // ...and after memory + one sub-window the floor has followed the rise.
        for k in (memory + perSub)..<floors.count { #expect(floors[k] == -40, "frame \(k) after the rise") }
        // It never goes above the new level nor below the old one.
        #expect(floors.allSatisfy { $0 >= -70 && $0 <= -40 })
    }

    @Test func shortSpeechBurstDoesNotLiftTheFloor() {
        var t = NoiseFloorTracker(memoryFrames: 100, subWindowCount: 10)
        for _ in 0..<300 { _ = t.update(levelDB: -60) }
        for k in 0..<50 {
            #expect(t.update(levelDB: -20) == -60, "burst frame \(k)")
        }
    }

    @Test func floorIsTheMinimumOfTheRecentLevels() {
        var t = NoiseFloorTracker(memoryFrames: 64, subWindowCount: 8)
        var last: Float = 0
        for k in 0..<64 { last = t.update(levelDB: Float(-30 - (k == 20 ? 25 : 0))) }
        #expect(last == -55)
    }
}
