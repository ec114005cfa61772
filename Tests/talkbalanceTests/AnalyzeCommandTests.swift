import Foundation
import Testing
import TestSupport

@Suite("talkbalance analyze, end to end through the built executable", .timeLimit(.minutes(2)))
struct AnalyzeCommandTests {
    @Test("the binary is found")
    func binaryIsFound() throws {
        let url = try #require(Binary.url, "talkbalance binary not found: run `swift build` first")
        #expect(FileManager.default.isExecutableFile(atPath: url.path))
    }

    @Test("text report")
    func textReport() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let r = try folder.run(["analyze", "--quiet", input])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdoutText.contains("TalkBalance report"), "stdout: \(r.stdoutText)")
        #expect(r.stderr.isEmpty, "stderr: \(r.stderr)")
    }

    @Test("JSON report parses and has speakers, segments, events")
    func jsonReport() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let r = try folder.run(["analyze", "--quiet", "--format", "json", input])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: r.stdout)
        let top = try #require(object as? [String: Any], "top level is not an object")
        for key in ["speakers", "segments", "events"] {
            #expect(top[key] is [Any], "missing or not an array: \(key)")
        }
        let speakers = try #require(top["speakers"] as? [[String: Any]])
        #expect(speakers.count == 2)
        #expect(speakers.compactMap { $0["label"] as? String } == ["ch1", "ch2"])
    }

    @Test("the synthetic conversation is attributed to the right people")
    func talkTimes() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let r = try folder.run(["analyze", "--quiet", "--format", "json", input])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let top = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let speakers = try #require(top["speakers"] as? [[String: Any]])
        try #require(speakers.count == 2)
        let talk = speakers.map { ($0["talkTime"] as? Double) ?? -1 }
        // Person 1 talks 4 s, person 2 talks 2 s (syllable-rate modulation makes the exact figure fuzzy).
        #expect(talk[0] > 2.8 && talk[0] < 5.0, "ch1 talk time \(talk[0])")
        #expect(talk[1] > 1.3 && talk[1] < 2.7, "ch2 talk time \(talk[1])")
    }

    @Test("RTTM lines have 10 fields and start with SPEAKER")
    func rttmReport() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let r = try folder.run(["analyze", "--quiet", "--format", "rttm", input])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdoutText.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty, "no segments found")
        var labels = Set<String>()
        for line in lines {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            #expect(fields.count == 10, "line \"\(line)\"")
            #expect(fields.first == "SPEAKER", "line \"\(line)\"")
            if fields.count == 10 {
                labels.insert(String(fields[7]))
                #expect(Double(fields[3]) != nil && Double(fields[4]) != nil, "line \"\(line)\"")
                #expect((Double(fields[4]) ?? -1) > 0, "non-positive duration: \"\(line)\"")
            }
        }
        #expect(labels == ["ch1", "ch2"])
    }

    @Test("CSV has the documented header")
    func csvReport() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let r = try folder.run(["analyze", "--quiet", "--format", "csv", input])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.first == "kind,start,end,speaker,target,detail")
        #expect(lines.count > 1)
        for line in lines.dropFirst() {
            #expect(line.split(separator: ",", omittingEmptySubsequences: false).count == 6, "row \"\(line)\"")
        }
    }

    @Test("--names labels the people")
    func names() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let r = try folder.run(["analyze", "--quiet", "--names", "Anna,Ben", "--format", "rttm", input])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let labels = Set(r.stdoutText.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst(7).first.map(String.init) })
        #expect(labels == ["Anna", "Ben"])
    }

    @Test("--output writes a private file, refuses to replace it without --force")
    func outputFile() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let output = folder.path("report.json")

        let first = try folder.run(["analyze", "--quiet", "--format", "json", "--output", output, input])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.stdout.isEmpty, "report also went to stdout")
        let written = try Data(contentsOf: URL(fileURLWithPath: output))
        #expect((try? JSONSerialization.jsonObject(with: written)) != nil, "output is not JSON")
        let mode = (try FileManager.default.attributesOfItem(atPath: output)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "mode \(String(mode ?? -1, radix: 8))")

        // Again without --force: exit 73, file untouched.
        try Data("sentinel\n".utf8).write(to: URL(fileURLWithPath: output))
        let second = try folder.run(["analyze", "--quiet", "--format", "json", "--output", output, input])
        #expect(second.status == 73, "stderr: \(second.stderr)")
        #expect(second.stderrLines.count == 1, "stderr: \(second.stderr)")
        #expect(second.stderr.hasPrefix("talkbalance: ") && second.stderr.contains(output), "stderr: \(second.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data("sentinel\n".utf8))

        // With --force: replaced.
        let third = try folder.run(["analyze", "--quiet", "--format", "json", "--force", "--output", output, input])
        #expect(third.status == 0, "stderr: \(third.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == written, "same input should give the same report")
        let mode3 = (try FileManager.default.attributesOfItem(atPath: output)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode3 == 0o600)
        #expect(try folder.entries().filter { !$0.hasPrefix(".stdout-") && !$0.hasPrefix(".stderr-") }.sorted() == ["report.json", "session.wav"])
    }

    @Test("--output /dev/null and a named pipe are written into, without --force, and stay what they were")
    func outputIntoDevice() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let r = try folder.run(["analyze", "--quiet", "--format", "json", "--output", "/dev/null", input])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        var info = stat()
        #expect(lstat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "/dev/null is no longer a device")
        let fifo = folder.path("report.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        // A reader that drains the pipe (cat), so the writer's open and writes complete.
        let reader = try ChildProcess("/bin/cat", [fifo], stdout: folder.path("got.json"))
        let w = try folder.run(["analyze", "--quiet", "--format", "json", "--output", fifo, input])
        #expect(w.status == 0, "stderr: \(w.stderr)")
        #expect(reader.wait(seconds: 20))
        let got = try Data(contentsOf: URL(fileURLWithPath: folder.path("got.json")))
        #expect((try? JSONSerialization.jsonObject(with: got)) != nil, "the pipe did not carry the JSON report")
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
    }

    @Test("--output into a missing folder exits 73 and leaves nothing")
    func outputIntoMissingFolder() throws {
        let folder = try TempFolder()
        let input = try Conversation.write(in: folder)
        let output = folder.path("nope/report.txt")
        let r = try folder.run(["analyze", "--quiet", "--output", output, input])
        #expect(r.status == 73, "stderr: \(r.stderr)")
        #expect(r.stderrLines.count == 1 && r.stderr.hasPrefix("talkbalance: ") && r.stderr.contains(output), "stderr: \(r.stderr)")
        #expect(try folder.entries() == ["session.wav"])
    }
}
