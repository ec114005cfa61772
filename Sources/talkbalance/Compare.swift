import ArgumentParser
import Foundation
import TalkBalanceIO
import TalkBalanceReport

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare sessions: each person's share and interruptions, and the facilitator's share, across saved JSON reports."
    )

    @Argument(help: "Two or more JSON reports, in the order to show them.")
    var sessions: [String]
    @Option(help: "Who the facilitator is (a label in the reports): adds facilitator and client shares.")
    var facilitator: String?
    @Option(help: "Output format: text or html.")
    var format: Format = .text
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?
    @Flag(help: "Replace the output file if it exists.")
    var force = false

    enum Format: String, ExpressibleByArgument { case text, html }

    func validate() throws {
        guard sessions.count >= 2 else { throw ValidationError("compare needs at least two JSON reports") }
    }

    func run() throws {
        var loaded: [Comparison.Session] = []
        for path in sessions {
            guard let data = FileManager.default.contents(atPath: path) else {
                fail("\(path): \(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")", code: Exit.noInput)
            }
            do { loaded.append(Comparison.Session(name: path, result: try ReportDecoding.result(fromJSON: data).result)) } catch {
                fail("\(path): \(error.description)", code: Exit.dataError)
            }
        }
        let comparison = Comparison(sessions: loaded, facilitator: facilitator)
        if let facilitator, !comparison.people.contains(facilitator) {
            fail("--facilitator \(facilitator) is not a person in these reports (\(comparison.people.joined(separator: ", ")))", code: Exit.usage)
        }
        let text = format == .html ? comparison.html() : comparison.text()
        if let output {
            do { try SafeOutput.write(Data(text.utf8), to: output, overwrite: force) } catch {
                fail(error.description, code: error.kind == .writeFailed ? Exit.ioError : Exit.cannotCreate)
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
