import Foundation
import Testing

/// `talkbalance analyze --speakers N` on a one-channel recording: who speaks when from the voices.
@Suite("one microphone for the room, through the command line")
struct RoomCommandTests {
    static let falcon = "/picovoice-falcon-test/falcon_test"
    static var data: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/real")
    }

    @Test("three people taking turns on one microphone: labels S1-S3, DER under 10% against the truth")
    func falconTest() throws {
        let folder = try TempFolder()
        let audio = Self.data.path + Self.falcon + ".flac", truth = Self.data.path + Self.falcon + ".rttm"
        try #require(FileManager.default.fileExists(atPath: audio), "../shared/data is not beside the checkout")
        let run = try folder.run(["analyze", audio, "--speakers", "3", "--format", "rttm", "--output", "h.rttm"])
        #expect(run.status == 0, "\(run.stderr)")
        let labels = Set(try String(contentsOfFile: folder.path("h.rttm"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ")[7] })
        #expect(labels == ["S1", "S2", "S3"])
        let score = try folder.run(["evaluate", "--reference", truth, "--format", "json", "h.rttm"])
        let root = try #require(try JSONSerialization.jsonObject(with: score.stdout) as? [String: Any])
        let der = try #require(root["der"] as? Double)
        #expect(der < 0.10, "DER \(der)")
        #expect((root["confusion"] as? Double ?? 1) < 0.03)
    }

    @Test("names, and impossible --speakers values")
    func options() throws {
        let folder = try TempFolder()
        let audio = Self.data.path + Self.falcon + ".flac"
        try #require(FileManager.default.fileExists(atPath: audio))
        let named = try folder.run(["analyze", audio, "--speakers", "3", "--names", "Ada,Bo,Cy", "--format", "json"])
        #expect(named.status == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: named.stdout) as? [String: Any])
        #expect((root["speakers"] as? [[String: Any]])?.map { $0["label"] as? String } == ["Ada", "Bo", "Cy"])
        #expect(try folder.run(["analyze", audio, "--speakers", "0"]).status == 64)
        #expect(try folder.run(["analyze", audio, "--speakers", "9"]).status == 64)
        let wrongNames = try folder.run(["analyze", audio, "--speakers", "3", "--names", "Ada,Bo"])
        #expect(wrongNames.status == 64 && wrongNames.stderrLines.count == 1)
    }
}
