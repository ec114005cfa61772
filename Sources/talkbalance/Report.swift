import ArgumentParser
import Foundation
import TalkBalanceCore
import TalkBalanceIO
import TalkBalanceReport

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a saved JSON report in any format, without analysing the audio again."
    )

    @Argument(help: "A JSON report written by `analyze --format json` or `live --report`.")
    var session: String
    @Option(help: "Output format: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ReportFormat = .text
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?
    @Option(help: "The recording for playback (HTML) and media links (ELAN); default: the file the report names.")
    var audio: String?
    @Flag(help: "Replace the output file if it exists.")
    var force = false

    func run() throws {
        guard let data = FileManager.default.contents(atPath: session) else {
            fail("\(session): \(FileManager.default.fileExists(atPath: session) ? "cannot be read" : "no such file")",
                 code: FileManager.default.fileExists(atPath: session) ? Exit.dataError : Exit.noInput)
        }
        let decoded: (file: String, result: SessionResult)
        do { decoded = try ReportDecoding.result(fromJSON: data) } catch {
            fail("\(session): \(error.description)", code: Exit.dataError)
        }
        if let output, !force, SafeOutput.wouldReplace(output) {
            fail("\(output): already exists; pass --force to replace it", code: Exit.cannotCreate)
        }
        let audioFile = audio ?? decoded.file
        writeReport(ReportRenderer(file: decoded.file, result: decoded.result, audio: audioReference(for: audioFile, output: output)),
                    format: format, output: output, force: force)
    }
}
