import Testing
@testable import TalkBalanceCore

/// Who is underneath a run of the segmentation network's overlap, live with three people
/// (`RoomSessionAnalyzer.NetworkRun`): the voices' mean gains decide, and only between two people at least.
@Suite struct NetworkRunTests {
    @Test("the person with the highest mean gain over the run's frames is the one underneath")
    func highestMeanWins() {
        var run = RoomSessionAnalyzer.NetworkRun(frames: 100..<130, person: 1, people: 3, decided: false)
        // Frames given to person 0: gains for 1 and 2. Person 2 wins on the mean though 1 has the best frame.
        run.add(gains: [.nan, 5, 1])
        run.add(gains: [.nan, -4, 2])
        run.add(gains: [.nan, -3, 1.5])
        let decided1 = run.decide(proposedHasModel: true)
        #expect(decided1)
        #expect(run.person == 2)
        #expect(run.decided)
        // Decided once: later gains change nothing.
        run.add(gains: [.nan, 50, -50])
        let decided2 = run.decide(proposedHasModel: true)
        #expect(decided2)
        #expect(run.person == 2)
    }

    @Test("with one other voice scored, or the proposed person not modelled, there is no choice and the run is dropped")
    func noChoiceDrops() {
        var one = RoomSessionAnalyzer.NetworkRun(frames: 0..<40, person: 1, people: 3, decided: false)
        one.add(gains: [.nan, 2, .nan])
        let decided3 = one.decide(proposedHasModel: true)
        #expect(!decided3)
        var unmodelled = RoomSessionAnalyzer.NetworkRun(frames: 0..<40, person: 1, people: 3, decided: false)
        unmodelled.add(gains: [.nan, 2, 1])
        let decided4 = unmodelled.decide(proposedHasModel: false)
        #expect(!decided4)
        var none = RoomSessionAnalyzer.NetworkRun(frames: 0..<40, person: 1, people: 3, decided: false)
        let decided5 = none.decide(proposedHasModel: true)
        #expect(!decided5)
    }

    @Test("with two people the network's run is decided from the start (the other one)")
    func twoPeopleDecided() {
        var run = RoomSessionAnalyzer.NetworkRun(frames: 0..<40, person: 1, people: 2, decided: true)
        run.add(gains: [.nan, -9])
        let decided6 = run.decide(proposedHasModel: false)
        #expect(decided6)
        #expect(run.person == 1)
    }
}
