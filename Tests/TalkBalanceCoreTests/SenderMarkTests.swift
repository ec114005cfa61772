import Testing
import TalkBalanceCore

/// Imago sender marks split talk time by role; bookmarks are kept; the live state reflects the session.
@Suite struct SenderMarkTests {
    private func run(_ speech: [[(Double, Double)]], total: Double, senders: [(Double, Int?)]) -> [SpeakerSummary] {
        var c = ConversationAnalyzer(speakerCount: speech.count, hopSamples: 160, sampleRate: 16000, config: AnalysisConfig())
        for (t, who) in senders { c.setSender(who, fromFrame: Int(t * 100)) }
        var active = Array(repeating: false, count: speech.count)
        for f in 0..<Int(total * 100) {
            for s in speech.indices { active[s] = speech[s].contains { f >= Int($0.0 * 100) && f < Int($0.1 * 100) } }
            active.withUnsafeBufferPointer { c.push($0) }
        }
        c.finish()
        return c.summaries(labels: speech.indices.map { "p\($0)" })
    }

    @Test func talkIsSplitBySender() {
        // A sends 0-10 s (speaks 0-6, B mirrors 6.5-9.5); from 10 s B sends (speaks 10-14, A mirrors 15-17).
        let s = run([[(0, 6), (15, 17)], [(6.5, 9.5), (10, 14)]], total: 18, senders: [(0, 0), (10, 1)])
        #expect(s[0].sendingSamples == 6 * 16000)
        #expect(s[0].receivingSamples == 2 * 16000)
        #expect(s[1].sendingSamples == 4 * 16000)
        #expect(s[1].receivingSamples == 3 * 16000)
    }

    @Test func noMarksNoRoles() {
        let s = run([[(0, 3)], [(4, 6)]], total: 7, senders: [])
        #expect(s.allSatisfy { $0.sendingSamples == 0 && $0.receivingSamples == 0 })
    }

    @Test func nobodySendingStopsTheSplit() {
        let s = run([[(0, 4)], []], total: 5, senders: [(0, 0), (2, nil)])
        #expect(s[0].sendingSamples == 2 * 16000)
        #expect(s[0].receivingSamples == 0)
    }

    @Test func analyzerRecordsMarksAtTheCurrentSample() throws {
        let analyzer = try SessionAnalyzer(format: StreamFormat(sampleRate: 16000, channelCount: 2), labels: ["Anna", "Ben"])
        let second = [Float](repeating: 0, count: 2 * 16000)
        second.withUnsafeBufferPointer { analyzer.process(interleaved: $0) }
        analyzer.mark(.sender, person: 1)
        second.withUnsafeBufferPointer { analyzer.process(interleaved: $0) }
        analyzer.mark(.bookmark)
        let state = analyzer.liveState()
        #expect(state.sender == "Ben")
        #expect(state.bookmarks == 1)
        #expect(abs(state.elapsedSeconds - 2) < 1e-9)
        #expect(state.people.map(\.label) == ["Anna", "Ben"])
        #expect(state.people.allSatisfy { !$0.speakingNow && $0.sessionShare == 0 })
        let result = analyzer.finish()
        #expect(result.marks == [Mark(kind: .sender, sample: 16000, person: 1), Mark(kind: .bookmark, sample: 32000)])
    }
}
