import Testing
import TalkBalanceEval

private func seg(_ speaker: String, _ start: Double, _ end: Double) -> LabeledSegment {
    LabeledSegment(speaker: speaker, start: start, end: end)
}

private func close(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool { abs(a - b) <= tol }

@Suite struct RTTMTests {
    @Test func parsesSpeakerLinesAndSkipsTheRest() throws {
        let text = """
        ;; a comment
        SPEAKER session 1 0.500 2.250 <NA> <NA> alice <NA> <NA>

        SPKR-INFO session 1 <NA> <NA> <NA> unknown alice <NA> <NA>
        SPEAKER\tsession\t1\t3.000\t1.000\t<NA>\t<NA>\tbob\t<NA>\t<NA>
        SPEAKER session 1 10 0.5 <NA> <NA> alice
        """
        let segs = try RTTM.parse(text)
        #expect(segs == [seg("alice", 0.5, 2.75), seg("bob", 3, 4), seg("alice", 10, 10.5)])
    }

    /// Files written on Windows end lines with CR LF; every line must still be read.
    @Test func parsesCRLFLineEndings() throws {
        let text = ";; header\r\nSPEAKER f 1 0 1 <NA> <NA> A <NA> <NA>\r\nSPEAKER f 1 2 1.5 <NA> <NA> B <NA> <NA>\r\n"
        let segs = try RTTM.parse(text)
        #expect(segs == [seg("A", 0, 1), seg("B", 2, 3.5)])
    }

    @Test func crlfMalformedLineReportsItsLineNumber() {
        let text = "SPEAKER f 1 0 1 <NA> <NA> A <NA> <NA>\r\nSPEAKER f 1 x 1 <NA> <NA> A <NA> <NA>\r\n"
        do {
            _ = try RTTM.parse(text)
            Issue.record("malformed second line accepted")
        } catch {
            #expect(error.line == 2)
        }
    }

    @Test func emptyTextGivesNoSegments() throws {
        #expect(try RTTM.parse("").isEmpty)
        #expect(try RTTM.parse(";; only a comment\n\n").isEmpty)
    }

    @Test(arguments: [
        ("SPEAKER f 1 abc 1.0 <NA> <NA> A <NA> <NA>", 3),
        ("SPEAKER f 1 1.0 -2 <NA> <NA> A <NA> <NA>", 3),
        ("SPEAKER f 1 1.0", 3),
        ("SPEAKER f 1 nan 1.0 <NA> <NA> A <NA> <NA>", 3),
    ])
    func malformedLineReportsItsLineNumber(bad: String, line: Int) {
        let text = ";; header\nSPEAKER f 1 0 1 <NA> <NA> A <NA> <NA>\n\(bad)\nSPEAKER f 1 5 1 <NA> <NA> B <NA> <NA>\n"
        do {
            _ = try RTTM.parse(text)
            Issue.record("accepted: \(bad)")
        } catch {
            #expect(error.line == line)
            #expect(error.description.hasPrefix("line \(line):"))
        }
    }
}

@Suite struct DiarizationScoringTests {
    let reference = [seg("A", 0, 10), seg("B", 10, 20)]

    @Test func identicalScoresZero() {
        let s = Scoring.diarization(reference: reference, hypothesis: reference)
        #expect(s.der == 0)
        #expect(close(s.referenceSpeech, 20))
        #expect(s.mapping == ["A": "A", "B": "B"])
    }

    @Test func swappedLabelsScoreZeroThanksToTheMapping() {
        let hyp = [seg("B", 0, 10), seg("A", 10, 20)]
        let s = Scoring.diarization(reference: reference, hypothesis: hyp)
        #expect(s.der == 0)
        #expect(s.mapping == ["B": "A", "A": "B"])
        let named = Scoring.diarization(reference: reference, hypothesis: [seg("spk1", 0, 10), seg("spk0", 10, 20)])
        #expect(named.der == 0)
        #expect(named.mapping == ["spk1": "A", "spk0": "B"])
    }

    @Test func missingHalfOfOneSpeaker() {
        let s = Scoring.diarization(reference: reference, hypothesis: [seg("A", 0, 10), seg("B", 10, 15)])
        #expect(close(s.missed, 5))
        #expect(s.falseAlarm == 0)
        #expect(s.confusion == 0)
        #expect(close(s.der, 0.25))
    }

    @Test func falseAlarm() {
        let s = Scoring.diarization(reference: [seg("A", 0, 10)], hypothesis: [seg("A", 0, 12)])
        #expect(close(s.falseAlarm, 2))
        #expect(s.missed == 0)
        #expect(s.confusion == 0)
        #expect(close(s.der, 0.2))
    }

    @Test func confusion() {
        let s = Scoring.diarization(reference: reference, hypothesis: [seg("x", 0, 15), seg("y", 15, 20)])
        #expect(close(s.confusion, 5))
        #expect(s.missed == 0)
        #expect(s.falseAlarm == 0)
        #expect(close(s.der, 0.25))
        #expect(s.mapping == ["x": "A", "y": "B"])
    }

    @Test func oneLabelForEverything() {
        let s = Scoring.diarization(reference: reference, hypothesis: [seg("x", 0, 20)])
        #expect(close(s.confusion, 10))
        #expect(close(s.der, 0.5))
    }

    @Test func collarExcludesBoundaryErrors() {
        let shifted = [seg("A", 0.1, 10.1), seg("B", 10.1, 20.1)]
        let strict = Scoring.diarization(reference: reference, hypothesis: shifted)
        #expect(strict.der > 0)
        #expect(close(strict.missed, 0.1, 1e-6))
        #expect(close(strict.confusion, 0.1, 1e-6))
        #expect(close(strict.falseAlarm, 0.1, 1e-6))
        #expect(close(strict.der, 0.3 / 20, 1e-6))
        let collared = Scoring.diarization(reference: reference, hypothesis: shifted, collar: 0.25)
        #expect(collared.der == 0)
        #expect(collared.referenceSpeech < 20)
    }

    @Test func collarDoesNotHideErrorsAwayFromBoundaries() {
        let s = Scoring.diarization(reference: reference, hypothesis: [seg("A", 0, 10), seg("B", 10, 15)], collar: 0.25)
        #expect(close(s.missed, 4.75, 1e-6))
    }

    @Test func overlapIsScored() {
        let ref = [seg("A", 0, 10), seg("B", 5, 10)]
        let s = Scoring.diarization(reference: ref, hypothesis: [seg("A", 0, 10)])
        #expect(close(s.referenceSpeech, 15))
        #expect(close(s.missed, 5))
        #expect(s.confusion == 0)
        #expect(close(s.der, 5.0 / 15))
    }

    @Test func sameSpeakerOverlappingSegmentsAreMerged() {
        let hyp = [seg("A", 0, 6), seg("A", 4, 10), seg("B", 10, 20)]
        let s = Scoring.diarization(reference: reference, hypothesis: hyp)
        #expect(s.der == 0)
        #expect(Scoring.merged(hyp) == [seg("A", 0, 10), seg("B", 10, 20)])
    }
}

@Suite struct VoiceActivityScoringTests {
    @Test func precisionRecallF1OnAKnownCase() {
        let v = Scoring.voiceActivity(reference: [seg("A", 0, 1)], hypothesis: [seg("x", 0.5, 1.5)], duration: 2)
        #expect(close(v.precision, 0.5))
        #expect(close(v.recall, 0.5))
        #expect(close(v.f1, 0.5))
        #expect(close(v.missedSeconds, 0.5, 1e-9))
        #expect(close(v.falseAlarmSeconds, 0.5, 1e-9))
    }

    @Test func asymmetricCase() {
        // Reference 0-2 s, hypothesis 0-1 s: precision 1, recall 0.5, F1 2/3.
        let v = Scoring.voiceActivity(reference: [seg("A", 0, 2)], hypothesis: [seg("B", 0, 1)], duration: 3)
        #expect(close(v.precision, 1))
        #expect(close(v.recall, 0.5))
        #expect(close(v.f1, 2.0 / 3))
    }

    @Test func speakersDoNotMatterOnlySpeech() {
        let v = Scoring.voiceActivity(reference: [seg("A", 0, 1), seg("B", 1, 2)], hypothesis: [seg("z", 0, 2)], duration: 2)
        #expect(v.precision == 1 && v.recall == 1 && v.f1 == 1)
    }

    @Test func talkTimeMergesSegments() {
        let t = Scoring.talkTime([seg("A", 0, 2), seg("A", 1, 3), seg("B", 5, 6)])
        #expect(close(t["A"] ?? 0, 3))
        #expect(close(t["B"] ?? 0, 1))
    }
}

@Suite struct EventScoringTests {
    private func ev(_ type: String, _ time: Double, _ by: String, _ target: String) -> TimedEvent {
        TimedEvent(type: type, time: time, by: by, target: target)
    }

    @Test func matchesWithinToleranceAndSamePeopleOnly() {
        let ref = [ev("interruption", 10, "B", "A"), ev("interruption", 40, "A", "B")]
        let hyp = [
            ev("interruption", 10.8, "B", "A"),   // match
            ev("interruption", 40.2, "B", "A"),   // right time, wrong people
            ev("interruption", 70, "A", "B"),     // nothing there
        ]
        let s = Scoring.events(reference: ref, hypothesis: hyp)
        #expect(s.truePositives == 1)
        #expect(s.falsePositives == 2)
        #expect(s.falseNegatives == 1)
        #expect(close(s.precision, 1.0 / 3))
        #expect(close(s.recall, 0.5))
        #expect(close(s.f1, 0.4))
    }

    @Test func outsideTheToleranceIsNoMatch() {
        let s = Scoring.events(reference: [ev("backchannel", 5, "A", "B")], hypothesis: [ev("backchannel", 6.5, "A", "B")])
        #expect(s.truePositives == 0)
        #expect(s.falsePositives == 1)
        #expect(s.falseNegatives == 1)
        let edge = Scoring.events(reference: [ev("backchannel", 5, "A", "B")], hypothesis: [ev("backchannel", 5.75, "A", "B")])
        #expect(edge.truePositives == 1)
    }

    @Test func differentTypesDoNotMatch() {
        let s = Scoring.events(reference: [ev("interruption", 5, "A", "B")], hypothesis: [ev("backchannel", 5, "A", "B")])
        #expect(s.truePositives == 0)
    }

    @Test func matchingIsOneToOne() {
        let ref = [ev("interruption", 10, "B", "A"), ev("interruption", 10.5, "B", "A")]
        let one = Scoring.events(reference: ref, hypothesis: [ev("interruption", 10.2, "B", "A")])
        #expect(one.truePositives == 1)
        #expect(one.falseNegatives == 1)
        #expect(one.falsePositives == 0)
        let two = Scoring.events(reference: [ev("interruption", 10, "B", "A")],
                                 hypothesis: [ev("interruption", 10.2, "B", "A"), ev("interruption", 9.9, "B", "A")])
        #expect(two.truePositives == 1)
        #expect(two.falsePositives == 1)
        #expect(two.falseNegatives == 0)
    }

    @Test func closestPairsAreMatchedFirst() {
        // Each reference event finds its own nearby hypothesis.
        let ref = [ev("interruption", 10, "B", "A"), ev("interruption", 11.5, "B", "A")]
        let hyp = [ev("interruption", 9.5, "B", "A"), ev("interruption", 11.4, "B", "A")]
        let s = Scoring.events(reference: ref, hypothesis: hyp)
        #expect(s.truePositives == 2)
    }

    @Test func emptyListsArePerfect() {
        let s = Scoring.events(reference: [], hypothesis: [])
        #expect(s.precision == 1 && s.recall == 1 && s.f1 == 1)
    }
}
