import Testing
import TalkBalanceCore

/// Feeds one frame to the attributor: begin, learn, and return each channel's own-voice decision.
@discardableResult
private func frame(_ a: inout CrosstalkAttributor, levels: [Float], lags: [ChannelLagValue?], active: [Bool]) -> [Bool] {
    levels.withUnsafeBufferPointer { lv in
        a.beginFrame(levelsDB: lv)
        lags.withUnsafeBufferPointer { a.learn(lags: $0, levelsDB: lv) }
        return active.withUnsafeBufferPointer { act in
            (0..<a.channelCount).map { a.isOwnVoice($0, active: act, levelsDB: lv) }
        }
    }
}

/// A deterministic level wobble in [-2, 2] dB.
private func wobble(_ k: Int) -> Float { Float((k * 37) % 41) / 10 - 2 }

@Suite struct CrosstalkAttributorTests {
    private func learnedTwoChannel() -> CrosstalkAttributor {
        var a = CrosstalkAttributor(channelCount: 2, assumedCrosstalkDB: -6, marginDB: 3, maxLagSamples: 160)
        // Only channel 0's person speaks: channel 1 hears it 40 samples later, 12 dB quieter.
        for k in 0..<300 {
            let l0 = -25 + wobble(k)
            var lags: [ChannelLagValue?] = [nil, nil, nil, nil]
            lags[0 * 2 + 1] = ChannelLagValue(lagSamples: 40, coherence: 0.6)
            frame(&a, levels: [l0, l0 - 12], lags: lags, active: [true, true])
        }
        return a
    }

    @Test func learnsTheCrosstalkLevelAndDelay() {
        let a = learnedTwoChannel()
        #expect(abs(a.crosstalkDB(from: 0, to: 1) - -12) <= 1.5)
        #expect(a.crosstalkDelaySamples(from: 0, to: 1) == 40)
        #expect(a.learnedSamples(from: 0, to: 1) >= CrosstalkAttributor.minSamples)
        // Nothing was learned the other way round.
        #expect(a.learnedSamples(from: 1, to: 0) == 0)
        #expect(a.crosstalkDB(from: 1, to: 0) == -6)
        #expect(a.crosstalkDelaySamples(from: 1, to: 0) == nil)
    }

    @Test func crosstalkIsNotOwnVoiceButOverlapIs() {
        var a = learnedTwoChannel()
        // Only channel 0 speaks; channel 1 carries its crosstalk (12 dB down).
        let crosstalk = frame(&a, levels: [-25, -37], lags: [nil, ChannelLagValue(lagSamples: 40, coherence: 0.6), nil, nil],
                              active: [true, true])
        #expect(crosstalk == [true, false])
        // Both speak at the same level: both are own voice.
        for _ in 0..<5 { frame(&a, levels: [-25, -25], lags: [nil, nil, nil, nil], active: [true, true]) }
        let overlap = frame(&a, levels: [-25, -25], lags: [nil, ChannelLagValue(lagSamples: 3, coherence: 0.1), nil, nil],
                            active: [true, true])
        #expect(overlap == [true, true])
    }

    @Test func inactiveChannelIsNeverOwnVoice() {
        var a = learnedTwoChannel()
        let d = frame(&a, levels: [-120, -20], lags: [nil, nil, nil, nil], active: [false, false])
        #expect(d == [false, false])
    }

    @Test func aFewDBAboveTheLearnedCrosstalkIsStillCrosstalk() {
        var a = learnedTwoChannel()
        // 12 dB down is crosstalk; 10 dB down is within the 3 dB margin of the learned -12 dB.
        let d = frame(&a, levels: [-25, -35], lags: [nil, nil, nil, nil], active: [true, true])
        #expect(d[1] == false)
        // 6 dB down is well above crosstalk + margin: the other person speaks too.
        for _ in 0..<5 { frame(&a, levels: [-25, -31], lags: [nil, nil, nil, nil], active: [true, true]) }
        let e = frame(&a, levels: [-25, -31], lags: [nil, nil, nil, nil], active: [true, true])
        #expect(e == [true, true])
    }

    @Test func thirdPartyVoiceDoesNotTeachCrosstalkBetweenTheOtherTwo() {
        var a = CrosstalkAttributor(channelCount: 3, assumedCrosstalkDB: -6, marginDB: 3, maxLagSamples: 160)
        // A source nearest channel 2: reaches channel 0 30 samples later and channel 1 50 samples later,
        // so channel 0 "leads" channel 1 by 20 samples.
        for k in 0..<300 {
            let l2 = -25 + wobble(k)
            var lags = [ChannelLagValue?](repeating: nil, count: 9)
            lags[0 * 3 + 1] = ChannelLagValue(lagSamples: 20, coherence: 0.6)
            lags[0 * 3 + 2] = ChannelLagValue(lagSamples: -30, coherence: 0.6)
            lags[1 * 3 + 2] = ChannelLagValue(lagSamples: -50, coherence: 0.6)
            frame(&a, levels: [l2 - 12, l2 - 15, l2], lags: lags, active: [true, true, true])
        }
        #expect(a.learnedSamples(from: 0, to: 1) == 0)
        #expect(a.crosstalkDB(from: 0, to: 1) == -6)
        #expect(a.crosstalkDelaySamples(from: 0, to: 1) == nil)
        // The true source's paths are learned.
        #expect(abs(a.crosstalkDB(from: 2, to: 0) - -12) <= 1.5)
        #expect(abs(a.crosstalkDB(from: 2, to: 1) - -15) <= 1.5)
        #expect(a.crosstalkDelaySamples(from: 2, to: 0) == 30)
        #expect(a.crosstalkDelaySamples(from: 2, to: 1) == 50)
    }

    @Test func incoherentFramesTeachNothing() {
        var a = CrosstalkAttributor(channelCount: 2, assumedCrosstalkDB: -6, marginDB: 3, maxLagSamples: 160)
        for _ in 0..<200 {
            frame(&a, levels: [-25, -37], lags: [nil, ChannelLagValue(lagSamples: 40, coherence: 0.1), nil, nil],
                  active: [true, true])
        }
        #expect(a.learnedSamples(from: 0, to: 1) == 0)
        #expect(a.crosstalkDB(from: 0, to: 1) == -6)
    }

    @Test("before learning, a hotter receiving mic (higher noise floor) raises the assumed crosstalk")
    func gainAllowanceFromNoiseFloors() {
        // Channel 0's mic is 10 dB low: its floor is 10 dB under channel 1's, and its person's voice
        // reaches channel 1 about as loud as on channel 0 (crosstalk -9 dB, plus the 10 dB gain gap).
        func decide(floors: [Float]) -> [Bool] {
            var a = CrosstalkAttributor(channelCount: 2, assumedCrosstalkDB: -6, marginDB: 2, maxLagSamples: 160)
            floors.withUnsafeBufferPointer { a.updatePriors(floorsDB: $0) }
            return frame(&a, levels: [-30, -29], lags: [nil, nil, nil, nil], active: [true, true])
        }
        // Without the allowance (equal floors) the leak looks like channel 1's own voice...
        #expect(decide(floors: [-50, -50]) == [true, true])
        // ...with it, it is crosstalk.
        #expect(decide(floors: [-50, -40]) == [true, false])
        // The allowance is capped, and a floor below the quietest room noise (-70 dB by default) never
        // lowers the assumption for its mic.
        var capped = CrosstalkAttributor(channelCount: 2, assumedCrosstalkDB: -6, marginDB: 2, maxLagSamples: 160)
        [-80, -40].withUnsafeBufferPointer { capped.updatePriors(floorsDB: $0) }
        #expect(capped.crosstalkDB(from: 0, to: 1) == -6 + CrosstalkAttributor.maxGainAllowanceDB)
        #expect(capped.crosstalkDB(from: 1, to: 0) == -6)
        // Floors not measured yet (digital silence so far) change nothing.
        var unmeasured = CrosstalkAttributor(channelCount: 2, assumedCrosstalkDB: -6, marginDB: 2, maxLagSamples: 160)
        [-120, -40].withUnsafeBufferPointer { unmeasured.updatePriors(floorsDB: $0) }
        #expect(unmeasured.crosstalkDB(from: 0, to: 1) == -6)
    }

    @Test("before learning, a quieter receiving mic (lower room-noise floor) lowers the assumed crosstalk")
    func quieterMicAllowance() {
        // Channel 1's mic is 10 dB low, and its person talks while channel 0's talks louder (an
        // interruption): channel 0's voice reaches channel 1 at -12 dB, less the 10 dB gain gap.
        func decide(floors: [Float]) -> [Bool] {
            var a = CrosstalkAttributor(channelCount: 2, assumedCrosstalkDB: -6, marginDB: 2, maxLagSamples: 160)
            floors.withUnsafeBufferPointer { a.updatePriors(floorsDB: $0) }
            return frame(&a, levels: [-20, -29], lags: [nil, nil, nil, nil], active: [true, true])
        }
        // Equal floors: channel 1's level is within -6 dB + margin of channel 0's, taken as crosstalk...
        #expect(decide(floors: [-40, -40]) == [true, false])
        // ...a mic whose room noise is 10 dB lower hears crosstalk 10 dB lower: channel 1's own voice.
        #expect(decide(floors: [-40, -50]) == [true, true])
        var a = CrosstalkAttributor(channelCount: 2, assumedCrosstalkDB: -6, marginDB: 2, maxLagSamples: 160)
        [-40, -70].withUnsafeBufferPointer { a.updatePriors(floorsDB: $0) }
        #expect(a.crosstalkDB(from: 0, to: 1) == -6)
        [-40, -60].withUnsafeBufferPointer { a.updatePriors(floorsDB: $0) }
        #expect(a.crosstalkDB(from: 0, to: 1) == -6 - CrosstalkAttributor.maxGainAllowanceDB)
    }

    @Test("a learned crosstalk level is not replaced by the floor-based assumption")
    func learnedLevelWins() {
        var a = learnedTwoChannel()
        [-50, -40].withUnsafeBufferPointer { a.updatePriors(floorsDB: $0) }
        #expect(abs(a.crosstalkDB(from: 0, to: 1) - -12) <= 1.5)
    }

}
