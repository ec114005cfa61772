import Testing
@testable import TalkBalanceEval

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

    /// A reference cut with a 0.25 s bridge against an analysis that bridges 0.3 s: the 0.27 s pause
    /// is silence in one and speech in the other, until the reference is bridged the same way.
    @Test func referenceBridgedAsTheAnalysis() {
        let ref = [seg("A", 0, 2), seg("A", 2.27, 4), seg("A", 4.5, 6), seg("B", 6.1, 7), seg("B", 7.35, 8)]
        let hyp = [seg("A", 0, 4), seg("A", 4.5, 6), seg("B", 6.1, 8)]
        let asCut = Scoring.diarization(reference: ref, hypothesis: hyp)
        #expect(close(asCut.falseAlarm, 0.27 + 0.35))
        let bridged = Scoring.merged(ref, bridging: 0.3)
        #expect(bridged == [seg("A", 0, 4), seg("A", 4.5, 6), seg("B", 6.1, 7), seg("B", 7.35, 8)])
        #expect(close(Scoring.talkTime(bridged)["A"] ?? 0, 5.5))
        let scored = Scoring.diarization(reference: bridged, hypothesis: hyp)
        #expect(close(scored.falseAlarm, 0.35))
        #expect(Scoring.merged(ref) == ref)
    }

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

/// The elementary-interval scorer as it was before the sweep (O(n^2)): the reference the sweep must match.
private func slowDiarization(reference: [LabeledSegment], hypothesis: [LabeledSegment], collar: Double) -> (Double, Double, Double, Double) {
    let ref = Scoring.merged(reference), hyp = Scoring.merged(hypothesis)
    var cuts = Set<Double>()
    for s in ref + hyp { cuts.insert(s.start); cuts.insert(s.end) }
    var excluded: [(Double, Double)] = []
    if collar > 0 {
        for s in ref {
            excluded.append((s.start - collar, s.start + collar)); excluded.append((s.end - collar, s.end + collar))
            cuts.insert(max(0, s.start - collar)); cuts.insert(s.start + collar)
            cuts.insert(max(0, s.end - collar)); cuts.insert(s.end + collar)
        }
    }
    let points = cuts.sorted()
    var refSpeech = 0.0, missed = 0.0, falseAlarm = 0.0
    for k in 0..<max(0, points.count - 1) {
        let a = points[k], b = points[k + 1], d = b - a
        guard d > 0 else { continue }
        let mid = (a + b) / 2
        if excluded.contains(where: { mid > $0.0 && mid < $0.1 }) { continue }
        let r = ref.filter { $0.start <= a && $0.end >= b }.count
        let h = hyp.filter { $0.start <= a && $0.end >= b }.count
        refSpeech += Double(r) * d
        missed += Double(max(0, r - h)) * d
        falseAlarm += Double(max(0, h - r)) * d
    }
    return (refSpeech, missed, falseAlarm, 0)
}

/// Deterministic pseudo-random sessions (a small LCG, so the test needs no seeding API).
private struct LCG {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
}

private func randomSession(_ rng: inout LCG, speakers: [String], count: Int, duration: Double) -> [LabeledSegment] {
    (0..<count).map { _ in
        let start = (rng.next() * duration * 100).rounded() / 100
        let length = 0.05 + (rng.next() * 800).rounded() / 100
        return seg(speakers[Int(rng.next() * Double(speakers.count)) % speakers.count], start, start + length)
    }
}

@Suite struct SweepScoringTests {
    @Test(arguments: [0.0, 0.25, 0.5])
    func sweepMatchesTheElementaryIntervalScorer(collar: Double) {
        var rng = LCG(state: 42)
        for _ in 0..<20 {
            let ref = randomSession(&rng, speakers: ["A", "B", "C"], count: 40, duration: 120)
            let hyp = randomSession(&rng, speakers: ["x", "y"], count: 30, duration: 120)
            let fast = Scoring.diarization(reference: ref, hypothesis: hyp, collar: collar)
            let slow = slowDiarization(reference: ref, hypothesis: hyp, collar: collar)
            #expect(fast.referenceSpeech == slow.0)
            #expect(fast.missed == slow.1)
            #expect(fast.falseAlarm == slow.2)
            // Confusion + correct = min(ref, hyp) time; never negative, never above the scored speech.
            #expect(fast.confusion >= 0 && fast.confusion <= fast.referenceSpeech)
        }
    }

    /// An hour of speech with thousands of segments per side scores quickly (was O(n^2)).
    @Test func anHourWithThousandsOfSegmentsIsFast() {
        var ref: [LabeledSegment] = [], hyp: [LabeledSegment] = []
        var t = 0.0, k = 0
        while t < 3600 {
            let len = 0.4 + Double(k % 7) * 0.3
            ref.append(seg(["A", "B", "C"][k % 3], t, t + len))
            hyp.append(seg(["s1", "s2", "s3"][(k + (k % 11 == 0 ? 1 : 0)) % 3], t + 0.05, t + len + 0.1))
            t += len + 0.2
            k += 1
        }
        #expect(ref.count > 2000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            let s = Scoring.diarization(reference: ref, hypothesis: hyp, collar: 0.25)
            #expect(s.der > 0 && s.der < 0.2)
            #expect(s.mapping == ["s1": "A", "s2": "B", "s3": "C"])
            _ = Scoring.jaccard(reference: ref, hypothesis: hyp)
        }
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    @Test func hungarianAgreesWithExhaustiveSearch() {
        var rng = LCG(state: 7)
        for size in [(2, 3), (3, 3), (4, 2), (5, 5), (3, 6)] {
            for _ in 0..<10 {
                let w = (0..<size.0).map { _ in (0..<size.1).map { _ in rng.next() < 0.3 ? 0 : rng.next() } }
                func total(_ a: [Int?]) -> Double {
                    var sum = 0.0
                    for (i, j) in a.enumerated() { if let j { sum += w[i][j] } }
                    return sum
                }
                let exhaustive = Scoring.bestAssignment(w), hungarian = Scoring.hungarian(w)
                #expect(abs(total(exhaustive) - total(hungarian)) < 1e-12)
                let used = hungarian.compactMap { $0 }
                #expect(Set(used).count == used.count)
            }
        }
    }

    @Test func manySpeakersUseTheHungarianAlgorithm() {
        // 12 reference and 12 hypothesis speakers, hypothesis labels a rotation: exhaustive search would
        // take far too long; the mapping must still be perfect.
        let names = (0..<12).map { "r\($0)" }
        let ref = names.enumerated().map { seg($1, Double($0) * 10, Double($0) * 10 + 9) }
        let hyp = names.indices.map { seg("h\(($0 + 5) % 12)", Double($0) * 10, Double($0) * 10 + 9) }
        let s = Scoring.diarization(reference: ref, hypothesis: hyp)
        #expect(s.der == 0)
        #expect(s.mapping["h5"] == "r0")
        #expect(s.mapping.count == 12)
    }
}

@Suite struct JaccardErrorRateTests {
    let reference = [seg("A", 0, 10), seg("B", 10, 20)]

    @Test func identicalIsZero() {
        let j = Scoring.jaccard(reference: reference, hypothesis: [seg("x", 0, 10), seg("y", 10, 20)])
        #expect(j.jer == 0)
        #expect(j.mapping == ["x": "A", "y": "B"])
    }

    @Test func oneLabelForEverything() {
        // x maps to A (or B, tie): Jaccard A = 10/20 -> error 0.5; B unmapped -> 1. JER = 0.75.
        let j = Scoring.jaccard(reference: reference, hypothesis: [seg("x", 0, 20)])
        #expect(close(j.jer, 0.75))
        #expect(j.mapping.count == 1)
    }

    @Test func partialOverlapKnownAnswer() {
        // A: ref 0-10, hyp x 0-8 -> 8/10, error 0.2. B: ref 10-20, hyp y 8-20 -> 10/12, error 1/6.
        let j = Scoring.jaccard(reference: reference, hypothesis: [seg("x", 0, 8), seg("y", 8, 20)])
        #expect(close(j.jer, (0.2 + 1.0 / 6) / 2))
        #expect(close(j.bySpeaker["A"] ?? -1, 0.2))
        #expect(close(j.bySpeaker["B"] ?? -1, 1.0 / 6))
    }

    @Test func noHypothesisIsOneAndNothingAtAllIsZero() {
        #expect(Scoring.jaccard(reference: reference, hypothesis: []).jer == 1)
        #expect(Scoring.jaccard(reference: [], hypothesis: [seg("x", 0, 1)]).jer == 1)
        #expect(Scoring.jaccard(reference: [], hypothesis: []).jer == 0)
    }

    @Test func extraHypothesisSpeakersAreNotPenalisedButMissingOnesAre() {
        // Three reference speakers, hypothesis finds two of them exactly and adds a spurious label.
        let ref = [seg("A", 0, 10), seg("B", 10, 20), seg("C", 20, 30)]
        let hyp = [seg("x", 0, 10), seg("y", 10, 20), seg("z", 40, 50)]
        let j = Scoring.jaccard(reference: ref, hypothesis: hyp)
        #expect(close(j.jer, 1.0 / 3))
        #expect(j.bySpeaker["C"] == 1)
    }

    /// dscore maps to minimise the summed Jaccard errors, which is not the maximal-intersection mapping
    /// DER uses. Reference A 0-100, B 100-120, C 120-160; hypothesis x 0-160 (everyone), y 100-120
    /// (exactly B), z 0-59 (part of A).
    /// Intersections: A/x 100, A/z 59, B/x 20, B/y 20, C/x 40. Max intersection: x->A, y->B = 120 beats
    /// z->A, y->B, x->C = 119. Jaccard indices: A/x 100/160 = .625, A/z 59/100 = .59, B/y 1, C/x 40/160
    /// = .25: x->A, y->B sums 1.625, z->A, y->B, x->C sums 1.84, so dscore picks the latter.
    @Test func mappingMinimisesJaccardErrorNotMaximisesIntersection() {
        let ref = [seg("A", 0, 100), seg("B", 100, 120), seg("C", 120, 160)]
        let hyp = [seg("x", 0, 160), seg("y", 100, 120), seg("z", 0, 59)]
        let der = Scoring.diarization(reference: ref, hypothesis: hyp)
        #expect(der.mapping["x"] == "A")
        let j = Scoring.jaccard(reference: ref, hypothesis: hyp)
        #expect(j.mapping == ["z": "A", "y": "B", "x": "C"])
        #expect(close(j.jer, ((1 - 0.59) + 0 + (1 - 0.25)) / 3))
    }

    @Test func overlapCountsForEachSpeaker() {
        // A 0-10, B 5-10 (overlap); hypothesis x 0-10 only: x->A (Jaccard 1), B unmapped -> JER 0.5.
        let j = Scoring.jaccard(reference: [seg("A", 0, 10), seg("B", 5, 10)], hypothesis: [seg("x", 0, 10)])
        #expect(close(j.jer, 0.5))
        #expect(j.mapping == ["x": "A"])
    }
}
