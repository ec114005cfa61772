import Foundation
import Testing
import TestSupport

/// `talkbalance live --speakers N` with one microphone for the room, through the real ALSA capture
/// path (ALSA's `file` plugin reading raw S16_LE mono, as in LiveTests), scored against the ground truth
/// of a conversation built by tools/make-session from the real voices (seed 831, not used elsewhere).
@Suite("talkbalance live --speakers N: one microphone for the room", .serialized)
struct LiveRoomTests {
    struct Room {
        let raw: String
        let wav: String
        let rttm: String
        let frames: Int
        var seconds: String { String(Double(frames) / 16000) }
    }

    /// The 60 s, 2-person conversation as one mono channel (channels summed by sox, no dither so the
    /// bytes are the same on every run), cached in the temporary directory.
    static func room() throws -> Room {
        let name = "room2p-s831-60s"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-live-room-\(name)")
        let flac = folder.appendingPathComponent("\(name).flac").path
        let rttm = folder.appendingPathComponent("\(name).rttm").path
        let raw = folder.appendingPathComponent("mono.raw").path
        let wav = folder.appendingPathComponent("mono.wav").path
        if !FileManager.default.fileExists(atPath: wav) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let make = try Subprocess.run("python3", [LiveTests.root.appendingPathComponent("tools/make-session").path,
                                                      "--out", folder.path, "--name", name, "--seed", "831", "--voices", "real",
                                                      "--speakers", "2", "--duration", "60", "--crosstalk-db", "-20,-20",
                                                      "--snr-db", "30", "--format", "flac"], timeout: 600)
            try #require(make.succeeded, "make-session failed: \(make.stderr)")
            let mono = try Subprocess.run("sox", ["-D", flac, "-c", "1", "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", raw], timeout: 60)
            try #require(mono.succeeded, "sox failed: \(mono.stderr)")
            let asWav = try Subprocess.run("sox", ["-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-r", "16000", "-c", "1", raw, wav], timeout: 60)
            try #require(asWav.succeeded, "sox failed: \(asWav.stderr)")
        }
        let bytes = try FileManager.default.attributesOfItem(atPath: raw)[.size] as! Int
        return Room(raw: raw, wav: wav, rttm: rttm, frames: bytes / 2)
    }

    struct Score { let der: Double; let der025: Double; let confusion: Double }

    static func score(_ report: String, room: Room, in folder: TempFolder) throws -> Score {
        let run = try folder.run(["evaluate", "--reference", room.rttm, "--format", "json", report])
        #expect(run.status == 0, "\(run.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        return Score(der: try #require(root["der"] as? Double), der025: try #require(root["der025"] as? Double),
                     confusion: try #require(root["confusion"] as? Double))
    }

    static func segments(_ path: String) throws -> [[String: AnyHashable]] {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let list = try #require(root["segments"] as? [[String: Any]])
        return list.map { s in s.mapValues { $0 as! AnyHashable } }
    }

    /// Changes of speaker between consecutive segments (in time order).
    static func changes(_ segments: [(start: Double, speaker: String)]) -> Int {
        let sorted = segments.sorted { $0.start < $1.start }
        return zip(sorted, sorted.dropFirst()).filter { $0.speaker != $1.speaker }.count
    }

    @Test("online labels through ALSA: DER within bounds, stable, the same in any period size and as analyze --online",
          arguments: [nil, 64, 333])
    func online(periodFrames: Int?) throws {
        let room = try Self.room()
        let folder = try TempFolder()
        let config = try LiveTests.alsaConfig(infile: room.raw, in: folder)
        var args = ["live", "--device", "tbtest", "--alsa-config", config, "--channels", "1", "--rate", "16000",
                    "--speakers", "2", "--names", "Anna,Ben", "--duration", room.seconds, "--report", "live.json"]
        if let periodFrames { args += ["--period-frames", String(periodFrames)] }
        let live = try folder.run(args)
        #expect(live.status == 0, "live failed: \(live.stderr)")
        #expect(live.stderr.isEmpty, "\(live.stderr)")
        // Stdout is not a terminal: JSON lines, turns named with --names.
        let lines = live.stdoutText.split(separator: "\n")
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not a JSON line: \(line)")
        }
        #expect(lines.contains { $0.contains("\"type\": \"turn\"") && $0.contains("\"Anna\"") })
        #expect(lines.contains { $0.contains("\"type\": \"turn\"") && $0.contains("\"Ben\"") })

        // Accuracy of what the live session accounts: the online labels, each revised by the periodic
        // re-clusterings during the 21 s it waits. Measured (this seed, any period size;
        // `tools/measure-live-room --seconds 60 2x831`): strict 15.7%, 0.25 s collar 7.4%; the labels as
        // decided online (`--revision 0`, before the `.likelier` clustering) 20.9% / 13.5%; the offline
        // analysis of the same audio: 15.7% / 7.4%. (Most of the strict error is the detector's: 10.7%
        // missed speech, overlaps included.)
        let s = try Self.score(folder.path("live.json"), room: room, in: folder)
        #expect(s.der < 0.18, "strict DER \(s.der)")
        #expect(s.der025 < 0.10, "DER with 0.25 s collar \(s.der025)")
        #expect(s.confusion < 0.05, "confusion \(s.confusion)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path("live.json")))) as? [String: Any])
        #expect((report["note"] as? String ?? "").contains("online"))
        #expect((report["note"] as? String ?? "").contains("revised within 21 s"))
        #expect((report["speakers"] as? [[String: Any]])?.compactMap { $0["label"] as? String } == ["Anna", "Ben"])

        // Overlapped speech from the voices on the labels as they are accounted, once both people have
        // said 5 s alone: both interruptions of this room found live, on the right people, none invented
        // (make-session's truth), streamed as JSON lines; backchannels not measured, and not streamed.
        #expect((report["overlapInPart"] as? String ?? "").contains("once two people had said 5 s alone"), "\(report["overlapInPart"] ?? "none")")
        #expect(report["overlapNotMeasured"] == nil)
        let eventsTruth = room.rttm.replacingOccurrences(of: ".rttm", with: ".events.json")
        let events = try #require(try JSONSerialization.jsonObject(with: folder.run(["evaluate", "--reference", room.rttm, "--truth", eventsTruth,
                                                                                     "--format", "json", "live.json"]).stdout) as? [String: Any])
        let interruptions = try #require(events["interruption"] as? [String: Any])
        #expect(interruptions["truePositives"] as? Int == 2 && interruptions["falsePositives"] as? Int == 0, "\(interruptions)")
        #expect(lines.filter { $0.contains("\"type\": \"interruption\"") }.count == 2)
        #expect(!lines.contains { $0.contains("\"type\": \"backchannel\"") })

        // Stable labels: no more speaker changes than the truth has, plus two a minute.
        let hypothesis = try Self.segments(folder.path("live.json")).map { (start: $0["start"] as! Double, speaker: $0["speaker"] as! String) }
        let truth = try String(contentsOfFile: room.rttm, encoding: .utf8).split(separator: "\n").map { line in
            let f = line.split(separator: " ")
            return (start: Double(f[3])!, speaker: String(f[7]))
        }
        #expect(Self.changes(hypothesis) <= Self.changes(truth) + 2, "\(Self.changes(hypothesis)) changes, truth \(Self.changes(truth))")

        // The same samples give the same labels whichever way they arrive: the file through the same
        // streaming pipeline (analyze --online) gives identical segments.
        let file = try folder.run(["analyze", room.wav, "--speakers", "2", "--names", "Anna,Ben", "--online", "--format", "json",
                                   "-o", "file.json", "-q"])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(try Self.segments(folder.path("live.json")) == Self.segments(folder.path("file.json")))
    }

    @Test("with --record the final report is the offline analysis of the recording, and says so")
    func recordReanalysis() throws {
        let room = try Self.room()
        let folder = try TempFolder()
        let config = try LiveTests.alsaConfig(infile: room.raw, in: folder)
        // --speakers alone asks for one channel: the room microphone.
        let live = try folder.run(["live", "--device", "tbtest", "--alsa-config", config, "--rate", "16000",
                                   "--speakers", "2", "--duration", room.seconds, "--record", "rec.wav", "--report", "live.json"])
        #expect(live.status == 0, "live failed: \(live.stderr)")
        #expect(live.stderrLines.count == 1 && live.stderr.contains("re-analysing rec.wav offline"), "\(live.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path("live.json")))) as? [String: Any])
        #expect((report["note"] as? String ?? "").contains("offline analysis of the recording rec.wav"))
        // Same as analyzing the recording afterwards (up to the numbering, which follows the live labels).
        let offline = try Self.score(folder.path("live.json"), room: room, in: folder)
        #expect(offline.der < 0.18, "strict DER \(offline.der)")
        let again = try folder.run(["analyze", "rec.wav", "--speakers", "2", "--format", "json", "-o", "again.json", "-q"])
        #expect(again.status == 0)
        let separately = try Self.score(folder.path("again.json"), room: room, in: folder)
        #expect(abs(separately.der - offline.der) < 1e-9)
        // Readable by `talkbalance report` (more people than channels).
        let html = try folder.run(["report", "live.json", "--format", "text"])
        #expect(html.status == 0, "\(html.stderr)")
        #expect(html.stdoutText.contains("offline analysis"))
    }

    /// A 60 s two-person conversation whose people have enrolment recordings of their own (make-session
    /// --enrolment: utterances the conversation never uses; seed 302, voices lib1088 and aew), as raw
    /// mono for the ALSA file plugin and as WAV, cached in the temporary directory.
    static func enrolledRoom() throws -> (room: Room, anna: String, ben: String) {
        let name = "enrol2p-s302-60s"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-live-room-\(name)")
        func path(_ file: String) -> String { folder.appendingPathComponent(file).path }
        if !FileManager.default.fileExists(atPath: path("mono.wav")) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let make = try Subprocess.run("python3", [LiveTests.root.appendingPathComponent("tools/make-session").path,
                                                      "--out", folder.path, "--name", name, "--seed", "302", "--voices", "lib1088,aew",
                                                      "--enrolment", "--speakers", "2", "--duration", "60", "--crosstalk-db", "-20,-20",
                                                      "--snr-db", "30", "--format", "flac"], timeout: 600)
            try #require(make.succeeded, "make-session failed: \(make.stderr)")
            let mono = try Subprocess.run("sox", ["-D", path("\(name).flac"), "-c", "1", "-t", "raw", "-e", "signed-integer", "-b", "16", "-L",
                                                  path("mono.raw")], timeout: 60)
            try #require(mono.succeeded, "sox failed: \(mono.stderr)")
            let asWav = try Subprocess.run("sox", ["-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-r", "16000", "-c", "1",
                                                   path("mono.raw"), path("mono.wav")], timeout: 60)
            try #require(asWav.succeeded, "sox failed: \(asWav.stderr)")
        }
        let bytes = try FileManager.default.attributesOfItem(atPath: path("mono.raw"))[.size] as! Int
        return (Room(raw: path("mono.raw"), wav: path("mono.wav"), rttm: path("\(name).rttm"), frames: bytes / 2),
                path("\(name).enrol.Anna.wav"), path("\(name).enrol.Ben.wav"))
    }

    /// `live --enroll NAME=FILE` through ALSA: named from the first words, on the right voices, the
    /// same as `analyze --online --enroll`; with --record the final offline analysis uses the recordings
    /// too. Measured on this session: online strict DER 11.4% (0.25 s collar 4.4%), offline 9.6%; without
    /// enrolment online 32.6%.
    @Test("voices enrolled from recordings: the live meter names them from the start, and the final report too")
    func enrolledFromRecordings() throws {
        let (room, anna, ben) = try Self.enrolledRoom()
        let folder = try TempFolder()
        let config = try LiveTests.alsaConfig(infile: room.raw, in: folder)
        let live = try folder.run(["live", "--device", "tbtest", "--alsa-config", config, "--rate", "16000", "--speakers", "2",
                                   "--enroll", "Ben=\(ben)", "--enroll", "Anna=\(anna)", "--duration", room.seconds, "--report", "live.json"])
        #expect(live.status == 0, "live failed: \(live.stderr)")
        #expect(live.stderr.isEmpty, "\(live.stderr)")
        // Recordings from the session's own microphone: no note about another microphone.
        #expect(!live.stderr.contains("another microphone"), "\(live.stderr)")
        // The first turn line already carries an enrolled name (nobody is S1 or S2).
        let turns = live.stdoutText.split(separator: "\n").filter { $0.contains("\"type\": \"turn\"") }
        #expect(!turns.isEmpty)
        #expect(!live.stdoutText.contains("\"S1\"") && !live.stdoutText.contains("\"S2\""), "\(live.stdoutText.prefix(400))")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path("live.json")))) as? [String: Any])
        #expect((report["speakers"] as? [[String: Any]])?.compactMap { $0["label"] as? String } == ["Ben", "Anna"])
        let scored = try #require(try JSONSerialization.jsonObject(with: folder.run(["evaluate", "--reference", room.rttm, "--format", "json",
                                                                                     "live.json"]).stdout) as? [String: Any])
        #expect(scored["mapping"] as? [String: String] == ["Anna": "Anna", "Ben": "Ben"], "\(scored)")
        #expect((scored["der"] as? Double ?? 1) < 0.16, "\(scored)")
        // The same pipeline on the file gives the same segments.
        let file = try folder.run(["analyze", room.wav, "--speakers", "2", "--online", "--enroll", "Ben=\(ben)", "--enroll", "Anna=\(anna)",
                                   "--format", "json", "-o", "file.json", "-q"])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(try Self.segments(folder.path("live.json")) == Self.segments(folder.path("file.json")))

        // With --record: the offline analysis of the recording, enrolled from the same recordings.
        let recorded = try folder.run(["live", "--device", "tbtest", "--alsa-config", config, "--rate", "16000", "--speakers", "2",
                                       "--enroll", "Ben=\(ben)", "--enroll", "Anna=\(anna)", "--duration", room.seconds,
                                       "--record", "rec.wav", "--report", "final.json"])
        #expect(recorded.status == 0, "live failed: \(recorded.stderr)")
        let final = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path("final.json")))) as? [String: Any])
        #expect((final["note"] as? String ?? "").contains("offline analysis of the recording rec.wav"))
        let finalScored = try #require(try JSONSerialization.jsonObject(with: folder.run(["evaluate", "--reference", room.rttm, "--format",
                                                                                          "json", "final.json"]).stdout) as? [String: Any])
        #expect(finalScored["mapping"] as? [String: String] == ["Anna": "Anna", "Ben": "Ben"], "\(finalScored)")
        #expect((finalScored["der"] as? Double ?? 1) < 0.13, "\(finalScored)")
    }

    /// `live --enroll` with both recordings through a telephone band (another microphone than the room's,
    /// as EnrolCommandTests does for `analyze`): after the session the live command says that the
    /// recordings sound as if made on another microphone (their common offset is corrected), exits 0,
    /// and the names stay on the right voices. Measured: strict DER 10.8% (0.25 s collar 4.0%), against 11.4%
    /// with the same recordings unfiltered.
    @Test("voices enrolled from recordings made on another microphone: live says so after the session, and the names stay right")
    func enrolledFromOtherMicrophone() throws {
        let (room, anna, ben) = try Self.enrolledRoom()
        let folder = try TempFolder()
        for (person, recording) in [("Anna", anna), ("Ben", ben)] {
            let band = try Subprocess.run("/usr/bin/sox", [recording, folder.path("\(person).phone.wav"), "sinc", "300-3400"], timeout: 60)
            try #require(band.succeeded, "\(band.stderr)")
        }
        let config = try LiveTests.alsaConfig(infile: room.raw, in: folder)
        let live = try folder.run(["live", "--device", "tbtest", "--alsa-config", config, "--rate", "16000", "--speakers", "2",
                                   "--enroll", "Ben=Ben.phone.wav", "--enroll", "Anna=Anna.phone.wav", "--duration", room.seconds,
                                   "--report", "live.json"])
        #expect(live.status == 0, "live failed: \(live.stderr)")
        // The one line on stderr, printed once the session is over.
        #expect(live.stderrLines.count == 1, "\(live.stderr)")
        #expect(live.stderr.hasPrefix("talkbalance: the enrolment recordings sound as if made on another microphone"), "\(live.stderr)")
        #expect(live.stderr.contains("corrected for before use"), "\(live.stderr)")
        // Still named from the enrolled voices, and on the right ones.
        #expect(!live.stdoutText.contains("\"S1\"") && !live.stdoutText.contains("\"S2\""), "\(live.stdoutText.prefix(400))")
        let scored = try #require(try JSONSerialization.jsonObject(with: folder.run(["evaluate", "--reference", room.rttm, "--format", "json",
                                                                                     "live.json"]).stdout) as? [String: Any])
        #expect(scored["mapping"] as? [String: String] == ["Anna": "Anna", "Ben": "Ben"], "\(scored)")
        #expect((scored["der"] as? Double ?? 1) < 0.25, "\(scored)")
    }

    /// Bad `live --enroll` uses: (arguments, exit code, words the one line must contain); VOICE: a recording.
    static let badEnrolments: [([String], Int32, [String])] = [
        (["--speakers", "2", "--enroll", "Anna=@1-5"], 64, ["no recording yet", "press their key"]),
        (["--speakers", "2", "--enroll", "Anna=missing.wav"], 66, ["--enroll Anna", "missing.wav"]),
        (["--enroll", "Anna=VOICE"], 64, ["needs --speakers"]),
        (["--speakers", "2", "--enroll", "Anna=VOICE", "--enroll", "Ben=VOICE", "--enroll", "Carla=VOICE"], 64,
         ["3 voices are enrolled but --speakers is 2"]),
        (["--channels", "2", "--speakers", "2", "--enroll", "Anna=VOICE"], 64, ["one microphone for the room", "--channels 1"]),
    ]

    @Test("bad --enroll for the live meter: one sentence, the documented exit code, no report", arguments: LiveRoomTests.badEnrolments.indices)
    func badEnrolment(index: Int) throws {
        let (arguments, code, words) = Self.badEnrolments[index]
        let (room, anna, _) = try Self.enrolledRoom()
        let folder = try TempFolder()
        let config = try LiveTests.alsaConfig(infile: room.raw, in: folder)
        let run = try folder.run(["live", "--device", "tbtest", "--alsa-config", config, "--rate", "16000", "--duration", "2",
                                  "--report", "r.json"] + arguments.map { $0.replacingOccurrences(of: "VOICE", with: anna) })
        #expect(run.status == code, "\(arguments): exit \(run.status), \(run.stderr)")
        #expect(run.stderrLines.count == 1 && run.stderr.hasPrefix("talkbalance: "), "\(arguments): \(run.stderr)")
        for word in words { #expect(run.stderr.contains(word), "\(arguments): \(run.stderr) lacks \(word)") }
        #expect(!FileManager.default.fileExists(atPath: folder.path("r.json")))
    }

    @Test("bad room options fail with one sentence and exit 64")
    func badOptions() throws {
        let folder = try TempFolder()
        let tooMany = try folder.run(["live", "--speakers", "9", "--duration", "1"])
        #expect(tooMany.status == 64)
        #expect(tooMany.stderr.contains("--speakers must be between 1 and 8"))
        let names = try folder.run(["live", "--speakers", "2", "--names", "A,B,C", "--duration", "1"])
        #expect(names.status == 64)
        #expect(names.stderr.contains("--names gives 3 names but --speakers is 2"))
        let room = try Self.room()
        let config = try LiveTests.alsaConfig(infile: room.raw, in: folder)
        let fewer = try folder.run(["live", "--device", "tbtest", "--alsa-config", config, "--channels", "2", "--speakers", "1",
                                    "--duration", "1"])
        #expect(fewer.status == 64)
        #expect(fewer.stderrLines.count == 1 && fewer.stderr.contains("tbtest") && fewer.stderr.contains("--channels 1"), "\(fewer.stderr)")
    }

    @Test("the room meter in tmux shows the names and the enrolment keys; a digit enrols that person")
    func meterInTmux() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            Issue.record("tmux is not installed (tools/setup installs it)")
            return
        }
        let room = try Self.room()
        let raw = try Data(contentsOf: URL(fileURLWithPath: room.raw))
        let folder = try TempFolder()
        let fifo = folder.path("mic.fifo")
        PacedLiveTests.makeFifo(fifo)
        let config = try LiveTests.alsaConfig(infile: fifo, in: folder)
        let binary = try #require(Binary.url)
        let terminal = try TmuxTerminal(command: [binary.path, "live", "--device", "tbtest", "--alsa-config", config, "--channels", "1", "--rate", "16000",
                       "--names", "Anna,Ben", "--report", folder.path("live.json")])
        defer { terminal.close() }
        let writer = PacedLiveTests.PacedWriter()
        // The writer paces 2-channel bytes: mono bytes at "speed 4" flow at twice real time.
        writer.start(raw: raw, fifo: fifo, speed: 4)
        defer { writer.stop() }
        let first = try terminal.waitFor("Anna", seconds: 20)
        #expect(first.contains("Ben"), "screen:\n\(first)")
        #expect(first.contains("1-2: this is"), "screen:\n\(first)")
        // 21 s of revision and 0.71 s for the overlap from the voices.
        #expect(first.contains("shares and floor: as of 22 s ago"), "screen:\n\(first)")
        // Ben speaks first in this conversation (0.8-4.3 s): the facilitator says so.
        try terminal.send("2")
        Thread.sleep(forTimeInterval: 2)
        let later = try terminal.screen()
        #expect(later.split(separator: "\n").allSatisfy { $0.count <= 80 })
        try terminal.send("q")
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline && !FileManager.default.fileExists(atPath: folder.path("live.json")) { Thread.sleep(forTimeInterval: 0.2) }
        Thread.sleep(forTimeInterval: 0.3)
        let report = try #require(try? Data(contentsOf: URL(fileURLWithPath: folder.path("live.json"))))
        let root = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
        let marks = try #require(root["marks"] as? [[String: Any]])
        #expect(marks.map { $0["type"] as? String } == ["enrol"])
        #expect(marks.first?["person"] as? String == "Ben")
        // If the key fell within Ben's first turn, his speech carries his name from the start.
        let segments = try #require(root["segments"] as? [[String: Any]])
        if let time = marks.first?["time"] as? Double, time > 1.2 && time < 4.2, let firstSegment = segments.first {
            #expect(firstSegment["speaker"] as? String == "Ben" || (firstSegment["end"] as? Double ?? 0) <= time + 0.3,
                    "key at \(time) s; first segment \(firstSegment)")
            let atKey = segments.first { ($0["start"] as! Double) <= time && ($0["end"] as! Double) > time }
            #expect(atKey.map { $0["speaker"] as? String == "Ben" } ?? true, "segment at the key: \(String(describing: atKey))")
        }
    }
}
