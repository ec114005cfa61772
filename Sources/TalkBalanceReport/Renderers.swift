import Foundation
import TalkBalanceCore

/// Output formats of `talkbalance analyze`.
public enum ReportFormat: String, CaseIterable, Sendable {
    case text, json, rttm, csv
}

/// Renders one session result in any format. Pure: result in, text out.
public struct ReportRenderer: Sendable {
    public let file: String
    public let result: SessionResult
    public init(file: String, result: SessionResult) {
        self.file = file
        self.result = result
    }

    public func render(_ format: ReportFormat) -> Data {
        switch format {
        case .json: return JSONReport(file: file, result: result).encoded() + Data("\n".utf8)
        case .text: return Data(text().utf8)
        case .rttm: return Data(rttm().utf8)
        case .csv: return Data(csv().utf8)
        }
    }

    private var labels: [String] { result.speakers.map(\.label) }
    private func sec(_ samples: Int) -> Double { Double(samples) / Double(result.sampleRate) }

    /// NIST RTTM: `SPEAKER <file> 1 <start> <duration> <NA> <NA> <name> <NA> <NA>`, one line a segment.
    public func rttm() -> String {
        let uri = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent.replacingOccurrences(of: " ", with: "_")
        return result.segments.map {
            let name = labels[$0.speaker].replacingOccurrences(of: " ", with: "_")
            return String(format: "SPEAKER %@ 1 %.3f %.3f <NA> <NA> %@ <NA> <NA>\n", uri, sec($0.startSample), sec($0.endSample - $0.startSample), name)
        }.joined()
    }

    /// One row per segment and per event: `kind,start,end,speaker,target,detail`.
    public func csv() -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var rows = ["kind,start,end,speaker,target,detail"]
        var items: [(Int, String)] = result.segments.map {
            ($0.startSample, String(format: "segment,%.3f,%.3f,%@,,", sec($0.startSample), sec($0.endSample), field(labels[$0.speaker])))
        }
        for e in result.events {
            var detail = ""
            if let ok = e.successful { detail = ok ? "successful" : "unsuccessful" }
            if let share = e.share { detail = String(format: "share %.2f", share) }
            if let who = e.speakers { detail = who.map { labels[$0] }.joined(separator: "+") }
            items.append((e.startSample, String(format: "%@,%.3f,%.3f,%@,%@,%@", e.kind.rawValue, sec(e.startSample),
                                                 sec(e.startSample + e.durationSamples), field(e.by.map { labels[$0] } ?? ""),
                                                 field(e.of.map { labels[$0] } ?? ""), field(detail))))
        }
        rows += items.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
        return rows.joined(separator: "\n") + "\n"
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
        line(String(format: "%@ long, %d channel%@ at %d Hz; speech %@, silence %@, overlap %@",
                    clock(r.durationSamples), r.channelCount, r.channelCount == 1 ? "" : "s", r.sampleRate,
                    clock(r.durationSamples - r.silenceSamples), clock(r.silenceSamples), clock(r.overlapSamples)))
        line()
        let width = max(7, labels.map(\.count).max() ?? 0)
        func pad(_ s: String) -> String { s.padding(toLength: width, withPad: " ", startingAt: 0) }
        line("\(pad("Person"))  Talk    Share  Turns  Longest  Interrupted  Was interrupted  Backchannels")
        for s in r.speakers {
            let bar = String(repeating: "#", count: Int((s.share * 20).rounded()))
            line(String(format: "%@  %@ %5.1f%%  %5d  %7.1fs  %11d  %15d  %12d  %@", pad(s.label), clock(s.talkSamples).leftPadded(7),
                        s.share * 100, s.turns, sec(s.longestTurnSamples), s.interruptionsMade, s.interruptionsSuffered,
                        s.backchannels, bar))
        }
        line("Share = talk time / everyone's talk time (overlap counts for each speaker, silence excluded).")
        let interruptions = r.events.filter { $0.kind == .interruption }
        let flags = r.events.filter { $0.kind == .monologue || $0.kind == .imbalance }
        line()
        if interruptions.isEmpty {
            line("No interruptions.")
        } else {
            line("Interruptions:")
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
        let overlaps = r.events.filter { $0.kind == .overlap }.count
        let backchannels = r.events.filter { $0.kind == .backchannel }.count
        line()
        line("\(r.turns.count) turns, \(backchannels) backchannels, \(overlaps) overlaps, \(r.gapCount) gaps, \(r.pauseCount) pauses.")
        return out
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
