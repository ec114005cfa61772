import Foundation
import TalkBalanceCore
import TalkBalanceIO

/// Where an enrolled voice is heard: a file of its own, or a stretch of the analysed recording.
enum EnrolmentSource {
    case file(String)
    /// `@START-END`: seconds of the analysed recording (`text` as the user wrote it).
    case span(start: Double, end: Double, text: String)
}

/// `--enroll NAME=FILE` and `--enroll NAME=@START-END` values, in order; a malformed one ends the run
/// with a usage error (one line, exit 64) naming it. `stretches`: why `@START-END` cannot be used here
/// (nil: it can).
func parsedEnrolments(_ values: [String], noStretchesBecause stretches: String? = nil) -> [(name: String, source: EnrolmentSource)] {
    var out: [(name: String, source: EnrolmentSource)] = []
    for value in values {
        guard let equals = value.firstIndex(of: "=") else {
            fail("--enroll \(value): expected NAME=FILE" + (stretches == nil ? " or NAME=@START-END, e.g. --enroll Anna=anna.wav or --enroll Anna=@1:05-1:12" : ", e.g. --enroll Anna=anna.wav"),
                 code: Exit.usage)
        }
        let name = value[..<equals].trimmingCharacters(in: .whitespaces)
        let path = String(value[value.index(after: equals)...])
        if name.isEmpty { fail("--enroll \(value): the name before = is empty", code: Exit.usage) }
        if name.contains(",") { fail("--enroll \(value): a name may not contain a comma", code: Exit.usage) }
        if path.isEmpty { fail("--enroll \(value): the file after = is missing", code: Exit.usage) }
        if out.contains(where: { $0.name == name }) { fail("--enroll \(name) is given twice; enrol each person once", code: Exit.usage) }
        if path.hasPrefix("@") {
            if let stretches { fail("--enroll \(value): \(stretches) (for a file whose name starts with @, write ./\(path))", code: Exit.usage) }
            let text = String(path.dropFirst())
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let start = enrolmentSeconds(parts[0]), let end = enrolmentSeconds(parts[1]) else {
                fail("--enroll \(value): expected @START-END with times in seconds or m:ss, e.g. @65-72 or @1:05-1:12", code: Exit.usage)
            }
            guard end > start else { fail("--enroll \(value): the stretch ends before it starts", code: Exit.usage) }
            out.append((name, .span(start: start, end: end, text: text)))
        } else {
            out.append((name, .file(path)))
        }
    }
    return out
}

/// A time as `75.5`, `1:15.5` or `1:01:15.5` (seconds, m:ss, h:mm:ss), or nil.
func enrolmentSeconds(_ text: Substring) -> Double? {
    let fields = text.split(separator: ":", omittingEmptySubsequences: false)
    guard (1...3).contains(fields.count) else { return nil }
    var total = 0.0
    for (i, field) in fields.enumerated() {
        let last = i == fields.count - 1
        guard !field.isEmpty, field.allSatisfy({ $0.isASCII && ($0.isNumber || (last && $0 == ".")) }),
              let value = Double(field), value.isFinite else { return nil }
        if i > 0 && value >= 60 { return nil }
        total = total * 60 + value
    }
    return total
}

/// `--enroll NAME=FILE`: the person's voice from their recording, or one line on stderr and the exit code
/// (65 too little speech or not audio, 66 missing or unreadable, 74 reading failed).
func enrolmentRecording(name: String, path: String, config: AnalysisConfig) -> RoomAnalysis.EnrolmentRecording {
    do {
        return try RoomAnalysis.enrolRecording(open: { try SoundFileReader(path: path) }, config: config)
    } catch {
        switch error {
        case .tooLittleSpeech: fail("\(path) (--enroll \(name)): \(error.description)", code: Exit.dataError)
        case .source(let e as InputError):
            fail("--enroll \(name): \(e.description)", code: e.kind == .missing || e.kind == .readFailed ? Exit.noInput : Exit.dataError)
        case .source(let e): fail("\(path) (--enroll \(name)): \(e)", code: Exit.ioError)
        }
    }
}

/// What to tell the user about enrolment recordings that sound as if made on another microphone than
/// the session (`RoomDiarizer.MicrophoneShift`), or nil when there is nothing to say. `firstName`: the
/// first person enrolled from a recording (the one when there is one).
func otherMicrophoneMessage(_ shift: RoomDiarizer.MicrophoneShift?, firstName: String) -> String? {
    guard let shift, shift.otherMicrophone else { return nil }
    return shift.compensated
        ? "the enrolment recordings sound as if made on another microphone (every voice in them is offset the same way from the session's); corrected for before use"
        : "\(firstName)'s recording is far from every voice here (another microphone, or someone who hardly speaks?): the name may be wrong; enrol two or more people with one microphone (their common offset is then corrected) or use --enroll \(firstName)=@START-END"
}
