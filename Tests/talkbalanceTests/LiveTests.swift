import Foundation
import Testing
import TestSupport

/// `talkbalance live` through the real ALSA capture path, with ALSA's `file` plugin standing in for a
/// sound card (../shared/PLATFORM.md): the plugin reads a raw S16_LE file (or a named pipe, for paced
/// runs) byte for byte through snd_pcm_open / hw_params / snd_pcm_readi.
@Suite("talkbalance live, through ALSA's file plugin", .serialized)
struct LiveTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let demo = root.appendingPathComponent("fixtures/demo/demo.flac").path

    /// Raw S16_LE interleaved audio of `file` (via sox), and its frame count.
    static func raw(_ file: String, into path: String, channels: Int = 2) throws -> Int {
        let sox = try Subprocess.run("sox", [file, "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", path], timeout: 60)
        #expect(sox.succeeded, "sox failed: \(sox.stderr)")
        let bytes = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        return bytes / (2 * channels)
    }

    static func alsaConfig(infile: String, in folder: TempFolder) throws -> String {
        let path = folder.path("alsa.conf")
        try """
        pcm.tbtest {
            type file
            slave.pcm { type linear slave { pcm { type null } format S16_LE } }
            file "/dev/null"
            infile "\(infile)"
            format "raw"
        }
        pcm.tbplug {
            type plug
            slave { pcm "tbtest" format S16_LE rate 16000 channels 2 }
        }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct EventKey: Hashable, CustomStringConvertible {
        let type: String, time: Double, by: String?, of: String?
        var description: String { "\(type)@\(time) \(by ?? "-")>\(of ?? "-")" }
    }

    /// The bytes of a RIFF/WAVE file's `data` chunk (the recorder may add JUNK/fact chunks before it).
    static func dataChunk(_ wav: Data) -> Data? {
        let bytes = [UInt8](wav)
        var i = 12
        while i + 8 <= bytes.count {
            let id = String(decoding: bytes[i..<(i + 4)], as: UTF8.self)
            let size = Int(bytes[i + 4]) | Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]) << 16 | Int(bytes[i + 7]) << 24
            if id == "data" { return Data(bytes[(i + 8)..<min(bytes.count, i + 8 + size)]) }
            i += 8 + size + (size & 1)
        }
        return nil
    }

    static func events(ofReport data: Data) throws -> [EventKey] {
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(root["events"] as? [[String: Any]])
        return events.map { EventKey(type: $0["type"] as! String, time: $0["time"] as! Double, by: $0["by"] as? String, of: $0["of"] as? String) }
    }

    @Test("a live run gives the same events as analyze, records the input byte for byte", arguments: [nil, 64, 333])
    func sameAsAnalyze(periodFrames: Int?) throws {
        let folder = try TempFolder()
        let input = folder.path("input.raw")
        let frames = try Self.raw(Self.demo, into: input)
        let config = try Self.alsaConfig(infile: input, in: folder)
        let seconds = String(Double(frames) / 16000)
        var args = ["live", "--device", "tbtest", "--alsa-config", config, "--channels", "2", "--rate", "16000",
                    "--duration", seconds, "--names", "Anna,Ben", "--record", "rec.wav", "--report", "live.json"]
        if let periodFrames { args += ["--period-frames", String(periodFrames)] }
        let live = try folder.run(args)
        #expect(live.status == 0, "live failed: \(live.stderr)")
        // Stdout is not a terminal: one JSON object per line.
        let lines = live.stdoutText.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not a JSON line: \(line)")
        }
        #expect(lines.contains { $0.contains("\"type\": \"interruption\"") })
        #expect(lines.contains { $0.contains("\"type\": \"turn\"") })

        let analysed = try folder.run(["analyze", Self.demo, "--names", "Anna,Ben", "--format", "json"])
        #expect(analysed.status == 0)
        let liveEvents = try Self.events(ofReport: Data(contentsOf: URL(fileURLWithPath: folder.path("live.json"))))
        let fileEvents = try Self.events(ofReport: analysed.stdout)
        #expect(liveEvents == fileEvents)
        #expect(liveEvents.contains { $0.type == "interruption" })

        // The recording holds exactly the captured audio, and analysing it gives the same events.
        let wav = try Data(contentsOf: URL(fileURLWithPath: folder.path("rec.wav")))
        let rawBytes = try Data(contentsOf: URL(fileURLWithPath: input))
        #expect(Self.dataChunk(wav) == rawBytes)
        let mode = try FileManager.default.attributesOfItem(atPath: folder.path("rec.wav"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try folder.run(["analyze", "rec.wav", "--names", "Anna,Ben", "--format", "json"])
        #expect(try Self.events(ofReport: again.stdout) == fileEvents)
    }

    @Test("negotiation through a plug PCM: float samples at another rate")
    func plugNegotiation() throws {
        let folder = try TempFolder()
        let input = folder.path("input.raw")
        _ = try Self.raw(Self.demo, into: input)
        let config = try Self.alsaConfig(infile: input, in: folder)
        let run = try folder.run(["live", "--device", "tbplug", "--alsa-config", config, "--channels", "2", "--rate", "48000",
                                  "--duration", "3", "--record", "rec.wav"])
        #expect(run.status == 0, "\(run.stderr)")
        let info = try folder.run(["analyze", "rec.wav", "--format", "json"])
        let root = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any])
        #expect(root["sampleRate"] as? Int == 48000)
        #expect(root["duration"] as? Double == 3.0)
    }

    @Test("a missing device, --speakers that do not match, and an existing --record file fail clearly")
    func badLiveOptions() throws {
        let folder = try TempFolder()
        let missing = try folder.run(["live", "--device", "hw:7,0", "--duration", "1"])
        #expect(missing.status != 0)
        #expect(missing.stderrLines.count == 1 && missing.stderr.contains("hw:7,0"), "\(missing.stderr)")
        _ = FileManager.default.createFile(atPath: folder.path("exists.wav"), contents: Data("keep".utf8))
        let exists = try folder.run(["live", "--record", "exists.wav", "--duration", "1"])
        #expect(exists.status == 73)
        #expect(try String(contentsOfFile: folder.path("exists.wav"), encoding: .utf8) == "keep")
        let badDuration = try folder.run(["live", "--duration", "-1"])
        #expect(badDuration.status == 64)
    }
}

/// Paced runs: the infile is a named pipe written in real time, like a microphone.
@Suite("talkbalance live, paced", .serialized)
struct PacedLiveTests {
    /// Writes `raw` into the FIFO at `path`, one 20 ms period at a time in real time, on a background
    /// thread; stops early when `stop` is set.
    final class PacedWriter: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private(set) var thread: Thread? = nil
        func stop() { lock.lock(); stopped = true; lock.unlock() }
        var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

        func start(raw: Data, fifo: String, speed: Double = 1) {
            // The reader may die first (that is the point of the kill test): no SIGPIPE for us.
            signal(SIGPIPE, SIG_IGN)
            let t = Thread { [self] in
                guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
                let chunk = 2 * 2 * 320   // 20 ms of 2-channel S16 at 16 kHz
                var offset = 0
                let start = Date()
                while offset < raw.count && !self.isStopped {
                    let end = min(raw.count, offset + chunk)
                    try? handle.write(contentsOf: raw[offset..<end])
                    offset = end
                    let due = Double(offset) / Double(2 * 2 * 16000) / speed
                    let wait = due - Date().timeIntervalSince(start)
                    if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                }
                try? handle.close()
            }
            thread = t
            t.start()
        }
    }

    static func makeFifo(_ path: String) {
        #expect(mkfifo(path, 0o600) == 0)
    }

    /// A paced live session: the demo written into a named pipe at 4x real time (keeps the tests short),
    /// `talkbalance live` recording it to rec.wav with `extra` options (given the session's folder). Returns once rec.wav holds at least
    /// `seconds` of audio (or after 30 s), with the size seen.
    private struct PacedSession {
        let folder: TempFolder, raw: Data, process: ChildProcess, writer: PacedWriter, recordedBytes: Int
    }

    private func startPacedSession(_ extra: (TempFolder) -> [String] = { _ in [] }, untilSeconds seconds: Int) throws -> PacedSession {
        let folder = try TempFolder()
        let input = folder.path("input.raw")
        _ = try LiveTests.raw(LiveTests.demo, into: input)
        let raw = try Data(contentsOf: URL(fileURLWithPath: input))
        let fifo = folder.path("mic.fifo")
        Self.makeFifo(fifo)
        let config = try LiveTests.alsaConfig(infile: fifo, in: folder)
        let p = try ChildProcess(try #require(Binary.url).path,
                                 ["live", "--device", "tbtest", "--alsa-config", config, "--channels", "2", "--rate", "16000",
                                  "--record", folder.path("rec.wav")] + extra(folder))
        let writer = PacedWriter()
        writer.start(raw: raw, fifo: fifo, speed: 4)
        let deadline = Date().addingTimeInterval(30)
        var size = 0
        while Date() < deadline {
            size = (try? FileManager.default.attributesOfItem(atPath: folder.path("rec.wav"))[.size] as? Int) ?? 0
            if size > 4096 + seconds * 64000 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return PacedSession(folder: folder, raw: raw, process: p, writer: writer, recordedBytes: size)
    }

    @Test("SIGKILL mid-session leaves a readable WAV up to the last second")
    func killLeavesReadableRecording() throws {
        // Wait until at least 3 s of audio is on disk, then pull the plug.
        let session = try startPacedSession(untilSeconds: 3)
        let (folder, raw, p, writer, size) = (session.folder, session.raw, session.process, session.writer, session.recordedBytes)
        p.send(SIGKILL)
        p.wait(seconds: 30)
        writer.stop()
        #expect(p.signalled && p.status == SIGKILL)
        #expect(size > 4096 + 3 * 64000, "the recording did not grow")
        // Readable by `analyze`, with at least the 3 s seen before the kill.
        let analysed = try folder.run(["analyze", "rec.wav", "--format", "json"])
        #expect(analysed.status == 0, "\(analysed.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: analysed.stdout) as? [String: Any])
        #expect((root["duration"] as? Double ?? 0) >= 3.0)
        // Every recorded frame is the input's.
        let wav = try Data(contentsOf: URL(fileURLWithPath: folder.path("rec.wav")))
        let body = try #require(LiveTests.dataChunk(wav), "no data chunk")
        #expect(body.count >= 3 * 64000)
        #expect(body == raw.prefix(body.count))
    }

    @Test("SIGTERM ends the session cleanly: exit 0, recording closed, report written")
    func sigtermEndsCleanly() throws {
        let session = try startPacedSession({ ["--names", "Anna,Ben", "--report", $0.path("live.json")] }, untilSeconds: 2)
        let (folder, p) = (session.folder, session.process)
        defer { session.writer.stop() }
        p.send(SIGTERM)
        #expect(p.wait(seconds: 30), "live did not end within 30 s of SIGTERM")
        #expect(!p.signalled && p.status == 0)
        let report = try #require(try? Data(contentsOf: URL(fileURLWithPath: folder.path("live.json"))), "no report after SIGTERM")
        let root = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
        let duration = try #require(root["duration"] as? Double)
        #expect(duration >= 2)
        // The recording was closed properly: its length is the report's.
        let analysed = try folder.run(["analyze", "rec.wav", "--format", "json"])
        let recorded = try #require(try JSONSerialization.jsonObject(with: analysed.stdout) as? [String: Any])
        #expect(recorded["duration"] as? Double == duration)
    }

    @Test("the meter in a real terminal (tmux): updates while audio flows, keys mark sender and bookmark, q ends")
    func meterInTmux() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            Issue.record("tmux is not installed (tools/setup installs it)")
            return
        }
        let folder = try TempFolder()
        let input = folder.path("input.raw")
        _ = try LiveTests.raw(LiveTests.demo, into: input)
        let raw = try Data(contentsOf: URL(fileURLWithPath: input))
        let fifo = folder.path("mic.fifo")
        Self.makeFifo(fifo)
        let config = try LiveTests.alsaConfig(infile: fifo, in: folder)
        let binary = try #require(Binary.url)
        let terminal = try TmuxTerminal(command: [binary.path, "live", "--device", "tbtest", "--alsa-config", config, "--channels", "2", "--rate", "16000",
                       "--names", "Anna,Ben", "--report", folder.path("live.json")])
        defer { terminal.close() }
        let writer = PacedWriter()
        writer.start(raw: raw, fifo: fifo, speed: 2)
        defer { writer.stop() }
        let first = try terminal.waitFor("Anna", seconds: 20)
        #expect(first.contains("TalkBalance live"), "screen:\n\(first)")
        #expect(first.contains("Ben"))
        // The clock moves while audio flows.
        Thread.sleep(forTimeInterval: 2)
        let later = try terminal.screen()
        #expect(later != first, "the meter did not update")
        #expect(later.split(separator: "\n").allSatisfy { $0.count <= 80 })
        try terminal.send("s")
        try terminal.send("m")
        let marked = try terminal.waitFor("Anna", seconds: 2)
        #expect(marked.contains("Anna"))
        Thread.sleep(forTimeInterval: 0.5)
        try terminal.send("q")
        // The report is written when the session ends.
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline && !FileManager.default.fileExists(atPath: folder.path("live.json")) { Thread.sleep(forTimeInterval: 0.2) }
        let report = try #require(try? Data(contentsOf: URL(fileURLWithPath: folder.path("live.json"))))
        let root = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
        let marks = try #require(root["marks"] as? [[String: Any]])
        #expect(marks.map { $0["type"] as? String } == ["sender", "bookmark"])
        #expect(marks.first?["person"] as? String == "Anna")
    }
}
