import Testing
import TalkBalanceCore
import TalkBalanceReport

private func person(_ label: String, speaking: Bool = false, window: Double, session: Double) -> LiveState.Person {
    .init(label: label, speakingNow: speaking, windowShare: window, sessionShare: session, talkSeconds: session * 600)
}

/// Anna has talked most of the last five minutes, is speaking now, and is the Imago sender.
private func couple(cue: LiveState.Cue? = .imbalance(person: "Anna", share: 0.72)) -> LiveState {
    LiveState(
        people: [person("Anna", speaking: true, window: 0.72, session: 0.61), person("Ben", window: 0.28, session: 0.39)],
        elapsedSeconds: 754, windowSeconds: 300, floorHolder: "Anna", turnSeconds: 102,
        cue: cue, sender: "Anna", bookmarks: 2, lostSeconds: 1.24)
}

private func family(_ count: Int, names: [String] = ["Anna", "Ben", "Dr. Okafor", "Mia"]) -> LiveState {
    let shares = [0.4, 0.3, 0.2, 0.1]
    return LiveState(
        people: (0..<count).map { person(names[$0], speaking: $0 == 1, window: shares[$0], session: shares[$0]) },
        elapsedSeconds: 3723, windowSeconds: 300, floorHolder: names[1], turnSeconds: 12,
        cue: .interruption(by: names[1], of: names[0]), sender: names[0], bookmarks: 1, lostSeconds: 0)
}

private let sizes = [(40, 10), (80, 24), (120, 40)]
private let cues: [LiveState.Cue?] = [nil, .imbalance(person: "Anna", share: 0.72), .interruption(by: "Ben", of: "Anna"),
                                      .monologue(person: "Anna", seconds: 102)]

private func hasEscape(_ s: String) -> Bool { s.unicodeScalars.contains("\u{1B}") }

/// Checks the invariants every frame must keep: exactly `height` lines, none wider than the terminal
/// (the renderer keeps the last column free), and no escape codes without colour.
private func checkFits(_ state: LiveState, width: Int, height: Int, color: Bool,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    let lines = MeterRenderer(width: width, height: height, color: color).render(state)
    #expect(lines.count == height, "\(width)x\(height)", sourceLocation: sourceLocation)
    for line in lines {
        #expect(MeterRenderer.visibleWidth(line) <= width - 1, "\(width)x\(height): \(line)", sourceLocation: sourceLocation)
        #expect(!line.contains("\n") && !line.contains("\r"), sourceLocation: sourceLocation)
        if !color { #expect(!hasEscape(line), "\(line)", sourceLocation: sourceLocation) }
    }
}

@Suite struct MeterTests {
    /// Golden frame, 80x24, no colour. To re-record after an intended layout change: run
    /// `swift test --filter MeterTests/golden80x24`, check the printed frame by eye, and paste it
    /// between the quotes below (the test prints the actual frame when it differs).
    @Test func golden80x24() {
        let lines = MeterRenderer(width: 80, height: 24, color: false).render(couple())
        let expected = """
        TalkBalance live   0:12:34   sending: Anna   2 bookmarks   lost 1.2 s

                last 5:00                            session
        * Anna  #####################........  72%   ##################...........  61%

          Ben   ########.....................  28%   ###########..................  39%

        Floor: Anna  turn 1:42













        >> Anna has 72% of the last 5 min <<

        s: sender  m: bookmark  q: quit
        """
        let actual = lines.joined(separator: "\n")
        if actual != expected { print("--- actual 80x24 frame ---\n" + actual + "\n--- end ---") }
        #expect(actual == expected)
        #expect(lines.count == 24)
    }

    @Test func everySizeFits() {
        for (w, h) in sizes {
            for color in [false, true] {
                for cue in cues {
                    checkFits(couple(cue: cue), width: w, height: h, color: color)
                }
                for n in 2...4 { checkFits(family(n), width: w, height: h, color: color) }
            }
        }
    }

    @Test func oddSizesNeverOverflowOrCrash() {
        for w in [0, 1, 5, 20, 39, 41, 79, 81, 200] {
            for h in [1, 3, 9, 10, 11, 60] {
                checkFits(family(4), width: max(w, 1), height: h, color: true)
                checkFits(couple(), width: max(w, 1), height: h, color: false)
            }
        }
        #expect(MeterRenderer(width: 80, height: 0, color: false).render(couple()).isEmpty)
        #expect(MeterRenderer(width: 0, height: 3, color: false).render(couple()) == ["", "", ""])
    }

    @Test func longNamesAreTruncatedGracefully() {
        let long = "Maximiliana Wolfeschlegelsteinhausenbergerdorff"
        var state = family(4, names: [long, "Bartholomew-Fitzgerald Jr.", "名前の長い人です名前の長い人", "👩‍👩‍👧 Family"])
        state.cue = .monologue(person: long, seconds: 95)
        state.floorHolder = long
        state.sender = long
        for (w, h) in sizes {
            for color in [false, true] { checkFits(state, width: w, height: h, color: color) }
        }
        let plain = MeterRenderer(width: 80, height: 24, color: false).render(state)
        #expect(plain.contains { $0.contains("Maximiliana Wol~") }, "ASCII mode cuts with ~")
        let fancy = MeterRenderer(width: 80, height: 24, color: true).render(state).map(MeterRenderer.stripANSI)
        #expect(fancy.contains { $0.contains("Maximiliana Wol…") }, "colour mode cuts with …")
        // In the narrowest terminal the names shrink, not the numbers.
        let narrow = MeterRenderer(width: 40, height: 10, color: false).render(state)
        #expect(narrow.contains(">> Maximil~ has held the floor 1:35 <<"))
        #expect(narrow.contains { $0.hasPrefix("Floor: Maximiliana") && $0.hasSuffix("turn 0:12") })
        // Bars still line up: every person row puts its percentages in the same columns.
        let rows = plain.filter { $0.hasSuffix("%") }
        #expect(rows.count == 4)
        #expect(Set(rows.map { MeterRenderer.visibleWidth($0) }).count == 1)
    }

    @Test func cueLineForEachKind() {
        #expect(MeterRenderer.cueText(.imbalance(person: "Anna", share: 0.72), windowSeconds: 300) == "Anna has 72% of the last 5 min")
        #expect(MeterRenderer.cueText(.interruption(by: "Ben", of: "Anna"), windowSeconds: 300) == "Ben interrupted Anna")
        #expect(MeterRenderer.cueText(.monologue(person: "Anna", seconds: 102), windowSeconds: 300) == "Anna has held the floor 1:42")
        #expect(MeterRenderer.cueText(.imbalance(person: "Ben", share: 0.666), windowSeconds: 45) == "Ben has 67% of the last 45 s")

        let expected: [(LiveState.Cue, String)] = [
            (.imbalance(person: "Anna", share: 0.72), ">> Anna has 72% of the last 5 min <<"),
            (.interruption(by: "Ben", of: "Anna"), ">> Ben interrupted Anna <<"),
            (.monologue(person: "Anna", seconds: 102), ">> Anna has held the floor 1:42 <<"),
        ]
        for (cue, text) in expected {
            let lines = MeterRenderer(width: 80, height: 24, color: false).render(couple(cue: cue))
            #expect(lines.filter { $0.hasPrefix(">>") } == [text], "exactly one cue line")
            #expect(lines[21] == text, "cue sits just above the footer")
            // With colour the same sentence, in bold reverse video.
            let colored = MeterRenderer(width: 80, height: 24, color: true).render(couple(cue: cue))
            let cueLine = colored[21]
            #expect(cueLine.contains("\u{1B}[1;7;"))
            #expect(MeterRenderer.stripANSI(cueLine).trimmingSpaces == text.dropFirst(3).dropLast(3))
        }
        let none = MeterRenderer(width: 80, height: 24, color: false).render(couple(cue: nil))
        #expect(!none.contains { $0.contains(">>") })
        #expect(none.last == "s: sender  m: bookmark  q: quit")
    }

    @Test func windowLabelBeforeTheWindowFills() {
        var state = couple(cue: .imbalance(person: "Anna", share: 0.8))
        state.elapsedSeconds = 34
        let lines = MeterRenderer(width: 80, height: 24, color: false).render(state)
        #expect(lines.contains { $0.contains("last 0:34") })
        #expect(lines.contains(">> Anna has 80% of the last 34 s <<"))
    }

    @Test func headerShowsOnlyWhatIsSet() {
        var state = couple()
        state.sender = nil
        state.lostSeconds = 0
        state.bookmarks = 1
        state.elapsedSeconds = 3 * 3600 + 5 * 60 + 9.9
        let header = MeterRenderer(width: 80, height: 24, color: false).render(state)[0]
        #expect(header == "TalkBalance live   3:05:09   1 bookmark")
        // Narrow: shorter wording, the loss warning is kept.
        let narrow = MeterRenderer(width: 40, height: 10, color: false).render(couple())[0]
        #expect(narrow.contains("0:12:34") && narrow.contains("lost 1.2 s") && narrow.contains("Anna"))
    }

    @Test func noANSIWithoutColour() {
        var state = family(4)
        state.people[0].label = "Evil\u{1B}[31mName\u{07}"
        state.cue = .interruption(by: "A\u{1B}[2J", of: "B\nC")
        for (w, h) in sizes {
            for line in MeterRenderer(width: w, height: h, color: false).render(state) {
                #expect(!hasEscape(line))
                #expect(line.unicodeScalars.allSatisfy { $0.value < 0x80 || $0.properties.generalCategory != .control })
                #expect(!line.contains("●") && !line.contains("█") && !line.contains("░"))
            }
        }
    }

    @Test func visibleWidthExcludesANSI() {
        #expect(MeterRenderer.visibleWidth("\u{1B}[1;7;33m Anna \u{1B}[0m") == 6)
        #expect(MeterRenderer.visibleWidth("名前") == 4)
        #expect(MeterRenderer.visibleWidth("e\u{301}") == 1)
        let lines = MeterRenderer(width: 80, height: 24, color: true).render(couple())
        #expect(lines.contains(where: hasEscape), "colour mode uses SGR")
        for line in lines {
            // Only SGR sequences (ESC [ ... m) in the rendered lines.
            var rest = Substring(line)
            while let i = rest.firstIndex(of: "\u{1B}") {
                let after = rest[rest.index(after: i)...]
                #expect(after.first == "[")
                guard let end = after.firstIndex(where: { $0.isLetter }) else { Issue.record("unterminated"); break }
                #expect(after[end] == "m")
                rest = after[after.index(after: end)...]
            }
            #expect(MeterRenderer.visibleWidth(line) <= 79)
        }
        // The cue bar spans the usable width, measured without its escape codes.
        #expect(MeterRenderer.visibleWidth(lines[21]) == 79)
        #expect(lines[21].count > 79)
    }

    @Test func threeAndFourPeopleFitIn80x24() {
        for n in [3, 4] {
            let lines = MeterRenderer(width: 80, height: 24, color: false).render(family(n))
            #expect(lines.count == 24)
            let rows = lines.filter { $0.hasSuffix("%") }
            #expect(rows.count == n)
            #expect(rows.filter { $0.hasPrefix("* ") }.count == 1, "one speaking marker")
            #expect(lines.contains(">> Ben interrupted Anna <<"))
            #expect(lines.contains("Floor: Ben  turn 0:12"))
            #expect(lines[0].hasPrefix("TalkBalance live   1:02:03   sending: Anna   1 bookmark"))
        }
        // 4 people in the smallest terminal keep every person, the cue and the footer.
        let small = MeterRenderer(width: 40, height: 10, color: false).render(family(4))
        #expect(small.filter { $0.hasSuffix("%") }.count == 4)
        #expect(small.contains(">> Ben interrupted Anna <<"))
        #expect(small.last == "s: sender  m: bookmark  q: quit")
    }

    @Test func frameRedrawsWithoutClearing() {
        let f = MeterRenderer.frame(["a", "b"])
        #expect(f == "\u{1B}[Ha\u{1B}[K\r\nb\u{1B}[K\u{1B}[J")
        #expect(!f.contains("\u{1B}[2J"), "no full clear per frame: no flicker")
        #expect(MeterRenderer.clearAndHome() == "\u{1B}[H\u{1B}[2J")
        #expect(MeterRenderer.enterAlternateScreen == "\u{1B}[?1049h")
        #expect(MeterRenderer.leaveAlternateScreen == "\u{1B}[?1049l")
        #expect(MeterRenderer.hideCursor == "\u{1B}[?25l")
        #expect(MeterRenderer.showCursor == "\u{1B}[?25h")
    }

    @Test func barsMatchShares() {
        let lines = MeterRenderer(width: 80, height: 24, color: false).render(couple())
        let anna = lines[3], ben = lines[5]
        // 29-column bars: 72% -> 21 filled, 28% -> 8 filled; numbers printed beside.
        #expect(anna.filter { $0 == "#" }.count == 21 + 18)
        #expect(ben.filter { $0 == "#" }.count == 8 + 11)
        var extreme = couple()
        extreme.people[0].windowShare = 1.4
        extreme.people[1].windowShare = .nan
        let e = MeterRenderer(width: 80, height: 24, color: false).render(extreme)
        #expect(e[3].contains("100%") && e[5].contains("  0%"))
    }

    /// Not a check: prints frames to look at (`swift test --filter MeterTests/preview`).
    @Test func preview() {
        for (w, h) in [(40, 10), (80, 24)] {
            for state in [couple(), family(4)] {
                print(String(repeating: "=", count: w))
                print(MeterRenderer(width: w, height: h, color: false).render(state).joined(separator: "\n"))
            }
        }
    }
}

private extension String {
    var trimmingSpaces: Substring {
        let s = drop(while: { $0 == " " })
        return s.reversed().drop(while: { $0 == " " }).reversed().isEmpty ? "" : Substring(String(s.reversed().drop(while: { $0 == " " }).reversed()))
    }

    @Test("one microphone for the room: a dim line says the shares and floor trail the speaking marks")
    func countsLagNote() {
        var room = couple(cue: nil)
        room.enrolKeys = true
        room.countsLagSeconds = 21
        let lines = MeterRenderer(width: 80, height: 24, color: false).render(room)
        #expect(lines.contains { $0.contains("shares and floor: as of 21 s ago") }, "\(lines.joined(separator: "\n"))")
        #expect(!MeterRenderer(width: 80, height: 24, color: false).render(couple(cue: nil)).contains { $0.contains("s ago") })
        // It is the first to go on a short terminal, and every size still fits.
        #expect(!MeterRenderer(width: 80, height: 9, color: false).render(room).contains { $0.contains("s ago") })
        for (w, h) in sizes { checkFits(room, width: w, height: h, color: false); checkFits(room, width: w, height: h, color: true) }
    }
}
