import Testing
@testable import TalkBalanceCore

/// `PauseShaper`: the user's `--bridge-pause` for one microphone in the room, applied frame by frame on the
/// way to the conversation (the detector keeps its own bridge).
@Suite struct PauseShaperTests {
    /// Frames as strings, one character a frame: "A", "B", "-" (nobody), "2" (both).
    static func frames(_ s: String) -> [[Bool]] {
        s.map { c in [c == "A" || c == "2", c == "B" || c == "2"] }
    }

    /// The segments of the conversation after shaping, as "person start-end" (frames).
    static func shaped(_ s: String, speech: [Range<Int>]? = nil, fillFrames: Int) -> [String] {
        var config = AnalysisConfig()
        config.minSpeechSeconds = 0
        // 100 samples a frame at 1 kHz: 10 frames a second.
        var conversation = ConversationAnalyzer(speakerCount: 2, hopSamples: 100, sampleRate: 1000, config: config)
        var shaper = PauseShaper(people: 2, fillFrames: fillFrames)
        var mask = speech.map { SpeechFrames(segments: $0, hopSamples: 100) }
        for f in frames(s) { f.withUnsafeBufferPointer { shaper.push($0, speech: mask?.next() ?? true, to: &conversation) } }
        shaper.finish(to: &conversation)
        conversation.finish()
        #expect(conversation.framesPushed == s.count, "every frame passed on, none held")
        return conversation.segments.sorted { ($0.startSample, $0.speaker) < ($1.startSample, $1.speaker) }
            .map { "\($0.speaker == 0 ? "A" : "B") \($0.startSample / 100)-\($0.endSample / 100)" }
    }

    @Test("with the detector's bridge nothing changes")
    func passThrough() {
        #expect(Self.shaped("AAA--AAA---BBB", fillFrames: 0) == ["A 0-3", "A 5-8", "B 11-14"])
    }

    @Test("a longer bridge fills a pause within one person, up to its length")
    func fillsPauses() {
        #expect(Self.shaped("AAA--AAA", fillFrames: 2) == ["A 0-8"])
        #expect(Self.shaped("AAA---AAA", fillFrames: 2) == ["A 0-3", "A 6-9"], "a pause longer than the bridge stays")
        #expect(Self.shaped("AA--", fillFrames: 3) == ["A 0-2"], "silence at the end is silence")
    }

    @Test("a longer bridge leaves a gap between two people silent, and fills only for who speaks on both sides")
    func gapsStay() {
        #expect(Self.shaped("AAA--BBB", fillFrames: 3) == ["A 0-3", "B 5-8"])
        #expect(Self.shaped("222--AAA", fillFrames: 3) == ["A 0-8", "B 0-3"])
    }

    @Test("a shorter bridge silences the frames outside the speech found at that bridge")
    func shorterBridge() {
        // The detector bridged frames 3-4; at the user's bridge they are a pause (samples 300-500 not speech).
        #expect(Self.shaped("AAAAAAAA", speech: [0..<300, 500..<800], fillFrames: 0) == ["A 0-3", "A 5-8"])
        // Whoever the frames were given to.
        #expect(Self.shaped("AAA22BBB", speech: [0..<300, 500..<800], fillFrames: 0) == ["A 0-3", "B 5-8"])
    }
}
