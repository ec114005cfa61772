import Foundation
import TalkBalanceCore

/// How each person's share, interruptions and (when named) the facilitator's share changed across
/// sessions: for a supervisor following a trainee, or a couple over weeks. People are matched by label.
public struct Comparison: Sendable {
    public struct Session: Sendable {
        public var name: String
        public var result: SessionResult
        public init(name: String, result: SessionResult) {
            self.name = name
            self.result = result
        }
    }

    public let sessions: [Session]
    public let facilitator: String?

    public init(sessions: [Session], facilitator: String? = nil) {
        self.sessions = sessions
        self.facilitator = facilitator
    }

    /// Every label in order of first appearance.
    public var people: [String] {
        var seen: [String] = []
        for s in sessions { for p in s.result.speakers where !seen.contains(p.label) { seen.append(p.label) } }
        return seen
    }

    func summary(_ person: String, in session: Session) -> SpeakerSummary? {
        session.result.speakers.first { $0.label == person }
    }

    /// Client talk share in a session with a facilitator: talk of everyone but the facilitator / all talk.
    func clientShare(_ session: Session) -> Double? {
        guard let facilitator, summary(facilitator, in: session) != nil else { return nil }
        return session.result.speakers.filter { $0.label != facilitator }.reduce(0) { $0 + $1.share }
    }

    public func text() -> String {
        var out = "TalkBalance comparison of \(sessions.count) sessions\n\n"
        let nameWidth = max(8, people.map(\.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        let columns = sessions.map { URL(fileURLWithPath: $0.name).deletingPathExtension().lastPathComponent }
        let width = max(22, columns.map(\.count).max() ?? 0) + 2
        out += pad("Share", nameWidth) + "  " + columns.map { pad($0, width) }.joined() + "\n"
        for person in people {
            out += pad(person, nameWidth) + "  " + sessions.map { s in
                pad(summary(person, in: s).map { String(format: "%5.1f%%", $0.share * 100) } ?? "    -", width)
            }.joined() + "\n"
        }
        out += "\n" + pad("Interrupted", nameWidth) + "  " + columns.map { pad($0, width) }.joined() + "\n"
        for person in people {
            out += pad(person, nameWidth) + "  " + sessions.map { s in
                pad(summary(person, in: s).map { s.result.overlapNotMeasured != nil ? "not measured" : "\($0.interruptionsMade) made, \($0.interruptionsSuffered) suffered" } ?? "-", width)
            }.joined() + "\n"
        }
        if let facilitator {
            out += "\nFacilitator \(facilitator): share / client share (healthy: clients > 60%, even 40-60%, under 40% therapist-heavy)\n"
            for (s, column) in zip(sessions, columns) {
                if let f = summary(facilitator, in: s), let clients = clientShare(s) {
                    out += String(format: "  %@  facilitator %.1f%%, clients %.1f%% (%@)\n", pad(column, width), f.share * 100, clients * 100,
                                  clients > 0.6 ? "healthy" : clients >= 0.4 ? "even" : "therapist-heavy")
                } else {
                    out += "  \(pad(column, width))  \(facilitator) is not in this session\n"
                }
            }
        }
        out += "\nShare = talk time / everyone's talk time in that session (overlap counts for each speaker, silence excluded).\n"
        return out
    }

    public func html() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let columns = sessions.map { URL(fileURLWithPath: $0.name).deletingPathExtension().lastPathComponent }
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>TalkBalance comparison</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#111}
        table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:.3em .6em;text-align:right}
        th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:bold;margin-bottom:.3em}
        svg text{font-size:12px}
        </style></head><body>
        <h1>TalkBalance comparison of \(sessions.count) sessions</h1>
        <p>Share = talk time / everyone's talk time in that session (overlap counts for each speaker, silence excluded).</p>

        """
        h += "<table><caption>Share of talk</caption><tr><th scope=\"col\">Person</th>" + columns.map { "<th scope=\"col\">\(esc($0))</th>" }.joined() + "</tr>\n"
        for person in people {
            h += "<tr><th scope=\"row\">\(esc(person))</th>" + sessions.map { s in
                "<td>" + (summary(person, in: s).map { String(format: "%.1f%%", $0.share * 100) } ?? "&ndash;") + "</td>"
            }.joined() + "</tr>\n"
        }
        h += "</table>\n<table><caption>Interruptions made / suffered</caption><tr><th scope=\"col\">Person</th>" + columns.map { "<th scope=\"col\">\(esc($0))</th>" }.joined() + "</tr>\n"
        for person in people {
            h += "<tr><th scope=\"row\">\(esc(person))</th>" + sessions.map { s in
                "<td>" + (summary(person, in: s).map { s.result.overlapNotMeasured != nil ? "not measured" : "\($0.interruptionsMade) / \($0.interruptionsSuffered)" } ?? "&ndash;") + "</td>"
            }.joined() + "</tr>\n"
        }
        h += "</table>\n"
        if let facilitator {
            h += "<table><caption>Facilitator \(esc(facilitator)) and clients</caption><tr><th scope=\"col\">Session</th><th scope=\"col\">Facilitator</th><th scope=\"col\">Clients</th><th scope=\"col\">Reading</th></tr>\n"
            for (s, column) in zip(sessions, columns) {
                if let f = summary(facilitator, in: s), let clients = clientShare(s) {
                    h += String(format: "<tr><th scope=\"row\">%@</th><td>%.1f%%</td><td>%.1f%%</td><td>%@</td></tr>\n", esc(column), f.share * 100,
                                clients * 100, clients > 0.6 ? "healthy (clients over 60%)" : clients >= 0.4 ? "even" : "therapist-heavy")
                }
            }
            h += "</table>\n"
        }
        // Share per person across sessions: one labelled line each (labels at the ends, so no colour is needed).
        let w = 640.0, ht = 240.0, left = 50.0, right = 120.0, top = 20.0, bottom = 40.0
        let n = max(1, sessions.count - 1)
        func x(_ i: Int) -> Double { left + (w - left - right) * Double(i) / Double(n) }
        func y(_ share: Double) -> Double { top + (ht - top - bottom) * (1 - share) }
        h += "<figure><svg role=\"img\" aria-label=\"Share of talk per person across sessions\" width=\"\(Int(w))\" height=\"\(Int(ht))\" viewBox=\"0 0 \(Int(w)) \(Int(ht))\">\n"
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            h += String(format: "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/><text x=\"4\" y=\"%.1f\">%.0f%%</text>\n", left, w - right, y(tick), y(tick), y(tick) + 4, tick * 100)
        }
        for (i, column) in columns.enumerated() {
            h += String(format: "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%@</text>\n", x(i), ht - 15, esc(column))
        }
        let dashes = ["", "6 3", "2 3", "8 3 2 3"]
        for (k, person) in people.enumerated() {
            let points = sessions.enumerated().compactMap { i, s in summary(person, in: s).map { String(format: "%.1f,%.1f", x(i), y($0.share)) } }
            guard !points.isEmpty else { continue }
            h += "<polyline fill=\"none\" stroke=\"#222\" stroke-width=\"2\" stroke-dasharray=\"\(dashes[k % dashes.count])\" points=\"\(points.joined(separator: " "))\"/>\n"
            if let last = sessions.indices.last(where: { summary(person, in: sessions[$0]) != nil }), let p = summary(person, in: sessions[last]) {
                h += String(format: "<text x=\"%.1f\" y=\"%.1f\">%@ %.0f%%</text>\n", x(last) + 6, y(p.share) + 4, esc(person), p.share * 100)
            }
        }
        h += "</svg><figcaption>Share of talk per person across sessions.</figcaption></figure>\n</body></html>\n"
        return h
    }
}
