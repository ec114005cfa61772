import Foundation
import Testing
import TestSupport

/// `talkbalance analyze --speakers N` on a one-channel recording: who speaks when from the voices.
@Suite("one microphone for the room, through the command line")
struct RoomCommandTests {
    static let falcon = "/picovoice-falcon-test/falcon_test"
    static var data: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/real")
    }

    @Test("three people taking turns on one microphone: labels S1-S3, DER under 10% against the truth")
    func falconTest() throws {
        let folder = try TempFolder()
        let audio = Self.data.path + Self.falcon + ".flac", truth = Self.data.path + Self.falcon + ".rttm"
        try #require(FileManager.default.fileExists(atPath: audio), "../shared/data is not beside the checkout")
        let run = try folder.run(["analyze", audio, "--speakers", "3", "--format", "rttm", "--output", "h.rttm"])
        #expect(run.status == 0, "\(run.stderr)")
        let labels = Set(try String(contentsOfFile: folder.path("h.rttm"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ")[7] })
        #expect(labels == ["S1", "S2", "S3"])
        let score = try folder.run(["evaluate", "--reference", truth, "--format", "json", "h.rttm"])
        let root = try #require(try JSONSerialization.jsonObject(with: score.stdout) as? [String: Any])
        let der = try #require(root["der"] as? Double)
        #expect(der < 0.10, "DER \(der)")
        #expect((root["confusion"] as? Double ?? 1) < 0.03)
    }

    /// `--speakers 1` on one channel is one person heard by a room microphone, so it gets the room
    /// analysis' detector and neural speech gate. ami-trn02: 0.7 s of speech among knocks and handling
    /// noise; the close-talk detector of one microphone per person took 8.6 s of them for speech.
    @Test("--speakers 1 on one channel: a room with one person, its knocks not counted as speech")
    func onePersonInTheRoom() throws {
        let folder = try TempFolder()
        let audio = Self.data.path + "/ami-trn02/trn02.flac", truth = Self.data.path + "/ami-trn02/trn02.rttm"
        try #require(FileManager.default.fileExists(atPath: audio), "../shared/data is not beside the checkout")
        let run = try folder.run(["analyze", audio, "--speakers", "1", "--format", "rttm", "--output", "h.rttm"])
        #expect(run.status == 0, "\(run.stderr)")
        let score = try folder.run(["evaluate", "--reference", truth, "--format", "json", "h.rttm"])
        let root = try #require(try JSONSerialization.jsonObject(with: score.stdout) as? [String: Any])
        let falseAlarm = try #require(root["falseAlarmSeconds"] as? Double), missed = try #require(root["missSeconds"] as? Double)
        let reference = try #require(root["referenceSpeech"] as? Double)
        #expect(falseAlarm < 2, "false alarm \(falseAlarm) s")
        #expect(missed < 0.5 * reference, "missed \(missed) of \(reference) s")
    }

    @Test("evaluate --reference-bridge: the reference's short pauses filled before scoring; impossible values refused")
    func referenceBridge() throws {
        let folder = try TempFolder()
        try "SPEAKER f 1 0 2 <NA> <NA> A <NA> <NA>\nSPEAKER f 1 2.27 1.73 <NA> <NA> A <NA> <NA>\nSPEAKER f 1 4.5 1.5 <NA> <NA> B <NA> <NA>\n"
            .write(toFile: folder.path("ref.rttm"), atomically: true, encoding: .utf8)
        try "SPEAKER f 1 0 4 <NA> <NA> S1 <NA> <NA>\nSPEAKER f 1 4.5 1.5 <NA> <NA> S2 <NA> <NA>\n"
            .write(toFile: folder.path("hyp.rttm"), atomically: true, encoding: .utf8)
        func scored(_ extra: [String]) throws -> [String: Any] {
            let run = try folder.run(["evaluate", "--reference", "ref.rttm", "--format", "json"] + extra + ["hyp.rttm"])
            #expect(run.status == 0, "\(run.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        }
        let asCut = try scored([]), bridged = try scored(["--reference-bridge", "0.3"])
        #expect(abs((asCut["falseAlarmSeconds"] as? Double ?? 0) - 0.27) < 1e-6)
        #expect((bridged["der"] as? Double) == 0)
        #expect((bridged["referenceBridge"] as? Double) == 0.3)
        let text = try folder.run(["evaluate", "--reference", "ref.rttm", "--reference-bridge", "0.3", "hyp.rttm"])
        #expect(text.stdoutText.contains("pauses under 0.30 s bridged"), "\(text.stdoutText)")
        for value in ["-0.1", "9", "nan"] {
            let bad = try folder.run(["evaluate", "--reference", "ref.rttm", "--reference-bridge", value, "hyp.rttm"])
            #expect(bad.status == 64, "\(value)")
            #expect(bad.stderr.contains("--reference-bridge must be between 0 and 5 seconds"), "\(bad.stderr)")
        }
    }

    /// The developer switches `tools/evaluate --analyze-option` passes (docs/ACCURACY.md reruns its sweeps
    /// with them): backchannels kept on request, offline and online; a bad tuning is one sentence, exit 64.
    @Test("hidden --keep-backchannels and --overlap-tuning: kept on request, bad values refused")
    func overlapDeveloperOptions() throws {
        let room = try LiveRoomTests.room()
        let folder = try TempFolder()
        for mode in [[], ["--online"]] {
            let kept = try folder.run(["analyze", room.wav, "--speakers", "2", "--keep-backchannels", "--format", "json"] + mode)
            #expect(kept.status == 0, "\(kept.stderr)")
            let root = try #require(try JSONSerialization.jsonObject(with: kept.stdout) as? [String: Any])
            let events = try #require(root["events"] as? [[String: Any]])
            #expect(events.contains { $0["type"] as? String == "backchannel" }, "\(mode)")
        }
        let tuned = try folder.run(["analyze", room.wav, "--speakers", "2", "--overlap-tuning", "join=0.3,threshold=1.5,min-run=0.1,window=31,top=2", "-q"])
        #expect(tuned.status == 0, "\(tuned.stderr)")
        try expectRefused("--overlap-tuning", ["bogus=1", "join=9", "threshold", "window=0"], wav: room.wav, in: folder)
    }

    /// A hidden developer option's bad values: each refused with one sentence naming the option, exit 64.
    private func expectRefused(_ option: String, _ values: [String], wav: String, in folder: TempFolder) throws {
        for bad in values {
            let run = try folder.run(["analyze", wav, "--speakers", "2", option, bad, "-q"])
            #expect(run.status == 64, "\(bad)")
            #expect(run.stderrLines.count == 1 && run.stderr.contains(option), "\(run.stderr)")
        }
    }

    /// The speech gate's developer switch (docs/ACCURACY.md, "the neural speech gate", reruns its sweep with it).
    @Test("hidden --speech-gate: off or tuned on request, offline and online; bad values refused")
    func speechGateDeveloperOption() throws {
        let room = try LiveRoomTests.room()
        let folder = try TempFolder()
        for gate in ["off", "threshold=0.3,reach=1"] {
            for mode in [[], ["--online"]] {
                let run = try folder.run(["analyze", room.wav, "--speakers", "2", "--speech-gate", gate, "-q"] + mode)
                #expect(run.status == 0, "\(gate) \(mode): \(run.stderr)")
            }
        }
        try expectRefused("--speech-gate", ["bogus=1", "threshold=2", "reach", "reach=-1", "on"], wav: room.wav, in: folder)
    }

    /// The developer switches of the voice embeddings, of the segmentation network and of the merge of a
    /// split talker (docs/ACCURACY.md, "neural voice embeddings", "overlapped speech from the segmentation
    /// network" and "a talker split in two is one voice again" measure the analysis with and without each).
    @Test("hidden on/off developer switches: on or off on request; bad values refused",
          arguments: [("--voice-embedding", "maybe"), ("--speaker-segmentation", "yes"), ("--same-local-speaker", "seconds=99")])
    func onOffDeveloperOption(option: String, bad: String) throws {
        let room = try LiveRoomTests.room()
        let folder = try TempFolder()
        for value in ["on", "off"] {
            let run = try folder.run(["analyze", room.wav, "--speakers", "2", option, value, "--format", "json", "-q"])
            #expect(run.status == 0, "\(option) \(value): \(run.stderr)")
            #expect(!run.stdout.isEmpty, "\(option) \(value): no report")
        }
        try expectRefused(option, [bad], wav: room.wav, in: folder)
    }

    @Test("names, and impossible --speakers values")
    func options() throws {
        let folder = try TempFolder()
        let audio = Self.data.path + Self.falcon + ".flac"
        try #require(FileManager.default.fileExists(atPath: audio))
        let named = try folder.run(["analyze", audio, "--speakers", "3", "--names", "Ada,Bo,Cy", "--format", "json"])
        #expect(named.status == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: named.stdout) as? [String: Any])
        #expect((root["speakers"] as? [[String: Any]])?.map { $0["label"] as? String } == ["Ada", "Bo", "Cy"])
        #expect(try folder.run(["analyze", audio, "--speakers", "0"]).status == 64)
        #expect(try folder.run(["analyze", audio, "--speakers", "9"]).status == 64)
        let wrongNames = try folder.run(["analyze", audio, "--speakers", "3", "--names", "Ada,Bo"])
        #expect(wrongNames.status == 64 && wrongNames.stderrLines.count == 1)
    }

    /// `--max-speakers N` (hidden, for measuring; docs/ACCURACY.md): at most N people. An AMI excerpt where one of four people talks 23.8 of 26 s
    /// (ami-trn05) is reported as fewer people, and says how many on stderr; three people taking turns
    /// with at most three stay three; impossible combinations are usage errors.
    @Test("--max-speakers: the people the voices support, at most N")
    func maxSpeakers() throws {
        let folder = try TempFolder()
        let dominant = Self.data.path + "/ami-trn05/trn05.flac", falcon = Self.data.path + Self.falcon + ".flac"
        try #require(FileManager.default.fileExists(atPath: dominant))
        let run = try folder.run(["analyze", dominant, "--max-speakers", "4", "--format", "json", "--output", "r.json"])
        #expect(run.status == 0, "\(run.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path("r.json")))) as? [String: Any])
        let people = try #require(root["speakers"] as? [[String: Any]])
        #expect(people.count < 4)
        #expect(run.stderrLines.contains { $0.contains("\(people.count) \(people.count == 1 ? "person" : "people") found (--max-speakers 4)") }, "\(run.stderr)")
        let exactly = try folder.run(["analyze", dominant, "--speakers", "4", "--format", "json"])
        let all = try #require(try JSONSerialization.jsonObject(with: exactly.stdout) as? [String: Any])
        #expect((all["speakers"] as? [[String: Any]])?.count == 4)

        let turns = try folder.run(["analyze", falcon, "--max-speakers", "3", "--format", "rttm", "--quiet"])
        #expect(turns.status == 0 && turns.stderr.isEmpty, "\(turns.stderr)")
        #expect(Set(turns.stdoutText.split(separator: "\n").map { $0.split(separator: " ")[7] }) == ["S1", "S2", "S3"])

        for bad in [["--speakers", "3", "--max-speakers", "3"], ["--max-speakers", "1"], ["--max-speakers", "9"],
                    ["--max-speakers", "3", "--online"], ["--max-speakers", "3", "--enroll", "Ada=\(falcon)"]] {
            let r = try folder.run(["analyze", falcon] + bad)
            #expect(r.status == 64 && r.stderrLines.first?.contains("--max-speakers") == true, "\(bad): \(r.status) \(r.stderr)")
        }
    }

    /// Decided online (the live meter's labels, `analyze --online`), overlap comes from the voices of
    /// people who said 5 s alone; on this 18 s recording the live labels give all the speech to one person,
    /// so the report must not claim "no interruptions": it says they were not measured, and why, in every
    /// format and after re-rendering from the JSON.
    @Test("interruptions and backchannels are reported as not measured, not as zero")
    func overlapNotMeasured() throws {
        let folder = try TempFolder()
        let audio = Self.data.path + Self.falcon + ".flac"
        try #require(FileManager.default.fileExists(atPath: audio))
        let json = try folder.run(["analyze", audio, "--speakers", "3", "--online", "--format", "json", "--output", "r.json"])
        #expect(json.status == 0, "\(json.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path("r.json")))) as? [String: Any])
        #expect((root["overlapNotMeasured"] as? String ?? "").contains("fewer than two did"), "\(root["overlapNotMeasured"] ?? "none")")
        #expect(root["overlapInPart"] == nil)
        let text = try folder.run(["analyze", audio, "--speakers", "3", "--online"])
        let rerendered = try folder.run(["report", folder.path("r.json")])
        for out in [text.stdoutText, rerendered.stdoutText] {
            #expect(out.contains("Interruptions and backchannels: not measured"), "\(out)")
            #expect(!out.contains("No interruptions"))
            #expect(out.contains("(backchannels and overlaps not measured)"))
        }
        let html = try folder.run(["report", folder.path("r.json"), "--format", "html"])
        #expect(html.stdoutText.contains("Not measured: one microphone for the room"))
        // One microphone per person measures them: no such field.
        let perPerson = try folder.run(["analyze", URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/demo/demo.flac").path, "--format", "json"])
        let perPersonRoot = try #require(try JSONSerialization.jsonObject(with: perPerson.stdout) as? [String: Any])
        #expect(perPersonRoot["overlapNotMeasured"] == nil)
    }

    /// Where the voices find overlapped speech (two people who each say over 5 s alone), interruptions and
    /// backchannels are reported, with how far to trust them: in every format and after re-rendering from the
    /// JSON. On this 60 s room (LiveRoomTests' seed 831) both of its interruptions are found, on the right
    /// people, and nothing is invented (one before two runs of the interrupter heard underneath with a short
    /// stretch between them were joined). Without the segmentation network (the hidden
    /// `--speaker-segmentation off`) backchannels are not measured.
    @Test("one microphone: interruptions and backchannels found in part")
    func interruptionsFoundInPart() throws {
        let room = try LiveRoomTests.room()
        let folder = try TempFolder()
        let json = try folder.run(["analyze", room.wav, "--speakers", "2", "--format", "json", "--output", "r.json"])
        #expect(json.status == 0, "\(json.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path("r.json")))) as? [String: Any])
        #expect((root["overlapInPart"] as? String ?? "").contains("backchannels are found"), "\(root["overlapInPart"] ?? "none")")
        #expect(root["backchannelsInPart"] as? Bool == true)
        #expect(root["overlapNotMeasured"] == nil)
        let text = try folder.run(["analyze", room.wav, "--speakers", "2"])
        let rerendered = try folder.run(["report", folder.path("r.json")])
        for out in [text.stdoutText, rerendered.stdoutText] {
            #expect(out.contains("Interruptions (one microphone for the room finds overlapping speech from the voices only in part"), "\(out)")
            #expect(out.contains("interrupted"), "\(out)")
            #expect(!out.contains("Interruptions and backchannels: not measured"))
            #expect(out.contains("overlaps (found in part)") && !out.contains("backchannels not measured"), "\(out)")
        }
        let alone = try folder.run(["analyze", room.wav, "--speakers", "2", "--speaker-segmentation", "off", "--format", "json"])
        let aloneRoot = try #require(try JSONSerialization.jsonObject(with: alone.stdout) as? [String: Any])
        #expect((aloneRoot["overlapInPart"] as? String ?? "").contains("backchannels are not measured"), "\(aloneRoot["overlapInPart"] ?? "none")")
        #expect(aloneRoot["backchannelsInPart"] == nil)
        let events = try #require(aloneRoot["events"] as? [[String: Any]])
        #expect(!events.contains { $0["type"] as? String == "backchannel" })
        let people = try #require(aloneRoot["speakers"] as? [[String: Any]])
        #expect(people.allSatisfy { $0["backchannels"] as? Int == 0 && $0["backchannelsReceived"] as? Int == 0 })
        let html = try folder.run(["report", folder.path("r.json"), "--format", "html"])
        #expect(html.stdoutText.contains("Found in part: one microphone for the room"))
        #expect(html.stdoutText.contains("Interruptions: who interrupted whom"))
        // Against the truth make-session wrote: both are found, nothing invented.
        let truth = room.rttm.replacingOccurrences(of: ".rttm", with: ".events.json")
        let scored = try folder.run(["evaluate", "--reference", room.rttm, "--truth", truth, "--format", "json", folder.path("r.json")])
        let score = try #require(try JSONSerialization.jsonObject(with: scored.stdout) as? [String: Any])
        let interruptions = try #require(score["interruption"] as? [String: Any])
        #expect(interruptions["truePositives"] as? Int == 2 && interruptions["falsePositives"] as? Int == 0, "\(interruptions)")
    }

    /// A stereo recorder between the people, built from a generated three-person conversation (real
    /// voices, one track each): Anna nearer the left capsule (+6 dB), Ben nearer the right, Carla in the
    /// middle. Seed 904 (the tuning seed where the mono mix confused people most).
    private func stereoRoom(_ folder: TempFolder) throws -> (audio: String, truth: String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let made = try Subprocess.run("python3", [root.appendingPathComponent("tools/make-session").path, "--out", folder.url.path,
                                                  "--name", "tracks", "--seed", "904", "--voices", "real", "--speakers", "3",
                                                  "--duration", "60", "--crosstalk-db", "-30,-30", "--snr-db", "35", "--format", "wav"],
                                      timeout: 300)
        try #require(made.succeeded, "make-session: \(made.stderr)")
        let mixed = try Subprocess.run("sox", ["-R", folder.path("tracks.wav"), folder.path("stereo.wav"),
                                               "remix", "1v1.0,2v0.5,3v0.7", "1v0.5,2v1.0,3v0.7"], timeout: 60)
        try #require(mixed.succeeded, "sox: \(mixed.stderr)")
        return (folder.path("stereo.wav"), folder.path("tracks.rttm"))
    }

    private func score(_ folder: TempFolder, truth: String, hypothesis: String) throws -> (der: Double, confusion: Double) {
        let run = try folder.run(["evaluate", "--reference", truth, "--format", "json", hypothesis])
        let root = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        return (try #require(root["der"] as? Double), try #require(root["confusion"] as? Double))
    }

    @Test("a stereo recorder between three people: where voices come from is detected and announced, and who is who stays right")
    func stereoRecorder() throws {
        let folder = try TempFolder()
        let (audio, truth) = try stereoRoom(folder)
        let auto = try folder.run(["analyze", audio, "--speakers", "3", "--format", "json", "--output", "auto.json"])
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stderrLines.count == 1 && auto.stderr.contains("--no-spatial"), "the automatic choice is announced: \(auto.stderr)")
        let mono = try folder.run(["analyze", audio, "--speakers", "3", "--no-spatial", "--format", "json", "--output", "mono.json"])
        #expect(mono.status == 0 && mono.stderr.isEmpty, "\(mono.stderr)")
        let a = try score(folder, truth: truth, hypothesis: "auto.json"), m = try score(folder, truth: truth, hypothesis: "mono.json")
        // Measured: confusion 0.4% of the reference speech with the stereo cues, 0.3% on the mono mix since
        // the changes of person moved to where the segmentation network hears them (1.8% before; 6.8%
        // before the pitch joined the voice features). Since the voice network's clustering holds in the
        // re-segmentation the mono mix's strict DER (7.5%) is below the stereo cues' (8.6%) here, as pooled
        // over the stereo rooms, and the mono mix's confusion is too since the changes moved (`tools/evaluate
        // --stereo`, docs/ACCURACY.md, "changes of person where the network hears them"). Checked here: the
        // cues are found and announced, and with them who is who stays right.
        #expect(a.confusion < 0.03, "confusion with stereo cues \(a.confusion)")
        #expect(m.confusion < 0.03, "confusion on the mono mix \(m.confusion)")
        #expect(a.der < 0.10, "strict DER with stereo cues \(a.der), mono \(m.der)")
    }

    /// Enrolment and a stereo recorder together: the enrolled voices name and anchor the people by voice,
    /// and where each sits is learnt from the session. Seed 1303, three people (axb, lib1088, aew), the
    /// stereo mix of `stereoRoom`. Measured: --spatial 8.7% strict DER, with everyone enrolled 8.7% and
    /// named; the mono mix 10.2% (9.8% enrolled; 9.5% and 9.5% before the pitch, 24.1% and 10.2% before the
    /// `.likelier` clustering). Since the voice network's clustering holds in the re-segmentation, which
    /// the enrolled analysis does not use (it has no neural embeddings), --spatial alone is 2.9% and
    /// enrolled 5.4%: enrolment names and anchors, and is checked to stay accurate on its own.
    @Test("--spatial with --enroll: everyone named and accurate")
    func spatialWithEnrolment() throws {
        let folder = try TempFolder()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let made = try Subprocess.run("python3", [root.appendingPathComponent("tools/make-session").path, "--out", folder.url.path,
                                                  "--name", "tracks", "--seed", "1303", "--voices", "axb,lib1088,aew", "--enrolment",
                                                  "--speakers", "3", "--duration", "60", "--crosstalk-db", "-30,-30", "--snr-db", "35",
                                                  "--format", "wav"], timeout: 300)
        try #require(made.succeeded, "make-session: \(made.stderr)")
        let mixed = try Subprocess.run("sox", ["-R", folder.path("tracks.wav"), folder.path("stereo.wav"),
                                               "remix", "1v1.0,2v0.5,3v0.7", "1v0.5,2v1.0,3v0.7"], timeout: 60)
        try #require(mixed.succeeded, "sox: \(mixed.stderr)")
        let names = ["Anna", "Ben", "Carla"]
        let enrol = names.flatMap { ["--enroll", "\($0)=\(folder.path("tracks.enrol.\($0).wav"))"] }
        let both = try folder.run(["analyze", folder.path("stereo.wav"), "--speakers", "3", "--spatial", "--format", "rttm", "--output", "both.rttm"] + enrol)
        #expect(both.status == 0, "\(both.stderr)")
        let plain = try folder.run(["analyze", folder.path("stereo.wav"), "--speakers", "3", "--spatial", "--format", "rttm", "--output", "plain.rttm"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let run = try folder.run(["evaluate", "--reference", folder.path("tracks.rttm"), "--format", "json", "both.rttm"])
        let root2 = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        let mapping = try #require(root2["mapping"] as? [String: String])
        #expect(names.allSatisfy { mapping[$0] == $0 }, "named: \(mapping)")
        let withEnrolment = try #require(root2["der"] as? Double)
        let spatialOnly = try score(folder, truth: folder.path("tracks.rttm"), hypothesis: "plain.rttm").der
        #expect(withEnrolment < 0.08, "DER \(withEnrolment) enrolled, \(spatialOnly) --spatial alone")
        #expect(spatialOnly < 0.08, "DER \(spatialOnly) --spatial alone")
    }

    @Test("--spatial needs a stereo file and --speakers")
    func spatialNeedsStereo() throws {
        let folder = try TempFolder()
        let audio = Self.data.path + Self.falcon + ".flac"
        try #require(FileManager.default.fileExists(atPath: audio))
        let mono = try folder.run(["analyze", audio, "--speakers", "3", "--spatial", "--output", "x.json"])
        #expect(mono.status == 64 && mono.stderrLines.count == 1 && mono.stderr.contains("two-channel"), "\(mono.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("x.json")))
        let noPeople = try folder.run(["analyze", audio, "--spatial"])
        #expect(noPeople.status == 64 && noPeople.stderr.contains("--speakers"), "\(noPeople.stderr)")
    }

}
