import Foundation
import TalkBalanceCore

/// A self-contained HTML report of one session: one file, no network requests, no external scripts, fonts,
/// style sheets or images. Everything is drawn as inline SVG; a small inline script only seeks the
/// recording (when `audio` is given) and filters the event list. The output depends only on the input
/// (no dates, no randomness), so the same session gives the same bytes.
///
/// Size: the timeline is split into at most 12 rows (rows of 1, 2, 3, 5, 10, 15, 20, 30 or 60 minutes), each
/// 870 units wide, and speech closer than half a unit is merged into one rectangle, so the timeline is
/// bounded by rows x people x 870 rectangles whatever the number of segments; the balance chart draws at most
/// 1,000 points a person; the event list has one row per event and mark. A 60-minute session with thousands
/// of segments and events stays well under 2 MB (tested).
public struct HTMLReport: Sendable {
    public let file: String
    public let result: SessionResult
    /// Where the page's `<audio>` element finds the recording, relative to the HTML file (or a URL);
    /// nil: no playback, no play buttons.
    public let audio: String?

    public init(file: String, result: SessionResult, audio: String?) {
        self.file = file
        self.result = result
        self.audio = audio
    }

    /// The whole page in memory (tests, small sessions).
    public func render() -> String {
        var out = ""
        write { out += $0 }
        return out
    }

    /// Writes the page piece by piece (a row of the timeline, a table, a few event rows at a time).
    public func write(to emit: (String) -> Void) {
        let name = URL(fileURLWithPath: file).lastPathComponent
        emit("""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="TalkBalance">
        <title>TalkBalance report: \(hesc(name))</title>
        <style>\(Self.css)\(personCSS())</style>
        </head>
        <body>
        <header>
        <h1>TalkBalance report: <span class="file">\(hesc(name))</span></h1>
        <p class="sub">\(hesc(summaryLine()))</p>
        <nav aria-label="Sections"><a href="#share">Share</a> <a href="#timeline">Timeline</a> <a href="#balance">Balance over time</a> <a href="#interruptions">Interruptions</a> <a href="#turns">Turns</a>\(hasSenderMarks ? " <a href=\"#roles\">Imago roles</a>" : "") <a href="#events">Events</a></nav>

        """)
        if let audio {
            emit("<p class=\"player\"><audio id=\"player\" controls preload=\"metadata\" src=\"\(hesc(Self.audioSource(audio)))\">Your browser cannot play the recording.</audio></p>\n")
        }
        emit("</header>\n<main>\n")
        writeShare(to: emit)
        writeTimeline(to: emit)
        writeBalance(to: emit)
        writeInterruptions(to: emit)
        writeTurns(to: emit)
        if hasSenderMarks { writeRoles(to: emit) }
        writeEvents(to: emit)
        emit("</main>\n<script>\(Self.script)</script>\n</body>\n</html>\n")
    }

    // MARK: - Sections

    private func writeShare(to emit: (String) -> Void) {
        let r = result
        emit("<section id=\"share\" aria-labelledby=\"share-h\">\n<h2 id=\"share-h\">Share of the talk</h2>\n")
        emit("<p class=\"definition\">Share = \(hesc(JSONReport.shareDefinitionText)). \(JSONReport.pausesCountedText(bridgeSeconds: r.config.bridgePauseSeconds)).</p>\n")
        let rowH = 30.0, left = 170.0, barMax = 560.0
        let height = Double(max(1, r.speakers.count)) * rowH + 6
        var svg = "<svg class=\"chart bars\" viewBox=\"0 0 1000 \(hf(height))\" role=\"img\" aria-labelledby=\"share-t\"><title id=\"share-t\">"
        svg += hesc(r.speakers.map { "\($0.label): \(percent($0.share)), \(clock($0.talkSamples))" }.joined(separator: "; "))
        svg += "</title>\n"
        for (i, s) in r.speakers.enumerated() {
            let y = Double(i) * rowH + 4
            let w = max(0, min(1, s.share.isFinite ? s.share : 0)) * barMax
            svg += "<text x=\"\(hf(left - 10))\" y=\"\(hf(y + 17))\" text-anchor=\"end\" class=\"lbl\">\(hesc(short(s.label, 24)))</text>"
            svg += "<rect x=\"\(hf(left))\" y=\"\(hf(y))\" width=\"\(hf(barMax))\" height=\"22\" class=\"track\"/>"
            svg += "<rect x=\"\(hf(left))\" y=\"\(hf(y))\" width=\"\(hf(w))\" height=\"22\" class=\"\(pc(i))\"/>"
            svg += "<text x=\"\(hf(left + barMax + 10))\" y=\"\(hf(y + 17))\" class=\"val\">\(percent(s.share)) · \(clock(s.talkSamples)) talk</text>\n"
        }
        svg += "</svg>\n"
        emit("<figure>\(svg)</figure>\n")
        emit("<p>Speech \(clock(r.durationSamples - r.silenceSamples)), silence \(clock(r.silenceSamples)), overlap \(clock(r.overlapSamples)) (both speaking; counted for each of them). \(r.turns.count) turns, \(r.gapCount) gaps, \(r.pauseCount) pauses.</p>\n</section>\n")
    }

    /// Timeline geometry: rows of `rowSamples`, each 870 units wide after a 110-unit label column.
    private struct Geometry {
        let rowSamples: Int
        let rows: Int
        let tickSamples: Int
        static let left = 110.0, plot = 870.0, width = 1000.0
        func x(_ sample: Int, row: Int) -> Double {
            Self.left + Double(sample - row * rowSamples) / Double(rowSamples) * Self.plot
        }
    }

    private func geometry() -> Geometry {
        let rate = max(1, result.sampleRate)
        let seconds = max(Double(result.durationSamples) / Double(rate), 1)
        let rowSeconds: Int
        if seconds <= 120 {
            rowSeconds = [10, 20, 30, 45, 60, 90, 120].first { Double($0) >= seconds } ?? 120
        } else {
            rowSeconds = [60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200, 14400, 28800, 86400]
                .first { (seconds / Double($0)).rounded(.up) <= 12 } ?? Int((seconds / 12).rounded(.up))
        }
        let rowSamples = rowSeconds * rate
        let rows = max(1, (result.durationSamples + rowSamples - 1) / rowSamples)
        let tick = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].first { rowSeconds / $0 <= 10 } ?? rowSeconds
        return Geometry(rowSamples: rowSamples, rows: rows, tickSamples: tick * rate)
    }

    private func writeTimeline(to emit: (String) -> Void) {
        let r = result
        let g = geometry()
        let people = r.speakers.count
        emit("<section id=\"timeline\" aria-labelledby=\"timeline-h\">\n<h2 id=\"timeline-h\">Timeline</h2>\n")
        emit("<p class=\"note\">One lane per person (name at the left of each lane), \(g.rows) row\(g.rows == 1 ? "" : "s") of \(clock(g.rowSamples, tenths: false)). The list of events below has the same moments as text.</p>\n")
        emit(legend())

        // Per-speaker segments in time order; events and marks by kind.
        var bySpeaker = [[SpeechSegment]](repeating: [], count: people)
        for s in r.segments where s.speaker >= 0 && s.speaker < people { bySpeaker[s.speaker].append(s) }
        for i in bySpeaker.indices { bySpeaker[i].sort { ($0.startSample, $0.endSample) < ($1.startSample, $1.endSample) } }
        let overlaps = r.events.filter { $0.kind == .overlap }.sorted { $0.startSample < $1.startSample }
        let senders = senderIntervals()

        let axisH = 20.0, senderH = senders.isEmpty ? 0.0 : 18.0, laneH = 26.0, overlapH = 14.0, bandH = 30.0
        let lanesTop = axisH + senderH
        let overlapTop = lanesTop + Double(people) * laneH
        let bandTop = overlapTop + overlapH
        let height = bandTop + bandH
        func laneMid(_ p: Int) -> Double { lanesTop + Double(p) * laneH + 10.5 }

        for row in 0..<g.rows {
            let from = row * g.rowSamples, to = min(r.durationSamples, from + g.rowSamples)
            let rowEndX = g.x(max(to, from), row: row)
            var talk = [Int](repeating: 0, count: people)
            for (p, list) in bySpeaker.enumerated() {
                for s in list where s.endSample > from && s.startSample < to {
                    talk[p] += min(s.endSample, to) - max(s.startSample, from)
                }
            }
            let title = "Timeline \(clock(from, tenths: false)) to \(clock(to, tenths: false)): "
                + r.speakers.enumerated().map { "\($0.element.label) \(clock(talk[$0.offset])) talk" }.joined(separator: ", ")
            var s = "<div class=\"row\"><svg class=\"chart timeline\" viewBox=\"0 0 \(hf(Geometry.width)) \(hf(height))\" role=\"img\" aria-labelledby=\"row\(row)-t\"><title id=\"row\(row)-t\">\(hesc(title))</title>\n"
            // Axis and grid.
            var t = from
            while t <= from + g.rowSamples {
                let x = g.x(t, row: row)
                s += "<line x1=\"\(hf(x))\" y1=\"16\" x2=\"\(hf(x))\" y2=\"\(hf(bandTop))\" class=\"grid\"/><text x=\"\(hf(x))\" y=\"12\" text-anchor=\"middle\" class=\"tick\">\(clock(t, tenths: false))</text>"
                t += g.tickSamples
            }
            s += "\n"
            if rowEndX < Geometry.left + Geometry.plot - 0.5 {
                s += "<rect x=\"\(hf(rowEndX))\" y=\"\(hf(lanesTop))\" width=\"\(hf(Geometry.left + Geometry.plot - rowEndX))\" height=\"\(hf(bandTop - lanesTop))\" class=\"after\"/><text x=\"\(hf(rowEndX + 6))\" y=\"\(hf(lanesTop + 14))\" class=\"tick\">end</text>\n"
            }
            // Imago sender lane.
            if !senders.isEmpty {
                s += "<text x=\"\(hf(Geometry.left - 6))\" y=\"\(hf(axisH + 12))\" text-anchor=\"end\" class=\"lbl small\">Sender</text>"
                for iv in senders where iv.end > from && iv.start < to {
                    let x0 = g.x(max(iv.start, from), row: row), x1 = g.x(min(iv.end, to), row: row)
                    guard let p = iv.person else { continue }
                    let label = r.speakers.indices.contains(p) ? r.speakers[p].label : "?"
                    s += "<g><title>\(hesc("\(label) sending from \(clock(iv.start))"))</title><rect x=\"\(hf(x0))\" y=\"\(hf(axisH + 2))\" width=\"\(hf(max(0.5, x1 - x0)))\" height=\"14\" class=\"\(pc(p)) sender\"/>"
                    let text = short(label, 16) + " sends"
                    if x1 - x0 > Double(text.count) * 6.2 + 6 {
                        s += "<text x=\"\(hf(x0 + 3))\" y=\"\(hf(axisH + 13))\" class=\"inlbl\">\(hesc(text))</text>"
                    }
                    s += "</g>"
                }
                s += "\n"
            }
            emit(s)
            // One lane per person: a nested <svg class="lane"> each.
            for p in 0..<people {
                let y = lanesTop + Double(p) * laneH
                var lane = "<text x=\"\(hf(Geometry.left - 6))\" y=\"\(hf(y + 15))\" text-anchor=\"end\" class=\"lbl\">\(hesc(short(r.speakers[p].label, 14)))</text>"
                lane += "<svg class=\"lane \(pc(p))\" x=\"0\" y=\"\(hf(y))\" width=\"\(hf(Geometry.width))\" height=\"\(hf(laneH))\" aria-label=\"\(hesc(r.speakers[p].label))\">"
                lane += "<rect x=\"\(hf(Geometry.left))\" y=\"2\" width=\"\(hf(rowEndX - Geometry.left))\" height=\"19\" class=\"bg\"/>"
                lane += mergedRects(bySpeaker[p].lazy.map { ($0.startSample, $0.endSample) }, row: row, from: from, to: to, g: g, y: 4, h: 15)
                // Monologues: a thick bar under the speech; backchannels: a small triangle under it.
                for e in r.events where e.by == p && e.startSample < to && e.startSample + e.durationSamples > from {
                    if e.kind == .monologue {
                        let x0 = g.x(max(e.startSample, from), row: row), x1 = g.x(min(e.startSample + e.durationSamples, to), row: row)
                        lane += "<rect x=\"\(hf(x0))\" y=\"21\" width=\"\(hf(max(1, x1 - x0)))\" height=\"4\" class=\"mono\"/>"
                    } else if e.kind == .backchannel, e.startSample >= from {
                        let x = g.x(e.startSample, row: row)
                        lane += "<path d=\"M\(hf(x)) 20.5l3.5 5h-7z\" class=\"bc\"/>"
                    }
                }
                lane += "</svg>\n"
                emit(lane)
            }
            // Overlap lane.
            var o = "<text x=\"\(hf(Geometry.left - 6))\" y=\"\(hf(overlapTop + 10))\" text-anchor=\"end\" class=\"lbl small\">overlap</text>"
            o += mergedRects(overlaps.lazy.map { ($0.startSample, $0.startSample + $0.durationSamples) }, row: row, from: from, to: to, g: g, y: overlapTop + 2, h: 9, cls: "ovl")
            emit(o + "\n")
            // Interruptions, imbalance flags, monologue labels and bookmarks, labelled in the band below.
            var labels = LabelPlacer(top: bandTop)
            var marks = ""
            for e in r.events where e.startSample >= from && e.startSample < to {
                let x = g.x(e.startSample, row: row)
                switch e.kind {
                case .interruption:
                    guard let by = e.by, let of = e.of, by < people, of < people else { continue }
                    let y0 = laneMid(by), y1 = laneMid(of)
                    let dir = y1 > y0 ? 1.0 : -1.0
                    let tip = y1 - dir * 7
                    let ok = e.successful == true
                    let text = "\(short(r.speakers[by].label, 12))→\(short(r.speakers[of].label, 12))"
                    marks += "<g class=\"int\"><title>\(hesc("\(clock(e.startSample)) \(r.speakers[by].label) interrupted \(r.speakers[of].label) (\(ok ? "took the floor" : "the floor holder kept talking"))"))</title>"
                    marks += "<line x1=\"\(hf(x))\" y1=\"\(hf(y0))\" x2=\"\(hf(x))\" y2=\"\(hf(tip - dir * 6))\"/>"
                    marks += "<path d=\"M\(hf(x)) \(hf(tip))l-4.5 \(hf(-dir * 7))h9z\" class=\"\(ok ? "head" : "head open")\"/>"
                    marks += "<line x1=\"\(hf(x))\" y1=\"\(hf(max(y0, y1)))\" x2=\"\(hf(x))\" y2=\"\(hf(bandTop + 2))\" class=\"lead\"/>"
                    marks += labels.place(text, at: x, cls: "evl") + "</g>"
                case .imbalance:
                    guard let by = e.by, by < people else { continue }
                    let text = "! \(short(r.speakers[by].label, 12)) \(percent(e.share ?? 0, digits: 0))"
                    marks += "<g><title>\(hesc("\(clock(e.startSample)) imbalance: \(r.speakers[by].label) had \(percent(e.share ?? 0, digits: 0)) of the talk in the window"))</title>"
                    marks += "<line x1=\"\(hf(x))\" y1=\"\(hf(overlapTop))\" x2=\"\(hf(x))\" y2=\"\(hf(bandTop + 2))\" class=\"lead\"/>"
                    marks += labels.place(text, at: x, cls: "evl") + "</g>"
                case .monologue:
                    guard let by = e.by, by < people else { continue }
                    marks += labels.place("monologue \(short(r.speakers[by].label, 12))", at: x, cls: "evl")
                default: break
                }
            }
            for m in r.marks where m.kind == .bookmark && m.sample >= from && m.sample < to {
                let x = g.x(m.sample, row: row)
                marks += "<g><title>Bookmark at \(clock(m.sample))</title><line x1=\"\(hf(x))\" y1=\"\(hf(axisH - 2))\" x2=\"\(hf(x))\" y2=\"\(hf(bandTop + 2))\" class=\"bm\"/>"
                marks += labels.place("bookmark", at: x, cls: "evl") + "</g>"
            }
            emit(marks + "</svg></div>\n")
        }
        emit("</section>\n")
    }

    /// Rectangles for the intervals (in time order by start) that meet `from..<to`, merging any closer
    /// than half a unit, so the count is bounded by the row's width.
    private func mergedRects<S: Sequence>(_ intervals: S, row: Int, from: Int, to: Int, g: Geometry, y: Double, h: Double, cls: String? = nil) -> String
    where S.Element == (Int, Int) {
        var out = ""
        var current: (Double, Double)?
        let classAttr = cls.map { " class=\"\($0)\"" } ?? ""
        func flush() {
            guard let (a, b) = current else { return }
            out += "<rect x=\"\(hf(a))\" y=\"\(hf(y))\" width=\"\(hf(max(0.6, b - a)))\" height=\"\(hf(h))\"\(classAttr)/>"
        }
        for (start, end) in intervals where end > from && start < to {
            let a = g.x(max(start, from), row: row), b = g.x(min(end, to), row: row)
            if let c = current, a <= c.1 + 0.5 {
                current = (c.0, max(c.1, b))
            } else {
                flush()
                current = (a, b)
            }
        }
        flush()
        return out
    }

    /// Labels in the band under the lanes: two lines; a label that would collide with both is left out
    /// (its marker and tooltip remain, and the event list has every event).
    private struct LabelPlacer {
        let top: Double
        var ends = [-Double.infinity, -Double.infinity]
        mutating func place(_ text: String, at x: Double, cls: String) -> String {
            let width = Double(text.count) * 6.0 + 4
            let x0 = min(max(x - width / 2, Geometry.left), Geometry.width - width)
            for line in 0..<2 where x0 >= ends[line] {
                ends[line] = x0 + width
                return "<text x=\"\(hf(x0 + width / 2))\" y=\"\(hf(top + 12 + Double(line) * 13))\" text-anchor=\"middle\" class=\"\(cls)\">\(hesc(text))</text>"
            }
            return ""
        }
    }

    private func legend() -> String {
        var s = "<ul class=\"legend\" aria-label=\"Legend\">"
        for (i, sp) in result.speakers.enumerated() {
            s += "<li><svg class=\"key\" viewBox=\"0 0 24 14\" aria-hidden=\"true\"><rect x=\"0\" y=\"2\" width=\"24\" height=\"10\" class=\"\(pc(i))\"/></svg>\(hesc(sp.label)) speaking (lane \(i + 1))</li>"
        }
        s += "<li><svg class=\"key\" viewBox=\"0 0 24 14\" aria-hidden=\"true\"><rect x=\"0\" y=\"4\" width=\"24\" height=\"7\" class=\"ovl\"/></svg>overlap (two or more speaking)</li>"
        s += "<li><svg class=\"key\" viewBox=\"0 0 24 14\" aria-hidden=\"true\"><g class=\"int\"><line x1=\"4\" y1=\"1\" x2=\"4\" y2=\"8\"/><path d=\"M4 13l-4-6h8z\" class=\"head\"/><line x1=\"17\" y1=\"1\" x2=\"17\" y2=\"8\"/><path d=\"M17 13l-4-6h8z\" class=\"head open\"/></g></svg>interruption: arrow from the interrupter's lane to the interrupted person's, labelled who→whom; filled head = took the floor, open head = the floor holder kept talking</li>"
        s += "<li><svg class=\"key\" viewBox=\"0 0 24 14\" aria-hidden=\"true\"><path d=\"M12 3l4 7h-8z\" class=\"bc\"/></svg>backchannel (short listener reply; not an interruption)</li>"
        s += "<li><svg class=\"key\" viewBox=\"0 0 24 14\" aria-hidden=\"true\"><rect x=\"0\" y=\"5\" width=\"24\" height=\"4\" class=\"mono\"/></svg>monologue (turn over \(hf(result.config.monologueSeconds, digits: 0)) s)</li>"
        s += "<li><span class=\"textkey\">!</span>imbalance flag (one person's share of the window)</li>"
        if result.marks.contains(where: { $0.kind == .bookmark }) {
            s += "<li><svg class=\"key\" viewBox=\"0 0 24 14\" aria-hidden=\"true\"><line x1=\"12\" y1=\"0\" x2=\"12\" y2=\"14\" class=\"bm\"/></svg>bookmark</li>"
        }
        if hasSenderMarks {
            s += "<li><span class=\"textkey\">Sender</span>Imago sender (from the facilitator's marks)</li>"
        }
        return s + "</ul>\n"
    }

    private func writeBalance(to emit: (String) -> Void) {
        let r = result
        emit("<section id=\"balance\" aria-labelledby=\"balance-h\">\n<h2 id=\"balance-h\">Balance over time</h2>\n")
        let window = clock(Int(r.config.windowSeconds * Double(r.sampleRate)), tenths: false)
        emit("<p class=\"note\">Each person's share of the talk in the last \(window) (sliding window; from the start while the session is shorter), with the imbalance threshold (\(percent(r.config.imbalanceShare, digits: 0))) dashed.</p>\n")
        guard !r.balance.isEmpty, r.durationSamples > 0, r.sampleRate > 0 else {
            emit("<p>No balance points: the session is too short.</p>\n</section>\n")
            return
        }
        let left = 110.0, plot = 780.0, top = 12.0, h = 200.0
        let height = top + h + 30
        func x(_ sample: Int) -> Double { left + Double(sample) / Double(r.durationSamples) * plot }
        func y(_ share: Double) -> Double { top + (1 - max(0, min(1, share))) * h }
        var s = "<figure><svg class=\"chart balance\" viewBox=\"0 0 1000 \(hf(height))\" role=\"img\" aria-labelledby=\"bal-t\"><title id=\"bal-t\">"
        s += hesc("Share over time; at the end: " + r.speakers.enumerated().map { i, sp in
            "\(sp.label) \(percent(r.balance.last!.shares.indices.contains(i) ? r.balance.last!.shares[i] : 0, digits: 0))"
        }.joined(separator: ", "))
        s += "</title>\n"
        for v in [0.0, 0.25, 0.5, 0.75, 1.0] {
            s += "<line x1=\"\(hf(left))\" y1=\"\(hf(y(v)))\" x2=\"\(hf(left + plot))\" y2=\"\(hf(y(v)))\" class=\"\(v == 0.5 ? "grid mid" : "grid")\"/><text x=\"\(hf(left - 6))\" y=\"\(hf(y(v) + 4))\" text-anchor=\"end\" class=\"tick\">\(Int(v * 100))%</text>"
        }
        let thr = r.config.imbalanceShare
        s += "<line x1=\"\(hf(left))\" y1=\"\(hf(y(thr)))\" x2=\"\(hf(left + plot))\" y2=\"\(hf(y(thr)))\" class=\"thr\"/>"
        let tickSeconds = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400].first { r.durationSeconds / Double($0) <= 12 } ?? 14400
        var t = 0
        while t <= r.durationSamples {
            s += "<text x=\"\(hf(x(t)))\" y=\"\(hf(top + h + 16))\" text-anchor=\"middle\" class=\"tick\">\(clock(t, tenths: false))</text>"
            t += tickSeconds * r.sampleRate
        }
        s += "\n"
        emit(s)
        // At most 1,000 points a person.
        let step = max(1, (r.balance.count + 999) / 1000)
        var points = Swift.stride(from: 0, to: r.balance.count, by: step).map { r.balance[$0] }
        if let last = r.balance.last, points.last != last { points.append(last) }
        var ends: [(Int, Double)] = []
        for p in r.speakers.indices {
            let pts = points.compactMap { b -> (Double, Double)? in
                guard b.shares.indices.contains(p), b.shares[p].isFinite else { return nil }
                return (x(b.endSample), y(b.shares[p]))
            }
            guard let lastPoint = pts.last else { continue }
            var list = pts.map { "\(hf($0.0)),\(hf($0.1))" }
            if pts.count == 1 { list.insert("\(hf(pts[0].0 - 8)),\(hf(pts[0].1))", at: 0) }
            emit("<polyline points=\"\(list.joined(separator: " "))\" class=\"line \(pc(p)) dash\(p % Self.dashes.count)\"/>\n")
            ends.append((p, lastPoint.1))
        }
        // End labels (name and last share), pushed apart so they never sit on each other.
        ends.sort { $0.1 < $1.1 }
        var lastY = -Double.infinity
        var labels = ""
        for (p, yy) in ends {
            let ly = max(yy + 4, lastY + 13)
            lastY = ly
            let share = r.balance.last!.shares.indices.contains(p) ? r.balance.last!.shares[p] : 0
            labels += "<text x=\"\(hf(left + plot + 6))\" y=\"\(hf(ly))\" class=\"lbl small\">\(hesc(short(r.speakers[p].label, 10))) \(percent(share, digits: 0))</text>"
        }
        emit(labels + "</svg>\n")
        var legend = "<figcaption><ul class=\"legend\">"
        for (i, sp) in r.speakers.enumerated() {
            legend += "<li><svg class=\"key wide\" viewBox=\"0 0 40 14\" aria-hidden=\"true\"><line x1=\"0\" y1=\"7\" x2=\"40\" y2=\"7\" class=\"line \(pc(i)) dash\(i % Self.dashes.count)\"/></svg>\(hesc(sp.label))</li>"
        }
        legend += "<li><svg class=\"key wide\" viewBox=\"0 0 40 14\" aria-hidden=\"true\"><line x1=\"0\" y1=\"7\" x2=\"40\" y2=\"7\" class=\"thr\"/></svg>imbalance threshold</li></ul></figcaption></figure>\n</section>\n"
        emit(legend)
    }

    private func writeInterruptions(to emit: (String) -> Void) {
        let r = result
        let n = r.speakers.count
        var total = [[Int]](repeating: [Int](repeating: 0, count: n), count: n)
        var ok = total
        for e in r.events where e.kind == .interruption {
            guard let by = e.by, let of = e.of, by < n, of < n else { continue }
            total[by][of] += 1
            if e.successful == true { ok[by][of] += 1 }
        }
        var s = "<section id=\"interruptions\" aria-labelledby=\"interruptions-h\">\n<h2 id=\"interruptions-h\">Interruptions: who interrupted whom</h2>\n"
        if let why = r.overlapNotMeasured {
            emit(s + "<p class=\"note\">Not measured: \(hesc(why)).</p>\n</section>\n")
            return
        }
        if let part = r.overlapInPart { s += "<p class=\"note\">Found in part: \(hesc(part)).</p>\n" }
        s += "<table class=\"matrix\"><caption>Rows: who interrupted; columns: who was interrupted. Each cell: count (took the floor / the floor holder kept talking).</caption>\n"
        s += "<thead><tr><th scope=\"col\">Interrupter ↓ / interrupted →</th>"
        for sp in r.speakers { s += "<th scope=\"col\">\(hesc(sp.label))</th>" }
        s += "<th scope=\"col\">Total made</th></tr></thead>\n<tbody>\n"
        for i in 0..<n {
            s += "<tr><th scope=\"row\">\(hesc(r.speakers[i].label))</th>"
            for j in 0..<n {
                if i == j { s += "<td class=\"n na\" aria-label=\"not applicable\">–</td>"; continue }
                let c = total[i][j]
                s += c == 0 ? "<td class=\"n\">0</td>" : "<td class=\"n\"><strong>\(c)</strong> <span class=\"split\">(\(ok[i][j]) took the floor / \(c - ok[i][j]) kept talking)</span></td>"
            }
            s += "<td class=\"n\">\(total[i].reduce(0, +))</td></tr>\n"
        }
        s += "<tr><th scope=\"row\">Total suffered</th>"
        for j in 0..<n { s += "<td class=\"n\">\((0..<n).map { total[$0][j] }.reduce(0, +))</td>" }
        s += "<td></td></tr>\n</tbody></table>\n"
        s += "<p class=\"note\">An interruption: the listener starts while the floor holder is mid-turn, the overlap lasts over \(hf(r.config.interruptionMinOverlapSeconds, digits: 2)) s and the listener speaks over \(hf(r.config.interruptionMinSpeechSeconds, digits: 1)) s. Backchannels and overlaps at the end of a turn are not interruptions.</p>\n</section>\n"
        emit(s)
    }

    private func writeTurns(to emit: (String) -> Void) {
        let r = result
        let measured = r.overlapNotMeasured == nil
        let backchannelsMeasured = measured && (r.overlapInPart == nil || r.backchannelsInPart == true)
        var s = "<section id=\"turns\" aria-labelledby=\"turns-h\">\n<h2 id=\"turns-h\">Turns and responses</h2>\n"
        s += "<table><thead><tr><th scope=\"col\">Person</th><th scope=\"col\" class=\"n\">Talk</th><th scope=\"col\" class=\"n\">Share</th><th scope=\"col\" class=\"n\">Turns</th><th scope=\"col\" class=\"n\">Mean turn</th><th scope=\"col\" class=\"n\">Longest turn</th><th scope=\"col\" class=\"n\">Mean response latency</th><th scope=\"col\" class=\"n\">Backchannels made / received</th><th scope=\"col\" class=\"n\">Overlap</th></tr></thead>\n<tbody>\n"
        for sp in r.speakers {
            let latency = sp.meanResponseLatencySamples.map { l -> String in
                let v = hf(r.seconds(l), digits: 2) + " s"
                return l < 0 ? v + " (overlapping)" : v
            } ?? "–"
            s += "<tr><th scope=\"row\">\(hesc(sp.label))</th><td class=\"n\">\(clock(sp.talkSamples))</td><td class=\"n\">\(percent(sp.share))</td><td class=\"n\">\(sp.turns)</td><td class=\"n\">\(secs(sp.meanTurnSamples))</td><td class=\"n\">\(secs(sp.longestTurnSamples))</td><td class=\"n\">\(latency)</td><td class=\"n\">\(backchannelsMeasured ? "\(sp.backchannels) / \(sp.backchannelsReceived)" : "not measured")</td><td class=\"n\">\(measured ? secs(sp.overlapSamples) : "not measured")</td></tr>\n"
        }
        s += "</tbody></table>\n"
        s += "<p class=\"note\">Response latency: from the previous floor holder's end to this person's start when they take the floor (negative: they started before the other stopped).</p>\n"
        if let longest = r.turns.filter({ r.speakers.indices.contains($0.speaker) }).max(by: { ($0.endSample - $0.startSample, $1.startSample) < ($1.endSample - $1.startSample, $0.startSample) }) {
            let monologues = r.events.filter { $0.kind == .monologue }.count
            s += "<p><strong>Longest monologue (longest single turn):</strong> \(hesc(r.speakers[longest.speaker].label)) held the floor for \(secs(longest.endSample - longest.startSample)) from \(clock(longest.startSample)). "
            s += monologues == 0 ? "No turn was over \(hf(r.config.monologueSeconds, digits: 0)) s." : "\(monologues) turn\(monologues == 1 ? " was" : "s were") over \(hf(r.config.monologueSeconds, digits: 0)) s (monologues)."
            s += "</p>\n"
        }
        s += "</section>\n"
        emit(s)
    }

    private func writeRoles(to emit: (String) -> Void) {
        let r = result
        let sending = r.speakers.map(\.sendingSamples).reduce(0, +)
        var s = "<section id=\"roles\" aria-labelledby=\"roles-h\">\n<h2 id=\"roles-h\">Imago roles</h2>\n"
        s += "<p class=\"note\">From the sender marks made during the session. Equal voice means equal <em>sending</em> time per partner; talk while receiving is mirroring, validating, or intruding.</p>\n"
        s += "<table><thead><tr><th scope=\"col\">Person</th><th scope=\"col\" class=\"n\">Talk while sending</th><th scope=\"col\" class=\"n\">Share of sending talk</th><th scope=\"col\" class=\"n\">Talk while receiving</th></tr></thead>\n<tbody>\n"
        for sp in r.speakers {
            let share = sending > 0 ? Double(sp.sendingSamples) / Double(sending) : 0
            s += "<tr><th scope=\"row\">\(hesc(sp.label))</th><td class=\"n\">\(clock(sp.sendingSamples))</td><td class=\"n\">\(percent(share))</td><td class=\"n\">\(clock(sp.receivingSamples))</td></tr>\n"
        }
        s += "</tbody></table>\n</section>\n"
        emit(s)
    }

    private func writeEvents(to emit: (String) -> Void) {
        let r = result
        let labels = r.speakers.map(\.label)
        func who(_ i: Int?) -> String { i.flatMap { labels.indices.contains($0) ? labels[$0] : nil } ?? "" }
        struct Row { let sample: Int; let order: Int; let kind: String; let type: String; let by: String; let of: String; let detail: String }
        var rows: [Row] = []
        for (n, e) in r.events.enumerated() {
            switch e.kind {
            case .interruption:
                rows.append(Row(sample: e.startSample, order: n, kind: "interruption", type: "interruption", by: who(e.by), of: who(e.of),
                                detail: e.successful == true ? "took the floor" : "the floor holder kept talking"))
            case .backchannel:
                rows.append(Row(sample: e.startSample, order: n, kind: "backchannel", type: "backchannel", by: who(e.by), of: who(e.of), detail: secs(e.durationSamples)))
            case .overlap:
                rows.append(Row(sample: e.startSample, order: n, kind: "overlap", type: "overlap",
                                by: (e.speakers ?? []).map { who($0) }.joined(separator: " + "), of: "", detail: secs(e.durationSamples)))
            case .monologue:
                rows.append(Row(sample: e.startSample, order: n, kind: "monologue", type: "monologue", by: who(e.by), of: "", detail: "held the floor for \(secs(e.durationSamples))"))
            case .imbalance:
                rows.append(Row(sample: e.startSample, order: n, kind: "imbalance", type: "imbalance", by: who(e.by), of: "",
                                detail: "\(percent(e.share ?? 0, digits: 0)) of the talk in the last \(clock(min(Int(r.config.windowSeconds * Double(r.sampleRate)), e.startSample), tenths: false))"))
            }
        }
        for (n, m) in r.marks.enumerated() {
            switch m.kind {
            case .bookmark:
                rows.append(Row(sample: m.sample, order: r.events.count + n, kind: "mark", type: "bookmark", by: "", of: "", detail: ""))
            case .sender:
                rows.append(Row(sample: m.sample, order: r.events.count + n, kind: "mark", type: "sender",
                                by: m.person == nil ? "nobody" : who(m.person), of: "", detail: m.person == nil ? "nobody sending" : "starts sending"))
            case .enrol:
                rows.append(Row(sample: m.sample, order: r.events.count + n, kind: "mark", type: "enrolment",
                                by: who(m.person), of: "", detail: "voice enrolled"))
            }
        }
        rows.sort { ($0.sample, $0.order) < ($1.sample, $1.order) }
        let kinds = ["interruption", "backchannel", "overlap", "monologue", "imbalance", "mark"]
        var s = "<section id=\"events\" aria-labelledby=\"events-h\">\n<h2 id=\"events-h\">Events</h2>\n"
        if audio != nil {
            s += "<p class=\"note\">Each ▶ button plays the recording from one second before the event.</p>\n"
        }
        s += "<fieldset id=\"filters\" class=\"filters\" hidden><legend>Show</legend>"
        for k in kinds {
            let count = rows.filter { $0.kind == k }.count
            guard count > 0 else { continue }
            s += "<label><input type=\"checkbox\" data-kind=\"\(k)\" checked> \(k == "mark" ? "marks" : k + "s") (\(count))</label> "
        }
        s += "</fieldset>\n"
        s += "<table id=\"event-list\"><thead><tr><th scope=\"col\" class=\"n\">Time</th>\(audio != nil ? "<th scope=\"col\"><span class=\"sr\">Play</span></th>" : "")<th scope=\"col\">Type</th><th scope=\"col\">Who</th><th scope=\"col\">Whom</th><th scope=\"col\">Detail</th></tr></thead>\n<tbody>\n"
        emit(s)
        var chunk = ""
        for (i, row) in rows.enumerated() {
            let time = clock(row.sample)
            chunk += "<tr class=\"k-\(row.kind)\"><td class=\"n\">\(time)</td>"
            if audio != nil {
                let t = r.seconds(row.sample)
                chunk += "<td><button type=\"button\" class=\"play\" data-t=\"\(hf(t, digits: 3))\" aria-label=\"Play from \(clock(max(0, row.sample - r.sampleRate))) (\(row.type) at \(time))\">▶</button></td>"
            }
            chunk += "<td>\(row.type)</td><td>\(hesc(row.by))</td><td>\(hesc(row.of))</td><td>\(hesc(row.detail))</td></tr>\n"
            if i % 64 == 63 { emit(chunk); chunk = "" }
        }
        if rows.isEmpty { chunk += "<tr><td colspan=\"\(audio != nil ? 6 : 5)\">No events.</td></tr>\n" }
        emit(chunk + "</tbody></table>\n</section>\n")
    }

    // MARK: - Helpers

    /// The `src` for `audio`: a URL (with "://") as given; a file path percent-encoded so that spaces, "#",
    /// "?" and "%" in file names survive, with "./" before a first path segment holding ":" (not a scheme).
    static func audioSource(_ audio: String) -> String {
        if audio.contains("://") { return audio }
        var path = audio.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? audio
        if let colon = path.firstIndex(of: ":"), !path[..<colon].contains("/") { path = "./" + path }
        return path
    }

    private var hasSenderMarks: Bool { result.marks.contains { $0.kind == .sender } }

    private struct SenderInterval { let start: Int; let end: Int; let person: Int? }

    private func senderIntervals() -> [SenderInterval] {
        let marks = result.marks.filter { $0.kind == .sender }.sorted { $0.sample < $1.sample }
        return marks.enumerated().map { i, m in
            SenderInterval(start: m.sample, end: i + 1 < marks.count ? marks[i + 1].sample : result.durationSamples, person: m.person)
        }.filter { $0.end > $0.start }
    }

    private func summaryLine() -> String {
        let r = result
        return "\(clock(r.durationSamples)) long, \(r.channelCount) channel\(r.channelCount == 1 ? "" : "s") at \(r.sampleRate) Hz, "
            + "\(r.speakers.count) \(r.speakers.count == 1 ? "person" : "people"): " + r.speakers.map(\.label).joined(separator: ", ")
    }

    private func personCSS() -> String {
        var s = ""
        for i in result.speakers.indices {
            let c = Self.palette[i % Self.palette.count]
            s += ".p\(i){fill:\(c);stroke:\(c)}.lane.p\(i) rect:not(.bg){fill:\(c)}"
        }
        return s + "\n"
    }

    private func pc(_ i: Int) -> String { "p\(i)" }

    private func clock(_ samples: Int, tenths: Bool = true) -> String {
        let raw = result.seconds(samples)
        let t = raw.isFinite ? max(0, raw) : 0
        if tenths {
            let tenthsTotal = Int((t * 10).rounded())
            let h = tenthsTotal / 36000, m = (tenthsTotal / 600) % 60, s = tenthsTotal % 600
            let sec = "\(s / 10 < 10 ? "0" : "")\(s / 10).\(s % 10)"
            return h > 0 ? "\(h):\(m < 10 ? "0" : "")\(m):\(sec)" : "\(m):\(sec)"
        }
        let whole = Int(t.rounded())
        let h = whole / 3600, m = (whole / 60) % 60, s = whole % 60
        let ss = (s < 10 ? "0" : "") + "\(s)"
        return h > 0 ? "\(h):\(m < 10 ? "0" : "")\(m):\(ss)" : "\(m):\(ss)"
    }

    private func secs(_ samples: Int) -> String { hf(result.seconds(samples), digits: 1) + " s" }

    private func percent(_ v: Double, digits: Int = 1) -> String { hf((v.isFinite ? v : 0) * 100, digits: digits) + "%" }

    /// A name shortened for a lane or a label (the full name is in the tables and the event list).
    private func short(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    static let dashes = ["", "9 4", "2 3", "12 3 3 3", "6 6", "1 2"]

    static let css: String = {
        var s = """
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1a1a1a;background:#fff;max-width:1100px;margin:0 auto;padding:12px 24px 40px}
        h1{font-size:1.45em;margin:.3em 0 .1em}h2{font-size:1.15em;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:1px solid #bbb}
        .sub,.note{color:#444}.note{font-size:.92em}.definition{font-weight:600}
        nav a{margin-right:.9em;color:#0b4f8a}
        a:focus-visible,button:focus-visible,input:focus-visible,audio:focus-visible{outline:3px solid #000;outline-offset:2px;box-shadow:0 0 0 5px #ffd500}
        audio{width:100%;max-width:640px}
        figure{margin:0}
        svg.chart{display:block;width:100%;height:auto}
        .row{margin:0 0 10px;break-inside:avoid;page-break-inside:avoid}
        table{border-collapse:collapse;margin:.4em 0;font-variant-numeric:tabular-nums}
        caption{caption-side:top;text-align:left;color:#444;font-size:.92em;padding-bottom:.3em}
        th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
        .n{text-align:right}.na{color:#888}.split{color:#444;font-size:.9em}
        thead th{border-bottom:2px solid #888}
        .legend{list-style:none;padding:0;margin:.3em 0 .8em;display:flex;flex-wrap:wrap;gap:.3em 1.4em;font-size:.9em}
        .legend li{display:flex;align-items:center;gap:.4em;max-width:100%}
        svg.key{width:24px;height:14px;flex:none}svg.key.wide{width:40px}
        .textkey{font-weight:700;border:1px solid #888;padding:0 .3em;font-size:.85em}
        .lbl{font-size:13px;fill:#1a1a1a}.small{font-size:11px}.val{font-size:13px;fill:#1a1a1a}.tick{font-size:10.5px;fill:#444}
        .inlbl{font-size:10.5px;fill:#fff;font-weight:600}.evl{font-size:10.5px;fill:#1a1a1a}
        .track{fill:#eee}.bg{fill:#f4f4f4;stroke-width:.8}.after{fill:#fafafa}
        .grid{stroke:#ddd;stroke-width:1}.grid.mid{stroke:#999}
        .thr{stroke:#555;stroke-width:1.2;stroke-dasharray:5 4;fill:none}
        .ovl{fill:#333}.mono{fill:#000}.bc{fill:#000}
        .int line{stroke:#000;stroke-width:1.6}.int line.lead{stroke:#999;stroke-width:.8;stroke-dasharray:2 2}
        .head{fill:#000;stroke:#000;stroke-width:1.2}.head.open{fill:#fff}
        .lead{stroke:#999;stroke-width:.8;stroke-dasharray:2 2}.bm{stroke:#000;stroke-width:1.2;stroke-dasharray:4 3}
        .sender{fill-opacity:.85}
        svg .line{fill:none;stroke-width:2.4;stroke-linejoin:round}
        button.play{font:inherit;font-size:.85em;padding:1px 8px;border:1px solid #666;border-radius:3px;background:#f4f4f4;color:#000;cursor:pointer}
        button.play:hover{background:#e4e4e4}
        fieldset.filters{border:1px solid #ccc;margin:.4em 0;font-size:.92em}fieldset.filters label{margin-right:1em;white-space:nowrap}
        .sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
        @media print{body{max-width:none;padding:0;font-size:11pt;-webkit-print-color-adjust:exact;print-color-adjust:exact}audio,button,.player,nav,fieldset.filters{display:none!important}
        section,figure,table.matrix{break-inside:avoid;page-break-inside:avoid}h2{break-after:avoid;page-break-after:avoid}tr{break-inside:avoid}}

        """
        for (i, d) in dashes.enumerated() where !d.isEmpty { s += ".dash\(i){stroke-dasharray:\(d)}" }
        for k in ["interruption", "backchannel", "overlap", "monologue", "imbalance", "mark"] { s += ".hide-\(k) tr.k-\(k){display:none}" }
        return s + "\n"
    }()

    /// Seeks the recording to one second before the event on a play button; shows the event filters.
    static let script = """

    (function(){
    var a=document.getElementById('player');
    document.addEventListener('click',function(e){
    var b=e.target&&e.target.closest?e.target.closest('button[data-t]'):null;
    if(!b||!a)return;
    var t=parseFloat(b.getAttribute('data-t'));
    a.currentTime=Math.max(0,t-1);
    var p=a.play();if(p&&p.catch)p.catch(function(){});
    });
    var f=document.getElementById('filters'),l=document.getElementById('event-list');
    if(f&&l){f.hidden=false;f.addEventListener('change',function(e){
    var k=e.target.getAttribute('data-kind');if(k)l.classList.toggle('hide-'+k,!e.target.checked);});}
    })();

    """
}

/// HTML-escapes text and attribute values.
private func hesc(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// A fixed-point number, trailing zeros kept (deterministic, locale-free).
private func hf(_ v: Double, digits: Int = 1) -> String {
    String(format: "%.\(digits)f", v.isFinite ? v : 0)
}
