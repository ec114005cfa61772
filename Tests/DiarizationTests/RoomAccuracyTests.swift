import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceEval
import TalkBalanceIO

/// One-microphone diarization measured end to end: mono audio -> the pipeline's VAD (SessionAnalyzer on
/// the mono file) -> MelCepstrum -> RoomDiarizer -> DER against the RTTM. Bounds are the measured values
/// (tuned on generated seeds 1-3; the seeds below, 4-6, were kept out of tuning) plus a margin.
/// The strict DER of generated conversations is dominated by their overlaps (about 9% of reference
/// speech, nearly all missed: this version gives each frame one person but for short runs of one voice
/// inside another's speech) and by VAD false alarms.
@Suite(.serialized) struct RoomAccuracyTests {
    @Test("real-voice room conversations (held-out seeds)", arguments: [(2, 4), (2, 5), (2, 6), (3, 4), (3, 5), (3, 6)])
    func generated(speakers: Int, seed: Int) throws {
        let c = try generatedConversation(speakers: speakers, seed: seed)
        let s = try scoreRoom(c)
        // Measured: strict 0.125-0.203, 0.25 s collar 0.054-0.132, confusion 0.001-0.043.
        #expect(s.strict.der < 0.25, "\(c): strict DER \(s.strict.der)")
        #expect(s.collared.der < 0.16, "\(c): DER with 0.25 s collar \(s.collared.der)")
        #expect(s.strict.confusion / s.strict.referenceSpeech < 0.07, "\(c): confusion \(s.strict.confusion / s.strict.referenceSpeech)")
        #expect(s.strict.der < s.oneSpeaker.der / 2)
    }

    /// Seed 1204 of `tools/evaluate --room` (a tuning seed): the farthest person (5 dB down, reverberant)
    /// has a low, breathy voice whose frames read voiced only about a quarter of the time, and the
    /// voiced-segment filter at 25% dropped two of her 6 s utterances whole. Measured at 15%: strict DER
    /// 0.126 (0.268 at 25%), talk-time errors within 10% (Carla -40.5% at 25%). Since the segmentation
    /// network's overlap (`SpeakerSegmenter`) Anna, the quietest talker, is over-counted instead: +18.3%
    /// (+10.5% without it, `--speaker-segmentation off`), overlap added for her where the network's pair
    /// was matched to the wrong one of three people. What this test guards is no one dropped: under-counts
    /// within 15%, over-counts within 20%.
    @Test("a reverberant room: the farthest voice keeps its talk time")
    func reverberantRoomKeepsEveryone() throws {
        let c = try reverberantRoom(speakers: 3, seed: 1204)
        let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: 3, spatial: false)
        let reference = try c.reference, hypothesis = labeledSegments(result)
        let score = Scoring.diarization(reference: reference, hypothesis: hypothesis)
        #expect(score.der < 0.18, "\(c): strict DER \(score.der)")
        let truth = Scoring.talkTime(reference), found = Scoring.talkTime(hypothesis)
        for (label, person) in score.mapping {
            let error = (found[label] ?? 0) / truth[person]! - 1
            #expect(error > -0.15 && error < 0.20, "\(c): \(person) (\(label)) talk-time error \(error)")
        }
        #expect(score.mapping.count == 3)
    }

    /// A stereo recorder in a reverberant room (coincident capsules): the delay between the channels is
    /// 0 but for about 1% stray frames. Before the delay was left out where it does not vary, those
    /// strays, normalised to unit variance, split one person: strict DER 0.498 (1507) and 0.468 (1607)
    /// with `--spatial`, against 0.251 and 0.156 with the channels mixed. Measured now: 0.158 and 0.160,
    /// confusion 0.005 and under 0.02.
    @Test("a stereo recorder in a reverberant room: the level difference separates the two people", arguments: [1507, 1607])
    func reverberantStereo(seed: Int) throws {
        let c = try stereoPair(seed: seed).room
        let analysed = try RoomAnalysis.analyzeReporting(open: { try SoundFileReader(path: c.audio) }, speakers: 2)
        #expect(analysed.spatial, "the two channels differ, so the cues are used")
        let score = Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(analysed.result))
        #expect(score.der < 0.22, "\(c): strict DER \(score.der)")
        #expect(score.confusion / score.referenceSpeech < 0.05, "\(c): confusion \(score.confusion / score.referenceSpeech)")
    }

    /// Overlap from the stereo cues (off by default; `analyze --overlap-spread-db`): on the dry mix the
    /// frames it finds are nearly all truly overlapped (measured precision 0.97-1.00 on seeds 1501-1508
    /// and 1601-1608, recall 0.10-0.29); in reverberant rooms it is not usable (precision about 0.24).
    /// The 10 ms frames where two or more people speak.
    /// The live pipeline's report on a recording fed in blocks of 4000 samples, as a capture would come.
    static func fed(_ analyzer: RoomSessionAnalyzer, _ audio: MonoAudio) -> SessionResult {
        var start = 0
        while start < audio.samples.count {
            let end = min(audio.samples.count, start + 4000)
            audio.samples[start..<end].withUnsafeBufferPointer { analyzer.process(interleaved: $0) }
            start = end
        }
        return analyzer.finish()
    }

    /// A reverberant room through the live pipeline with the segmentation network and without it.
    static func liveWithAndWithoutNetwork(speakers: Int, seed: Int) throws -> (RoomCase, SessionResult, SessionResult) {
        let c = try reverberantRoom(speakers: speakers, seed: seed)
        let audio = try MonoAudio.load(path: c.audio)
        func live(network: Bool) throws -> SessionResult {
            fed(try RoomSessionAnalyzer(format: StreamFormat(sampleRate: audio.sampleRate, channelCount: 1), speakers: speakers,
                                        speakerSegmentation: network), audio)
        }
        return (c, try live(network: true), try live(network: false))
    }

    /// Overlapped frames (10 ms) found with a source of overlap and without it, pooled over sessions: found right
    /// with and without, added by it and how many of those are right, and the strict DER errors (seconds).
    struct OverlapGain {
        var foundRight = 0, beforeRight = 0, added = 0, addedRight = 0
        var errors = 0.0, errorsWith = 0.0
        var precision: Double { Double(addedRight) / Double(max(1, added)) }

        mutating func add(reference: [LabeledSegment], with: SessionResult, without: SessionResult) {
            let truth = RoomAccuracyTests.overlapped(reference)
            let found = RoomAccuracyTests.overlapped(labeledSegments(with)), before = RoomAccuracyTests.overlapped(labeledSegments(without))
            foundRight += found.intersection(truth).count
            beforeRight += before.intersection(truth).count
            added += found.subtracting(before).count
            addedRight += found.subtracting(before).intersection(truth).count
            let a = Scoring.diarization(reference: reference, hypothesis: labeledSegments(without))
            let b = Scoring.diarization(reference: reference, hypothesis: labeledSegments(with))
            errors += a.der * a.referenceSpeech
            errorsWith += b.der * b.referenceSpeech
        }
    }

    static func overlapped(_ segments: [LabeledSegment]) -> Set<Int> {
        var count: [Int: Int] = [:]
        for speaker in Set(segments.map(\.speaker)) {
            var frames = Set<Int>()
            for s in segments where s.speaker == speaker {
                for k in Int((s.start * 100).rounded())..<Int((s.end * 100).rounded()) { frames.insert(k) }
            }
            for k in frames { count[k, default: 0] += 1 }
        }
        return Set(count.filter { $0.value >= 2 }.keys)
    }

    @Test("stereo overlap detection on a dry mix: what it finds is overlap")
    func stereoOverlapPrecision() throws {
        let c = try stereoPair(seed: 1507).dry
        let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: 2, spatial: true,
                                              overlap: StereoOverlapFinder.Options())
        #expect(result.overlapNotMeasured == nil)
        let truth = Self.overlapped(try c.reference), found = Self.overlapped(labeledSegments(result))
        let precision = Double(found.intersection(truth).count) / Double(max(1, found.count))
        let recall = Double(found.intersection(truth).count) / Double(max(1, truth.count))
        #expect(found.count > 20, "some overlap is found: \(found.count) frames")
        #expect(precision > 0.9, "precision \(precision), recall \(recall)")
        // Without it, two people share a frame in a short run of one voice inside the other's speech
        // (`RoomAnalysis.maxExcursionSeconds`) and where the voices find overlap (`VoiceOverlapFinder`), and
        // that too is mostly overlap.
        let plain = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: 2, spatial: true)
        let short = Self.overlapped(labeledSegments(plain))
        let shortPrecision = Double(short.intersection(truth).count) / Double(max(1, short.count))
        // Measured: precision 0.96 (recall 0.62; `tools/evaluate --stereo-overlap`, "--spatial off" column).
        #expect(shortPrecision > 0.7, "\(short.count) frames, precision \(shortPrecision)")
        #expect(plain.overlapNotMeasured == nil && plain.overlapInPart == SessionResult.overlapFromVoices)
    }

    /// Overlapped speech from the voices (`VoiceOverlapFinder`, MIXMAX): in held-out reverberant rooms
    /// (`tools/evaluate --room` seeds 1212 and 1214, with two and three people), most frames it adds for
    /// a second person are overlapped in the truth, and the strict DER drops. Measured: 1212 18.4% ->
    /// 14.9%, 1214 15.2% -> 13.5%; 287 and 136 frames added (of 528 and 559 overlapped in the truth),
    /// precision 0.98 and 1.00.
    @Test("overlapped speech from the voices: what it adds is mostly overlap, and the DER drops", arguments: [(2, 1212), (3, 1214)])
    func voiceOverlap(speakers: Int, seed: Int) throws {
        let c = try reverberantRoom(speakers: speakers, seed: seed)
        let with = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false,
                                            speakerSegmentation: false)
        let without = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false,
                                               voiceOverlap: nil)
        #expect(with.overlapNotMeasured == nil && with.overlapInPart == SessionResult.overlapFromVoicesAlone && with.backchannelsInPart == nil)
        #expect(without.overlapNotMeasured == SessionResult.shortRunsOnly)
        let reference = try c.reference
        let truth = Self.overlapped(reference)
        let added = Self.overlapped(labeledSegments(with)).subtracting(Self.overlapped(labeledSegments(without)))
        let precision = Double(added.intersection(truth).count) / Double(max(1, added.count))
        #expect(added.count > 100, "\(c): \(added.count) frames added")
        #expect(precision > 0.8, "\(c): \(added.count) frames added, precision \(precision)")
        let before = Scoring.diarization(reference: reference, hypothesis: labeledSegments(without)).der
        let after = Scoring.diarization(reference: reference, hypothesis: labeledSegments(with)).der
        #expect(after < before - 0.01, "\(c): strict DER \(before) -> \(after)")
    }

    /// Overlapped speech from the speaker segmentation network as well (`SpeakerSegmenter`, on by
    /// default): in held-out rooms it finds more of the overlap than the voices alone, what it adds is
    /// mostly overlap, and the DER drops. Pooled over the three held-out rooms of each size: since CAM++
    /// clusters the voices, room3-1214 alone is 12.0% without the network and 12.5% with it; since the
    /// clustering holds in the re-segmentation, room2-1212 alone gains 45 overlapped frames and 0.28 s.
    @Test("overlapped speech from the segmentation network: more of it found, mostly right, and the DER drops", arguments: [(2, [1211, 1212, 1213]), (3, [1214, 1215, 1216])])
    func segmentationOverlap(speakers: Int, seeds: [Int]) throws {
        var gain = OverlapGain()
        for seed in seeds {
            let c = try reverberantRoom(speakers: speakers, seed: seed)
            let with = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false)
            let voices = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false,
                                                  speakerSegmentation: false)
            #expect(with.overlapInPart == SessionResult.overlapFromVoices && with.backchannelsInPart == true)
            try gain.add(reference: c.reference, with: with, without: voices)
        }
        #expect(gain.foundRight > gain.beforeRight + 50, "seeds \(seeds): overlapped frames found \(gain.beforeRight) -> \(gain.foundRight)")
        #expect(gain.precision > 0.6, "seeds \(seeds): \(gain.added) frames added, precision \(gain.precision)")
        // At least 0.3 s less error (about 0.4% of one room's speech; room2-1212: 10.24 -> 9.85 s).
        #expect(gain.errorsWith < gain.errors - 0.3, "seeds \(seeds): strict DER errors \(gain.errors) s -> \(gain.errorsWith) s")
    }

    /// The same live (`RoomSessionAnalyzer`, as `live --speakers 2`): the network hears each 10 s chunk once it
    /// is complete, and its runs are found from the labels still waiting to be accounted (21 s). Pooled over
    /// the three two-person held-out rooms, as `analyze --online [--speaker-segmentation off]`. Measured:
    /// overlapped frames found right 669 -> 1338, the 750 added 89% right, strict DER errors 25.8 -> 19.9 s.
    @Test("live, two people: the segmentation network's overlap finds more of it, mostly right, and the DER drops")
    func segmentationOverlapLive() throws {
        var gain = OverlapGain()
        for seed in [1211, 1212, 1213] {
            let (c, with, voices) = try Self.liveWithAndWithoutNetwork(speakers: 2, seed: seed)
            // The report says where its overlap comes from.
            #expect(with.overlapInPart?.contains("from the speaker segmentation network, and from the voices") == true, "\(with.overlapInPart ?? "none")")
            #expect(voices.overlapInPart?.contains("segmentation network") == false, "\(voices.overlapInPart ?? "none")")
            try gain.add(reference: c.reference, with: with, without: voices)
        }
        #expect(gain.foundRight > gain.beforeRight + 300, "overlapped frames found \(gain.beforeRight) -> \(gain.foundRight)")
        #expect(gain.precision > 0.6, "\(gain.added) frames added, precision \(gain.precision)")
        #expect(gain.errorsWith < gain.errors - 3, "strict DER errors \(gain.errors) s -> \(gain.errorsWith) s")
    }

    /// Live, three people: the network's runs propose who is underneath (the chunk's local speakers), the
    /// voices decide (`RoomSessionAnalyzer.NetworkRun`, as offline), and only once two others can be chosen
    /// between. Held-out rooms, pooled. Measured with CAM++ live (since 2026-11-30): overlapped frames found
    /// right 567 -> 609 (with Resemblyzer's network, before: 470 -> 586; of the 184 frames a person was added
    /// to, 103 were that person's, mapped as DER maps; strict DER errors 37.4 s -> 37.1 s; with the dense
    /// start, `denseGridAtStart`: 369 -> 506, 124 of 205, 34.0 -> 33.5 s). With CAM++ the voices alone find
    /// more of it, so the network adds less. In these 90 s sessions the third voice is modelled late, so
    /// most runs go undecided and are dropped.
    @Test("live, three people: the segmentation network's overlap, the voices saying who, finds more of it, over half with the right person")
    func segmentationOverlapLiveThree() throws {
        var gain = OverlapGain()
        var added = 0, addedRight = 0
        for seed in [1214, 1215, 1216] {
            let (c, with, voices) = try Self.liveWithAndWithoutNetwork(speakers: 3, seed: seed)
            #expect(with.overlapInPart?.contains("from the speaker segmentation network") == true, "\(with.overlapInPart ?? "none")")
            let reference = try c.reference
            try gain.add(reference: reference, with: with, without: voices)
            // Each person's frames the network adds: is that person speaking there (in the reference)?
            let mapping = Scoring.diarization(reference: reference, hypothesis: labeledSegments(with)).mapping
            func frames(_ segments: [LabeledSegment], _ speaker: String) -> Set<Int> {
                var out = Set<Int>()
                for s in segments where s.speaker == speaker { for k in Int((s.start * 100).rounded())..<Int((s.end * 100).rounded()) { out.insert(k) } }
                return out
            }
            let withSegments = labeledSegments(with), voicesSegments = labeledSegments(voices)
            for label in Set(withSegments.map(\.speaker)) {
                let new = frames(withSegments, label).subtracting(frames(voicesSegments, label))
                added += new.count
                addedRight += new.intersection(frames(reference, mapping[label] ?? "")).count
            }
        }
        #expect(gain.foundRight > gain.beforeRight + 25, "overlapped frames found \(gain.beforeRight) -> \(gain.foundRight)")
        #expect(Double(addedRight) > 0.5 * Double(added), "\(addedRight) of \(added) frames added are that person's")
        #expect(gain.errorsWith < gain.errors, "strict DER errors \(gain.errors) s -> \(gain.errorsWith) s")
    }

    /// Live, the re-clustering's voice embeddings every 0.5 s of speech for the first 180 s of speech
    /// (`denseGridSpeechFrames`, hidden `analyze --online-dense-grid 180`), every 1.5 s after: with only a
    /// minute or two of speech, one embedding per 1.5 s is too few to tell three voices apart. Not the
    /// default: on the real AMI excerpts it splits a dominant talker in two (docs/ACCURACY.md). The
    /// three-person held-out rooms (90 s: dense throughout), pooled. Measured (`tools/evaluate --room
    /// --online --analyze-option --online-dense-grid=180`, held-out rows, every 1.5 s -> dense): confusion
    /// 5.5 / 9.1 / 5.8% -> 8.7 / 4.3 / 2.2% of each room's speech, strict DER 17.2 / 13.7 / 13.4% -> 22.1 /
    /// 8.7 / 9.3%; here, pooled: confusion 17.0 s -> 12.6 s, strict DER errors 37.1 s -> 33.5 s. Both without
    /// the re-clustering's same-voice check (`sameVoice`, measured before it), which on its own takes
    /// room3-1216 from 13.4% to 10.3% (pooled here: confusion 14.5 s, errors 34.4 s; the dense start then
    /// gives 12.6 s and 33.5 s).
    @Test("live, three people: voices embedded every 0.5 s of speech at the start are confused less (held-out rooms)")
    func denseGridAtStart() throws {
        var confusion = (sparse: 0.0, dense: 0.0), errors = (sparse: 0.0, dense: 0.0)
        for seed in [1214, 1215, 1216] {
            let c = try reverberantRoom(speakers: 3, seed: seed)
            let audio = try MonoAudio.load(path: c.audio), reference = try c.reference
            for dense in [false, true] {
                let analyzer = try RoomSessionAnalyzer(format: StreamFormat(sampleRate: audio.sampleRate, channelCount: 1), speakers: 3,
                                                       denseGridSpeechFrames: dense ? 18000 : 0, sameVoice: nil)
                let s = Scoring.diarization(reference: reference, hypothesis: labeledSegments(Self.fed(analyzer, audio)))
                if dense { confusion.dense += s.confusion; errors.dense += s.der * s.referenceSpeech }
                else { confusion.sparse += s.confusion; errors.sparse += s.der * s.referenceSpeech }
            }
        }
        #expect(confusion.dense < confusion.sparse - 2, "confusion \(confusion.sparse) s -> \(confusion.dense) s")
        #expect(errors.dense < errors.sparse - 2, "strict DER errors \(errors.sparse) s -> \(errors.dense) s")
    }

    /// With three people, who is heard underneath the network's overlap is the voices' call
    /// (`RoomAnalysis.attributed`): a listener's backchannel gives the network no frame of them alone to
    /// match them by. Interruptions and backchannels (kept here, `reportsBackchannels`) scored with the
    /// right people, ±1 s, pooled over the three-person held-out rooms. Measured: 12 of 18 found, 6 reported
    /// wrongly; 10 of 18 and 9 when the network's chunk match chose (`tools/evaluate --room`, held-out rows).
    @Test("three people: interruptions and backchannels from the network's overlap go to the right people (held-out rooms)")
    func threePeopleEvents() throws {
        var found = 0, reported = 0, truths = 0
        for seed in [1214, 1215, 1216] {
            let c = try reverberantRoom(speakers: 3, seed: seed)
            var options = VoiceOverlapFinder.Options()
            options.reportsBackchannels = true
            let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: 3, spatial: false,
                                                  voiceOverlap: options)
            let labels = result.speakers.map(\.label), rate = Double(result.sampleRate)
            let mapping = Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(result)).mapping
            let truth = try TruthFile.load(path: String(c.rttm.dropLast(".rttm".count)) + ".events.json")
            for (type, kind) in [("interruption", EventKind.interruption), ("backchannel", .backchannel)] {
                let events = result.events.filter { $0.kind == kind }.map {
                    TimedEvent(type: type, time: Double($0.startSample) / rate, by: mapping[labels[$0.by!]] ?? "", target: mapping[labels[$0.of!]] ?? "")
                }
                let s = Scoring.events(reference: truth.timedEvents(type), hypothesis: events)
                found += s.truePositives
                reported += s.truePositives + s.falsePositives
                truths += s.truePositives + s.falseNegatives
            }
        }
        #expect(Double(found) > 0.6 * Double(truths), "\(found) of \(truths) found")
        #expect(Double(found) > 0.6 * Double(reported), "\(found) of \(reported) reported are right")
    }

    /// A short run of one voice (at most 1 s) inside the other's speech, with no silence around it, is
    /// counted for both people. On the stereo recorder with `--spatial`, which labels such runs (with
    /// its lower switch penalty, `RoomDiarizer.Options.spatialSwitchPenalty`), those frames are mostly
    /// overlap: measured precision 0.67-0.98 per session on seeds 1501-1508 (dry and reverberant),
    /// pooled 0.85 / 0.95, recall 0.57 / 0.49; seed 1506 in the room: precision 0.95, recall 0.71.
    @Test("a short run of one voice inside the other's speech is said over it (stereo recorder, reverberant room)")
    func shortRunsAreOverlap() throws {
        let c = try stereoPair(seed: 1506).room
        let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: 2, spatial: true)
        let truth = Self.overlapped(try c.reference), found = Self.overlapped(labeledSegments(result))
        let precision = Double(found.intersection(truth).count) / Double(max(1, found.count))
        #expect(found.count > 200, "\(found.count) frames")
        #expect(precision > 0.85, "\(found.count) frames, precision \(precision)")
    }

    @Test("real recordings that take turns")
    func turnTaking() throws {
        // Measured: picovoice 0.052 / 0.010, paa 0.033 / 0.016, paa2 (6 people, 3.5 s each) 0.309 / 0.248
        // (0.160 / 0.089 with cosine clustering alone: there the Euclidean clustering, whose
        // segmentation is likelier, merges two voices; see RoomDiarizer.Options.Clustering.likelier;
        // `.overclustered` adds candidates only up to 3 people: 0.231 / 0.165 when it added them here).
        let bounds: [(String, Double, Double)] = [("picovoice-falcon-test", 0.10, 0.05),
                                                  ("paa-diarizationExample", 0.08, 0.05),
                                                  ("paa-diarizationExample2", 0.35, 0.28)]
        for (name, strict, collared) in bounds {
            let s = try scoreRoom(.real(name))
            #expect(s.strict.der < strict, "\(name): strict DER \(s.strict.der)")
            #expect(s.collared.der < collared, "\(name): DER with 0.25 s collar \(s.collared.der)")
        }
    }

    /// AMI excerpts where one person talks nearly all the time (trn03: 28.9 of 30 s; trn05: 23.8 of
    /// 24.4 s), on the cepstra alone (this suite's own front end, `scoreRoom`): the candidate choice must
    /// keep the talker whole. Cosine clustering measured from the mean window (the talker's own voice)
    /// split that talker in two: strict DER 0.512 and 0.674. Measured with `.likelier`: 0.222 and 0.283.
    /// The product's analysis adds the pitch, and its register splits these two talkers again (0.353 and
    /// 0.655, `tools/evaluate`; docs/ACCURACY.md says why that was accepted).
    @Test("one dominant talker is not split in two on the cepstra (real AMI excerpts)", arguments: ["ami-trn03", "ami-trn05"])
    func dominantTalker(name: String) throws {
        let s = try scoreRoom(.real(name))
        #expect(s.strict.der < 0.35, "\(name): strict DER \(s.strict.der)")
        #expect(s.strict.confusion / s.strict.referenceSpeech < 0.25, "\(name): confusion \(s.strict.confusion / s.strict.referenceSpeech)")
    }

    /// The same two excerpts as the hidden `analyze --max-speakers N` (`fewerPeopleWeight`; not offered,
    /// since it merges real people elsewhere, docs/ACCURACY.md): the people the voices do not support are
    /// merged away. Measured (`talkbalance analyze FILE --max-speakers N`, against `--speakers N
    /// --voice-embedding off`, scored with `talkbalance evaluate`): strict DER 11.3% (trn03) and 15.6%
    /// (trn05), against 43.5% and 31.2% with exactly N people on the cepstra alone (without the neural voice
    /// embeddings, which the at-most path does not use). Since the changes of person moved to where the
    /// segmentation network hears them, exactly N on trn05 is 31.2% rather than 32.5%, so the margin is 10
    /// points rather than half.
    @Test("at most N people: a dominant talker stays one person (real AMI excerpts)", arguments: [("ami-trn03", 0.15), ("ami-trn05", 0.20)])
    func atMostDominantTalker(name: String, bound: Double) throws {
        let c = RoomCase.real(name)
        let speakers = try c.speakerCount
        var options = RoomDiarizer.Options()
        options.fewerPeopleWeight = RoomDiarizer.Options.atMostWeight
        let atMost = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false, options: options)
        var cepstral = RoomDiarizer.Options()
        cepstral.voiceEmbedding = false
        let exactly = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false, options: cepstral)
        let a = Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(atMost))
        let e = Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(exactly))
        #expect(a.der < bound, "\(name): strict DER \(a.der) at most \(speakers) people")
        #expect(a.der < e.der - 0.10, "\(name): \(a.der) at most \(speakers) people, \(e.der) exactly")
        #expect(atMost.speakers.count < speakers)
        #expect(exactly.speakers.count == speakers)
    }

    /// Three-person AMI excerpts where `.likelier` kept a segmentation that flips between two halves of
    /// one voice: strict DER 0.600 (trn00) and 0.538 (trn09); `.overclustered` 0.489 and 0.466 (overlap
    /// and unannotated speech keep them far from the issue's target).
    @Test("more candidates and a stricter judge (real AMI excerpts, as analyze --speakers N)", arguments: [("ami-trn00", 0.53), ("ami-trn09", 0.50)])
    func overclustered(name: String, bound: Double) throws {
        let c = RoomCase.real(name)
        let speakers = try c.speakerCount
        let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false)
        let score = Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(result))
        #expect(score.der < bound, "\(name): strict DER \(score.der)")
    }

    /// CAM++ (`SpeakerEmbedder`, the default network) on the fresh room where Resemblyzer's network
    /// merged two of the three voices (LJ Speech and LibriSpeech 1088; `tools/evaluate --room --sweep-base
    /// 1701`: room3-1706 strict DER 31.8% with Resemblyzer's network, 9.7% with CAM++).
    @Test("CAM++ keeps apart two voices Resemblyzer's network merged (a three-person room)")
    func camKeepsVoicesApart() throws {
        let c = try reverberantRoom(speakers: 3, seed: 1706)
        var resemblyzer = RoomDiarizer.Options()   // as before CAM++
        resemblyzer.voiceNetwork = .resemblyzer
        resemblyzer.minClusterWindows = nil
        resemblyzer.maxEmbeddedWindows = 600
        let (withCAM, withOld) = try Self.scored(c, speakers: 3, against: resemblyzer)
        #expect(withCAM.der < 0.15, "\(c): strict DER \(withCAM.der) with CAM++")
        #expect(withOld.der > withCAM.der + 0.1, "\(c): strict DER \(withOld.der) with Resemblyzer's network, \(withCAM.der) with CAM++")
    }

    /// The voice network's clustering held in the re-segmentation (`RoomDiarizer.Options.embeddingPriorWeight`,
    /// on by default) on the two-person tuning room where it helped most (`tools/evaluate --room`, with and
    /// without `--analyze-option --embedding-prior=off`: strict DER 11.2% -> 9.3%, missed speech 4.1% ->
    /// 1.8%, both interruptions found instead of one): the cepstra no longer take stretches of the second
    /// voice to the first.
    @Test("the voice network's clustering holds in the re-segmentation: the DER drops (a two-person tuning room)")
    func clusteringHeld() throws {
        let c = try reverberantRoom(speakers: 2, seed: 1203)
        var free = RoomDiarizer.Options()
        free.embeddingPriorWeight = nil
        let (h, l) = try Self.scored(c, speakers: 2, against: free)
        #expect(h.der < 0.10, "\(c): strict DER \(h.der) held")
        #expect(h.der < l.der - 0.01, "\(c): strict DER \(h.der) held, \(l.der) without")
    }

    /// Changes of person with no silence between move from the re-segmentation's block edges to where the
    /// segmentation network hears them (`RoomDiarizer.Options.changeRefinementSeconds`, the default 0.2 s,
    /// against off): measured with `tools/evaluate --room --analyze-option --change-refinement=off`,
    /// room2-1213's confusion 2.0% -> 1.1%, room3-1215's 1.7% -> 0.5% (docs/ACCURACY.md, "changes of
    /// person where the network hears them"). Both arms embed the voices in float, as measured then, on
    /// any CPU: on 8-bit steps (the default where the CPU has AVX-512 VNNI) room2-1213's clustering starts
    /// a little worse (confusion 1.0% -> 1.4%, `tools/evaluate --room`), and the move takes it from 1.48%
    /// to 1.35% only (this test, seen failing its 0.3-point margin; docs/ACCURACY.md, "CAM++ on 8-bit steps").
    @Test("a change of person moved to where the segmentation network hears it: less confusion (held-out rooms)", arguments: [(2, 1213), (3, 1215)])
    func refinedChanges(speakers: Int, seed: Int) throws {
        let c = try reverberantRoom(speakers: speakers, seed: seed)
        var moving = RoomDiarizer.Options()
        moving.voiceNetwork = .camPlusPlusFloat
        var edges = moving
        edges.changeRefinementSeconds = nil
        let (moved, atEdges) = try Self.scored(c, speakers: speakers, options: moving, against: edges)
        let speech = moved.referenceSpeech
        #expect(moved.confusion / speech < atEdges.confusion / speech - 0.003,
                "\(c): confusion \(moved.confusion / speech) moved, \(atEdges.confusion / speech) at the block edges")
        #expect(moved.der < atEdges.der, "\(c): strict DER \(moved.der) moved, \(atEdges.der) at the block edges")
    }

    /// The same live, among the labels waiting to be accounted (`RoomSessionAnalyzer.changeRefinementFrames`):
    /// measured with `tools/evaluate --room --online --analyze-option --change-refinement=off`, held-out
    /// room3-1215 13.7% -> 11.9% strict DER, its confusion 9.1% -> 7.2% (docs/ACCURACY.md, "changes of
    /// person where the network hears them").
    @Test("live: a change of person moved to where the segmentation network hears it: less confusion (a held-out room)")
    func refinedChangesLive() throws {
        let c = try reverberantRoom(speakers: 3, seed: 1215)
        let audio = try MonoAudio.load(path: c.audio), reference = try c.reference
        var scores: [DiarizationScore] = []
        for seconds in [RoomDiarizer.Options().changeRefinementSeconds, nil] {
            let analyzer = try RoomSessionAnalyzer(format: StreamFormat(sampleRate: audio.sampleRate, channelCount: 1), speakers: 3,
                                                   changeRefinementSeconds: seconds)
            scores.append(Scoring.diarization(reference: reference, hypothesis: labeledSegments(Self.fed(analyzer, audio))))
        }
        let (moved, atEdges) = (scores[0], scores[1])
        #expect(moved.der < atEdges.der - 0.005, "\(c): strict DER \(moved.der) moved, \(atEdges.der) at the edges")
        #expect(moved.confusion < atEdges.confusion - 0.5, "\(c): confusion \(moved.confusion) s moved, \(atEdges.confusion) s at the edges")
    }

    /// `c` analysed with the default options and with `other` (one channel, no stereo cues), each scored
    /// against its reference.
    static func scored(_ c: RoomCase, speakers: Int, options: RoomDiarizer.Options = RoomDiarizer.Options(),
                       against other: RoomDiarizer.Options) throws -> (now: DiarizationScore, other: DiarizationScore) {
        let now = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false, options: options)
        let then = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false, options: other)
        let reference = try c.reference
        return (Scoring.diarization(reference: reference, hypothesis: labeledSegments(now)),
                Scoring.diarization(reference: reference, hypothesis: labeledSegments(then)))
    }

    /// The hidden same-voice merge (`RoomDiarizer.Options.sameVoiceSimilarity`, `analyze --same-voice 0.3`;
    /// not the default: it merges a quiet partner with a similar synthetic voice, docs/ACCURACY.md) on the
    /// AMI excerpt where one person talks 23.8 s and the three others 2.2 s together: the talker stays one
    /// person, and the report says who has no speech and why.
    @Test("same-voice merge: a dominant talker stays one person, and the report says so (real AMI excerpt)")
    func sameVoiceMerge() throws {
        let c = RoomCase.real("ami-trn05")
        let speakers = try c.speakerCount
        var merging = RoomDiarizer.Options()
        merging.sameVoiceSimilarity = 0.3
        merging.sameLocalSpeaker = nil
        var exactly = RoomDiarizer.Options()
        exactly.sameLocalSpeaker = nil
        let merged = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false, options: merging)
        let plain = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false, options: exactly)
        let m = Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(merged))
        let p = Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(plain))
        #expect(m.confusion < p.confusion / 2, "confusion \(m.confusion) s merged, \(p.confusion) s not")
        #expect(merged.speakers.count == speakers)
        let silent = merged.speakers.filter { $0.talkSamples == 0 }.map(\.label)
        #expect(!silent.isEmpty)
        #expect(merged.note == SessionResult.fewerVoices(found: speakers - silent.count, of: speakers, silent: silent))
        #expect(plain.note == nil || plain.speakers.contains { $0.talkSamples == 0 })
    }

    /// A talker split in two to make up the N people is one voice again (`RoomDiarizer.Options.SameVoice`,
    /// on by default): on ami-trn09 (three people: one talks through all 30 s, one 13.2 s, one 0.8 s) the split-off part, 3.4 s,
    /// is heard by the segmentation network as the talker's own local speaker and its windows are alike
    /// (mean cosine 0.46). Measured (`tools/evaluate`, with and without `--analyze-option
    /// --same-local-speaker=off`): strict DER 0.329 -> 0.223. The report names who has no speech and why.
    @Test("a talker split in two is one voice again, and the report says so (real AMI excerpt)")
    func sameLocalSpeaker() throws {
        let c = RoomCase.real("ami-trn09")
        let speakers = try c.speakerCount
        var exactly = RoomDiarizer.Options()
        exactly.sameLocalSpeaker = nil
        let (now, split) = try Self.scored(c, speakers: speakers, against: exactly)
        #expect(now.der < split.der - 0.05, "strict DER \(now.der) merged, \(split.der) not")
        #expect(now.confusion < split.confusion / 2, "confusion \(now.confusion) s merged, \(split.confusion) s not")
        let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false)
        let silent = result.speakers.filter { $0.talkSamples == 0 }.map(\.label)
        #expect(result.speakers.count == speakers && silent.count == 1)
        #expect(result.note == SessionResult.fewerVoices(found: speakers - silent.count, of: speakers, silent: silent))
    }

    /// Live, the same check on each re-clustering (`RoomSessionAnalyzer.sameVoice`, on by default, on CAM++'s
    /// scale). In tuning room3-1225 the first talker speaks alone for 11 s; the first re-clustering, forced
    /// into three people, made a person of one embedding at the change to the second voice, and the
    /// re-segmentation gave that person half of the first talker's speech (CAM++ similarity of the halves
    /// 0.55), which the online labels kept. Measured (`tools/evaluate --room --online`, with and without
    /// `--analyze-option --online-same-voice=off`): strict DER 10.1% -> 8.4%, confusion 4.3% -> 0.8%.
    /// With Resemblyzer's network (`defaultSameVoice(for: .resemblyzer)`) the check mended ami-trn06
    /// (0.621 -> 0.443); CAM++ does not split it (0.435 without the check, 0.462 with it).
    @Test("live: a talker the re-clustering split in two is one voice again (three people, one talks first)")
    func liveSameVoice() throws {
        let c = try reverberantRoom(speakers: 3, seed: 1225)
        let audio = try MonoAudio.load(path: c.audio), reference = try c.reference
        var scores: [DiarizationScore] = []
        for same in [RoomSessionAnalyzer.defaultSameVoice, nil] {
            let analyzer = try RoomSessionAnalyzer(format: StreamFormat(sampleRate: audio.sampleRate, channelCount: 1), speakers: 3,
                                                   sameVoice: same)
            scores.append(Scoring.diarization(reference: reference, hypothesis: labeledSegments(Self.fed(analyzer, audio))))
        }
        let (now, split) = (scores[0], scores[1])
        #expect(now.der < split.der - 0.01, "strict DER \(now.der) with the check, \(split.der) without")
        #expect(now.confusion < split.confusion / 2, "confusion \(now.confusion) s with the check, \(split.confusion) s without")
    }

    /// Live, while only one person is known, the re-clustering looks for the others by CAM++'s embeddings
    /// (`RoomSessionAnalyzer.discoverySameVoice`): clusters of windows as alike as one voice are merged,
    /// so a second voice is found where there is one and one voice alone stays one. In fresh room2-3301 the
    /// at-most-N criterion on the cepstra, as before, found the second voice only after 34 s. Measured
    /// (`tools/evaluate --room --online --sweep-base 3301`): strict DER 15.4% -> 5.7%, confusion 11.1% -> 1.7%.
    @Test("live, two people: the second voice is found early (CAM++'s embeddings look for it)")
    func liveDiscoversTheSecondVoice() throws {
        let c = try reverberantRoom(speakers: 2, seed: 3301)
        let audio = try MonoAudio.load(path: c.audio), reference = try c.reference
        let analyzer = try RoomSessionAnalyzer(format: StreamFormat(sampleRate: audio.sampleRate, channelCount: 1), speakers: 2)
        let score = Scoring.diarization(reference: reference, hypothesis: labeledSegments(Self.fed(analyzer, audio)))
        #expect(score.der < 0.09, "strict DER \(score.der)")
        #expect(score.confusion < 0.04 * score.referenceSpeech, "confusion \(score.confusion) s of \(score.referenceSpeech) s")
    }

    /// The network alone is not enough: on paa-diarizationExample2 (six people taking turns, 3.2-5.3 s
    /// each) it gives two of them one local speaker in the first chunk, but their windows are not alike
    /// enough (mean cosine 0.297, under 0.3), so all six stay (merged without that check: strict DER
    /// 0.136 -> 0.246, `tools/evaluate --analyze-option --same-local-speaker=similarity=-1`).
    @Test("people the network hears as one but whose voices differ stay apart (six people taking turns)")
    func sameLocalSpeakerNeedsAlikeVoices() throws {
        let c = RoomCase.real("paa-diarizationExample2")
        let speakers = try c.speakerCount
        let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false)
        #expect(result.speakers.filter { $0.talkSamples > 0 }.count == speakers, "\(result.speakers.map { ($0.label, $0.talkSamples) })")
        #expect(result.note == nil)
        var networkOnly = RoomDiarizer.Options()
        networkOnly.sameLocalSpeaker?.similarity = -1
        let merged = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false, options: networkOnly)
        #expect(merged.speakers.filter { $0.talkSamples > 0 }.count < speakers)
    }

    /// `--bridge-pause` says what a pause is in the report; it does not change who is who. Before the
    /// room's detector kept its own bridge (`RoomAnalysis.detectionBridgeSeconds`, `PauseShaper`), 0.25 s cut
    /// the speech into other windows and confusion went from 4.8% to 25.9% of the speech here (strict DER
    /// 13.6% -> 39.5%); measured since: confusion 4.1% at 0.25 s and 6.5% at 0.5 s, while the missed speech
    /// moves with the bridge (8.9% at 0.3 s, 13.6% at 0.25 s, 4.3% at 0.5 s: the reference counts short pauses
    /// as speech).
    @Test("--bridge-pause shapes the pauses of the report, not who is who (six people taking turns)")
    func bridgePauseKeepsThePeople() throws {
        let c = RoomCase.real("paa-diarizationExample2")
        let speakers = try c.speakerCount
        func scored(bridge: Double) throws -> DiarizationScore {
            var config = AnalysisConfig()
            config.bridgePauseSeconds = bridge
            let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, config: config, spatial: false)
            return Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(result))
        }
        let usual = try scored(bridge: 0.3), shorter = try scored(bridge: 0.25), longer = try scored(bridge: 0.5)
        for (bridge, s) in [(0.25, shorter), (0.5, longer)] {
            #expect(s.confusion / s.referenceSpeech < usual.confusion / usual.referenceSpeech + 0.03,
                    "--bridge-pause \(bridge): confusion \(s.confusion / s.referenceSpeech), \(usual.confusion / usual.referenceSpeech) at 0.3 s")
        }
        #expect(shorter.missed > usual.missed, "the pauses a shorter bridge leaves are not speech")
        #expect(longer.missed < usual.missed, "the pauses a longer bridge fills are speech")
    }

    /// A shorter `--bridge-pause` carves pauses out of the room detector's speech, and loses no word with
    /// them: the second detector's pieces between two pauses are not checked on their own for length or voicing
    /// (`PauseShaper.finer`). make-session cuts its references at 0.25 s, so at 0.25 s the report's pauses
    /// are the reference's and what more is missed than at 0.3 s is speech lost. Held-out two-person rooms,
    /// pooled: missed 6.93 s at 0.3 s; at 0.25 s 7.48 s before (words dropped whole), 6.99 s since; false
    /// alarm 11.84 s -> 10.83 s.
    @Test("a shorter --bridge-pause drops pauses, not words (reverberant rooms, the reference cut at 0.25 s)")
    func shorterBridgeKeepsWords() throws {
        var missedUsual = 0.0, missedShorter = 0.0, falseAlarmUsual = 0.0, falseAlarmShorter = 0.0
        for seed in [1211, 1212, 1213] {
            let c = try reverberantRoom(speakers: 2, seed: seed)
            func scored(bridge: Double) throws -> DiarizationScore {
                var config = AnalysisConfig()
                config.bridgePauseSeconds = bridge
                let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: 2, config: config, spatial: false)
                return Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(result))
            }
            let usual = try scored(bridge: 0.3), shorter = try scored(bridge: 0.25)
            missedUsual += usual.missed; missedShorter += shorter.missed
            falseAlarmUsual += usual.falseAlarm; falseAlarmShorter += shorter.falseAlarm
        }
        #expect(falseAlarmShorter < falseAlarmUsual - 0.5, "the pauses 0.25 s leaves are pauses: false alarm \(falseAlarmUsual) s -> \(falseAlarmShorter) s")
        #expect(missedShorter < missedUsual + 0.3, "missed \(missedUsual) s at 0.3 s, \(missedShorter) s at 0.25 s")
    }

    /// The same live (`RoomSessionAnalyzer`, as `live --speakers 6`): before, confusion 23.4% of the speech at
    /// 0.2 s against 17.7% at 0.3 s (`analyze --online --bridge-pause 0.2`); since, 17.1%, and 19.1% at 0.4 s.
    @Test("live: --bridge-pause shapes the pauses of the report, not who is who (six people taking turns)")
    func bridgePauseKeepsThePeopleLive() throws {
        let c = RoomCase.real("paa-diarizationExample2")
        let speakers = try c.speakerCount
        let audio = try MonoAudio.load(path: c.audio)
        func scored(bridge: Double) throws -> DiarizationScore {
            var config = AnalysisConfig()
            config.bridgePauseSeconds = bridge
            let analyzer = try RoomSessionAnalyzer(format: StreamFormat(sampleRate: audio.sampleRate, channelCount: 1), speakers: speakers,
                                                   config: config)
            return Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(Self.fed(analyzer, audio)))
        }
        let usual = try scored(bridge: 0.3), shorter = try scored(bridge: 0.2), longer = try scored(bridge: 0.4)
        for (bridge, s) in [(0.2, shorter), (0.4, longer)] {
            #expect(s.confusion / s.referenceSpeech < usual.confusion / usual.referenceSpeech + 0.03,
                    "--bridge-pause \(bridge): confusion \(s.confusion / s.referenceSpeech), \(usual.confusion / usual.referenceSpeech) at 0.3 s")
        }
        #expect(shorter.missed > usual.missed, "the pauses a shorter bridge leaves are not speech")
        #expect(longer.missed < usual.missed, "the pauses a longer bridge fills are speech")
    }

    /// The neural voice embeddings (`VoiceEmbedder`, on by default) on the AMI excerpt where the cepstral
    /// clustering split the one dominant talker to make up two people (28.9 of 30 s are hers): strict
    /// DER 0.438 on the cepstra alone, 0.080 with the embeddings (`tools/evaluate`, with and without
    /// `--analyze-option --voice-embedding=off`).
    @Test("neural voice embeddings keep a dominant talker whole (real AMI excerpt, as analyze --speakers 2)")
    func voiceEmbeddings() throws {
        let c = RoomCase.real("ami-trn03")
        let speakers = try c.speakerCount
        var cepstral = RoomDiarizer.Options()
        cepstral.voiceEmbedding = false
        let with = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false)
        let without = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.audio) }, speakers: speakers, spatial: false, options: cepstral)
        let w = Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(with))
        let o = Scoring.diarization(reference: try c.reference, hypothesis: labeledSegments(without))
        #expect(w.der < 0.15, "strict DER \(w.der) with the embeddings")
        #expect(w.der < o.der / 2, "strict DER \(w.der) with the embeddings, \(o.der) without")
    }
}
