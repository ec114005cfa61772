import Foundation
import TalkBalanceCore

/// Output formats of `talkbalance analyze`.
public enum ReportFormat: String, CaseIterable, Sendable {
    case text, json, rttm, csv, html, textgrid, eaf, audacity, vtt
}

/// Renders one session result in any format. Pure: result in, text out.
public struct ReportRenderer: Sendable {
    public let file: String
    public let result: SessionResult
    /// The recording that HTML playback and ELAN's media link point at (relative to the output), if any.
    public let audio: String?
    public init(file: String, result: SessionResult, audio: String? = nil) {
        self.file = file
        self.result = result
        self.audio = audio
    }

    /// The whole report in memory (small reports, tests). The command line streams with `write`.
    public func render(_ format: ReportFormat) -> Data {
        var data = Data()
        write(format) { data.append(contentsOf: $0.utf8) }
        return data
    }

    /// Renders piece by piece: `emit` receives consecutive pieces of the report, so a long session's
    /// report never has to exist whole in memory.
    public func write(_ format: ReportFormat, to emit: (String) -> Void) {
        switch format {
        case .json: StreamingJSON(file: file, result: result).write(to: emit)
        case .text: emit(text())
        case .rttm: writeRTTM(to: emit)
        case .csv: writeCSV(to: emit)
        case .html: HTMLReport(file: file, result: result, audio: audio).write(to: emit)
        case .textgrid: Exports.write(.textgrid, file: file, result: result, audio: audio, emit: emit)
        case .eaf: Exports.write(.eaf, file: file, result: result, audio: audio, emit: emit)
        case .audacity: Exports.write(.audacity, file: file, result: result, audio: audio, emit: emit)
        case .vtt: Exports.write(.vtt, file: file, result: result, audio: audio, emit: emit)
        }
    }

    private var labels: [String] { result.speakers.map(\.label) }
    private func sec(_ samples: Int) -> Double { Double(samples) / Double(result.sampleRate) }

    /// NIST RTTM: `SPEAKER <file> 1 <start> <duration> <NA> <NA> <name> <NA> <NA>`, one line a segment.
    public func rttm() -> String { collect(writeRTTM) }
    /// One row per segment and per event: `kind,start,end,speaker,target,detail`.
    public func csv() -> String { collect(writeCSV) }

    private func collect(_ body: ((String) -> Void) -> Void) -> String {
        var out = ""
        body { out += $0 }
        return out
    }

    private func writeRTTM(to emit: (String) -> Void) {
        let uri = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent.replacingOccurrences(of: " ", with: "_")
        let names = labels.map { $0.replacingOccurrences(of: " ", with: "_") }
        for s in result.segments {
            emit(String(format: "SPEAKER %@ 1 %.3f %.3f <NA> <NA> %@ <NA> <NA>\n", uri, sec(s.startSample), sec(s.endSample - s.startSample), names[s.speaker]))
        }
    }

    private func writeCSV(to emit: (String) -> Void) {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        let labels = self.labels
        emit("kind,start,end,speaker,target,detail\n")
        func segmentRow(_ s: SpeechSegment) -> String {
            String(format: "segment,%.3f,%.3f,%@,,\n", sec(s.startSample), sec(s.endSample), field(labels[s.speaker]))
        }
        func eventRow(_ e: ConversationEvent) -> String {
            var detail = ""
            if let ok = e.successful { detail = ok ? "successful" : "unsuccessful" }
            if let share = e.share { detail = String(format: "share %.2f", share) }
            if let who = e.speakers { detail = who.map { labels[$0] }.joined(separator: "+") }
            return String(format: "%@,%.3f,%.3f,%@,%@,%@\n", e.kind.rawValue, sec(e.startSample),
                          sec(e.startSample + e.durationSamples), field(e.by.map { labels[$0] } ?? ""),
                          field(e.of.map { labels[$0] } ?? ""), field(detail))
        }
        // Both lists are in time order: merge them, segments first at equal times.
        var i = 0, j = 0
        let segments = result.segments, events = result.events
        while i < segments.count || j < events.count {
            if j == events.count || (i < segments.count && segments[i].startSample <= events[j].startSample) {
                emit(segmentRow(segments[i])); i += 1
            } else {
                emit(eventRow(events[j])); j += 1
            }
        }
    }

    /// The human summary.
    public func text() -> String {
        let r = result
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        func clock(_ samples: Int) -> String {
            let t = sec(samples)
            let m = Int(t) / 60, s = t - Double(m * 60)
            return String(format: "%d:%04.1f", m, s)
        }
        let name = URL(fileURLWithPath: file).lastPathComponent
        line("TalkBalance report: \(name)")
        if let note = r.note { line("(\(note))") }
        line(String(format: "%@ long, %d channel%@ at %d Hz; speech %@, silence %@, overlap %@",
                    clock(r.durationSamples), r.channelCount, r.channelCount == 1 ? "" : "s", r.sampleRate,
                    clock(r.durationSamples - r.silenceSamples), clock(r.silenceSamples), clock(r.overlapSamples)))
        line()
        let width = max(7, labels.map(\.count).max() ?? 0)
        func pad(_ s: String) -> String { s.padding(toLength: width, withPad: " ", startingAt: 0) }
        line(pad("Person") + "  " + "Talk".leftPadded(7) + " " + "Share".leftPadded(6) + "  " + "Turns" + "  " + "Longest".leftPadded(8)
             + "  Interrupted  Was interrupted  Backchannels")
        let measured = r.overlapNotMeasured == nil
        let backchannelsMeasured = measured && (r.overlapInPart == nil || r.backchannelsInPart == true)
        func count(_ n: Int, _ width: Int, measured: Bool = measured) -> String { (measured ? "\(n)" : "-").leftPadded(width) }
        for s in r.speakers {
            // From the share as printed (0.1 %), so a report re-rendered from its JSON draws the same bar.
            let bar = String(repeating: "#", count: Int(((s.share * 1000).rounded() / 1000 * 20).rounded()))
            line(String(format: "%@  %@ %5.1f%%  %5d  %7.1fs  %@  %@  %@  %@", pad(s.label), clock(s.talkSamples).leftPadded(7),
                        s.share * 100, s.turns, sec(s.longestTurnSamples), count(s.interruptionsMade, 11),
                        count(s.interruptionsSuffered, 15), count(s.backchannels, 12, measured: backchannelsMeasured), bar))
        }
        line("Share = talk time / everyone's talk time (overlap counts for each speaker, silence excluded).")
        line(JSONReport.pausesCountedText(bridgeSeconds: r.config.bridgePauseSeconds) + " (--bridge-pause); tools differ on this.")
        let interruptions = r.events.filter { $0.kind == .interruption }
        let flags = r.events.filter { $0.kind == .monologue || $0.kind == .imbalance }
        line()
        if let why = r.overlapNotMeasured {
            line("Interruptions and backchannels: not measured (\(why)).")
        } else if interruptions.isEmpty {
            line(r.overlapInPart.map { "No interruptions found (\($0))." } ?? "No interruptions.")
        } else {
            line("Interruptions" + (r.overlapInPart.map { " (\($0))" } ?? "") + ":")
            for e in interruptions {
                line("  \(clock(e.startSample))  \(labels[e.by!]) interrupted \(labels[e.of!]) (\(e.successful == true ? "took the floor" : "the floor holder kept talking"))")
            }
        }
        if !flags.isEmpty {
            line()
            line("Flags:")
            for e in flags {
                switch e.kind {
                case .monologue:
                    line(String(format: "  %@  %@ held the floor for %.0f s (monologue)", clock(e.startSample), labels[e.by!], sec(e.durationSamples)))
                case .imbalance:
                    line(String(format: "  %@  %@ had %.0f%% of the talk in the last %.0f s", clock(e.startSample), labels[e.by!],
                                (e.share ?? 0) * 100, min(r.config.windowSeconds, sec(e.startSample))))
                default: break
                }
            }
        }
        if r.marks.contains(where: { $0.kind == .sender }) {
            line()
            line("Imago roles (from the sender marks): talk while sending / while receiving")
            for s in r.speakers {
                line(String(format: "  %@  sending %@, receiving %@", pad(s.label), clock(s.sendingSamples), clock(s.receivingSamples)))
            }
        }
        let bookmarks = r.marks.filter { $0.kind == .bookmark }
        if !bookmarks.isEmpty {
            line()
            line("Bookmarks: " + bookmarks.map { clock($0.sample) }.joined(separator: ", "))
        }
        let overlaps = r.events.filter { $0.kind == .overlap }.count
        let backchannels = r.events.filter { $0.kind == .backchannel }.count
        line()
        if r.overlapNotMeasured == nil && r.overlapInPart != nil && r.backchannelsInPart == true {
            line("\(r.turns.count) turns, \(backchannels) backchannels and \(overlaps) overlaps (found in part), \(r.gapCount) gaps, \(r.pauseCount) pauses.")
        } else if r.overlapNotMeasured == nil && r.overlapInPart != nil {
            line("\(r.turns.count) turns, \(overlaps) overlaps (found in part), \(r.gapCount) gaps, \(r.pauseCount) pauses (backchannels not measured).")
        } else if r.overlapNotMeasured == nil {
            line("\(r.turns.count) turns, \(backchannels) backchannels, \(overlaps) overlaps, \(r.gapCount) gaps, \(r.pauseCount) pauses.")
        } else {
            line("\(r.turns.count) turns, \(r.gapCount) gaps, \(r.pauseCount) pauses (backchannels and overlaps not measured).")
        }
        return out
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
