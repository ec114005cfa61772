import ArgumentParser
import Foundation
import TalkBalanceEval

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score an analysis against ground truth: DER, voice activity, talk time, events.",
        discussion: """
        HYP is an RTTM file or a TalkBalance JSON report. DER follows NIST md-eval: same-speaker segments \
        merged, overlap scored, best one-to-one label mapping; --collar leaves ±C s around each reference \
        boundary unscored (0 = strict). JER is dscore's Jaccard error rate (mean over reference speakers of \
        1 - |ref ∩ hyp| / |ref ∪ hyp| under the mapping minimising it; no collar). Inputs may be pipes \
        (e.g. <(...)). --reference-bridge S fills each reference person's pauses shorter than S seconds \
        before scoring, for a reference cut with another bridge than the analysis' (TalkBalance bridges \
        pauses under 0.3 s: --bridge-pause). Event scores need --truth (the events file tools/make-session writes) \
        and a JSON report: an event matches when the same people are involved within ±1 s.
        """
    )

    @Option(help: "Reference RTTM (ground truth).")
    var reference: String
    @Option(help: "Ground-truth events JSON (interruptions, backchannels).")
    var truth: String?
    @Option(help: "Collar in seconds around reference boundaries.")
    var collar: Double = 0
    @Option(name: .customLong("reference-bridge"), parsing: .unconditional, help: "Fill the reference's pauses shorter than this within one person, seconds (0: the reference as it is).")
    var referenceBridge: Double = 0
    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text
    @Argument(help: "The hypothesis: RTTM or TalkBalance JSON report.")
    var hypothesis: String

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    func validate() throws {
        guard collar.isFinite, collar >= 0, collar <= 5 else { throw ValidationError("--collar must be between 0 and 5 seconds") }
        guard referenceBridge.isFinite, referenceBridge >= 0, referenceBridge <= 5 else {
            throw ValidationError("--reference-bridge must be between 0 and 5 seconds")
        }
    }

    func run() throws {
        /// Reads a whole file through a FileHandle, so pipes and process substitution (`<(...)`, which
        /// gives /dev/fd/N) work as well as regular files. Fails with one sentence otherwise.
        func readData(_ path: String) -> Data {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                fail("\(path): no such file", code: Exit.noInput)
            }
            if isDirectory.boolValue { fail("\(path): is a directory, not a file", code: Exit.noInput) }
            guard let handle = FileHandle(forReadingAtPath: path) else {
                fail("\(path): cannot be opened (permission denied?)", code: Exit.noInput)
            }
            defer { try? handle.close() }
            do { return try handle.readToEnd() ?? Data() } catch { fail("\(path): reading failed (\(error.localizedDescription))", code: Exit.ioError) }
        }
        func read(_ path: String) -> String {
            guard let text = String(data: readData(path), encoding: .utf8) else {
                fail("\(path): not a text file (not valid UTF-8)", code: Exit.dataError)
            }
            return text
        }
        let refText = read(reference)
        var ref: [LabeledSegment]
        do { ref = try RTTM.parse(refText) } catch { fail("\(reference): not a valid RTTM file (\(error))", code: Exit.dataError) }
        if ref.isEmpty { fail("\(reference): not a usable reference (no SPEAKER lines)", code: Exit.dataError) }
        if referenceBridge > 0 { ref = Scoring.merged(ref, bridging: referenceBridge) }
        let hypText = read(hypothesis)
        var hyp: [LabeledSegment]
        var report: ReportFile? = nil
        if hypText.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
            guard let r = try? JSONDecoder().decode(ReportFile.self, from: Data(hypText.utf8)) else {
                fail("\(hypothesis): not a TalkBalance JSON report", code: Exit.dataError)
            }
            report = r
            hyp = r.labeledSegments
        } else {
            do { hyp = try RTTM.parse(hypText) } catch { fail("\(hypothesis): not a valid RTTM file (\(error))", code: Exit.dataError) }
        }
        let duration = max(report?.duration ?? 0, (ref + hyp).map(\.end).max() ?? 0)
        let strict = Scoring.diarization(reference: ref, hypothesis: hyp, collar: collar)
        let lenient = Scoring.diarization(reference: ref, hypothesis: hyp, collar: 0.25)
        let jaccard = Scoring.jaccard(reference: ref, hypothesis: hyp)
        let vad = Scoring.voiceActivity(reference: ref, hypothesis: hyp, duration: duration)
        let refTalk = Scoring.talkTime(ref), hypTalk = Scoring.talkTime(hyp)
        var talk: [(String, Double, Double)] = []
        for (label, seconds) in refTalk.sorted(by: { $0.key < $1.key }) {
            let hypLabel = strict.mapping.first(where: { $0.value == label })?.key
            talk.append((label, seconds, hypLabel.flatMap { hypTalk[$0] } ?? 0))
        }
        var eventScores: [(String, EventScore)] = []
        if let truth {
            let t: TruthFile
            do { t = try TruthFile.decode(readData(truth)) } catch { fail("\(truth): not a ground-truth events file (JSON with speakers and events)", code: Exit.dataError) }
            guard let report else { fail("\(hypothesis): event scores need a TalkBalance JSON report, not RTTM", code: Exit.usage) }
            // Map hypothesis labels to reference labels for event matching.
            func mapped(_ e: [TimedEvent]) -> [TimedEvent] {
                e.map { TimedEvent(type: $0.type, time: $0.time, by: strict.mapping[$0.by] ?? $0.by, target: strict.mapping[$0.target] ?? $0.target) }
            }
            for type in ["interruption", "backchannel"] {
                eventScores.append((type, Scoring.events(reference: t.timedEvents(type), hypothesis: mapped(report.timedEvents(type)))))
            }
        }
        switch format {
        case .json:
            var object: [String: Any] = [
                "der": strict.der, "miss": strict.missed / max(strict.referenceSpeech, 1e-9),
                "falseAlarm": strict.falseAlarm / max(strict.referenceSpeech, 1e-9),
                "confusion": strict.confusion / max(strict.referenceSpeech, 1e-9),
                "collar": collar, "referenceBridge": referenceBridge, "der025": lenient.der, "referenceSpeech": strict.referenceSpeech,
                "missSeconds": strict.missed, "falseAlarmSeconds": strict.falseAlarm, "confusionSeconds": strict.confusion,
                "jer": jaccard.jer, "jerBySpeaker": jaccard.bySpeaker, "jerMapping": jaccard.mapping,
                "vadPrecision": vad.precision, "vadRecall": vad.recall, "vadF1": vad.f1,
                "vadMissedSeconds": vad.missedSeconds, "vadFalseAlarmSeconds": vad.falseAlarmSeconds,
                "mapping": strict.mapping,
                "talkTime": Dictionary(uniqueKeysWithValues: talk.map { ($0.0, ["reference": $0.1, "hypothesis": $0.2,
                                                                              "errorSeconds": $0.2 - $0.1,
                                                                              "errorPercent": $0.1 > 0 ? 100 * ($0.2 - $0.1) / $0.1 : 0]) }),
            ]
            for (type, s) in eventScores {
                object[type] = ["precision": s.precision, "recall": s.recall, "f1": s.f1,
                                "truePositives": s.truePositives, "falsePositives": s.falsePositives, "falseNegatives": s.falseNegatives]
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        case .text:
            var out = String(format: "DER %.2f%% (miss %.2f%%, false alarm %.2f%%, confusion %.2f%%), collar %.2f s; DER with 0.25 s collar %.2f%%\n",
                             100 * strict.der, 100 * strict.missed / max(strict.referenceSpeech, 1e-9),
                             100 * strict.falseAlarm / max(strict.referenceSpeech, 1e-9),
                             100 * strict.confusion / max(strict.referenceSpeech, 1e-9), collar, 100 * lenient.der)
            if referenceBridge > 0 { out += String(format: "Reference: each person's pauses under %.2f s bridged\n", referenceBridge) }
            out += String(format: "JER %.2f%% (Jaccard error rate as dscore: mean over reference speakers, no collar)\n", 100 * jaccard.jer)
            out += String(format: "Voice activity (10 ms frames): precision %.3f, recall %.3f, F1 %.3f\n", vad.precision, vad.recall, vad.f1)
            for (label, r, h) in talk {
                out += String(format: "Talk time %@: reference %.2f s, analysis %.2f s, error %+.1f%%\n", label, r, h, r > 0 ? 100 * (h - r) / r : 0)
            }
            for (type, s) in eventScores {
                out += String(format: "%@s: precision %.2f, recall %.2f, F1 %.2f (%d found, %d false, %d missed)\n",
                              type.capitalized, s.precision, s.recall, s.f1, s.truePositives, s.falsePositives, s.falseNegatives)
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}
