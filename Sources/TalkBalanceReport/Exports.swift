import Foundation
import TalkBalanceCore

/// Exports a session result for annotation and media tools: Praat TextGrid, ELAN EAF, Audacity labels
/// and WebVTT captions. Pure and deterministic (same result, same text); each function streams its text
/// through `emit` in consecutive pieces, like `ReportRenderer.write`.
///
/// Common conventions:
/// - Every person in `result.speakers` gets a tier (TextGrid, EAF), even without speech. Tier names are
///   the labels, made unique ("Anna", "Anna (2)"); the events tier is "events" (or "events (2)"...
///   when a person is called that).
/// - Speech: `result.segments` per person, sorted, overlapping or touching segments of the same person
///   merged, clipped to the session.
/// - Events: `result.events` and `result.marks` in time order (events before marks at equal times),
///   labelled as `eventLabel` says ("interruption Ben>Anna", "backchannel Anna", "overlap Anna+Ben",
///   "monologue Anna", "imbalance Anna 72%", "sender Anna", "sender none", "bookmark").
public enum Exports {
    /// The formats, as named on the command line (`--format textgrid|eaf|audacity|vtt`).
    public enum Format: String, CaseIterable, Sendable {
        case textgrid, eaf, audacity, vtt
        /// The usual file name extension (without the dot).
        public var fileExtension: String {
            switch self {
            case .textgrid: "TextGrid"
            case .eaf: "eaf"
            case .audacity: "txt"
            case .vtt: "vtt"
            }
        }
    }

    /// Writes `result` in `format`. `file` is the analysed recording (the EAF's media unless `audio` is
    /// given); `date` goes into the EAF header only.
    public static func write(_ format: Format, file: String, result: SessionResult, audio: String? = nil,
                             date: Date = defaultDate, emit: (String) -> Void) {
        switch format {
        case .textgrid: textGrid(file: file, result: result, emit: emit)
        case .eaf: eaf(file: file, result: result, audio: audio, date: date, emit: emit)
        case .audacity: audacity(result: result, emit: emit)
        case .vtt: webVTT(result: result, emit: emit)
        }
    }

    /// Collects streamed output into one string (small results, tests).
    public static func collect(_ body: ((String) -> Void) -> Void) -> String {
        var out = ""
        body { out += $0 }
        return out
    }

    /// The EAF header's DATE when none is given: a fixed instant, so that the output is deterministic.
    public static let defaultDate = Date(timeIntervalSince1970: 0)

    /// How long a point-like event (imbalance, mark: no duration) lasts as an EAF annotation or a WebVTT
    /// cue, in milliseconds (an EAF annotation is cut short where the next event starts).
    public static let pointEventMilliseconds = 2000

    // MARK: - Praat TextGrid

    /// Praat TextGrid, long text format: one IntervalTier per person covering 0 ... duration without gaps
    /// (speech intervals labelled with the person's label, the rest ""), then a TextTier "events" with a
    /// point at each event's start (events at the same time share one point, labels joined by "; ").
    /// Times in seconds, written exactly enough to read back as the same Double. `file` is not part of the
    /// format (kept for symmetry with the other reports).
    public static func textGrid(file: String, result: SessionResult, emit: (String) -> Void) {
        _ = file
        let t = Timeline(result)
        func time(_ samples: Int) -> String { praatNumber(t.seconds(samples)) }
        let xmax = time(t.end)
        emit("File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\n")
        emit("xmin = 0 \nxmax = \(xmax) \ntiers? <exists> \nsize = \(t.speakerCount + 1) \nitem []: \n")
        for person in 0..<t.speakerCount {
            let speech = t.speech(person)
            // Intervals: gap, speech, gap, ..., gap; empty gaps left out.
            var intervals: [(Int, Int, String)] = []
            var cursor = 0
            for (s, e) in speech {
                if s > cursor { intervals.append((cursor, s, "")) }
                intervals.append((s, e, t.labels[person]))
                cursor = e
            }
            if cursor < t.end || intervals.isEmpty { intervals.append((cursor, t.end, "")) }
            emit("    item [\(person + 1)]:\n        class = \"IntervalTier\" \n")
            emit("        name = \(praatString(t.tierNames[person])) \n        xmin = 0 \n        xmax = \(xmax) \n")
            emit("        intervals: size = \(intervals.count) \n")
            for (k, (s, e, text)) in intervals.enumerated() {
                emit("        intervals [\(k + 1)]:\n            xmin = \(time(s)) \n            xmax = \(time(e)) \n")
                emit("            text = \(praatString(text)) \n")
            }
        }
        // Points at distinct times (Praat keeps one point per time).
        var points: [(Int, String)] = []
        for item in t.events {
            let at = min(max(item.start, 0), t.end)
            if let last = points.last, last.0 == at {
                points[points.count - 1].1 += "; " + item.label
            } else {
                points.append((at, item.label))
            }
        }
        emit("    item [\(t.speakerCount + 1)]:\n        class = \"TextTier\" \n")
        emit("        name = \(praatString(t.eventsTierName)) \n        xmin = 0 \n        xmax = \(xmax) \n")
        emit("        points: size = \(points.count) \n")
        for (k, (at, label)) in points.enumerated() {
            emit("        points [\(k + 1)]:\n            number = \(time(at)) \n            mark = \(praatString(label)) \n")
        }
    }

    /// A Praat string literal: in double quotes, quotes doubled.
    static func praatString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A Praat number: integers without a fraction, others in the shortest decimal that reads back as the
    /// same Double, never in exponent notation.
    static func praatNumber(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        let shortest = "\(v)"
        if !shortest.contains("e") { return shortest }
        var fixed = String(format: "%.17f", v)
        while fixed.hasSuffix("0") { fixed.removeLast() }
        if fixed.hasSuffix(".") { fixed.removeLast() }
        return fixed
    }

    // MARK: - ELAN EAF

    /// ELAN EAF 3.0: HEADER with the media (MEDIA_URL the audio's absolute file:// URL, RELATIVE_MEDIA_URL
    /// "./name" for an EAF saved next to it; MIME audio/x-wav for .wav, else audio/*), TIME_ORDER in
    /// milliseconds, one TIER per person (LINGUISTIC_TYPE_REF "default-lt", one ALIGNABLE_ANNOTATION per
    /// speech stretch, valued with the person's label), then the "events" tier. ELAN does not allow
    /// annotations of one tier to overlap, so events starting in the same millisecond share one annotation
    /// (labels joined by "; "), each ends at the latest end of its events or, when shorter, where the next
    /// one starts, and point-like events last `pointEventMilliseconds`. Speech shorter than 1 ms after
    /// rounding is left out. `audio` defaults to `file`; `date` is the header's DATE.
    public static func eaf(file: String, result: SessionResult, audio: String? = nil, date: Date = defaultDate,
                           emit: (String) -> Void) {
        let t = Timeline(result)
        var tiers: [[(Int, Int, String)]] = (0..<t.speakerCount).map { person in
            t.speech(person).map { (t.ms($0.0), t.ms($0.1), t.labels[person]) }.filter { $0.1 > $0.0 }
        }
        tiers.append(eafEvents(t))
        let names = t.tierNames + [t.eventsTierName]
        let annotationCount = tiers.reduce(0) { $0 + $1.count }

        let audioPath = audio ?? file
        let url = URL(fileURLWithPath: audioPath).standardizedFileURL
        let mime = url.pathExtension.lowercased() == "wav" ? "audio/x-wav" : "audio/*"
        let relative = "./" + (url.lastPathComponent.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? url.lastPathComponent)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")

        emit("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        emit("<ANNOTATION_DOCUMENT AUTHOR=\"TalkBalance\" DATE=\"\(formatter.string(from: date))\" FORMAT=\"3.0\" VERSION=\"3.0\" ")
        emit("xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:noNamespaceSchemaLocation=\"http://www.mpi.nl/tools/elan/EAFv3.0.xsd\">\n")
        emit("    <HEADER MEDIA_FILE=\"\" TIME_UNITS=\"milliseconds\">\n")
        emit("        <MEDIA_DESCRIPTOR MEDIA_URL=\"\(xml(url.absoluteString))\" MIME_TYPE=\"\(mime)\" RELATIVE_MEDIA_URL=\"\(xml(relative))\"/>\n")
        emit("        <PROPERTY NAME=\"lastUsedAnnotationId\">\(annotationCount)</PROPERTY>\n")
        emit("    </HEADER>\n    <TIME_ORDER>\n")
        // Two time slots per annotation, numbered tier by tier in annotation order.
        var slot = 0
        for tier in tiers {
            for (s, e, _) in tier {
                emit("        <TIME_SLOT TIME_SLOT_ID=\"ts\(slot + 1)\" TIME_VALUE=\"\(s)\"/>\n")
                emit("        <TIME_SLOT TIME_SLOT_ID=\"ts\(slot + 2)\" TIME_VALUE=\"\(e)\"/>\n")
                slot += 2
            }
        }
        emit("    </TIME_ORDER>\n")
        slot = 0
        var annotation = 0
        for (tier, name) in zip(tiers, names) {
            if tier.isEmpty {
                emit("    <TIER LINGUISTIC_TYPE_REF=\"default-lt\" TIER_ID=\"\(xml(name))\"/>\n")
                continue
            }
            emit("    <TIER LINGUISTIC_TYPE_REF=\"default-lt\" TIER_ID=\"\(xml(name))\">\n")
            for (_, _, value) in tier {
                annotation += 1
                emit("        <ANNOTATION>\n            <ALIGNABLE_ANNOTATION ANNOTATION_ID=\"a\(annotation)\" ")
                emit("TIME_SLOT_REF1=\"ts\(slot + 1)\" TIME_SLOT_REF2=\"ts\(slot + 2)\">\n")
                emit("                <ANNOTATION_VALUE>\(xml(value))</ANNOTATION_VALUE>\n")
                emit("            </ALIGNABLE_ANNOTATION>\n        </ANNOTATION>\n")
                slot += 2
            }
            emit("    </TIER>\n")
        }
        emit("    <LINGUISTIC_TYPE GRAPHIC_REFERENCES=\"false\" LINGUISTIC_TYPE_ID=\"default-lt\" TIME_ALIGNABLE=\"true\"/>\n")
        emit("""
            <CONSTRAINT DESCRIPTION="Time subdivision of parent annotation's time interval, no time gaps allowed within this interval" STEREOTYPE="Time_Subdivision"/>
            <CONSTRAINT DESCRIPTION="Symbolic subdivision of a parent annotation. Annotations refering to the same parent are ordered" STEREOTYPE="Symbolic_Subdivision"/>
            <CONSTRAINT DESCRIPTION="1-1 association with a parent annotation" STEREOTYPE="Symbolic_Association"/>
            <CONSTRAINT DESCRIPTION="Time alignable annotations within the parent annotation's time interval, gaps are allowed" STEREOTYPE="Included_In"/>
        </ANNOTATION_DOCUMENT>

        """)
    }

    /// The events tier of the EAF: non-overlapping (start ms, end ms, label), in time order.
    private static func eafEvents(_ t: Timeline) -> [(Int, Int, String)] {
        var groups: [(Int, Int, String)] = []
        for item in t.events {
            let s = t.ms(max(item.start, 0))
            let e = item.end > item.start ? t.ms(item.end) : s + pointEventMilliseconds
            if let last = groups.last, last.0 == s {
                groups[groups.count - 1].1 = max(last.1, e)
                groups[groups.count - 1].2 += "; " + item.label
            } else {
                groups.append((s, e, item.label))
            }
        }
        for k in groups.indices {
            if groups[k].1 <= groups[k].0 { groups[k].1 = groups[k].0 + 1 }
            if k + 1 < groups.count { groups[k].1 = min(groups[k].1, groups[k + 1].0) }
        }
        return groups
    }

    /// XML 1.0 text or attribute value: & < > " ' escaped, characters XML cannot hold replaced by U+FFFD.
    static func xml(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case let c where c.value < 0x20 || c.value == 0xFFFE || c.value == 0xFFFF: out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: - Audacity

    /// Audacity label track (File > Import > Labels): `start\tend\tlabel` a line, seconds with 6 decimals;
    /// speech stretches labelled with the person's label, events and marks as `eventLabel` (marks are
    /// points: start = end). Lines in time order, speech first at equal times. Tabs and line breaks in
    /// labels become spaces.
    public static func audacity(result: SessionResult, emit: (String) -> Void) {
        let t = Timeline(result)
        func line(_ s: Int, _ e: Int, _ label: String) -> String {
            String(format: "%.6f\t%.6f\t", t.seconds(s), t.seconds(max(s, e))) + oneLine(label) + "\n"
        }
        t.merged { item in
            switch item {
            case .speech(let person, let s, let e): emit(line(s, e, t.labels[person]))
            case .event(let ev): emit(line(ev.start, ev.end, ev.label))
            }
        }
    }

    // MARK: - WebVTT

    /// WebVTT captions naming who speaks: `WEBVTT`, then one cue per speech stretch
    /// (`<v Anna>Anna speaking</v>`) and one per event or mark ("Ben interrupts Anna", "Anna has 72% of the
    /// talk", ...), in start order (speech first at equal times), times HH:MM:SS.mmm. Cues may overlap.
    /// Point-like events last `pointEventMilliseconds`. & < > are escaped; line breaks become spaces.
    public static func webVTT(result: SessionResult, emit: (String) -> Void) {
        let t = Timeline(result)
        emit("WEBVTT\n")
        func cue(_ s: Int, _ e: Int, _ text: String, point: Bool) {
            let start = t.ms(max(s, 0))
            var end = e > s ? t.ms(e) : start + pointEventMilliseconds
            if !point, e <= s { end = start + 1 }
            if end <= start { end = start + 1 }
            emit("\n\(vttTime(start)) --> \(vttTime(end))\n\(text)\n")
        }
        t.merged { item in
            switch item {
            case .speech(let person, let s, let e):
                let name = vttText(t.labels[person])
                cue(s, e, "<v \(name)>\(name) speaking</v>", point: false)
            case .event(let ev):
                cue(ev.start, ev.end, vttText(ev.caption), point: ev.end <= ev.start)
            }
        }
    }

    static func vttTime(_ ms: Int) -> String {
        let h = ms / 3_600_000, m = ms / 60000 % 60, s = ms / 1000 % 60, f = ms % 1000
        return String(format: "%02d:%02d:%02d.%03d", h, m, s, f)
    }

    /// Cue text and voice names: & < > escaped, line breaks as spaces (a blank line would end the cue).
    static func vttText(_ s: String) -> String {
        oneLine(s).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func oneLine(_ s: String) -> String {
        String(s.map { $0 == "\t" || $0.isNewline ? " " : $0 })
    }

    // MARK: - Event labels

    /// The short label of an event in TextGrid, EAF and Audacity exports.
    public static func eventLabel(_ e: ConversationEvent, labels: [String]) -> String {
        let by = name(e.by, labels), of = name(e.of, labels)
        switch e.kind {
        case .interruption: return "interruption \(by)>\(of)"
        case .backchannel: return "backchannel \(by)"
        case .overlap:
            guard let who = e.speakers, !who.isEmpty else { return "overlap" }
            return "overlap " + who.map { name($0, labels) }.joined(separator: "+")
        case .monologue: return "monologue \(by)"
        case .imbalance:
            guard let share = e.share else { return "imbalance \(by)" }
            return String(format: "imbalance %@ %.0f%%", by, share * 100)
        }
    }

    /// The short label of a mark: "sender Anna", "sender none" or "bookmark".
    public static func markLabel(_ m: Mark, labels: [String]) -> String {
        switch m.kind {
        case .sender: return "sender " + (m.person.map { name($0, labels) } ?? "none")
        case .bookmark: return "bookmark"
        case .enrol: return "enrol " + (m.person.map { name($0, labels) } ?? "?")
        }
    }

    /// A sentence for a caption: "Ben interrupts Anna".
    public static func eventCaption(_ e: ConversationEvent, labels: [String]) -> String {
        let by = name(e.by, labels), of = name(e.of, labels)
        switch e.kind {
        case .interruption: return e.successful == true ? "\(by) interrupts \(of) and takes the floor" : "\(by) interrupts \(of)"
        case .backchannel: return e.of == nil ? "\(by) backchannels" : "\(by) backchannels to \(of)"
        case .overlap:
            guard let who = e.speakers, !who.isEmpty else { return "Overlap" }
            return "Overlap: " + who.map { name($0, labels) }.joined(separator: ", ")
        case .monologue: return "\(by) holds the floor (monologue)"
        case .imbalance:
            guard let share = e.share else { return "\(by) dominates the talk" }
            return String(format: "%@ has %.0f%% of the talk", by, share * 100)
        }
    }

    public static func markCaption(_ m: Mark, labels: [String]) -> String {
        switch m.kind {
        case .sender: return m.person.map { "\(name($0, labels)) is the sender" } ?? "Nobody is the sender"
        case .bookmark: return "Bookmark"
        case .enrol: return m.person.map { "\(name($0, labels))'s voice enrolled" } ?? "Voice enrolled"
        }
    }

    private static func name(_ index: Int?, _ labels: [String]) -> String {
        guard let index else { return "someone" }
        return labels.indices.contains(index) ? labels[index] : "person \(index + 1)"
    }

    /// Tier names: the labels made unique, then the events tier's name.
    static func tierNames(_ labels: [String]) -> (people: [String], events: String) {
        var used = Set<String>()
        func unique(_ base: String) -> String {
            var name = base.isEmpty ? "person" : base, k = 2
            while used.contains(name) {
                name = "\(base.isEmpty ? "person" : base) (\(k))"
                k += 1
            }
            used.insert(name)
            return name
        }
        let people = labels.map(unique)
        return (people, unique("events"))
    }
}

/// What every export needs from a result: labels, tier names, each person's merged speech, the events
/// and marks in time order.
private struct Timeline {
    struct Event {
        var start: Int
        var end: Int
        var label: String
        var caption: String
    }
    enum Item {
        case speech(Int, Int, Int)
        case event(Event)
    }

    let rate: Int
    let labels: [String]
    let tierNames: [String]
    let eventsTierName: String
    /// The session's end in samples: its duration, or later if anything lies beyond.
    let end: Int
    let segments: [SpeechSegment]
    let events: [Event]
    var speakerCount: Int { labels.count }

    init(_ r: SessionResult) {
        rate = max(1, r.sampleRate)
        var labels = r.speakers.map(\.label)
        // Segments of people missing from `speakers` still get a tier.
        let highest = r.segments.map(\.speaker).max() ?? -1
        while labels.count <= highest { labels.append("person \(labels.count + 1)") }
        self.labels = labels
        (tierNames, eventsTierName) = Exports.tierNames(labels)
        var end = max(0, r.durationSamples)
        for s in r.segments { end = max(end, s.endSample) }
        for e in r.events { end = max(end, e.startSample + max(0, e.durationSamples)) }
        for m in r.marks { end = max(end, m.sample) }
        self.end = end
        segments = r.segments.enumerated().sorted { ($0.element.startSample, $0.offset) < ($1.element.startSample, $1.offset) }
            .map(\.element).filter { $0.speaker >= 0 }
        var events = r.events.enumerated().map { k, e in
            (e.startSample, 0, k, Event(start: e.startSample, end: e.startSample + max(0, e.durationSamples),
                                        label: Exports.eventLabel(e, labels: labels), caption: Exports.eventCaption(e, labels: labels)))
        }
        events += r.marks.enumerated().map { k, m in
            (m.sample, 1, k, Event(start: m.sample, end: m.sample, label: Exports.markLabel(m, labels: labels),
                                   caption: Exports.markCaption(m, labels: labels)))
        }
        self.events = events.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }.map(\.3)
    }

    func seconds(_ samples: Int) -> Double { Double(samples) / Double(rate) }
    /// Samples to milliseconds, rounded to nearest.
    func ms(_ samples: Int) -> Int {
        let q = samples.multipliedReportingOverflow(by: 1000)
        if q.overflow { return Int((Double(samples) * 1000 / Double(rate)).rounded()) }
        return (q.partialValue + rate / 2) / rate
    }

    /// One person's speech, sorted, merged where it overlaps or touches, within 0 ... end, none empty.
    func speech(_ person: Int) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        for s in segments where s.speaker == person {
            let a = min(max(s.startSample, 0), end), b = min(max(s.endSample, 0), end)
            guard b > a else { continue }
            if let last = out.last, a <= last.1 {
                out[out.count - 1].1 = max(last.1, b)
            } else {
                out.append((a, b))
            }
        }
        return out
    }

    /// Speech (each person merged) and events in start order, speech first at equal times.
    func merged(_ body: (Item) -> Void) {
        var speech: [(Int, Int, Int)] = []
        for person in 0..<speakerCount { speech += self.speech(person).map { (person, $0.0, $0.1) } }
        speech.sort { ($0.1, $0.0) < ($1.1, $1.0) }
        var i = 0, j = 0
        while i < speech.count || j < events.count {
            if j == events.count || (i < speech.count && speech[i].1 <= events[j].start) {
                body(.speech(speech[i].0, speech[i].1, speech[i].2)); i += 1
            } else {
                body(.event(events[j])); j += 1
            }
        }
    }
}
