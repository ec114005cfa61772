import ArgumentParser
import Foundation
import TalkBalanceCore
import TalkBalanceIO
import TalkBalanceReport

struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listen through ALSA and show a live balance meter (one microphone per person, or one for the room).",
        discussion: """
        Capture runs on its own thread; the analysis is the same pipeline as `analyze`, so `analyze` on \
        the --record file gives the same events. On a terminal it draws a sparse meter (keys: s = next \
        Imago sender, 1-9 = that person sends, 0 = nobody, m = bookmark, q = quit); otherwise it prints one \
        JSON object per line (turns, interruptions, backchannels, overlaps, flags, balance every 10 s, \
        marks). Ctrl-C, q or SIGTERM end the session: the recording is closed and the report written. \
        Without a sound card, --alsa-config can define a PCM, e.g. ALSA's file plugin reading a raw file.

        One microphone for the room: give more people than channels (e.g. --channels 1 --speakers 3, or \
        --channels 1 --names Carla,Anna,Ben). The channels are mixed to mono and who speaks is decided \
        from the voices, block by block (labels S1, S2, ... in order of first appearance, or --names in \
        that order). Who speaks now shows at once; talk time, shares, turns and the JSON lines follow \
        21 s behind, after the periodic re-clustering of the last minutes has revised each label. Keys then: 1-N = the person speaking now (or just before, or next) is person N: \
        their voice is enrolled, so labels are named from the start and do not swap (press it once for \
        each person early in the session; or enrol them beforehand from recordings with --enroll \
        NAME=FILE); s = next Imago sender, 0 = nobody sends, m = bookmark, \
        q = quit. Enrolments are marks in the report. With --record, the final --report re-runs the \
        offline analysis (`analyze --speakers N`) on the recording, which is more accurate; its \
        `note` says so (the live lines and meter stay online).
        """
    )

    @Option(help: "ALSA capture PCM (see `talkbalance devices`).")
    var device: String = "default"
    @Option(help: "Channels to capture: one per person, or 1 (or 2) for a microphone in the room. Default: one per --names; 1 with --speakers alone; else what the device offers, up to 8.")
    var channels: Int?
    @Option(help: "Sample rate in Hz (default: 16000 if the device can, else its nearest).")
    var rate: Int?
    @Option(help: "Names of the people, comma-separated: one per channel, or (room) one per person.")
    var names: String?
    @Option(help: "People in the room, 1-8. Alone, it means one microphone for the room (one channel captured; who speaks is found from the voices). With --channels: as many people as channels is one microphone per person, more people than channels is one microphone for the room.")
    var speakers: Int?
    @Option(name: .customLong("enroll"), help: ArgumentHelp(
        "One microphone for the room: NAME=FILE, a few seconds of one person talking alone (at least 2 s of speech; any format and rate), so they are named from their first words. Repeat per person.",
        discussion: "Each voice is measured before the capture starts and anchors that person's model, as an enrolment key does. People not enrolled are S1, S2, ... in order of first appearance (or take the rest of --names, which must list everyone). With --record and --report, the final offline analysis uses the same recordings.",
        valueName: "name=file"))
    var enroll: [String] = []
    @Option(help: "Stop after this many seconds of audio.")
    var duration: Double?
    @Option(help: "Record exactly the captured audio to this WAV file (crash-safe header, mode 0600).")
    var record: String?
    @Option(help: "Write the final report (the JSON of `analyze`) to this file.")
    var report: String?
    @Option(name: .customLong("period-frames"), help: "ALSA period in frames (default about 20 ms).")
    var periodFrames: Int?
    @Option(name: .customLong("alsa-config"), help: "A file of extra ALSA configuration defining the PCM to open.")
    var alsaConfig: String?
    @Flag(help: "Replace --record and --report files if they exist.")
    var force = false
    @Flag(help: "At the end, print processing latency and CPU use on stderr (for tools/bench-live).")
    var stats = false
    @OptionGroup(title: "Thresholds")
    var thresholds: ThresholdOptions

    func validate() throws {
        do { try thresholds.config.validate() } catch { throw ValidationError(error.description) }
        if let channels, !(1...32).contains(channels) { throw ValidationError("--channels must be between 1 and 32") }
        if let rate, !(8000...192_000).contains(rate) { throw ValidationError("--rate must be between 8000 and 192000 Hz") }
        if let duration, !(duration.isFinite && duration > 0) { throw ValidationError("--duration must be a positive number of seconds") }
        if let periodFrames, !(16...65536).contains(periodFrames) { throw ValidationError("--period-frames must be between 16 and 65536") }
        if let speakers, !(1...8).contains(speakers) { throw ValidationError("--speakers must be between 1 and 8") }
        if let names {
            let list = parsedNames(names)
            if list.contains(where: \.isEmpty) || Set(list).count != list.count {
                throw ValidationError("--names must be distinct, non-empty names separated by commas")
            }
            if let speakers, list.count != speakers {
                throw ValidationError("--names gives \(list.count) names but --speakers is \(speakers)")
            }
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        for path in [record, report].compactMap({ $0 }) where !force && (path == record ? FileManager.default.fileExists(atPath: path) : SafeOutput.wouldReplace(path)) {
            fail("\(path): already exists; pass --force to replace it", code: Exit.cannotCreate)
        }
        // Enrolment recordings (one microphone for the room) are read before the capture starts.
        let people = speakers ?? names.map { parsedNames($0).count }
        let enrolments = parsedEnrolments(enroll, noStretchesBecause: "a live session has no recording yet to point into; give a recording of the person, or press their key while they speak")
        // Each enrolled person's place among everyone's names, their name and their recording.
        var enrolled: [(person: Int, name: String, recording: RoomAnalysis.EnrolmentRecording)] = []
        var allNames: [String]? = nil
        if !enrolments.isEmpty {
            guard let speakers else {
                fail("--enroll needs --speakers N (one microphone for the room: voices are recognised only there)", code: Exit.usage)
            }
            let naming: (names: [String], indexOfLabel: [Int])
            do { naming = try RoomAnalysis.naming(speakers: speakers, labels: names.map(parsedNames), enrolled: enrolments.map(\.name)) } catch {
                fail(error.description, code: Exit.usage)
            }
            allNames = naming.names
            for case let (i, (name, .file(path))) in enrolments.enumerated() {
                enrolled.append((naming.indexOfLabel[i], name, enrolmentRecording(name: name, path: path, config: thresholds.config)))
            }
        }
        var configText: String? = nil
        if let alsaConfig {
            guard let text = try? String(contentsOfFile: alsaConfig, encoding: .utf8) else {
                fail("\(alsaConfig): cannot be read", code: Exit.noInput)
            }
            configText = text
        }
        // `--speakers N` alone is the room microphone of the single-microphone mode; `--names` alone
        // (or equal --channels) is one microphone per person.
        let wantedChannels = channels ?? (speakers != nil ? 1 : people)
        let capture: ALSACapture
        do {
            capture = try ALSACapture(device: device, channels: wantedChannels, sampleRate: rate, periodFrames: periodFrames,
                                       configText: configText)
        } catch let error where error.kind == .unsupported && device.hasPrefix("hw:") {
            // The card itself cannot record as asked: let ALSA's plug layer convert format, rate or channels.
            do {
                capture = try ALSACapture(device: "plug" + device, channels: wantedChannels, sampleRate: rate,
                                           periodFrames: periodFrames, configText: configText)
                FileHandle.standardError.write(Data("talkbalance: \(device) cannot record as asked; using plug\(device), which converts\n".utf8))
            } catch {
                fail(error.description, code: Exit.noInput)
            }
        } catch {
            fail(error.description, code: Exit.noInput)
        }
        let format = capture.format
        if let people, people < format.channelCount {
            fail("\(device): \(people) \(people == 1 ? "person" : "people") but \(format.channelCount) captured channels; give one channel per person, or fewer channels than people for one microphone in the room (e.g. --channels 1)", code: Exit.usage)
        }
        let config = thresholds.config
        let room = (people ?? format.channelCount) > format.channelCount
        if !enrolled.isEmpty && !room {
            fail("\(device): --enroll needs one microphone for the room, but \(people ?? 0) \(people == 1 ? "person" : "people") on \(format.channelCount) captured \(format.channelCount == 1 ? "channel" : "channels") is one microphone per person; capture fewer channels (e.g. --channels 1)", code: Exit.usage)
        }
        let analyzer: StreamingSessionAnalysis
        if room, let people {
            do {
                let roomAnalyzer = try RoomSessionAnalyzer(format: format, speakers: people, config: config,
                                                           labels: allNames ?? names.map(parsedNames))
                for voice in enrolled { roomAnalyzer.enrol(person: voice.person, recording: voice.recording) }
                analyzer = roomAnalyzer
            } catch {
                fail("\(device): \(error.description)", code: Exit.usage)
            }
        } else {
            do {
                analyzer = try SessionAnalyzer(format: format, config: config, labels: names.map(parsedNames))
            } catch {
                fail("\(device): \(error.description)", code: Exit.usage)
            }
        }
        var recorder: WAVRecorder? = nil
        if let record {
            do {
                recorder = try WAVRecorder(path: record, format: format,
                                           sampleFormat: capture.sampleFormat == .s16 ? .pcm16 : .float32, overwrite: force)
            } catch {
                fail(error.description, code: Exit.cannotCreate)
            }
        }
        let maxFrames = duration.map { Int(($0 * Double(format.sampleRate)).rounded()) }
        let session = LiveSession(analyzer: analyzer, recorder: recorder, maxFrames: maxFrames, interactive: isatty(STDOUT_FILENO) == 1,
                                  enrolKeys: room)
        session.measure = stats
        let outcome = session.run(capture: capture)
        if stats { FileHandle.standardError.write(Data(session.statistics().utf8)) }
        var result = analyzer.finish()
        session.finish(result: result)
        if let roomAnalyzer = analyzer as? RoomSessionAnalyzer,
           let message = otherMicrophoneMessage(roomAnalyzer.microphoneShift, firstName: enrolled.first?.name ?? "") {
            FileHandle.standardError.write(Data("talkbalance: \(message)\n".utf8))
        }
        var failures: [String] = []
        do { try recorder?.close() } catch { failures.append(error.description) }
        if room, let people, let record, report != nil, failures.isEmpty, result.durationSamples > 0 {
            // The recording allows the offline analysis (both passes, global clustering): more accurate.
            FileHandle.standardError.write(Data("talkbalance: re-analysing \(record) offline for the report (one microphone for the room, \(people) people)\n".utf8))
            do {
                // Enrolled voices name the offline voices themselves; otherwise they are numbered as live.
                var offline = try RoomAnalysis.analyze(open: { try SoundFileReader(path: record) }, speakers: people, config: config,
                                                       labels: names.map(parsedNames),
                                                       enrolled: enrolled.map { RoomAnalysis.EnrolledVoice(name: $0.name, voice: $0.recording.voice) },
                                                       matching: enrolled.isEmpty ? result.segments : nil)
                offline.marks = result.marks
                offline.note = "one microphone for the room, \(people) people: who speaks when from the offline analysis of the recording \(record) (as `analyze --speakers \(people)`), re-run at the end of the live session; the live meter and lines were decided online"
                    + (offline.note.map { "; " + $0.replacingOccurrences(of: "one microphone for the room, \(people) people: ", with: "") } ?? "")
                result = offline
            } catch {
                FileHandle.standardError.write(Data("talkbalance: the offline re-analysis failed (\(error)); the report keeps the online result\n".utf8))
            }
        }
        if let report {
            let renderer = ReportRenderer(file: record ?? device, result: result)
            do { try SafeOutput.write(renderer.render(.json), to: report, overwrite: force) } catch {
                failures.append(error.description)
            }
        }
        if let message = outcome.failure ?? failures.first {
            fail(message, code: outcome.failure != nil ? Exit.ioError : Exit.cannotCreate)
        }
    }
}

/// What the capture thread hands to the analysis: audio, lost audio, or the end.
private enum CaptureItem {
    /// Audio and the moment (monotonic ns) the capture thread got it from ALSA.
    case samples([Float], arrivedNs: UInt64)
    case lost(frames: Int)
    case failed(String)
}

/// A bounded hand-over from the capture thread to the analysis (the only state they share).
private final class CaptureQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [CaptureItem] = []
    private var queuedFrames = 0
    private var stopped = false
    private let maxFrames: Int
    let channels: Int

    init(channels: Int, maxQueuedFrames: Int) {
        self.channels = channels
        maxFrames = maxQueuedFrames
    }

    /// Capture side: waits while the analysis is more than `maxQueuedFrames` behind; false once stopped.
    func push(_ item: CaptureItem) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while !stopped && queuedFrames >= maxFrames { condition.wait() }
        guard !stopped else { return false }
        if case .samples(let s, _) = item { queuedFrames += s.count / channels }
        items.append(item)
        condition.signal()
        return true
    }

    /// Analysis side: the next item, or nil after `timeout` seconds without one.
    func pop(timeout: TimeInterval) -> CaptureItem? {
        condition.lock(); defer { condition.unlock() }
        if items.isEmpty { _ = condition.wait(until: Date().addingTimeInterval(timeout)) }
        guard !items.isEmpty else { return nil }
        let item = items.removeFirst()
        if case .samples(let s, _) = item { queuedFrames -= s.count / channels }
        condition.signal()
        return item
    }

    func stop() {
        condition.lock(); defer { condition.unlock() }
        stopped = true
        condition.broadcast()
    }

    var isStopped: Bool {
        condition.lock(); defer { condition.unlock() }
        return stopped
    }
}

/// Moves the capture object to the capture thread: after `start`, only that thread touches it.
private final class CaptureHandOver: @unchecked Sendable {
    let capture: ALSACapture
    init(_ capture: ALSACapture) { self.capture = capture }
}

/// The live loop: capture thread -> queue -> analyzer (+ recorder) -> meter or JSON lines.
private final class LiveSession {
    let analyzer: StreamingSessionAnalysis
    /// One microphone for the room: digits enrol voices instead of choosing the sender.
    let enrolKeys: Bool
    let recorder: WAVRecorder?
    let maxFrames: Int?
    let interactive: Bool
    private let lines: LiveLines
    private var framesIn = 0
    private var lostFrames = 0
    private var printedTurns = 0
    private var printedBalance = 0
    private var printedMarks = 0
    private var failure: String? = nil
    var measure = false
    private var latency = LatencyHistogram()

    init(analyzer: StreamingSessionAnalysis, recorder: WAVRecorder?, maxFrames: Int?, interactive: Bool, enrolKeys: Bool = false) {
        self.analyzer = analyzer
        self.enrolKeys = enrolKeys
        self.recorder = recorder
        self.maxFrames = maxFrames
        self.interactive = interactive
        lines = LiveLines(labels: analyzer.labels, sampleRate: analyzer.format.sampleRate)
    }

    struct Outcome { var failure: String? }

    func run(capture: ALSACapture) -> Outcome {
        let format = analyzer.format
        let queue = CaptureQueue(channels: format.channelCount, maxQueuedFrames: format.sampleRate * 10)
        let handOver = CaptureHandOver(capture)
        let captureLimit = maxFrames
        let thread = Thread {
            let capture = handOver.capture
            var block = AudioBlock(channelCount: format.channelCount, capacityFrames: max(1, capture.periodFrames))
            var captured = 0
            var lostSoFar = 0
            while !queue.isStopped {
                do {
                    var n = try capture.read(into: &block)
                    if let limit = captureLimit { n = min(n, limit - captured) }
                    let lost = capture.lostFramesEstimate
                    if lost > lostSoFar {
                        guard queue.push(.lost(frames: lost - lostSoFar)) else { break }
                        lostSoFar = lost
                    }
                    guard n > 0 else { break }
                    captured += n
                    let arrived = DispatchTime.now().uptimeNanoseconds
                    guard queue.push(.samples(Array(block.samples[0..<(n * format.channelCount)]), arrivedNs: arrived)) else { break }
                    if let limit = captureLimit, captured >= limit { break }
                } catch {
                    _ = queue.push(.failed("\(error)"))
                    break
                }
            }
            _ = queue.push(.failed(""))   // end of capture
        }
        thread.name = "talkbalance-capture"
        thread.stackSize = 1 << 20
        thread.start()

        let stop = StopSignal()
        let terminal = interactive ? Terminal() : nil
        let (width, height) = Terminal.size()
        if interactive { out(MeterRenderer.enterAlternateScreen + MeterRenderer.hideCursor) }
        defer {
            terminal?.restore()
            if interactive { out(MeterRenderer.showCursor + MeterRenderer.leaveAlternateScreen) }
        }
        var lastDraw = Date.distantPast
        var sender: Int? = nil
        let people = analyzer.labels.count
        loop: while true {
            if let item = queue.pop(timeout: 0.05) {
                switch item {
                case .samples(let samples, let arrived):
                    feed(samples)
                    if measure {
                        // Latency: from ALSA handing over the block to the meter state that shows it.
                        _ = analyzer.liveState()
                        latency.add(nanoseconds: DispatchTime.now().uptimeNanoseconds - arrived)
                    }
                case .lost(let frames):
                    lostFrames += frames
                    if !interactive { out(lines.lost(seconds: Double(frames) / Double(format.sampleRate), at: analyzer.samplesProcessed)) }
                    // Keep the timeline honest: the lost stretch is silence, not skipped.
                    feed([Float](repeating: 0, count: frames * format.channelCount))
                case .failed(let message):
                    if !message.isEmpty { failure = message }
                    break loop
                }
            }
            if let maxFrames, framesIn >= maxFrames { break }
            if stop.signal != nil { break }
            for key in terminal?.keys() ?? [] {
                switch key {
                case UInt8(ascii: "q"), UInt8(ascii: "Q"): break loop
                case UInt8(ascii: "m"), UInt8(ascii: "M"): analyzer.mark(.bookmark)
                case UInt8(ascii: "s"), UInt8(ascii: "S"):
                    sender = ((sender ?? -1) + 1) % people
                    analyzer.mark(.sender, person: sender)
                case UInt8(ascii: "0"):
                    sender = nil
                    analyzer.mark(.sender, person: nil)
                case UInt8(ascii: "1")...UInt8(ascii: "9"):
                    let person = Int(key - UInt8(ascii: "1"))
                    guard person < people else { break }
                    if enrolKeys {
                        analyzer.mark(.enrol, person: person)
                    } else {
                        sender = person
                        analyzer.mark(.sender, person: person)
                    }
                default: break
                }
            }
            if interactive {
                if Date().timeIntervalSince(lastDraw) >= 0.25 {
                    lastDraw = Date()
                    let size = Terminal.size()
                    let state = analyzer.liveState(lostSeconds: Double(lostFrames) / Double(format.sampleRate))
                    out(MeterRenderer.frame(MeterRenderer(width: size.width, height: size.height, color: true).render(state)))
                }
            } else {
                printNewLines()
            }
        }
        _ = (width, height)
        queue.stop()
        return Outcome(failure: failure)
    }

    private func feed(_ samples: [Float]) {
        let channels = analyzer.format.channelCount
        var frames = samples.count / channels
        if let maxFrames { frames = min(frames, maxFrames - framesIn) }
        guard frames > 0 else { return }
        samples.withUnsafeBufferPointer { all in
            let part = UnsafeBufferPointer(rebasing: all[0..<(frames * channels)])
            do { try recorder?.write(interleaved: part) } catch { if failure == nil { failure = "\(error)" } }
            analyzer.process(interleaved: part)
        }
        framesIn += frames
    }

    /// Processing latency percentiles and CPU use over the session, one paragraph.
    func statistics() -> String {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        let audio = Double(framesIn) / Double(analyzer.format.sampleRate)
        return String(format: "live stats: %d blocks, latency from capture to meter state: median %.2f ms, p99 %.2f ms, max %.2f ms; CPU %.2f s for %.1f s of audio (%.2f%% of one core); decisions lag the audio by at most %.0f ms\n",
                      latency.count, latency.percentile(0.5), latency.percentile(0.99), latency.maxMs, cpu, audio, audio > 0 ? 100 * cpu / audio : 0,
                      1000 * Double(analyzer.decisionLatencySamples) / Double(analyzer.format.sampleRate))
    }

    /// JSON lines for what the analysis decided since the last call.
    private func printNewLines() {
        var text = ""
        for e in analyzer.drainEvents() { text += lines.event(e) }
        let turns = analyzer.conversation.turns
        while printedTurns < turns.count { text += lines.turn(turns[printedTurns]); printedTurns += 1 }
        let balance = analyzer.conversation.balance
        while printedBalance < balance.count { text += lines.balance(balance[printedBalance]); printedBalance += 1 }
        let marks = analyzer.marks
        while printedMarks < marks.count { text += lines.mark(marks[printedMarks]); printedMarks += 1 }
        if !text.isEmpty { out(text) }
    }

    /// After the analysis finished: the last lines, or a short summary below the closed meter.
    func finish(result: SessionResult) {
        if interactive {
            out(ReportRenderer(file: "live session", result: result).text())
        } else {
            printNewLines()
        }
    }

    /// Writes to stdout; a reader that went away (`talkbalance live | head`) must not end the session
    /// before the recording is closed and the report written, so errors are ignored.
    private func out(_ s: String) {
        var bytes = Array(s.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            offset += n
        }
    }
}

/// Latencies in 0.05 ms buckets up to 1 s (constant memory, however long the session).
private struct LatencyHistogram {
    private var buckets = [Int](repeating: 0, count: 20_001)
    private(set) var count = 0
    private(set) var maxMs = 0.0

    mutating func add(nanoseconds: UInt64) {
        let ms = Double(nanoseconds) / 1e6
        buckets[min(buckets.count - 1, Int(ms / 0.05))] += 1
        count += 1
        maxMs = max(maxMs, ms)
    }

    func percentile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let target = Int((Double(count) * q).rounded(.up))
        var seen = 0
        for (i, c) in buckets.enumerated() {
            seen += c
            if seen >= target { return Double(i) * 0.05 + 0.025 }
        }
        return maxMs
    }
}
