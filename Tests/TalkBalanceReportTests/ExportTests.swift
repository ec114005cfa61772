import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TalkBalanceCore
import TalkBalanceReport

private func render(_ format: Exports.Format, _ result: SessionResult, file: String = "/data/session one.wav") -> String {
    Exports.collect { Exports.write(format, file: file, result: result, emit: $0) }
}

/// Lines with trailing spaces removed (Praat writes a space after every value; the goldens leave it out).
private func stripped(_ s: String) -> String {
    s.split(separator: "\n", omittingEmptySubsequences: false)
        .map { line in String(line.reversed().drop { $0 == " " }.reversed()) }.joined(separator: "\n")
}

/// One IntervalTier or TextTier of a long-format TextGrid, read back with a minimal parser.
private struct ParsedTier {
    var kind = "", name = ""
    var xmin = 0.0, xmax = 0.0
    var intervals: [(Double, Double, String)] = []
    var points: [(Double, String)] = []
}

private func parseTextGrid(_ text: String) -> (xmax: Double, tiers: [ParsedTier]) {
    func value(_ line: Substring) -> String {
        String(line[line.index(after: line.firstIndex(of: "=")!)...]).trimmingCharacters(in: .whitespaces)
    }
    func string(_ v: String) -> String { String(v.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"") }
    var tiers: [ParsedTier] = []
    var xmax = 0.0
    var pending: (Double, Double)? = nil
    var pointTime: Double? = nil
    for raw in text.split(separator: "\n") {
        let line = raw.drop { $0 == " " }
        if line.hasPrefix("class = ") { tiers.append(ParsedTier(kind: string(value(line)))); continue }
        guard let key = line.split(separator: " ").first else { continue }
        if tiers.isEmpty {
            if key == "xmax" { xmax = Double(value(line))! }
            continue
        }
        let t = tiers.count - 1
        let indent = raw.count - line.count
        switch key {
        case "name": tiers[t].name = string(value(line))
        case "xmin" where indent == 8: tiers[t].xmin = Double(value(line))!
        case "xmax" where indent == 8: tiers[t].xmax = Double(value(line))!
        case "xmin": pending = (Double(value(line))!, 0)
        case "xmax": pending!.1 = Double(value(line))!
        case "text": tiers[t].intervals.append((pending!.0, pending!.1, string(value(line)))); pending = nil
        case "number": pointTime = Double(value(line))!
        case "mark": tiers[t].points.append((pointTime!, string(value(line))))
        default: break
        }
    }
    return (xmax, tiers)
}

@Suite struct ExportTests {
    @Test func textGridGolden() throws {
        let out = render(.textgrid, try sampleSession(marks: exportMarks))
        let expected = """
        File type = "ooTextFile"
        Object class = "TextGrid"

        xmin = 0
        xmax = 10
        tiers? <exists>
        size = 3
        item []:
            item [1]:
                class = "IntervalTier"
                name = "Alex"
                xmin = 0
                xmax = 10
                intervals: size = 2
                intervals [1]:
                    xmin = 0
                    xmax = 3
                    text = "Alex"
                intervals [2]:
                    xmin = 3
                    xmax = 10
                    text = ""
            item [2]:
                class = "IntervalTier"
                name = "Sam Lee"
                xmin = 0
                xmax = 10
                intervals: size = 3
                intervals [1]:
                    xmin = 0
                    xmax = 2.5
                    text = ""
                intervals [2]:
                    xmin = 2.5
                    xmax = 6
                    text = "Sam Lee"
                intervals [3]:
                    xmin = 6
                    xmax = 10
                    text = ""
            item [3]:
                class = "TextTier"
                name = "events"
                xmin = 0
                xmax = 10
                points: size = 4
                points [1]:
                    number = 1
                    mark = "sender Alex"
                points [2]:
                    number = 2.5
                    mark = "interruption Sam Lee>Alex; overlap Alex+Sam Lee"
                points [3]:
                    number = 5
                    mark = "backchannel Alex"
                points [4]:
                    number = 8
                    mark = "imbalance Sam Lee 70%; bookmark"

        """
        #expect(stripped(out) == expected)
        // Praat's own layout: a space after every value.
        #expect(out.contains("xmin = 0 \nxmax = 10 \ntiers? <exists> \nsize = 3 \nitem []: \n"))
        #expect(out.contains("            text = \"Sam Lee\" \n"))
    }

    @Test func eafGolden() throws {
        let out = render(.eaf, try sampleSession(marks: exportMarks))
        let expected = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ANNOTATION_DOCUMENT AUTHOR="TalkBalance" DATE="1970-01-01T00:00:00Z" FORMAT="3.0" VERSION="3.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://www.mpi.nl/tools/elan/EAFv3.0.xsd">
            <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">
                <MEDIA_DESCRIPTOR MEDIA_URL="file:///data/session%20one.wav" MIME_TYPE="audio/x-wav" RELATIVE_MEDIA_URL="./session%20one.wav"/>
                <PROPERTY NAME="lastUsedAnnotationId">6</PROPERTY>
            </HEADER>
            <TIME_ORDER>
                <TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="0"/>
                <TIME_SLOT TIME_SLOT_ID="ts2" TIME_VALUE="3000"/>
                <TIME_SLOT TIME_SLOT_ID="ts3" TIME_VALUE="2500"/>
                <TIME_SLOT TIME_SLOT_ID="ts4" TIME_VALUE="6000"/>
                <TIME_SLOT TIME_SLOT_ID="ts5" TIME_VALUE="1000"/>
                <TIME_SLOT TIME_SLOT_ID="ts6" TIME_VALUE="2500"/>
                <TIME_SLOT TIME_SLOT_ID="ts7" TIME_VALUE="2500"/>
                <TIME_SLOT TIME_SLOT_ID="ts8" TIME_VALUE="3000"/>
                <TIME_SLOT TIME_SLOT_ID="ts9" TIME_VALUE="5000"/>
                <TIME_SLOT TIME_SLOT_ID="ts10" TIME_VALUE="5400"/>
                <TIME_SLOT TIME_SLOT_ID="ts11" TIME_VALUE="8000"/>
                <TIME_SLOT TIME_SLOT_ID="ts12" TIME_VALUE="10000"/>
            </TIME_ORDER>
            <TIER LINGUISTIC_TYPE_REF="default-lt" TIER_ID="Alex">
                <ANNOTATION>
                    <ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2">
                        <ANNOTATION_VALUE>Alex</ANNOTATION_VALUE>
                    </ALIGNABLE_ANNOTATION>
                </ANNOTATION>
            </TIER>
            <TIER LINGUISTIC_TYPE_REF="default-lt" TIER_ID="Sam Lee">
                <ANNOTATION>
                    <ALIGNABLE_ANNOTATION ANNOTATION_ID="a2" TIME_SLOT_REF1="ts3" TIME_SLOT_REF2="ts4">
                        <ANNOTATION_VALUE>Sam Lee</ANNOTATION_VALUE>
                    </ALIGNABLE_ANNOTATION>
                </ANNOTATION>
            </TIER>
            <TIER LINGUISTIC_TYPE_REF="default-lt" TIER_ID="events">
                <ANNOTATION>
                    <ALIGNABLE_ANNOTATION ANNOTATION_ID="a3" TIME_SLOT_REF1="ts5" TIME_SLOT_REF2="ts6">
                        <ANNOTATION_VALUE>sender Alex</ANNOTATION_VALUE>
                    </ALIGNABLE_ANNOTATION>
                </ANNOTATION>
                <ANNOTATION>
                    <ALIGNABLE_ANNOTATION ANNOTATION_ID="a4" TIME_SLOT_REF1="ts7" TIME_SLOT_REF2="ts8">
                        <ANNOTATION_VALUE>interruption Sam Lee&gt;Alex; overlap Alex+Sam Lee</ANNOTATION_VALUE>
                    </ALIGNABLE_ANNOTATION>
                </ANNOTATION>
                <ANNOTATION>
                    <ALIGNABLE_ANNOTATION ANNOTATION_ID="a5" TIME_SLOT_REF1="ts9" TIME_SLOT_REF2="ts10">
                        <ANNOTATION_VALUE>backchannel Alex</ANNOTATION_VALUE>
                    </ALIGNABLE_ANNOTATION>
                </ANNOTATION>
                <ANNOTATION>
                    <ALIGNABLE_ANNOTATION ANNOTATION_ID="a6" TIME_SLOT_REF1="ts11" TIME_SLOT_REF2="ts12">
                        <ANNOTATION_VALUE>imbalance Sam Lee 70%; bookmark</ANNOTATION_VALUE>
                    </ALIGNABLE_ANNOTATION>
                </ANNOTATION>
            </TIER>
            <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="default-lt" TIME_ALIGNABLE="true"/>
            <CONSTRAINT DESCRIPTION="Time subdivision of parent annotation's time interval, no time gaps allowed within this interval" STEREOTYPE="Time_Subdivision"/>
            <CONSTRAINT DESCRIPTION="Symbolic subdivision of a parent annotation. Annotations refering to the same parent are ordered" STEREOTYPE="Symbolic_Subdivision"/>
            <CONSTRAINT DESCRIPTION="1-1 association with a parent annotation" STEREOTYPE="Symbolic_Association"/>
            <CONSTRAINT DESCRIPTION="Time alignable annotations within the parent annotation's time interval, gaps are allowed" STEREOTYPE="Included_In"/>
        </ANNOTATION_DOCUMENT>

        """
        #expect(out == expected)
    }

    @Test func audacityGolden() throws {
        let out = render(.audacity, try sampleSession(marks: exportMarks))
        let expected = """
        0.000000\t3.000000\tAlex
        1.000000\t1.000000\tsender Alex
        2.500000\t6.000000\tSam Lee
        2.500000\t3.000000\tinterruption Sam Lee>Alex
        2.500000\t3.000000\toverlap Alex+Sam Lee
        5.000000\t5.400000\tbackchannel Alex
        8.000000\t8.000000\timbalance Sam Lee 70%
        8.000000\t8.000000\tbookmark

        """
        #expect(out == expected)
    }

    @Test func webVTTGolden() throws {
        let out = render(.vtt, try sampleSession(marks: exportMarks))
        let expected = """
        WEBVTT

        00:00:00.000 --> 00:00:03.000
        <v Alex>Alex speaking</v>

        00:00:01.000 --> 00:00:03.000
        Alex is the sender

        00:00:02.500 --> 00:00:06.000
        <v Sam Lee>Sam Lee speaking</v>

        00:00:02.500 --> 00:00:03.000
        Sam Lee interrupts Alex and takes the floor

        00:00:02.500 --> 00:00:03.000
        Overlap: Alex, Sam Lee

        00:00:05.000 --> 00:00:05.400
        Alex backchannels to Sam Lee

        00:00:08.000 --> 00:00:10.000
        Sam Lee has 70% of the talk

        00:00:08.000 --> 00:00:10.000
        Bookmark

        """
        #expect(out == expected)
    }

    @Test func streamingEqualsCollectedAndIsDeterministic() throws {
        let result = try sampleSession(marks: exportMarks)
        for format in Exports.Format.allCases {
            var pieces: [String] = []
            Exports.write(format, file: "/data/session one.wav", result: result) { pieces.append($0) }
            #expect(pieces.count > 3, "\(format) should stream in pieces")
            #expect(pieces.joined() == render(format, result))
            #expect(render(format, result) == render(format, result))
        }
        #expect(Exports.Format.allCases.map(\.rawValue) == ["textgrid", "eaf", "audacity", "vtt"])
        #expect(Exports.Format.allCases.map(\.fileExtension) == ["TextGrid", "eaf", "txt", "vtt"])
    }

    @Test func namesWithQuotesAmpersandsAndAngleBracketsAreEscaped() throws {
        let odd = "Ann \"A\" <&>"
        let result = try sampleSession(labels: [odd, "B&B"])

        let grid = render(.textgrid, result)
        #expect(grid.contains("name = \"Ann \"\"A\"\" <&>\" \n"))
        #expect(grid.contains("text = \"Ann \"\"A\"\" <&>\" \n"))
        #expect(parseTextGrid(grid).tiers.map(\.name) == [odd, "B&B", "events"])

        let eaf = render(.eaf, result, file: "/tmp/a&b <c>.flac")
        #expect(eaf.contains("TIER_ID=\"Ann &quot;A&quot; &lt;&amp;&gt;\""))
        #expect(eaf.contains("MEDIA_URL=\"file:///tmp/a&amp;b%20%3Cc%3E.flac\" MIME_TYPE=\"audio/*\""))
        // A real XML parser reads the names back unchanged.
        let reader = EAFReader()
        let parser = XMLParser(data: Data(eaf.utf8))
        parser.delegate = reader
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(reader.tiers == [odd, "B&B", "events"])
        #expect(reader.values.contains(odd))
        #expect(reader.values.contains("interruption B&B>\(odd); overlap \(odd)+B&B"))

        let vtt = render(.vtt, result)
        #expect(vtt.contains("<v Ann \"A\" &lt;&amp;&gt;>Ann \"A\" &lt;&amp;&gt; speaking</v>"))
        #expect(vtt.contains("B&amp;B interrupts Ann \"A\" &lt;&amp;&gt; and takes the floor"))
        // Outside the voice tags, no raw < > &.
        let text = vtt.replacingOccurrences(of: "<v ", with: "").replacingOccurrences(of: "</v>", with: "")
            .replacingOccurrences(of: "-->", with: "").replacingOccurrences(of: "&amp;", with: "")
            .replacingOccurrences(of: "&lt;", with: "").replacingOccurrences(of: "&gt;", with: "")
        #expect(!text.contains("&") && !text.contains("<"))
        #expect(text.filter { $0 == ">" }.count == 2)  // the two voice tags' closing brackets

        let labels = render(.audacity, result)
        #expect(labels.contains("0.000000\t3.000000\tAnn \"A\" <&>\n"))
    }

    @Test func sameLabelsGiveDistinctTierNames() throws {
        let result = try sampleSession(labels: ["events", "events"])
        #expect(parseTextGrid(render(.textgrid, result)).tiers.map(\.name) == ["events", "events (2)", "events (3)"])
        let reader = EAFReader()
        let parser = XMLParser(data: Data(render(.eaf, result).utf8))
        parser.delegate = reader
        #expect(parser.parse())
        #expect(reader.tiers == ["events", "events (2)", "events (3)"])
    }

    @Test func textGridIntervalsCoverEachTierFromZeroToTheEnd() throws {
        // Unsorted, overlapping and touching segments of one person, speech to the very end, a person
        // without speech, a 48 kHz rate (times that are not short decimals).
        var result = try sampleSession()
        result.sampleRate = 48000
        result.durationSamples = 480_001
        result.segments = [
            SpeechSegment(speaker: 1, startSample: 100_000, endSample: 480_001),
            SpeechSegment(speaker: 0, startSample: 7, endSample: 30_001),
            SpeechSegment(speaker: 0, startSample: 20_000, endSample: 40_000),
            SpeechSegment(speaker: 0, startSample: 40_000, endSample: 41_111),
            SpeechSegment(speaker: 0, startSample: 90_000, endSample: 90_001),
            SpeechSegment(speaker: 1, startSample: 1, endSample: 3),
        ]
        result.speakers.append(result.speakers[1])
        result.speakers[2].label = "Quiet"
        let grid = render(.textgrid, result)
        #expect(!grid.contains("e-"), "numbers never in exponent notation")
        let parsed = parseTextGrid(grid)
        let end = 480_001.0 / 48000
        #expect(parsed.xmax == end)
        #expect(parsed.tiers.map(\.kind) == ["IntervalTier", "IntervalTier", "IntervalTier", "TextTier"])
        for tier in parsed.tiers where tier.kind == "IntervalTier" {
            #expect(tier.xmin == 0 && tier.xmax == end)
            #expect(tier.intervals.first?.0 == 0, "\(tier.name) starts at 0")
            #expect(tier.intervals.last?.1 == end, "\(tier.name) ends at the end")
            for (a, b) in zip(tier.intervals, tier.intervals.dropFirst()) {
                #expect(a.1 == b.0, "\(tier.name): \(a.1) then \(b.0)")
            }
            #expect(tier.intervals.allSatisfy { $0.1 > $0.0 })
        }
        #expect(parsed.tiers[0].intervals.map(\.2) == ["", "Alex", "", "Alex", ""])
        #expect(parsed.tiers[0].intervals[1].0 == 7.0 / 48000 && parsed.tiers[0].intervals[1].1 == 41_111.0 / 48000)
        #expect(parsed.tiers[1].intervals.map(\.2) == ["", "Sam Lee", "", "Sam Lee"])
        #expect(parsed.tiers[2].intervals.map(\.2) == [""])
        #expect(parsed.tiers[3].points.map(\.1) == [
            "interruption Sam Lee>Alex; overlap Alex+Sam Lee", "backchannel Alex", "imbalance Sam Lee 70%",
        ])
    }

    @Test func eafEventsDoNotOverlapAndPointEventsLast() throws {
        var result = try sampleSession()
        // A monologue spanning the interruption: cut where the next event starts (ELAN forbids overlap).
        result.events.insert(ConversationEvent(kind: .monologue, startSample: 16000, durationSamples: 100_000, by: 1), at: 0)
        let reader = EAFReader()
        let parser = XMLParser(data: Data(render(.eaf, result).utf8))
        parser.delegate = reader
        #expect(parser.parse())
        let events = reader.annotations.filter { $0.tier == "events" }
        #expect(events.map(\.value) == ["monologue Sam Lee", "interruption Sam Lee>Alex; overlap Alex+Sam Lee",
                                         "backchannel Alex", "imbalance Sam Lee 70%"])
        #expect(events.map(\.start) == [1000, 2500, 5000, 8000])
        #expect(events.map(\.end) == [2500, 3000, 5400, 10000])
        for tier in Set(reader.annotations.map(\.tier)) {
            let spans = reader.annotations.filter { $0.tier == tier }
            for (a, b) in zip(spans, spans.dropFirst()) { #expect(a.end <= b.start) }
            #expect(spans.allSatisfy { $0.end > $0.start })
        }
    }

    @Test func webVTTTimesPastAnHour() throws {
        var result = try sampleSession()
        result.durationSamples = 16000 * 4000
        result.segments = [SpeechSegment(speaker: 0, startSample: 16000 * 3725 + 8, endSample: 16000 * 3726)]
        result.events = []
        #expect(render(.vtt, result) == "WEBVTT\n\n01:02:05.001 --> 01:02:06.000\n<v Alex>Alex speaking</v>\n")
    }
}

/// Collects TIER_IDs and annotations (tier, start ms, end ms, value) of an EAF with Foundation's parser.
private final class EAFReader: NSObject, XMLParserDelegate {
    struct Annotation { var tier: String; var start: Int; var end: Int; var value: String }
    var tiers: [String] = []
    var annotations: [Annotation] = []
    var values: [String] { annotations.map(\.value) }
    private var slots: [String: Int] = [:]
    private var current: Annotation?
    private var text: String?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "TIME_SLOT": slots[attributes["TIME_SLOT_ID"]!] = Int(attributes["TIME_VALUE"]!)
        case "TIER": tiers.append(attributes["TIER_ID"]!)
        case "ALIGNABLE_ANNOTATION":
            current = Annotation(tier: tiers.last!, start: slots[attributes["TIME_SLOT_REF1"]!]!,
                                 end: slots[attributes["TIME_SLOT_REF2"]!]!, value: "")
        case "ANNOTATION_VALUE": text = ""
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text? += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "ANNOTATION_VALUE", var a = current {
            a.value = text ?? ""
            annotations.append(a)
            current = nil
            text = nil
        }
    }
}
