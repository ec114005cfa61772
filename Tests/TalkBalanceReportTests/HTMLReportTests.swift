import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceReport

/// A 60-minute, three-person session (therapist and a couple) with thousands of short segments, overlaps,
/// backchannels and interruptions, a balance point every 10 s, Imago sender marks and bookmarks.
private func hourResult() throws -> SessionResult {
    var r = try sampleSession()
    let rate = r.sampleRate
    r.durationSamples = 3600 * rate
    var third = r.speakers[0]
    third.index = 2
    third.label = "Therapist"
    r.speakers.append(third)
    r.channelCount = 3
    var seed: UInt64 = 42
    func next(_ n: Int) -> Int {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((seed >> 33) % UInt64(n))
    }
    r.segments = []
    r.turns = []
    r.events = []
    var t = 0
    var talk = [0, 0, 0]
    while t < r.durationSamples - 10 * rate {
        let who = next(3)
        // A turn: a run of short segments (0.2-3 s) with short pauses.
        let turnStart = t
        for _ in 0..<(1 + next(6)) {
            let length = rate / 5 + next(rate)
            r.segments.append(SpeechSegment(speaker: who, startSample: t, endSample: t + length))
            talk[who] += length
            t += length + rate / 10 + next(rate / 5)
        }
        r.turns.append(try decodeTurn(speaker: who, start: turnStart, end: t))
        let other = (who + 1 + next(2)) % 3
        switch next(4) {
        case 0:
            r.events.append(ConversationEvent(kind: .interruption, startSample: t - rate / 2, durationSamples: rate / 2, by: other, of: who, successful: next(2) == 0))
            r.events.append(ConversationEvent(kind: .overlap, startSample: t - rate / 2, durationSamples: rate / 2, speakers: [min(who, other), max(who, other)]))
        case 1:
            r.events.append(ConversationEvent(kind: .backchannel, startSample: t - rate, durationSamples: rate / 3, by: other, of: who))
        default:
            r.events.append(ConversationEvent(kind: .backchannel, startSample: t - 2 * rate, durationSamples: rate / 3, by: other, of: who))
            r.events.append(ConversationEvent(kind: .overlap, startSample: t - rate / 4, durationSamples: rate / 4, speakers: [min(who, other), max(who, other)]))
        }
        t += next(rate)
    }
    r.segments.sort { $0.startSample < $1.startSample }
    r.events.sort { $0.startSample < $1.startSample }
    r.events.append(ConversationEvent(kind: .monologue, startSample: 1200 * rate, durationSamples: 95 * rate, by: 2))
    r.events.append(ConversationEvent(kind: .imbalance, startSample: 1500 * rate, by: 2, share: 0.71))
    r.events.sort { $0.startSample < $1.startSample }
    let total = talk.reduce(0, +)
    for i in 0..<3 {
        r.speakers[i].talkSamples = talk[i]
        r.speakers[i].share = Double(talk[i]) / Double(total)
        r.speakers[i].sendingSamples = talk[i] / 2
        r.speakers[i].receivingSamples = talk[i] / 4
    }
    let template = r.balance[0]
    r.balance = stride(from: 10 * rate, through: r.durationSamples, by: 10 * rate).map { end in
        var b = template
        b.endSample = end
        b.windowSamples = min(end, 300 * rate)
        let a = 0.2 + 0.3 * (1 + sin(Double(end) / Double(rate) / 400)) / 2
        b.shares = [a, 0.8 - a, 0.2]
        b.talkSamples = b.shares.map { Int($0 * 100) }
        return b
    }
    r.marks = [Mark(kind: .sender, sample: 60 * rate, person: 0), Mark(kind: .bookmark, sample: 700 * rate),
               Mark(kind: .sender, sample: 900 * rate, person: 1), Mark(kind: .sender, sample: 1800 * rate, person: nil),
               Mark(kind: .bookmark, sample: 2000 * rate)]
    return r
}

/// `Turn` has no public init either.
private func decodeTurn(speaker: Int, start: Int, end: Int) throws -> Turn {
    let data = try JSONSerialization.data(withJSONObject: ["speaker": speaker, "startSample": start, "endSample": end])
    return try JSONDecoder().decode(Turn.self, from: data)
}

private func count(_ needle: String, in haystack: String) -> Int {
    haystack.components(separatedBy: needle).count - 1
}

/// The rows of the event list.
private func eventRows(_ html: String) -> [String] {
    guard let start = html.range(of: "<table id=\"event-list\">"),
          let end = html.range(of: "</table>", range: start.upperBound..<html.endIndex) else { return [] }
    return html[start.upperBound..<end.lowerBound].components(separatedBy: "\n").filter { $0.hasPrefix("<tr class=\"k-") }
}

/// Documented bound for the 60-minute session (see HTMLReport's doc comment).
private let hourSizeBound = 2_000_000

@Suite struct HTMLReportTests {
    @Test func selfContainedNoNetwork() throws {
        for result in [try sampleSession(), try hourResult()] {
            for audio in [nil, "demo.flac"] as [String?] {
                let html = HTMLReport(file: "/data/s.wav", result: result, audio: audio).render()
                for banned in ["http://", "https://", "<script src", "<link", "@import", "url(", "<img", "<iframe", "src=\"//"] {
                    #expect(!html.lowercased().contains(banned), "found \(banned)")
                }
                #expect(html.hasPrefix("<!DOCTYPE html>"))
                #expect(html.hasSuffix("</html>\n"))
                #expect(count("<script", in: html) == 1)
                #expect(html.contains("<title>TalkBalance report: s.wav</title>"))
            }
        }
    }

    @Test func titleHasFileNameAndDuration() throws {
        let html = HTMLReport(file: "/data/s.wav", result: try sampleSession(), audio: nil).render()
        #expect(html.contains("<h1>TalkBalance report: <span class=\"file\">s.wav</span></h1>"))
        #expect(html.contains("0:10.0 long, 2 channels at 16000 Hz"))
    }

    @Test func namesAndFileNameAreEscaped() throws {
        var result = try sampleSession()
        result.speakers[0].label = "<b>\"Tom\" & 'Jerry'</b>"
        result.speakers[1].label = "Sam</text><script>alert(1)</script>"
        let html = HTMLReport(file: "/x/a<b>&\"c.wav", result: result, audio: "my \"rec\" <1>.flac").render()
        #expect(!html.contains("<b>"))
        #expect(!html.contains("\"Tom\""))
        #expect(!html.contains("<script>alert"))
        #expect(count("<script", in: html) == 1)
        #expect(html.contains("&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"))
        #expect(html.contains("Sam&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("a&lt;b&gt;&amp;&quot;c.wav"))
        #expect(html.contains("src=\"my%20%22rec%22%20%3C1%3E.flac\""))
        let amp = HTMLReport(file: "s.wav", result: result, audio: "Tom & Zoë #1?.flac").render()
        #expect(amp.contains("src=\"Tom%20&amp;%20Zo%C3%AB%20%231%3F.flac\""))
        // Never read as a URL scheme: ":" percent-encoded (Linux Foundation) or "./" in front (Apple's).
        let colon = HTMLReport(file: "s.wav", result: result, audio: "c:d.flac").render()
        #expect(colon.contains("src=\"./c:d.flac\"") || colon.contains("src=\"c%3Ad.flac\""))
        #expect(HTMLReport(file: "s.wav", result: result, audio: "/abs/dir/s.wav").render().contains("src=\"/abs/dir/s.wav\""))
        #expect(HTMLReport(file: "s.wav", result: result, audio: "file:///x/s%20t.wav").render().contains("src=\"file:///x/s%20t.wav\""))
    }

    @Test func oneLaneSVGPerPersonPerRow() throws {
        let small = HTMLReport(file: "s.wav", result: try sampleSession(), audio: nil).render()
        #expect(count("<svg class=\"chart timeline\"", in: small) == 1)
        #expect(count("<svg class=\"lane p0\"", in: small) == 1)
        #expect(count("<svg class=\"lane p1\"", in: small) == 1)
        #expect(small.contains("aria-label=\"Alex\""))
        #expect(small.contains("aria-label=\"Sam Lee\""))
        // The 60-minute session: 12 rows of 5 minutes, three lanes each.
        let hour = HTMLReport(file: "s.wav", result: try hourResult(), audio: nil).render()
        #expect(count("<svg class=\"chart timeline\"", in: hour) == 12)
        for p in 0..<3 { #expect(count("<svg class=\"lane p\(p)\"", in: hour) == 12) }
    }

    @Test func segmentsAreDrawnAsRects() throws {
        let html = HTMLReport(file: "s.wav", result: try sampleSession(), audio: nil).render()
        // 10 s in a 10 s row of 870 units: Alex 0-3 s, Sam Lee 2.5-6 s.
        #expect(html.contains("<rect x=\"110.0\" y=\"4.0\" width=\"261.0\" height=\"15.0\"/>"))
        #expect(html.contains("<rect x=\"327.5\" y=\"4.0\" width=\"304.5\" height=\"15.0\"/>"))
        // The interruption marker, labelled who→whom.
        #expect(html.contains(">Sam Lee→Alex</text>"))
        #expect(html.contains("0:02.5 Sam Lee interrupted Alex (took the floor)"))
    }

    @Test func summarySectionsArePresent() throws {
        let html = HTMLReport(file: "s.wav", result: try sampleSession(), audio: nil).render()
        #expect(html.contains("Share = talk time / sum of everyone&#39;s talk time; overlap counts for each person speaking; silence excluded."))
        #expect(html.contains("Talk time includes each person's pauses under 0.3 s."))
        #expect(html.contains("46.2% · 0:03.0 talk"))
        #expect(html.contains("53.8% · 0:03.5 talk"))
        // Matrix: Sam Lee interrupted Alex once, successfully; row Alex has 0 for Sam Lee.
        #expect(html.contains("<tr><th scope=\"row\">Sam Lee</th><td class=\"n\"><strong>1</strong> <span class=\"split\">(1 took the floor / 0 kept talking)</span></td>"))
        #expect(html.contains("<tr><th scope=\"row\">Alex</th><td class=\"n na\" aria-label=\"not applicable\">–</td><td class=\"n\">0</td>"))
        // Turn statistics and response latency.
        #expect(html.contains("<tr><th scope=\"row\">Sam Lee</th><td class=\"n\">0:03.5</td><td class=\"n\">53.8%</td><td class=\"n\">1</td><td class=\"n\">3.5 s</td><td class=\"n\">3.5 s</td><td class=\"n\">-0.50 s (overlapping)</td>"))
        #expect(html.contains("<strong>Longest monologue (longest single turn):</strong> Sam Lee held the floor for 3.5 s from 0:02.5."))
        #expect(html.contains("<svg class=\"chart balance\""))
        // No sender marks: no Imago roles section.
        #expect(!html.contains("id=\"roles\""))
    }

    @Test func imagoRolesAndMarksWhenPresent() throws {
        var result = try sampleSession()
        result.marks = [Mark(kind: .sender, sample: 0, person: 1), Mark(kind: .bookmark, sample: 32000), Mark(kind: .sender, sample: 96000, person: nil)]
        result.speakers[1].sendingSamples = 56000
        result.speakers[0].receivingSamples = 8000
        let html = HTMLReport(file: "s.wav", result: result, audio: "s.wav").render()
        #expect(html.contains("<section id=\"roles\""))
        #expect(html.contains("<tr><th scope=\"row\">Sam Lee</th><td class=\"n\">0:03.5</td><td class=\"n\">100.0%</td><td class=\"n\">0:00.0</td></tr>"))
        #expect(html.contains(">Sender</text>"))
        #expect(html.contains("class=\"bm\""))
        let rows = eventRows(html)
        #expect(rows.count == 7)
        #expect(rows.contains { $0.contains("<td>bookmark</td>") && $0.contains("data-t=\"2.000\"") })
        #expect(rows.contains { $0.contains("<td>sender</td><td>Sam Lee</td>") })
        #expect(rows.contains { $0.contains("<td>sender</td><td>nobody</td>") })
    }

    @Test func eventListHasEveryInterruptionWithBothNames() throws {
        for result in [try sampleSession(), try hourResult()] {
            let html = HTMLReport(file: "s.wav", result: result, audio: nil).render()
            let rows = eventRows(html)
            #expect(rows.count == result.events.count + result.marks.count)
            let interruptions = result.events.filter { $0.kind == .interruption }
            let listed = rows.filter { $0.hasPrefix("<tr class=\"k-interruption\">") }
            #expect(listed.count == interruptions.count)
            for (row, e) in zip(listed, interruptions) {
                let by = result.speakers[e.by!].label, of = result.speakers[e.of!].label
                #expect(row.contains("<td>interruption</td><td>\(by)</td><td>\(of)</td>"), "\(row)")
            }
            #expect(!html.contains("<audio"))
            #expect(!html.contains("<button"))
        }
    }

    @Test func playButtonPerEventWithItsStartTime() throws {
        let result = try sampleSession()
        let html = HTMLReport(file: "s.wav", result: result, audio: "s.wav").render()
        #expect(html.contains("<audio id=\"player\" controls preload=\"metadata\" src=\"s.wav\">"))
        let rows = eventRows(html)
        #expect(rows.count == 4)
        #expect(count("<button type=\"button\" class=\"play\" data-t=", in: html) == 4)
        // data-t is the event's time; the script plays from one second before it.
        #expect(rows[0].contains("<td class=\"n\">0:02.5</td><td><button type=\"button\" class=\"play\" data-t=\"2.500\" aria-label=\"Play from 0:01.5 (interruption at 0:02.5)\">▶</button></td><td>interruption</td><td>Sam Lee</td><td>Alex</td>"))
        #expect(rows[2].contains("data-t=\"5.000\""))
        #expect(rows[3].contains("data-t=\"8.000\""))
        #expect(html.contains("a.currentTime=Math.max(0,t-1);"))
        #expect(html.contains("a.play()"))
        let hour = try hourResult()
        let hourHTML = HTMLReport(file: "s.wav", result: hour, audio: "s.wav").render()
        #expect(count("class=\"play\" data-t=", in: hourHTML) == hour.events.count + hour.marks.count)
    }

    @Test func accessibleAndPrintable() throws {
        let html = HTMLReport(file: "s.wav", result: try sampleSession(), audio: "s.wav").render()
        #expect(html.contains("<html lang=\"en\">"))
        #expect(html.contains(":focus-visible"))
        #expect(html.contains("@media print"))
        #expect(html.contains("audio,button,.player,nav,fieldset.filters{display:none!important}"))
        #expect(html.contains("break-inside:avoid"))
        // Every chart has an accessible name; the legend is text.
        #expect(count("role=\"img\"", in: html) == count("<svg class=\"chart", in: html))
        #expect(html.contains("Alex speaking (lane 1)"))
        // No mouse-only handlers.
        for handler in ["onmouseover", "onmouseenter", "ondblclick", "onclick=", "mouseover", "hover'"] {
            #expect(!html.contains(handler))
        }
    }

    @Test func deterministicAndStreamedEqualsWhole() throws {
        let result = try hourResult()
        let a = HTMLReport(file: "s.wav", result: result, audio: "s.wav").render()
        let b = HTMLReport(file: "s.wav", result: result, audio: "s.wav").render()
        #expect(a == b)
        var pieces: [String] = []
        HTMLReport(file: "s.wav", result: result, audio: "s.wav").write { pieces.append($0) }
        #expect(pieces.joined() == a)
        #expect(pieces.count > 20)
        #expect(pieces.map(\.utf8.count).max()! < 200_000)
    }

    @Test func hourLongSessionStaysSmall() throws {
        let result = try hourResult()
        #expect(result.segments.count > 3000)
        #expect(result.events.count > 1500)
        let clock = ContinuousClock()
        var html = ""
        let elapsed = clock.measure { html = HTMLReport(file: "s.wav", result: result, audio: "s.wav").render() }
        let bytes = html.utf8.count
        #expect(bytes < hourSizeBound, "\(bytes) bytes")
        // Merged below a unit: never more rectangles in a lane row than units of width.
        #expect(count("<rect", in: html) < 12 * 3 * 870)
        #expect(elapsed < .seconds(20))
        if let dir = ProcessInfo.processInfo.environment["TALKBALANCE_HTML_OUT"] {
            try html.write(toFile: dir + "/hour.html", atomically: true, encoding: .utf8)
            try HTMLReport(file: "s.wav", result: try sampleSession(), audio: "s.wav").render()
                .write(toFile: dir + "/sample.html", atomically: true, encoding: .utf8)
        }
        print("HTML report of a 60-minute session: \(bytes) bytes, \(result.segments.count) segments, \(result.events.count) events, rendered in \(elapsed)")
    }

    @Test func degenerateInputDoesNotCrash() throws {
        var result = try sampleSession()
        result.sampleRate = 0
        result.speakers[0].share = .nan
        let html = HTMLReport(file: "", result: result, audio: "").render()
        #expect(html.hasSuffix("</html>\n"))
        result = try sampleSession()
        result.speakers = []
        result.segments = []
        result.events = []
        result.turns = []
        result.balance = []
        #expect(HTMLReport(file: "s.wav", result: result, audio: nil).render().hasSuffix("</html>\n"))
    }

    @Test func emptySessionRenders() throws {
        var result = try sampleSession()
        result.segments = []
        result.turns = []
        result.events = []
        result.balance = []
        let html = HTMLReport(file: "s.wav", result: result, audio: "s.wav").render()
        #expect(html.contains("No events."))
        #expect(html.contains("No balance points"))
        #expect(html.hasSuffix("</html>\n"))
    }
}
