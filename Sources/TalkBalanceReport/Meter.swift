import TalkBalanceCore

/// The live meter: one `LiveState` in, exactly `height` terminal lines out. Pure (no I/O, no clock);
/// the caller writes `MeterRenderer.frame(lines)` to the terminal after each analyser block.
///
/// Sparse on purpose (see DOMAIN.md, "Who uses TalkBalance"): a header, one row per person with a bar
/// for the sliding window and one for the session, who holds the floor, and at most ONE cue line near
/// the bottom. Everything is readable without colour: bars are characters, shares are numbers.
///
/// - `color: false`: plain ASCII decoration (`*` speaking, `#`/`.` bars, `>> cue <<`), no escape
///   sequences at all. Names are printed as given (minus control characters).
/// - `color: true`: ANSI SGR only (bold, dim, reverse, foreground colours), `●` speaking, `█`/`░` bars,
///   the cue in bold reverse video across the line.
///
/// Every line is at most `width - 1` visible columns: the last column stays free so that a full line
/// never auto-wraps and erase-to-end-of-line (`ESC[K`) cannot eat its last character.
public struct MeterRenderer: Sendable {
    public let width: Int
    public let height: Int
    public let color: Bool

    public init(width: Int, height: Int, color: Bool) {
        self.width = width
        self.height = height
        self.color = color
    }

    // MARK: Terminal control strings

    /// Clear the whole screen and put the cursor top left (once, when the meter starts).
    public static func clearAndHome() -> String { "\u{1B}[H\u{1B}[2J" }

    /// A flicker-free redraw of `lines`: cursor home, each line followed by erase-to-end-of-line, then
    /// erase below. No newline after the last line, so the screen never scrolls. Lines are separated by
    /// CR LF so the frame is right in raw mode (output post-processing off) too.
    public static func frame(_ lines: [String]) -> String {
        var out = "\u{1B}[H"
        for (i, line) in lines.enumerated() {
            if i > 0 { out += "\r\n" }
            out += line
            out += "\u{1B}[K"
        }
        out += "\u{1B}[J"
        return out
    }

    public static let enterAlternateScreen = "\u{1B}[?1049h"
    public static let leaveAlternateScreen = "\u{1B}[?1049l"
    public static let hideCursor = "\u{1B}[?25l"
    public static let showCursor = "\u{1B}[?25h"

    /// One microphone for the room: the shares, the floor and the cues trail the speaking marks.
    public static func lagNote(_ seconds: Double) -> String {
        "shares and floor: as of \(Int(seconds.rounded())) s ago (voices re-checked)"
    }

    /// The keys the footer advertises.
    public static let footer = "s: sender  m: bookmark  q: quit"
    /// The footer with one microphone for the room: digits enrol the voice speaking now.
    public static func enrolFooter(people: Int) -> String { "1-\(people): this is  s: sender  m: mark  q: quit" }

    // MARK: Text helpers (public: the live command and tests use them)

    /// Display columns of `s` on a terminal: ANSI escape sequences count 0, East Asian wide and emoji
    /// characters 2, combining marks 0, everything else 1.
    public static func visibleWidth(_ s: String) -> Int {
        stripANSI(s).reduce(0) { $0 + columns($1) }
    }

    /// `s` without ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL/ST`, `ESC x`).
    public static func stripANSI(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var it = s.unicodeScalars.makeIterator()
        while let c = it.next() {
            guard c == "\u{1B}" else { out.append(c); continue }
            guard let n = it.next() else { break }
            if n == "[" {
                while let f = it.next(), !(0x40...0x7E).contains(f.value) {}
            } else if n == "]" {
                var prevEsc = false
                while let f = it.next() {
                    if f == "\u{07}" || (prevEsc && f == "\\") { break }
                    prevEsc = f == "\u{1B}"
                }
            }
        }
        return String(out)
    }

    /// The sentence the cue line shows, without decoration: "Anna has 72% of the last 5 min",
    /// "Ben interrupted Anna", "Anna has held the floor 1:42".
    public static func cueText(_ cue: LiveState.Cue, windowSeconds: Double) -> String {
        switch cue {
        case let .imbalance(person, share):
            return "\(clean(person)) has \(percent(share))% of the last \(windowPhrase(windowSeconds))"
        case let .interruption(by, of):
            return "\(clean(by)) interrupted \(clean(of))"
        case let .monologue(person, seconds):
            return "\(clean(person)) has held the floor \(duration(seconds))"
        }
    }

    // MARK: Rendering

    public func render(_ state: LiveState) -> [String] {
        guard height > 0 else { return [] }
        let usable = max(0, width - 1)
        let window = effectiveWindow(state)
        let layout = RowLayout(people: state.people, usable: usable, unicode: color)

        // (line, priority): lower priority survives a short terminal. `nil` line marks where the
        // spare rows go (between the floor line and the cue).
        var rows: [(line: Line?, priority: Int)] = []
        rows.append((header(state, usable: usable), 2))
        rows.append((Line(), 7))
        rows.append((layout.columnHeader(window: window), 4))
        for (i, person) in state.people.enumerated() {
            if i > 0 { rows.append((Line(), 8)) }
            rows.append((layout.row(person), 0))
        }
        if state.people.isEmpty { rows.append((Line("waiting for voices...", dim), 0)) }
        rows.append((Line(), 6))
        rows.append((floorLine(state, usable: usable), 5))
        rows.append((nil, 99))
        if let cue = state.cue {
            rows.append((cueLine(cue, window: window, usable: usable), 1))
            rows.append((Line(), 9))
        }
        if state.countsLagSeconds > 0 {
            rows.append((Line(Self.truncate(Self.lagNote(state.countsLagSeconds), to: usable, unicode: color), dim), 10))
        }
        rows.append((Line(state.enrolKeys ? Self.enrolFooter(people: state.people.count) : Self.footer, dim), 3))

        // Keep the most important rows that fit, in their order.
        let real = rows.indices.filter { rows[$0].line != nil }
        let kept = Set(real.sorted { (rows[$0].priority, $0) < (rows[$1].priority, $1) }.prefix(height))
        var out: [String] = []
        for i in rows.indices {
            if let line = rows[i].line {
                if kept.contains(i) { out.append(emit(line.clipped(to: usable))) }
            } else {
                let spare = height - kept.count
                out.append(contentsOf: repeatElement("", count: max(0, spare)))
            }
        }
        return out
    }

    /// The window actually covered: the whole session until it is longer than the window.
    private func effectiveWindow(_ state: LiveState) -> Double {
        let w = state.windowSeconds.isFinite && state.windowSeconds > 0 ? state.windowSeconds : 300
        let e = state.elapsedSeconds.isFinite ? state.elapsedSeconds : 0
        return e > 0 ? min(w, e) : w
    }

    private var bold: [Int] { [1] }
    private var dim: [Int] { [2] }

    private func header(_ state: LiveState, usable: Int) -> Line {
        let elapsed = Self.clock(state.elapsedSeconds)
        let sender = state.sender.map { Self.truncate(Self.clean($0), to: 16, unicode: color) }
        let lost: String? = state.lostSeconds > 0 ? "lost \(Self.tenths(state.lostSeconds)) s" : nil
        let n = max(0, state.bookmarks)
        // Longest first; the first that fits wins, the last is clipped.
        let variants: [(title: String?, send: String, marks: String, sep: String)] = [
            ("TalkBalance live", "sending: ", n == 1 ? "1 bookmark" : "\(n) bookmarks", "   "),
            ("TalkBalance live", "sending: ", n == 1 ? "1 bookmark" : "\(n) bookmarks", "  "),
            ("TalkBalance", "send: ", n == 1 ? "1 mark" : "\(n) marks", "  "),
            (nil, "send: ", n == 1 ? "1 mark" : "\(n) marks", "  "),
            (nil, "send: ", "m:\(n)", "  "),
        ]
        var best = Line()
        for v in variants {
            var line = Line()
            func add(_ text: String, _ style: [Int] = []) {
                if !line.spans.isEmpty { line.add(v.sep) }
                line.add(text, style)
            }
            if let t = v.title { add(t, bold) }
            add(elapsed)
            if let sender {
                add(v.send)
                line.add(sender, bold)
            }
            add(v.marks)
            if let lost { add(lost, [1, 31]) }
            best = line
            if line.width <= usable { break }
        }
        return best
    }

    private func floorLine(_ state: LiveState, usable: Int) -> Line {
        var line = Line("Floor: ")
        if let holder = state.floorHolder {
            let turn = "  turn \(Self.duration(state.turnSeconds))"
            let room = max(4, min(24, usable - 7 - turn.count))
            line.add(Self.truncate(Self.clean(holder), to: room, unicode: color), bold)
            line.add(turn)
        } else {
            line.add("open", dim)
        }
        return line
    }

    private func cueLine(_ cue: LiveState.Cue, window: Double, usable: Int) -> Line {
        // Names in the sentence are cut (down to 4 columns) so the whole sentence survives narrow
        // terminals; the ">> <<" decoration goes before the numbers do.
        let decoration = color ? 2 : 6
        var text = ""
        var hue = 33
        for limit in [16, 12, 8, 6, 4] {
            func name(_ s: String) -> String { Self.truncate(Self.clean(s), to: limit, unicode: color) }
            let short: LiveState.Cue
            switch cue {
            case let .imbalance(p, s): short = .imbalance(person: name(p), share: s); hue = 33
            case let .interruption(b, o): short = .interruption(by: name(b), of: name(o)); hue = 31
            case let .monologue(p, s): short = .monologue(person: name(p), seconds: s); hue = 35
            }
            text = Self.cueText(short, windowSeconds: window)
            if Self.visibleWidth(text) + decoration <= usable { break }
        }
        if !color && Self.visibleWidth(text) + decoration > usable { return Line(text) }
        if color {
            var padded = " " + text + " "
            let w = Self.visibleWidth(padded)
            if w < usable { padded += String(repeating: " ", count: usable - w) }
            return Line(padded, [1, 7, hue])
        }
        return Line(">> " + text + " <<")
    }

    /// One line's text: styled spans become SGR sequences (colour mode only); unstyled trailing
    /// blanks are trimmed so plain output has no trailing spaces.
    private func emit(_ line: Line) -> String {
        var spans = line.spans
        while let last = spans.last, last.style.isEmpty || !color {
            let trimmed = String(last.text.reversed().drop(while: { $0 == " " }).reversed())
            if trimmed.isEmpty { spans.removeLast(); continue }
            spans[spans.count - 1].text = trimmed
            break
        }
        return spans.map { span in
            guard color, !span.style.isEmpty, !span.text.isEmpty else { return span.text }
            return "\u{1B}[" + span.style.map(String.init).joined(separator: ";") + "m" + span.text + "\u{1B}[0m"
        }.joined()
    }

    // MARK: Per-person rows

    /// Column geometry shared by the column header and every person row:
    /// `M NAME  BAR PCT   BAR PCT` (M = speaking marker).
    private struct RowLayout {
        let nameWidth: Int
        let barWidth: Int
        let unicode: Bool
        static let gap = 3

        init(people: [LiveState.Person], usable: Int, unicode: Bool) {
            self.unicode = unicode
            let longest = people.map { MeterRenderer.visibleWidth(MeterRenderer.clean($0.label)) }.max() ?? 4
            // marker(2) + name + 2 + (bar + 5) + gap + (bar + 5); bars at least 6 before names shrink.
            let fixed = 2 + 2 + 5 + Self.gap + 5
            var name = min(max(longest, 4), 16)
            name = max(3, min(name, usable - fixed - 2 * 6))
            nameWidth = name
            barWidth = max(1, min(40, (usable - fixed - name) / 2))
        }

        var barStart: Int { 2 + nameWidth + 2 }
        var secondStart: Int { barStart + barWidth + 5 + Self.gap }

        func columnHeader(window: Double) -> Line {
            let left = "last " + MeterRenderer.duration(window)
            var text = String(repeating: " ", count: barStart) + left
            text += String(repeating: " ", count: max(1, secondStart - MeterRenderer.visibleWidth(text))) + "session"
            return Line(text, [2])
        }

        func row(_ p: LiveState.Person) -> Line {
            var line = Line()
            if p.speakingNow {
                line.add(unicode ? "●" : "*", [1, 32])
                line.add(" ")
            } else {
                line.add("  ")
            }
            let name = MeterRenderer.truncate(MeterRenderer.clean(p.label), to: nameWidth, unicode: unicode)
            line.add(name, p.speakingNow ? [1] : [])
            line.add(String(repeating: " ", count: nameWidth - MeterRenderer.visibleWidth(name) + 2))
            bar(p.windowShare, into: &line, fill: [1, 36])
            line.add(String(repeating: " ", count: Self.gap))
            bar(p.sessionShare, into: &line, fill: [34])
            return line
        }

        private func bar(_ share: Double, into line: inout Line, fill: [Int]) {
            let s = share.isFinite ? min(1, max(0, share)) : 0
            let n = min(barWidth, max(0, Int((s * Double(barWidth)).rounded())))
            line.add(String(repeating: unicode ? "█" : "#", count: n), fill)
            line.add(String(repeating: unicode ? "░" : ".", count: barWidth - n), [2])
            let pct = String(MeterRenderer.percent(s))
            line.add(String(repeating: " ", count: max(1, 4 - pct.count)) + pct + "%")
        }
    }

    // MARK: Formatting

    /// h:mm:ss (elapsed session time).
    static func clock(_ seconds: Double) -> String {
        let t = seconds.isFinite ? max(0, Int(seconds)) : 0
        return "\(t / 3600):" + two((t / 60) % 60) + ":" + two(t % 60)
    }

    /// m:ss, or h:mm:ss from an hour (turn length, window).
    static func duration(_ seconds: Double) -> String {
        let t = seconds.isFinite ? max(0, Int(seconds)) : 0
        return t >= 3600 ? clock(seconds) : "\(t / 60):" + two(t % 60)
    }

    /// "5 min", "45 s", or m:ss for an odd window.
    static func windowPhrase(_ seconds: Double) -> String {
        let t = seconds.isFinite ? max(0, Int(seconds.rounded())) : 0
        if t < 60 { return "\(t) s" }
        if t % 60 == 0 { return "\(t / 60) min" }
        return duration(Double(t))
    }

    static func percent(_ share: Double) -> Int {
        share.isFinite ? Int((min(1, max(0, share)) * 100).rounded()) : 0
    }

    /// One decimal, at least 0.1 (so a tiny loss never reads "lost 0.0 s").
    static func tenths(_ seconds: Double) -> String {
        let t = seconds.isFinite ? max(1, Int((seconds * 10).rounded())) : 1
        return "\(t / 10).\(t % 10)"
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// A label safe to print: control characters (escape, newline, tab) become nothing or a space.
    static func clean(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            if c == "\t" || c == "\n" || c == "\r" { out.append(" ") } else if c.properties.generalCategory != .control { out.append(c) }
        }
        return String(out)
    }

    /// `s` cut to at most `columns` display columns, ending in "…" (or "~" in ASCII mode) when cut.
    static func truncate(_ s: String, to columns: Int, unicode: Bool) -> String {
        guard columns > 0 else { return "" }
        if visibleWidth(s) <= columns { return s }
        var out = ""
        var used = 0
        for ch in s {
            let w = Self.columns(ch)
            if used + w > columns - 1 { break }
            out.append(ch)
            used += w
        }
        return out + (unicode ? "…" : "~")
    }

    /// Display columns of one grapheme cluster.
    static func columns(_ ch: Character) -> Int {
        let scalars = ch.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if scalars.contains(where: { $0.properties.isEmojiPresentation }) { return 2 }
        if scalars.count > 1, scalars.contains("\u{FE0F}"), first.properties.isEmoji { return 2 }
        if isWide(first.value) { return 2 }
        switch first.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control: return 0
        default: return 1
        }
    }

    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}

/// A line as styled spans; widths are computed on the text, styles become SGR codes only on output.
private struct Line {
    struct Span {
        var text: String
        var style: [Int]
    }

    var spans: [Span] = []

    init() {}
    init(_ text: String, _ style: [Int] = []) { add(text, style) }

    mutating func add(_ text: String, _ style: [Int] = []) {
        if !text.isEmpty { spans.append(Span(text: text, style: style)) }
    }

    var width: Int { spans.reduce(0) { $0 + MeterRenderer.visibleWidth($1.text) } }

    /// Cut to at most `columns` display columns (a wide character that would straddle the edge is dropped).
    func clipped(to columns: Int) -> Line {
        var out = Line()
        var used = 0
        for span in spans {
            var text = ""
            for ch in span.text {
                let w = MeterRenderer.columns(ch)
                if used + w > columns { break }
                text.append(ch)
                used += w
            }
            out.add(text, span.style)
            if used >= columns || text.count < span.text.count { break }
        }
        return out
    }
}
