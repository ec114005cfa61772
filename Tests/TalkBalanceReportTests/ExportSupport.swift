import Foundation
import TalkBalanceCore
import TalkBalanceReport

/// The report tests' session, built by hand (decoded from JSON), 10 s at 16 kHz: Alex speaks 0-3 s,
/// "Sam Lee" 2.5-6 s and interrupts Alex at 2.5 s; Alex backchannels at 5 s; Sam Lee has 70% of the
/// talk at 8 s. `labels` renames the two people; `marks` adds facilitator marks.
func sampleSession(labels: [String] = ["Alex", "Sam Lee"], marks: [Mark] = []) throws -> SessionResult {
    let config = try JSONSerialization.jsonObject(with: JSONEncoder().encode(AnalysisConfig()))
    func speaker(_ i: Int, _ label: String, talk: Int, share: Double, made: Int, suffered: Int, bc: Int, latency: Int?) -> [String: Any] {
        var d: [String: Any] = [
            "index": i, "label": label, "talkSamples": talk, "share": share, "turns": 1,
            "meanTurnSamples": talk, "longestTurnSamples": talk, "interruptionsMade": made,
            "interruptionsSuffered": suffered, "successfulInterruptionsMade": made, "backchannels": bc,
            "backchannelsReceived": 1 - bc, "overlapSamples": 8000, "sendingSamples": 0, "receivingSamples": 0,
        ]
        if let latency { d["meanResponseLatencySamples"] = latency }
        return d
    }
    let object: [String: Any] = [
        "sampleRate": 16000, "channelCount": 2, "durationSamples": 160_000,
        "speakers": [
            speaker(0, labels[0], talk: 48000, share: 48000.0 / 104_000, made: 0, suffered: 1, bc: 1, latency: nil),
            speaker(1, labels[1], talk: 56000, share: 56000.0 / 104_000, made: 1, suffered: 0, bc: 0, latency: -8000),
        ],
        "segments": [
            ["speaker": 0, "startSample": 0, "endSample": 48000],
            ["speaker": 1, "startSample": 40000, "endSample": 96000],
        ],
        "turns": [
            ["speaker": 0, "startSample": 0, "endSample": 48000],
            ["speaker": 1, "startSample": 40000, "endSample": 96000],
        ],
        "events": [
            ["kind": "interruption", "startSample": 40000, "durationSamples": 8000, "by": 1, "of": 0, "successful": true],
            ["kind": "overlap", "startSample": 40000, "durationSamples": 8000, "speakers": [0, 1]],
            ["kind": "backchannel", "startSample": 80000, "durationSamples": 6400, "by": 0, "of": 1],
            ["kind": "imbalance", "startSample": 128_000, "durationSamples": 0, "by": 1, "share": 0.7],
        ],
        "balance": [
            ["endSample": 160_000, "windowSamples": 160_000, "talkSamples": [48000, 56000],
             "shares": [48000.0 / 104_000, 56000.0 / 104_000]],
        ],
        "marks": [[String: Any]](),
        "silenceSamples": 64000, "overlapSamples": 8000, "pauseCount": 0, "gapCount": 0,
        "config": config,
    ]
    let data = try JSONSerialization.data(withJSONObject: object)
    var result = try JSONDecoder().decode(SessionResult.self, from: data)
    result.marks = marks
    return result
}

/// Facilitator marks for the samples: Alex becomes the sender at 1 s, a bookmark at 8 s.
let exportMarks = [Mark(kind: .sender, sample: 16000, person: 0), Mark(kind: .bookmark, sample: 128_000)]

/// The package root (for tools/), from this file's path.
let exportPackageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Writes the four exports of `result` into `folder` as s.TextGrid, s.eaf, s.txt, s.vtt.
func writeExports(_ result: SessionResult, to folder: URL, audio: String = "/data/session one.wav") throws -> [URL] {
    try Exports.Format.allCases.map { format in
        let url = folder.appendingPathComponent("s.\(format.fileExtension)")
        let text = Exports.collect { Exports.write(format, file: audio, result: result, emit: $0) }
        try Data(text.utf8).write(to: url)
        return url
    }
}
