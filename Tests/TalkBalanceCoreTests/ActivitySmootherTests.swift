import Testing
import TalkBalanceCore

/// Builds a raw pattern from (value, count) pairs.
private func pattern(_ parts: [(Bool, Int)]) -> [Bool] {
    parts.flatMap { Array(repeating: $0.0, count: $0.1) }
}

/// Runs a smoother over `raw`: every decision returned by `push`, then `finish()`.
private func smooth(_ raw: [Bool], bridge: Int, minSpeech: Int, minRun: Int) -> (decisions: [Bool], nilPushes: Int) {
    var s = ActivitySmoother(bridgeFrames: bridge, minSpeechFrames: minSpeech, minRunFrames: minRun)
    var out: [Bool] = []
    var nils = 0
    for r in raw {
        if let d = s.push(r) { out.append(d) } else { nils += 1 }
    }
    out += s.finish()
    return (out, nils)
}

/// The documented behaviour, computed offline: raw runs shorter than `minRun` are dropped, pauses of at
/// most `bridge` frames between the remaining runs are filled, and stretches shorter than `minSpeech`
/// are dropped.
private func reference(_ raw: [Bool], bridge: Int, minSpeech: Int, minRun: Int) -> [Bool] {
    var runs: [(Int, Int)] = []          // [start, end)
    var i = 0
    while i < raw.count {
        if raw[i] {
            var j = i
            while j < raw.count && raw[j] { j += 1 }
            if j - i >= minRun { runs.append((i, j)) }
            i = j
        } else { i += 1 }
    }
    var stretches: [(Int, Int)] = []
    for r in runs {
        if let last = stretches.last, r.0 - last.1 <= bridge {
            stretches[stretches.count - 1].1 = r.1
        } else {
            stretches.append(r)
        }
    }
    var out = Array(repeating: false, count: raw.count)
    for s in stretches where s.1 - s.0 >= minSpeech { for f in s.0..<s.1 { out[f] = true } }
    return out
}

@Suite struct ActivitySmootherTests {
    @Test func delayIsMinSpeechPlusBridgePlusOne() {
        let s = ActivitySmoother(bridgeFrames: 4, minSpeechFrames: 6, minRunFrames: 2)
        #expect(s.delayFrames == 11)
    }

    @Test func firstDecisionComesAfterExactlyDelayFrames() {
        var s = ActivitySmoother(bridgeFrames: 3, minSpeechFrames: 5, minRunFrames: 2)
        let delay = s.delayFrames
        for k in 0..<delay {
            #expect(s.push(k % 2 == 0) == nil, "push \(k) must not return a decision yet")
        }
        #expect(s.push(true) != nil)
        // From then on every push returns exactly one decision.
        for _ in 0..<20 { #expect(s.push(false) != nil) }
    }

    @Test func plainStretchIsReproducedWithDelay() {
        let raw = pattern([(false, 3), (true, 10), (false, 20)])
        let (out, nils) = smooth(raw, bridge: 2, minSpeech: 5, minRun: 2)
        #expect(nils == 8)
        #expect(out == raw)
    }

    @Test func decisionOfFrameFComesWhenFramePlusDelayIsPushed() {
        // Speech at frames 3..<13; the decision for frame 3 is the (3 + delay + 1)-th push's result.
        let raw = pattern([(false, 3), (true, 10), (false, 30)])
        var s = ActivitySmoother(bridgeFrames: 2, minSpeechFrames: 5, minRunFrames: 2)
        var decisions: [Int: Bool] = [:]
        for (k, r) in raw.enumerated() {
            if let d = s.push(r) { decisions[k - s.delayFrames] = d }
        }
        #expect(decisions[2] == false)
        #expect(decisions[3] == true)
        #expect(decisions[12] == true)
        #expect(decisions[13] == false)
    }

    @Test func pauseOfExactlyBridgeFramesIsFilledWithMinRunOne() {
        let raw = pattern([(false, 2), (true, 6), (false, 3), (true, 6), (false, 20)])
        let (out, _) = smooth(raw, bridge: 3, minSpeech: 5, minRun: 1)
        #expect(out == pattern([(false, 2), (true, 15), (false, 20)]))
    }

    @Test func pauseLongerThanBridgeSplitsSpeech() {
        let raw = pattern([(false, 2), (true, 6), (false, 4), (true, 6), (false, 20)])
        let (out, _) = smooth(raw, bridge: 3, minSpeech: 5, minRun: 1)
        #expect(out == raw)
    }

    /// Documented: "pauses of at most `bridgeFrames` inside speech are filled" — also with the default
    /// `minRunFrames` of 3, when the speech after the pause is a long run (not a blip).
    @Test func pauseOfExactlyBridgeFramesIsFilledWithDefaultMinRun() {
        let raw = pattern([(false, 2), (true, 10), (false, 4), (true, 10), (false, 30)])
        let (out, _) = smooth(raw, bridge: 4, minSpeech: 5, minRun: 3)
        #expect(out == pattern([(false, 2), (true, 24), (false, 30)]))
    }

    @Test func shortStretchIsDropped() {
        let short = pattern([(false, 5), (true, 4), (false, 20)])
        #expect(smooth(short, bridge: 2, minSpeech: 5, minRun: 1).decisions == Array(repeating: false, count: short.count))
        let long = pattern([(false, 5), (true, 5), (false, 20)])
        #expect(smooth(long, bridge: 2, minSpeech: 5, minRun: 1).decisions == long)
    }

    @Test func bridgedShortRunsCountTogetherForMinSpeech() {
        // 3 + 2 (pause) + 3 = 8 frames after bridging >= minSpeech 8, although each run is shorter.
        let raw = pattern([(false, 4), (true, 3), (false, 2), (true, 3), (false, 30)])
        let (out, _) = smooth(raw, bridge: 2, minSpeech: 8, minRun: 1)
        #expect(out == pattern([(false, 4), (true, 8), (false, 30)]))
    }

    @Test func blipsShorterThanMinRunAreIgnoredEvenIfBridgeable() {
        // Runs of 2 separated by 1 silent frame: bridging would make one long stretch, but every raw
        // run is below minRunFrames 3, so nothing is speech.
        var raw: [Bool] = []
        for _ in 0..<15 { raw += [true, true, false] }
        raw += Array(repeating: false, count: 20)
        let (out, _) = smooth(raw, bridge: 5, minSpeech: 5, minRun: 3)
        #expect(out == Array(repeating: false, count: raw.count))
    }

    /// Runs of exactly `minRunFrames` are not blips: pauses between them of at most `bridgeFrames`
    /// are bridged like any other.
    @Test func runsOfMinRunLengthAreBridged() {
        var kept: [Bool] = []
        for _ in 0..<15 { kept += [true, true, true, false] }
        kept += Array(repeating: false, count: 20)
        let (out, _) = smooth(kept, bridge: 1, minSpeech: 5, minRun: 3)
        #expect(out == pattern([(true, 15 * 4 - 1), (false, 21)]))
    }

    @Test func speechRunningToTheEndIsFlushed() {
        let raw = pattern([(false, 3), (true, 12)])
        let (out, _) = smooth(raw, bridge: 2, minSpeech: 5, minRun: 2)
        #expect(out == raw)
    }

    @Test(arguments: [1, 3, 7, 8, 9, 50, 333])
    func finishFlushesEveryFrame(count: Int) {
        var seed: UInt64 = 12345 &+ UInt64(count)
        var raw: [Bool] = []
        for _ in 0..<count {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            raw.append((seed >> 33) % 3 != 0)
        }
        let (out, _) = smooth(raw, bridge: 2, minSpeech: 5, minRun: 2)
        #expect(out.count == count)
    }

    @Test(arguments: [(0, 1, 1), (2, 5, 1), (5, 15, 1), (25, 15, 1), (3, 3, 1)])
    func matchesOfflineReferenceOnRandomInput(bridge: Int, minSpeech: Int, minRun: Int) {
        var seed: UInt64 = 99
        var raw: [Bool] = []
        var state = false
        for _ in 0..<3000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            if (seed >> 33) % 7 == 0 { state.toggle() }
            raw.append(state)
        }
        let (out, _) = smooth(raw, bridge: bridge, minSpeech: minSpeech, minRun: minRun)
        #expect(out == reference(raw, bridge: bridge, minSpeech: minSpeech, minRun: minRun))
    }
}

@Suite("speech must be voiced")
struct VoicedStretchTests {
    private func run(_ raw: [Bool], voiced: [Bool], share: Double) -> [Bool] {
        var s = ActivitySmoother(bridgeFrames: 30, minSpeechFrames: 15, minVoicedFraction: share)
        var out: [Bool] = []
        for (a, v) in zip(raw, voiced) { if let d = s.push(a, voiced: v) { out.append(d) } }
        return out + s.finish()
    }

    @Test("an unvoiced stretch (a cough, a rustle) is dropped; a voiced one of the same length is kept")
    func unvoicedIsDropped() {
        let raw = pattern([(false, 20), (true, 60), (false, 100)])
        let unvoiced = run(raw, voiced: raw.map { _ in false }, share: 0.25)
        #expect(!unvoiced.contains(true))
        let speech = run(raw, voiced: raw.map { $0 }, share: 0.25)
        #expect(speech == raw)
        // Off: the same as without voicing.
        #expect(run(raw, voiced: raw.map { _ in false }, share: 0) == raw)
    }

    @Test("speech with a quarter voiced frames is kept; below that it is not")
    func share() {
        let raw = pattern([(false, 10), (true, 80), (false, 100)])
        func voicedEvery(_ k: Int) -> [Bool] { raw.enumerated().map { $0.element && $0.offset % k == 0 } }
        #expect(run(raw, voiced: voicedEvery(3), share: 0.25) == raw)      // a third voiced
        #expect(!run(raw, voiced: voicedEvery(5), share: 0.25).contains(true))   // a fifth voiced
    }

    @Test("noise bridged into speech: the long voiced part makes the stretch speech, from where it is decided")
    func noiseThenSpeech() {
        // 40 frames of unvoiced noise, a 10-frame pause (bridged), then 200 voiced frames.
        let raw = pattern([(false, 10), (true, 40), (false, 10), (true, 200), (false, 100)])
        let voiced = pattern([(false, 60), (true, 200), (false, 100)])
        let out = run(raw, voiced: voiced, share: 0.25)
        // All of the voiced speech is kept.
        #expect(out[60..<260].allSatisfy { $0 })
        // Decisions only ever turn on once per stretch here: no speech frame after the stretch.
        #expect(!out[260...].contains(true))
    }
}

@Suite("soft word edges")
struct SoftWordEdgeTests {
    private func run(_ raw: [Bool], voiced: [Bool]? = nil, soft: [Bool]? = nil, edge: [Bool]? = nil,
                     share: Double = 0, maxLead: Int = 0) -> [Bool] {
        var s = ActivitySmoother(bridgeFrames: 30, minSpeechFrames: 15, minVoicedFraction: share, maxLeadFrames: maxLead)
        var out: [Bool] = []
        for i in raw.indices {
            if let d = s.push(raw[i], voiced: voiced?[i] ?? true, soft: soft?[i] ?? false, edge: edge?[i] ?? false) { out.append(d) }
        }
        return out + s.finish()
    }

    @Test("a start takes the soft frames just before it, at most maxLeadFrames of them")
    func softStart() {
        let raw = pattern([(false, 50), (true, 40), (false, 100)])
        let soft = pattern([(false, 40), (true, 10), (false, 140)])
        // Off: the start is where the raw run starts.
        #expect(run(raw, soft: soft) == raw)
        // On: the 6 soft frames nearest the start join it; the four before them do not.
        #expect(run(raw, soft: soft, maxLead: 6) == pattern([(false, 44), (true, 46), (false, 100)]))
        // Soft frames that are not followed by a start are not speech, nor are soft frames cut off
        // from the start by a quiet frame.
        let gap = pattern([(false, 40), (true, 5), (false, 1), (false, 144)])
        #expect(run(raw, soft: gap, maxLead: 6) == raw)
        #expect(!run(pattern([(false, 190)]), soft: soft, maxLead: 6).contains(true))
    }

    @Test("a stretch too short without its soft start is dropped, soft start and all")
    func softStartDoesNotMakeSpeech() {
        let raw = pattern([(false, 50), (true, 12), (false, 100)])
        let soft = pattern([(false, 44), (true, 6), (false, 112)])
        #expect(!run(raw, soft: soft, maxLead: 6).contains(true))
    }

    @Test("soft end frames do not dilute the voiced share")
    func edgesAreNotJudged() {
        // A short word (15 frames, judged whole): 9 frames of which 3 voiced, then 6 unvoiced frames.
        // A fifth voiced: dropped at a 0.3 share; if the 6 are soft ends, a third voiced: kept.
        let raw = pattern([(false, 20), (true, 15), (false, 100)])
        let voiced = pattern([(false, 20), (true, 1), (false, 2), (true, 1), (false, 2), (true, 1), (false, 108)])
        let edge = pattern([(false, 29), (true, 6), (false, 100)])
        #expect(!run(raw, voiced: voiced, share: 0.3).contains(true))
        #expect(run(raw, voiced: voiced, edge: edge, share: 0.3) == raw)
    }
}

@Suite("hangover in the smoother")
struct ActivitySmootherHangoverTests {
    private func run(_ raw: [Bool], hangover: Int) -> [Bool] {
        var s = ActivitySmoother(bridgeFrames: 30, minSpeechFrames: 15, hangoverFrames: hangover)
        var out: [Bool] = []
        for r in raw { if let d = s.push(r) { out.append(d) } }
        return out + s.finish()
    }

    @Test("a kept stretch goes on for the hangover; a stretch too short stays dropped (the hangover is no speech)")
    func extendsKeptStretchesOnly() {
        let raw = pattern([(false, 10), (true, 20), (false, 60), (true, 12), (false, 60)])
        let plain = run(raw, hangover: 0), held = run(raw, hangover: 4)
        #expect(plain == pattern([(false, 10), (true, 20), (false, 132)]))
        #expect(held == pattern([(false, 10), (true, 24), (false, 128)]))
    }

    @Test("the hangover at the end of the stream stops at its last frame")
    func endOfStream() {
        let raw = pattern([(false, 5), (true, 20), (false, 2)])
        #expect(run(raw, hangover: 4) == pattern([(false, 5), (true, 22)]))
    }
}
