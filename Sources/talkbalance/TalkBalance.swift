import ArgumentParser
import Foundation

@main
struct TalkBalance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talkbalance",
        abstract: "Who talked how much, who interrupted whom: talk-time balance for couples and family sessions.",
        discussion: """
        Exit codes: 0 success; 64 bad options; 65 the input is not usable audio (empty, truncated, \
        not a sound file, unsupported format); 66 the input file does not exist or cannot be opened; \
        73 the output file cannot be created or already exists (use --force); 74 reading or writing failed.
        """,
        version: "0.1.0",
        subcommands: [Analyze.self, Live.self, Devices.self, Report.self, Compare.self, Evaluate.self]
    )
}

/// sysexits(3) codes, documented in --help and README.md.
enum Exit {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74
}

/// Prints one sentence on stderr and exits with `code`.
func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("talkbalance: \(message)\n".utf8))
    exit(code)
}
