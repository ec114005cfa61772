import Foundation
import TestSupport
import TalkBalanceCore
import TalkBalanceEval
import TalkBalanceIO

/// The package root, found from this file's path (Tests/AccuracyTests/Support.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A session with ground truth: audio, reference RTTM, true events (as tools/make-session writes them).
struct TruthSession {
    let name: String
    let audio: String
    let rttm: String
    let events: String
    /// Generated for this test run: removed once scored.
    var temporary = false

    init(folder: URL, name: String) {
        self.name = name
        audio = folder.appendingPathComponent("\(name).flac").path
        rttm = folder.appendingPathComponent("\(name).rttm").path
        events = folder.appendingPathComponent("\(name).events.json").path
    }

    static func fixture(_ name: String) -> TruthSession {
        TruthSession(folder: packageRoot.appendingPathComponent("fixtures/\(name)"), name: name)
    }

    /// Generates a fresh session with tools/make-session (deterministic for a seed) in a temporary folder.
    static func generate(name: String, arguments: [String]) throws -> TruthSession {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-accuracy-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let run = try Subprocess.run("python3", [packageRoot.appendingPathComponent("tools/make-session").path,
                                                 "--out", folder.path, "--name", name, "--format", "flac"] + arguments, timeout: 600)
        guard run.succeeded else { throw GenerationFailed(message: run.timedOut ? "make-session timed out" : run.stderr) }
        var session = TruthSession(folder: folder, name: name)
        session.temporary = true
        return session
    }

    struct GenerationFailed: Error, CustomStringConvertible { let message: String; var description: String { message } }
}

/// What an analysis scored against its truth.
struct Scored {
    let der: DiarizationScore
    /// Per reference speaker: (true seconds, analysed seconds).
    let talk: [String: (truth: Double, analysed: Double)]
    let interruptions: EventScore
    /// Truth backchannels that the analysis reported as interruptions (must be none).
    let backchannelsCalledInterruptions: Int
    let truth: TruthFile
    let hypothesisInterruptions: [TimedEvent]

    var worstTalkTimeErrorPercent: Double {
        talk.values.map { abs($0.analysed - $0.truth) / $0.truth * 100 }.max() ?? 0
    }
}

/// Runs the real pipeline (libsndfile reader -> SessionAnalyzer) on a session and scores it.
func analyseAndScore(_ session: TruthSession, blockFrames: Int = 4096) throws -> Scored {
    defer { if session.temporary { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: session.audio).deletingLastPathComponent().path) } }
    let truth = try TruthFile.load(path: session.events)
    let reader = try SoundFileReader(path: session.audio)
    let analyzer = try SessionAnalyzer(format: reader.format, labels: truth.speakers)
    var block = AudioBlock(channelCount: reader.format.channelCount, capacityFrames: blockFrames)
    while try reader.read(into: &block) > 0 { analyzer.process(block) }
    let result = analyzer.finish()
    let labels = result.speakers.map(\.label)
    let rate = Double(result.sampleRate)
    let hypothesis = result.segments.map {
        LabeledSegment(speaker: labels[$0.speaker], start: Double($0.startSample) / rate, end: Double($0.endSample) / rate)
    }
    let reference = try RTTM.parse(String(contentsOfFile: session.rttm, encoding: .utf8))
    let der = Scoring.diarization(reference: reference, hypothesis: hypothesis)
    let refTalk = Scoring.talkTime(reference)
    var talk: [String: (Double, Double)] = [:]
    for (label, seconds) in refTalk {
        talk[label] = (seconds, Double(result.speakers.first { $0.label == label }?.talkSamples ?? 0) / rate)
    }
    let interruptions = result.events.filter { $0.kind == .interruption }.map {
        TimedEvent(type: "interruption", time: Double($0.startSample) / rate, by: labels[$0.by!], target: labels[$0.of!])
    }
    let backchannelsAsInterruptions = truth.timedEvents("backchannel").filter { b in
        interruptions.contains { abs($0.time - b.time) <= 1 && $0.by == b.by }
    }.count
    return Scored(der: der, talk: talk,
                  interruptions: Scoring.events(reference: truth.timedEvents("interruption"), hypothesis: interruptions),
                  backchannelsCalledInterruptions: backchannelsAsInterruptions, truth: truth,
                  hypothesisInterruptions: interruptions)
}
