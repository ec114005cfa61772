import Testing
import TalkBalanceCore

private let hop = 160
private let rate = 16000
private let fps = 100   // frames a second

private func frame(_ seconds: Double) -> Int { Int((seconds * Double(fps)).rounded()) }
private func samples(_ seconds: Double) -> Int { frame(seconds) * hop }

/// Runs a ConversationAnalyzer over activity given as second ranges per speaker.
private func analyze(_ speech: [[(Double, Double)]], total: Double, config: AnalysisConfig = AnalysisConfig()) -> ConversationAnalyzer {
    var c = ConversationAnalyzer(speakerCount: speech.count, hopSamples: hop, sampleRate: rate, config: config)
    let frames = frame(total)
    var active = Array(repeating: false, count: speech.count)
    for f in 0..<frames {
        for s in speech.indices {
            active[s] = speech[s].contains { f >= frame($0.0) && f < frame($0.1) }
        }
        active.withUnsafeBufferPointer { c.push($0) }
    }
    c.finish()
    return c
}

private extension ConversationAnalyzer {
    func events(_ kind: EventKind) -> [ConversationEvent] { events.filter { $0.kind == kind } }
}

@Suite struct ConversationAnalyzerTests {
    @Test func backchannelDuringAFloorHoldersTurn() {
        let c = analyze([[(0, 5)], [(2.0, 2.5)]], total: 7)
        let bc = c.events(.backchannel)
        #expect(bc.count == 1)
        #expect(bc.first?.by == 1)
        #expect(bc.first?.of == 0)
        #expect(bc.first?.startSample == samples(2.0))
        #expect(bc.first?.durationSamples == samples(0.5))
        #expect(c.events(.interruption).isEmpty)
        #expect(c.turns.map(\.speaker) == [0])
        let s = c.summaries(labels: ["A", "B"])
        #expect(s[0].turns == 1)
        #expect(s[1].turns == 0)
        #expect(s[1].backchannels == 1)
        #expect(s[0].backchannelsReceived == 1)
        #expect(s[0].interruptionsSuffered == 0)
    }

    @Test func successfulInterruption() {
        // B starts at 5 s while A is mid-turn; A stops 1 s later and B keeps talking.
        let c = analyze([[(0, 6)], [(5, 8)]], total: 9)
        let ints = c.events(.interruption)
        #expect(ints.count == 1)
        #expect(ints.first?.by == 1)
        #expect(ints.first?.of == 0)
        #expect(ints.first?.successful == true)
        #expect(ints.first?.startSample == samples(5))
        #expect(c.turns.map(\.speaker) == [0, 1])
        #expect(c.turns.last?.startSample == samples(5))
        #expect(c.turns.last?.endSample == samples(8))
        #expect(c.events(.backchannel).isEmpty)
        let s = c.summaries(labels: ["A", "B"])
        #expect(s[1].interruptionsMade == 1)
        #expect(s[1].successfulInterruptionsMade == 1)
        #expect(s[0].interruptionsSuffered == 1)
    }

    @Test func interruptionWhereTheHolderStopsLater() {
        // B starts at 3 s, A stops at 6 s, B keeps the floor: an interruption by B of A at 3 s.
        let c = analyze([[(0, 6)], [(3, 8)]], total: 9)
        let ints = c.events(.interruption)
        #expect(ints.count == 1)
        #expect(ints.first?.by == 1)
        #expect(ints.first?.of == 0)
        #expect(ints.first?.startSample == samples(3))
        #expect(c.turns.map(\.speaker) == [0, 1])
    }

    @Test func unsuccessfulInterruption() {
        let c = analyze([[(0, 8)], [(3, 4.5)]], total: 9)
        let ints = c.events(.interruption)
        #expect(ints.count == 1)
        #expect(ints.first?.by == 1)
        #expect(ints.first?.of == 0)
        #expect(ints.first?.successful == false)
        #expect(ints.first?.startSample == samples(3))
        #expect(c.events(.backchannel).isEmpty)
        #expect(c.turns.map(\.speaker) == [0])
        let s = c.summaries(labels: ["A", "B"])
        #expect(s[1].interruptionsMade == 1)
        #expect(s[1].successfulInterruptionsMade == 0)
    }

    @Test func terminalOverlapIsNotAnInterruption() {
        let c = analyze([[(0, 4)], [(3.9, 8)]], total: 9)
        #expect(c.events(.interruption).isEmpty)
        #expect(c.events(.backchannel).isEmpty)
        #expect(c.turns.map(\.speaker) == [0, 1])
        #expect(c.turns.last?.startSample == samples(3.9))
        // The 0.1 s overlap is exactly minOverlapEventSeconds (0.1): reported.
        let overlaps = c.events(.overlap)
        #expect(overlaps.count == 1)
        #expect(overlaps.first?.startSample == samples(3.9))
        #expect(overlaps.first?.durationSamples == samples(0.1))
        #expect(overlaps.first?.speakers == [0, 1])
        #expect(c.overlapSamples == samples(0.1))
        #expect(c.gapCount == 0)
    }

    @Test func shortOverlapBelowTheEventThresholdIsNotReported() {
        var config = AnalysisConfig()
        config.minOverlapEventSeconds = 0.2
        let c = analyze([[(0, 4)], [(3.9, 8)]], total: 9, config: config)
        #expect(c.events(.overlap).isEmpty)
        #expect(c.events(.interruption).isEmpty)
        #expect(c.turns.map(\.speaker) == [0, 1])
        // It still counts in talk time and overlap time.
        #expect(c.overlapSamples == samples(0.1))
        #expect(c.talkSamples(1) == samples(4.1))
    }

    @Test func monologue() {
        var config = AnalysisConfig()
        config.monologueSeconds = 90
        let c = analyze([[(0, 100)], []], total: 101, config: config)
        let m = c.events(.monologue)
        #expect(m.count == 1)
        #expect(m.first?.by == 0)
        #expect(m.first?.startSample == 0)
        #expect(m.first?.durationSamples == samples(100))
    }

    @Test func turnShorterThanTheMonologueThresholdIsNoMonologue() {
        var config = AnalysisConfig()
        config.monologueSeconds = 90
        let c = analyze([[(0, 80)], [(80.5, 85)]], total: 86, config: config)
        #expect(c.events(.monologue).isEmpty)
    }

    @Test func gapAndResponseLatency() {
        let c = analyze([[(0, 3)], [(3.5, 6)]], total: 7)
        #expect(c.gapCount == 1)
        #expect(c.pauseCount == 0)
        #expect(c.turns.map(\.speaker) == [0, 1])
        let s = c.summaries(labels: ["A", "B"])
        #expect(s[1].meanResponseLatencySamples == samples(0.5))
        #expect(s[0].meanResponseLatencySamples == nil)
        #expect(c.events(.backchannel).isEmpty)
        #expect(c.events(.interruption).isEmpty)
    }

    @Test func pauseWithinOneSpeaker() {
        let c = analyze([[(0, 3), (3.6, 6)], []], total: 7)
        #expect(c.pauseCount == 1)
        #expect(c.gapCount == 0)
        #expect(c.turns.count == 1)
    }

    @Test func imbalanceFlagsTheDominantSpeaker() {
        var config = AnalysisConfig()
        config.windowSeconds = 60
        config.imbalanceShare = 0.65
        config.imbalanceMinTalkSeconds = 30
        var a: [(Double, Double)] = [], b: [(Double, Double)] = []
        var t = 0.0
        for _ in 0..<3 {
            a.append((t, t + 50)); t += 50
            b.append((t, t + 5)); t += 5
        }
        let c = analyze([a, b], total: t, config: config)
        let flags = c.events(.imbalance)
        #expect(flags.count == 1)
        #expect(flags.first?.by == 0)
        #expect((flags.first?.share ?? 0) > 0.65)
        // Judged once 30 s of talk are in the window.
        let at = Double(flags.first?.startSample ?? 0) / Double(rate)
        #expect(abs(at - 30) <= 1)
    }

    @Test func balancedTalkIsNoImbalance() {
        var config = AnalysisConfig()
        config.windowSeconds = 60
        config.imbalanceMinTalkSeconds = 30
        var a: [(Double, Double)] = [], b: [(Double, Double)] = []
        var t = 0.0
        for _ in 0..<12 {
            a.append((t, t + 5)); t += 5.3
            b.append((t, t + 5)); t += 5.3
        }
        let c = analyze([a, b], total: t, config: config)
        #expect(c.events(.imbalance).isEmpty)
    }

    @Test func talkTimeCountsActiveFramesAndOverlapForBoth() {
        let c = analyze([[(1, 3)], [(2, 5)]], total: 6)
        #expect(c.talkSamples(0) == 200 * hop)
        #expect(c.talkSamples(1) == 300 * hop)
        #expect(c.overlapSamples == 100 * hop)
        #expect(c.silenceSamples == 200 * hop)
        let s = c.summaries(labels: ["A", "B"])
        #expect(s[0].talkSamples == 200 * hop)
        #expect(s[1].talkSamples == 300 * hop)
        #expect(s[0].overlapSamples == 100 * hop)
        #expect(s[1].overlapSamples == 100 * hop)
        #expect(abs(s[0].share - 0.4) < 1e-12)
        #expect(abs(s[1].share - 0.6) < 1e-12)
        #expect(s[0].label == "A" && s[1].label == "B")
    }

    @Test func segmentsFollowTheActivity() {
        let c = analyze([[(0.5, 1.5), (2, 2.4)], [(3, 4)]], total: 5)
        let segs = c.segments.sorted { $0.startSample < $1.startSample }
        #expect(segs == [
            SpeechSegment(speaker: 0, startSample: samples(0.5), endSample: samples(1.5)),
            SpeechSegment(speaker: 0, startSample: samples(2), endSample: samples(2.4)),
            SpeechSegment(speaker: 1, startSample: samples(3), endSample: samples(4)),
        ])
    }

    @Test func drainEventsReturnsEachEventOnce() {
        var c = ConversationAnalyzer(speakerCount: 2, hopSamples: hop, sampleRate: rate, config: AnalysisConfig())
        var drained: [ConversationEvent] = []
        var active = [false, false]
        for f in 0..<900 {
            active[0] = f < 800
            active[1] = f >= 300 && f < 450
            active.withUnsafeBufferPointer { c.push($0) }
            drained += c.drainEvents()
        }
        c.finish()
        drained += c.drainEvents()
        #expect(drained == c.events)
        #expect(c.drainEvents().isEmpty)
        #expect(!drained.isEmpty)
    }
}
