import Foundation
import Testing
import TestSupport
import TalkBalanceCore
import TalkBalanceDSP
import TalkBalanceEval
import TalkBalanceIO

/// The package root, found from this file's path (Tests/DiarizationTests/Support.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
/// Shared test data (read-only), next to the package: ../shared/data.
let sharedData = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

/// A sound file decoded to mono (channels summed, as a room microphone would hear everyone).
struct MonoAudio {
    let sampleRate: Int
    let samples: [Float]

    static func load(path: String) throws -> MonoAudio {
        let reader = try SoundFileReader(path: path)
        let channels = reader.format.channelCount
        var block = AudioBlock(channelCount: channels, capacityFrames: 8192)
        var out: [Float] = []
        while try reader.read(into: &block) > 0 {
            for f in 0..<block.frameCount {
                var s: Float = 0
                for c in 0..<channels { s += block.samples[f * channels + c] }
                out.append(s)
            }
        }
        return MonoAudio(sampleRate: reader.format.sampleRate, samples: out)
    }
}

/// Everything the room diarizer needs from one mono recording: per-frame features and speech mask.
struct RoomFrames {
    let geometry: FrameGeometry
    /// `coefficients` values per frame.
    let features: [Float]
    let coefficients: Int
    let pitch: [Float]
    let speech: [Bool]
    var frameCount: Int { speech.count }

    /// Speech = frames whose hop centre lies inside a segment of the existing pipeline's VAD run on the
    /// mono signal; features = `MelCepstrum` over the same 10 ms frames (window centred on the hop,
    /// zero-padded at the edges).
    static func analyse(_ audio: MonoAudio, melBands: Int = 24, coefficients: Int = 13,
                        bandHz: ClosedRange<Double> = 100...4000, speechOverride: [Bool]? = nil) throws -> RoomFrames {
        let analyzer = try SessionAnalyzer(format: StreamFormat(sampleRate: audio.sampleRate, channelCount: 1), softWordEdges: false)
        let geometry = analyzer.geometry
        let frames = (audio.samples.count + geometry.hopLength - 1) / geometry.hopLength
        var speech = [Bool](repeating: false, count: frames)
        if let speechOverride {
            for k in 0..<min(frames, speechOverride.count) { speech[k] = speechOverride[k] }
        } else {
            audio.samples.withUnsafeBufferPointer { analyzer.process(interleaved: $0) }
            let result = analyzer.finish()
            for segment in result.segments {
                let first = max(0, (segment.startSample - geometry.hopLength / 2 + geometry.hopLength - 1) / geometry.hopLength)
                let last = min(frames - 1, (segment.endSample - geometry.hopLength / 2 - 1) / geometry.hopLength)
                if first <= last { for k in first...last { speech[k] = true } }
            }
        }
        let cepstrum = MelCepstrum(geometry: geometry, melBands: melBands, coefficients: coefficients, bandHz: bandHz)
        var features = [Float](repeating: 0, count: frames * coefficients)
        var pitch = [Float](repeating: 0, count: frames)
        let n = geometry.windowLength, hop = geometry.hopLength
        var window = [Float](repeating: 0, count: n)
        audio.samples.withUnsafeBufferPointer { x in
            for k in 0..<frames {
                let start = k * hop + hop / 2 - n / 2
                for i in 0..<n {
                    let j = start + i
                    window[i] = j >= 0 && j < x.count ? x[j] : 0
                }
                window.withUnsafeBufferPointer { w in
                    features.withUnsafeMutableBufferPointer { f in
                        cepstrum.analyze(samples: w, into: UnsafeMutableBufferPointer(rebasing: f[(k * coefficients)..<((k + 1) * coefficients)]))
                    }
                }
                pitch[k] = cepstrum.pitchHz
            }
        }
        return RoomFrames(geometry: geometry, features: features, coefficients: coefficients, pitch: pitch, speech: speech)
    }

    func diarize(speakers: Int, options: RoomDiarizer.Options = RoomDiarizer.Options()) -> [Int8] {
        var diarizer = RoomDiarizer(speakers: speakers, framesPerSecond: Double(geometry.sampleRate) / Double(geometry.hopLength),
                                    options: options)
        features.withUnsafeBufferPointer { f in
            for k in 0..<frameCount {
                diarizer.push(features: UnsafeBufferPointer(rebasing: f[(k * coefficients)..<((k + 1) * coefficients)]), speech: speech[k])
            }
        }
        return diarizer.finish()
    }

    /// Per-frame labels to segments named "S0", "S1", ... (frame k covers [k, k + 1) hops).
    func segments(_ labels: [Int8]) -> [LabeledSegment] {
        let step = Double(geometry.hopLength) / Double(geometry.sampleRate)
        var out: [LabeledSegment] = []
        var k = 0
        while k < labels.count {
            let l = labels[k]
            var e = k + 1
            while e < labels.count && labels[e] == l { e += 1 }
            if l >= 0 { out.append(LabeledSegment(speaker: "S\(l)", start: Double(k) * step, end: Double(e) * step)) }
            k = e
        }
        return out
    }
}

/// A recording with RTTM truth.
struct RoomCase: CustomStringConvertible {
    let name: String
    let audio: String
    let rttm: String
    var description: String { name }

    var reference: [LabeledSegment] {
        get throws { try RTTM.parse(String(contentsOfFile: rttm, encoding: .utf8)) }
    }
    var speakerCount: Int {
        get throws { Set(try reference.map(\.speaker)).count }
    }

    static func real(_ folder: String) -> RoomCase {
        let dir = sharedData.appendingPathComponent("real/\(folder)")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        let stem = files.first { $0.hasSuffix(".flac") }.map { String($0.dropLast(5)) } ?? folder
        return RoomCase(name: folder, audio: dir.appendingPathComponent("\(stem).flac").path,
                        rttm: dir.appendingPathComponent("\(stem).rttm").path)
    }

    static let ami = (0...9).map { String(format: "ami-trn%02d", $0) }
}

/// A room conversation built by tools/make-session from the real voices (one channel per person,
/// summed to mono when loaded). Deterministic for a seed; cached in the temporary directory.
func generatedConversation(speakers: Int, seed: Int, duration: Int = 60) throws -> RoomCase {
    let name = "room\(speakers)p-s\(seed)-\(duration)s"
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-diarization-\(name)")
    let audio = folder.appendingPathComponent("\(name).flac").path
    let rttm = folder.appendingPathComponent("\(name).rttm").path
    if !FileManager.default.fileExists(atPath: rttm) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let run = try Subprocess.run("python3", [packageRoot.appendingPathComponent("tools/make-session").path,
                                                 "--out", folder.path, "--name", name, "--seed", "\(seed)", "--voices", "real",
                                                 "--speakers", "\(speakers)", "--duration", "\(duration)",
                                                 "--crosstalk-db", "-20,-20", "--snr-db", "30", "--format", "flac"], timeout: 600)
        guard run.succeeded else { throw GenerationFailed(message: run.timedOut ? "make-session timed out" : run.stderr) }
    }
    return RoomCase(name: name, audio: audio, rttm: rttm)
}

struct GenerationFailed: Error, CustomStringConvertible { let message: String; var description: String { message } }

struct RoomScore {
    let strict: DiarizationScore
    let collared: DiarizationScore
    /// One-speaker baseline: every speech frame labelled as one person (strict).
    let oneSpeaker: DiarizationScore
}

func scoreRoom(_ c: RoomCase, speakers: Int? = nil, options: RoomDiarizer.Options = RoomDiarizer.Options(),
               bandHz: ClosedRange<Double> = 100...4000) throws -> RoomScore {
    let reference = try c.reference
    var oracle: [Bool]? = nil
    if ProcessInfo.processInfo.environment["DIAR_ORACLE"] == "1" {
        // Reference speech as the speech mask (to separate voice activity errors from speaker errors).
        let audio = try MonoAudio.load(path: c.audio)
        let frames = (audio.samples.count + 159) / 160
        var mask = [Bool](repeating: false, count: frames)
        for seg in reference {
            let a = max(0, Int((seg.start * 100).rounded())), b = min(frames, Int((seg.end * 100).rounded()))
            if a < b { for k in a..<b { mask[k] = true } }
        }
        oracle = mask
    }
    let frames = try RoomFrames.analyse(try MonoAudio.load(path: c.audio), bandHz: bandHz, speechOverride: oracle)
    let n = try speakers ?? c.speakerCount
    let labels = frames.diarize(speakers: n, options: options)
    let hypothesis = frames.segments(labels)
    let single = frames.segments(frames.speech.map { $0 ? 0 : -1 })
    return RoomScore(strict: Scoring.diarization(reference: reference, hypothesis: hypothesis),
                     collared: Scoring.diarization(reference: reference, hypothesis: hypothesis, collar: 0.25),
                     oneSpeaker: Scoring.diarization(reference: reference, hypothesis: single))
}

/// A room conversation from tools/make-session --enrolment: each voice's longest utterance is kept out
/// of the conversation and written, cut from the original clip, as an enrolment recording.
struct EnrolledCase: CustomStringConvertible {
    let room: RoomCase
    /// Person (the RTTM speaker name) -> enrolment recording.
    let enrolment: [(name: String, path: String)]
    var description: String { room.name }
}

/// Voices for enrolment tests: the three real voices with an utterance of at least 2 s to hold out
/// (ljs has only about 1.4 s per clip). The seed picks the voices and their order.
func enrolledConversation(speakers: Int, seed: Int, duration: Int = 60) throws -> EnrolledCase {
    let orders = [["aew", "axb", "lib1088"], ["axb", "lib1088", "aew"], ["lib1088", "aew", "axb"],
                  ["axb", "aew", "lib1088"], ["aew", "lib1088", "axb"], ["lib1088", "axb", "aew"]]
    let voices = Array(orders[seed % orders.count].prefix(speakers))
    let names = Array(["Anna", "Ben", "Carla"].prefix(speakers))
    let name = "enrol\(speakers)p-s\(seed)-\(duration)s"
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-diarization-\(name)")
    let audio = folder.appendingPathComponent("\(name).flac").path
    let rttm = folder.appendingPathComponent("\(name).rttm").path
    let enrolment = names.map { ($0, folder.appendingPathComponent("\(name).enrol.\($0).wav").path) }
    if !FileManager.default.fileExists(atPath: rttm) || !enrolment.allSatisfy({ FileManager.default.fileExists(atPath: $0.1) }) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let run = try Subprocess.run("python3", [packageRoot.appendingPathComponent("tools/make-session").path,
                                                 "--out", folder.path, "--name", name, "--seed", "\(seed)",
                                                 "--voices", voices.joined(separator: ","), "--enrolment",
                                                 "--speakers", "\(speakers)", "--duration", "\(duration)",
                                                 "--crosstalk-db", "-20,-20", "--snr-db", "30", "--format", "flac"], timeout: 600)
        guard run.succeeded else { throw GenerationFailed(message: run.timedOut ? "make-session timed out" : run.stderr) }
    }
    return EnrolledCase(room: RoomCase(name: name, audio: audio, rttm: rttm), enrolment: enrolment)
}

/// A session result as labelled segments (speaker = the report's label), for scoring.
func labeledSegments(_ result: SessionResult) -> [LabeledSegment] {
    let rate = Double(result.sampleRate)
    return result.segments.map {
        LabeledSegment(speaker: result.speakers[$0.speaker].label, start: Double($0.startSample) / rate, end: Double($0.endSample) / rate)
    }
}

struct EnrolledScore {
    let strict: DiarizationScore
    let collared: DiarizationScore
}

/// The whole room path (RoomAnalysis, as `analyze --speakers N [--enroll ...]`) scored against the RTTM.
/// `enrolled` nil: no enrolment (labels S1...).
func scoreRoomAnalysis(_ c: EnrolledCase, enrolled: [(name: String, path: String)]?,
                       options: RoomDiarizer.Options = RoomDiarizer.Options()) throws -> EnrolledScore {
    let speakers = try c.room.speakerCount
    let voices = try (enrolled ?? []).map { e in
        RoomAnalysis.EnrolledVoice(name: e.name, voice: try RoomAnalysis.enrol(open: { try SoundFileReader(path: e.path) }))
    }
    // One microphone for the room: the generated tracks are mixed (the stereo cues would find the
    // people from their own lapel channels).
    let result = try RoomAnalysis.analyze(open: { try SoundFileReader(path: c.room.audio) }, speakers: speakers,
                                          enrolled: voices, spatial: false, options: options)
    let reference = try c.room.reference, hypothesis = labeledSegments(result)
    return EnrolledScore(strict: Scoring.diarization(reference: reference, hypothesis: hypothesis),
                         collared: Scoring.diarization(reference: reference, hypothesis: hypothesis, collar: 0.25))
}

/// A one-microphone room as `tools/evaluate --room` builds it: a conversation from tools/make-session
/// (real voices, one clean track each with 20 dB SNR pink noise), each person at their own distance
/// (person 1 nearest; the others 3 and 5 dB quieter), mixed to one channel with sox and given room
/// reverberation. Deterministic for a seed; cached in the temporary directory.
func reverberantRoom(speakers: Int, seed: Int, duration: Int = 90) throws -> RoomCase {
    let name = "reverb\(speakers)p-s\(seed)-\(duration)s"
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-diarization-\(name)")
    let tracks = folder.appendingPathComponent("\(name)-tracks.wav").path
    let audio = folder.appendingPathComponent("\(name).wav").path
    let rttm = folder.appendingPathComponent("\(name)-tracks.rttm").path
    if !FileManager.default.fileExists(atPath: audio) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try makeRoomTracks(folder: folder, name: "\(name)-tracks", seed: seed, speakers: speakers, duration: duration)
        try reverberate(tracks, into: audio, speakers: speakers)
    }
    return RoomCase(name: name, audio: audio, rttm: rttm)
}

/// tools/make-session's real-voice conversation as the room tests use it: one clean track per person
/// (crosstalk -40 dB), 20 dB SNR pink noise per track, 16-bit WAV; NAME.wav, NAME.rttm, NAME.events.json.
private func makeRoomTracks(folder: URL, name: String, seed: Int, speakers: Int, duration: Int) throws {
    let run = try Subprocess.run("python3", [packageRoot.appendingPathComponent("tools/make-session").path,
                                             "--out", folder.path, "--name", name, "--seed", "\(seed)", "--voices", "real",
                                             "--speakers", "\(speakers)", "--duration", "\(duration)", "--crosstalk-db", "-40,-40",
                                             "--snr-db", "20", "--noise", "pink", "--format", "wav"], timeout: 900)
    guard run.succeeded else { throw GenerationFailed(message: run.timedOut ? "make-session timed out" : run.stderr) }
}

/// The tracks mixed to one channel as `tools/evaluate --room` mixes them (person 1 nearest, the others
/// 3 and 5 dB quieter; `sox -R`, so the same bytes every run) with room reverberation.
private func reverberate(_ tracks: String, into audio: String, speakers: Int) throws {
    let mix = speakers == 2 ? "1v0.6,2v0.42" : "1v0.5,2v0.35,3v0.28"
    let sox = try Subprocess.run("sox", ["-R", tracks, audio + ".part.wav", "remix", mix, "reverb", "40", "50", "70", "10"], timeout: 120)
    guard sox.succeeded else { throw GenerationFailed(message: sox.timedOut ? "sox timed out" : sox.stderr) }
    try FileManager.default.moveItem(atPath: audio + ".part.wav", toPath: audio)
}

/// A one-microphone room where one of two people hardly speaks, built as `tools/evaluate
/// --quiet-partner` builds it: a 300 s real-voice conversation from tools/make-session; person 1 or 2
/// (by seed) keeps whole utterances adding up to about `keepSeconds` (here every few utterances through
/// the session, where the tool draws them at random) and the rest of their track is silenced; the
/// reference drops what was silenced; mixed and reverberated as `reverberantRoom`. Cached in the
/// temporary directory.
func quietPartnerRoom(seed: Int, keepSeconds: Double = 20) throws -> (room: RoomCase, quiet: String) {
    let name = "quiet2p-s\(seed)"
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-diarization-\(name)")
    let tracks = folder.appendingPathComponent("\(name)-tracks.wav").path
    let edited = folder.appendingPathComponent("\(name)-edited.wav").path
    let audio = folder.appendingPathComponent("\(name).wav").path
    let rttm = folder.appendingPathComponent("\(name).rttm").path
    let quietFile = folder.appendingPathComponent("\(name).quiet").path
    if !FileManager.default.fileExists(atPath: audio) {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try makeRoomTracks(folder: folder, name: "\(name)-tracks", seed: seed, speakers: 2, duration: 300)
        let events = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("\(name)-tracks.events.json")))
        guard let info = events as? [String: Any], let people = info["speakers"] as? [String],
              let channels = info["channels"] as? [String: Int] else { throw GenerationFailed(message: "unexpected events JSON") }
        let quiet = people[seed % 2]
        let channel = channels[quiet]! - 1
        // Whole utterances of the quiet person, every `stride`-th in time, up to keepSeconds.
        let lines = try String(contentsOfFile: folder.appendingPathComponent("\(name)-tracks.rttm").path, encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { $0.first == "SPEAKER" }
        let own = lines.indices.filter { lines[$0][7] == quiet }
        let ownSeconds = own.reduce(0.0) { $0 + Double(lines[$1][4])! }
        let stride = max(1, Int(ownSeconds / keepSeconds))
        var kept = Set<Int>(), total = 0.0
        for (k, i) in own.enumerated() where k % stride == 0 {
            let d = Double(lines[i][4])!
            if total + d <= keepSeconds + 0.5 { kept.insert(i); total += d }
        }
        // Silence the rest of their track.
        let reader = try SoundFileReader(path: tracks)
        let rate = Double(reader.format.sampleRate), width = reader.format.channelCount
        var keep: [Range<Int>] = kept.map { i in
            let a = Double(lines[i][3])!, d = Double(lines[i][4])!
            return max(0, Int((a - 0.05) * rate))..<Int((a + d + 0.05) * rate)
        }
        keep.sort { $0.lowerBound < $1.lowerBound }
        let writer = try WAVRecorder(path: edited, format: reader.format, overwrite: true)
        var block = AudioBlock(channelCount: width, capacityFrames: 8192)
        var frame = 0
        while true {
            let n = try reader.read(into: &block)
            guard n > 0 else { break }
            for f in 0..<n where !keep.contains(where: { $0.contains(frame + f) }) { block.samples[f * width + channel] = 0 }
            frame += n
            try writer.write(block)
        }
        try writer.close()
        let reference = lines.indices.filter { lines[$0][7] != quiet || kept.contains($0) }.map { lines[$0].joined(separator: " ") }
        try (reference.joined(separator: "\n") + "\n").write(toFile: rttm, atomically: true, encoding: .utf8)
        try quiet.write(toFile: quietFile, atomically: true, encoding: .utf8)
        try reverberate(edited, into: audio, speakers: 2)
    }
    return (RoomCase(name: name, audio: audio, rttm: rttm), try String(contentsOfFile: quietFile, encoding: .utf8))
}

/// A stereo recorder between two people as `tools/evaluate --stereo-overlap` builds it (same
/// tools/make-session arguments: 90 s, real voices, 4 interruptions and 4 backchannels, 20 dB SNR pink
/// noise per track): `dry` mixes the tracks with person 1 6 dB louder on the left and person 2 on the
/// right; `room` first reverberates each voice in one room with tails that differ between the capsules
/// (sox reverb, stereo depth 100), then mixes the same way. Cached in the temporary directory.
func stereoPair(seed: Int) throws -> (dry: RoomCase, room: RoomCase, events: String) {
    let name = "ovl2-s\(seed)"
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-diarization-\(name)")
    func path(_ suffix: String) -> String { folder.appendingPathComponent(name + suffix).path }
    let dry = RoomCase(name: name + "-dry", audio: path("-dry.wav"), rttm: path(".rttm"))
    let room = RoomCase(name: name + "-room", audio: path("-room.wav"), rttm: path(".rttm"))
    if !FileManager.default.fileExists(atPath: room.audio) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let make = try Subprocess.run("python3", [packageRoot.appendingPathComponent("tools/make-session").path,
                                                  "--out", folder.path, "--name", name, "--seed", "\(seed)", "--voices", "real",
                                                  "--speakers", "2", "--duration", "90", "--crosstalk-db", "-40,-40", "--snr-db", "20",
                                                  "--noise", "pink", "--format", "wav", "--interruptions", "4", "--backchannels", "4"], timeout: 900)
        guard make.succeeded else { throw GenerationFailed(message: make.timedOut ? "make-session timed out" : make.stderr) }
        func sox(_ arguments: [String]) throws {
            let run = try Subprocess.run("sox", arguments, timeout: 120)
            guard run.succeeded else { throw GenerationFailed(message: run.timedOut ? "sox timed out" : run.stderr) }
        }
        try sox(["-R", path(".wav"), dry.audio, "remix", "1v1.0,2v0.5", "1v0.5,2v1.0"])
        for person in 1...2 {
            try sox(["-R", path(".wav"), path("-p\(person).wav"), "remix", "\(person)", "\(person)", "reverb", "40", "50", "70", "100"])
        }
        try sox(["-R", "-M", path("-p1.wav"), path("-p2.wav"), room.audio + ".part.wav", "remix", "1v1.0,3v0.5", "2v0.5,4v1.0"])
        try FileManager.default.moveItem(atPath: room.audio + ".part.wav", toPath: room.audio)
    }
    return (dry, room, path(".events.json"))
}

/// fixtures/demo/demo.flac resampled to 48 kHz by sox into a private temporary folder (removed after),
/// handed to `body` as a path: for checking that a network reads other rates without resampling.
func withDemoAt48kHz(_ tag: String, _ body: (String) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-\(tag)-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let high = folder.appendingPathComponent("demo-48k.wav").path
    let sox = try Subprocess.run("/usr/bin/sox", [packageRoot.appendingPathComponent("fixtures/demo/demo.flac").path, "-r", "48000", high], timeout: 60)
    try #require(sox.succeeded, "\(sox.stderr)")
    try body(high)
}

/// Each 10 ms frame of the recording at `path` (channels averaged) measured by a voice network's front end:
/// `frontEnd(rate)` gives its window length and what it writes for one window (`bands` floats), and is
/// handed the window centred on the middle of the frame's hop, zeros beyond the recording, as the
/// reference tools (`tools/voice-model`, `tools/speaker-model --reference`) frame it.
func centredFrames(path: String, bands: Int,
                   frontEnd: (_ rate: Int) -> (windowLength: Int, measure: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void)) throws -> (rate: Int, frames: [[Float]]) {
    // The channels averaged (`MonoAudio` adds them), as the reference tools do.
    let reader = try SoundFileReader(path: path)
    let channels = reader.format.channelCount
    let audio = try MonoAudio.load(path: path)
    let samples = audio.samples.map { $0 / Float(channels) }
    let (n, measure) = frontEnd(audio.sampleRate)
    let hop = audio.sampleRate / 100
    let count = (samples.count + hop - 1) / hop
    var window = [Float](repeating: 0, count: n)
    var out = [Float](repeating: 0, count: bands)
    var frames: [[Float]] = []
    for k in 0..<count {
        let start = k * hop + hop / 2 - n / 2
        for i in 0..<n { let j = start + i; window[i] = j >= 0 && j < samples.count ? samples[j] : 0 }
        window.withUnsafeBufferPointer { w in out.withUnsafeMutableBufferPointer { measure(w, $0) } }
        frames.append(out)
    }
    return (audio.sampleRate, frames)
}
