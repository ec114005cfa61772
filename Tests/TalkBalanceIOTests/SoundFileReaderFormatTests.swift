import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceIO

/// One container/encoding the reader must handle, and how the test file is made.
struct FileKind: Sendable, CustomStringConvertible {
    let name: String
    let fileExtension: String
    /// sox output options; nil means the file is written by the test itself (RF64).
    let soxOptions: [String]?
    /// Largest per-sample error allowed for lossless encodings; nil for lossy ones.
    let sampleTolerance: Float?
    let maxRate: Int
    let maxChannels: Int
    /// Substring expected in `SoundFileReader.formatName`.
    let formatNameContains: String

    var description: String { name }
    var lossy: Bool { sampleTolerance == nil }

    static let lsb16: Float = 1.01 / 32768
    static let lsb24: Float = 1.01 / 8_388_608

    static let all: [FileKind] = [
        FileKind(name: "WAV 16-bit", fileExtension: "wav", soxOptions: ["-e", "signed-integer", "-b", "16"],
                 sampleTolerance: lsb16, maxRate: 192_000, maxChannels: 8, formatNameContains: "WAV"),
        FileKind(name: "WAV float 32", fileExtension: "wav", soxOptions: ["-e", "floating-point", "-b", "32"],
                 sampleTolerance: 1e-7, maxRate: 192_000, maxChannels: 8, formatNameContains: "Float"),
        FileKind(name: "RF64 16-bit", fileExtension: "rf64", soxOptions: nil,
                 sampleTolerance: lsb16, maxRate: 192_000, maxChannels: 8, formatNameContains: "RF64"),
        FileKind(name: "FLAC 24-bit", fileExtension: "flac", soxOptions: ["-b", "24"],
                 sampleTolerance: lsb24, maxRate: 192_000, maxChannels: 8, formatNameContains: "FLAC"),
        FileKind(name: "Ogg Vorbis", fileExtension: "ogg", soxOptions: ["-C", "6"],
                 sampleTolerance: nil, maxRate: 192_000, maxChannels: 8, formatNameContains: "OGG"),
        FileKind(name: "AIFF 16-bit", fileExtension: "aiff", soxOptions: ["-e", "signed-integer", "-b", "16"],
                 sampleTolerance: lsb16, maxRate: 192_000, maxChannels: 8, formatNameContains: "AIFF"),
        FileKind(name: "CAF float 32", fileExtension: "caf", soxOptions: ["-e", "floating-point", "-b", "32"],
                 sampleTolerance: 1e-7, maxRate: 192_000, maxChannels: 8, formatNameContains: "CAF"),
        FileKind(name: "W64 24-bit", fileExtension: "w64", soxOptions: ["-e", "signed-integer", "-b", "24"],
                 sampleTolerance: lsb24, maxRate: 192_000, maxChannels: 8, formatNameContains: "W64"),
        // LAME (through sox) encodes at most 48 kHz and 2 channels.
        FileKind(name: "MP3", fileExtension: "mp3", soxOptions: [],
                 sampleTolerance: nil, maxRate: 48_000, maxChannels: 2, formatNameContains: "MPEG"),
    ]

    /// Writes `signal` in this format at `path` (sox converts from raw float; RF64 is written directly).
    func write(_ signal: TestSignal, to path: String, in folder: TempFolder) throws {
        if let soxOptions {
            let raw = folder.path("source-\(UUID().uuidString).f32")
            try signal.rawFloatData().write(to: URL(fileURLWithPath: raw))
            defer { try? FileManager.default.removeItem(atPath: raw) }
            let result = try sox(["-D", "-R", "-t", "raw", "-r", "\(signal.sampleRate)", "-c", "\(signal.channelCount)",
                                  "-e", "floating-point", "-b", "32", "-L", raw] + soxOptions + [path])
            #expect(result.status == 0, "sox failed for \(name): \(result.stderr)")
        } else {
            try signal.rf64Data().write(to: URL(fileURLWithPath: path))
        }
        #expect(FileManager.default.fileExists(atPath: path), "\(name) file was not produced")
    }
}

struct FormatCase: Sendable, CustomStringConvertible {
    let kind: FileKind
    let sampleRate: Int
    let channelCount: Int
    var description: String { "\(kind.name) \(sampleRate) Hz \(channelCount) ch" }

    static let all: [FormatCase] = FileKind.all.flatMap { kind in
        [8000, 44100, 96000, 192_000].flatMap { rate in
            [1, 2, 8].compactMap { channels in
                rate <= kind.maxRate && channels <= kind.maxChannels
                    ? FormatCase(kind: kind, sampleRate: rate, channelCount: channels) : nil
            }
        }
    }
}

@Suite("SoundFileReader reads every supported format")
struct SoundFileReaderFormatTests {
    @Test("format cases cover every kind, rate and channel count")
    func coverage() {
        let cases = FormatCase.all
        #expect(Set(cases.map(\.kind.name)).count == FileKind.all.count)
        #expect(Set(cases.map(\.sampleRate)) == [8000, 44100, 96000, 192_000])
        #expect(Set(cases.map(\.channelCount)) == [1, 2, 8])
        #expect(cases.contains { $0.kind.name == "MP3" && $0.sampleRate == 44100 && $0.channelCount == 2 })
    }

    @Test("known signal round-trips", arguments: FormatCase.all)
    func roundTrip(_ c: FormatCase) throws {
        let folder = try TempFolder()
        let signal = TestSignal(sampleRate: c.sampleRate, channelCount: c.channelCount, seconds: 0.5)
        let path = folder.path("signal.\(c.kind.fileExtension)")
        try c.kind.write(signal, to: path, in: folder)

        let (reader, samples) = try readAll(path)
        #expect(reader.format == StreamFormat(sampleRate: c.sampleRate, channelCount: c.channelCount))
        #expect(reader.formatName.localizedCaseInsensitiveContains(c.kind.formatNameContains),
                "formatName \"\(reader.formatName)\"")
        #expect(samples.count % c.channelCount == 0)
        let frames = samples.count / c.channelCount

        if let tolerance = c.kind.sampleTolerance {
            #expect(frames == signal.frameCount)
            #expect(reader.declaredFrames == signal.frameCount)
            guard frames == signal.frameCount else { return }
            var worst: Float = 0
            for i in samples.indices { worst = max(worst, abs(samples[i] - signal.samples[i])) }
            #expect(worst <= tolerance, "largest sample error \(worst)")
            for ch in 0..<c.channelCount {
                let got = rmsOf(samples, channels: c.channelCount, channel: ch)
                #expect(abs(got - signal.rms(channel: ch)) < 1e-3, "channel \(ch + 1): RMS \(got), expected \(signal.rms(channel: ch))")
            }
        } else {
            // Lossy: the length changes a little. Vorbis keeps it within a few hundred frames. MP3 as
            // decoded by libsndfile 1.2.0 (mpg123) keeps LAME's encoder delay and the padding to whole
            // 1152-sample MPEG frames (measured: 4000 -> 5184 frames at 8 kHz, 22050 -> 24192 at 44.1 kHz),
            // so allow up to three MPEG frames extra there.
            let isMP3 = c.kind.fileExtension == "mp3"
            let extra = isMP3 ? 3 * 1152 : max(300, c.sampleRate / 50)
            #expect(frames >= signal.frameCount - 300 && frames <= signal.frameCount + extra,
                    "read \(frames) frames, wrote \(signal.frameCount)")
            for ch in 0..<c.channelCount {
                // Energy over the written length, so silent codec padding does not dilute the level.
                var energy = 0.0
                var i = ch
                while i < samples.count { energy += Double(samples[i]) * Double(samples[i]); i += c.channelCount }
                let got = (energy / Double(signal.frameCount)).squareRoot()
                let expected = signal.rms(channel: ch)
                #expect(abs(got - expected) < 0.15 * expected, "channel \(ch + 1): RMS \(got), expected \(expected)")
            }
        }
    }

    /// A valid MP3 must read to its end without an error (libsndfile's MP3 frame count is an estimate:
    /// for 44.1 kHz files it promises more frames than the stream decodes to, e.g. 443384 vs 442368 for 10 s).
    @Test("a valid 44.1 kHz MP3 reads to the end without error")
    func mp3ReadsToEnd() throws {
        let folder = try TempFolder()
        let signal = TestSignal(sampleRate: 44100, channelCount: 2, seconds: 3)
        let path = folder.path("talk.mp3")
        try FileKind.all[8].write(signal, to: path, in: folder)
        let (reader, samples) = try readAll(path)
        #expect(reader.format == StreamFormat(sampleRate: 44100, channelCount: 2))
        #expect(samples.count / 2 >= signal.frameCount - 300)
    }

    @Test("small block capacities give identical samples",
          arguments: [FileKind.all[0], FileKind.all[3], FileKind.all[4], FileKind.all[8]])
    func blockSizes(_ kind: FileKind) throws {
        let folder = try TempFolder()
        let channels = min(kind.maxChannels, 8) == 8 ? 8 : 2
        let rate = min(kind.maxRate, 44100)
        let signal = TestSignal(sampleRate: rate, channelCount: channels, seconds: 0.3)
        let path = folder.path("blocks.\(kind.fileExtension)")
        try kind.write(signal, to: path, in: folder)

        let reference = try readAll(path, capacity: 4096).samples
        #expect(!reference.isEmpty)
        for capacity in [1, 7, 4096, 10_000] {
            let samples = try readAll(path, capacity: capacity).samples
            #expect(samples.count == reference.count, "capacity \(capacity)")
            #expect(samples == reference, "capacity \(capacity) changed the samples")
        }
    }

    @Test("read after the end keeps returning 0")
    func readAfterEnd() throws {
        let folder = try TempFolder()
        let signal = TestSignal(sampleRate: 8000, channelCount: 2, seconds: 0.1)
        let path = folder.path("end.wav")
        try FileKind.all[0].write(signal, to: path, in: folder)
        let reader = try SoundFileReader(path: path)
        var block = AudioBlock(channelCount: 2, capacityFrames: 10_000)
        #expect(try reader.read(into: &block) == signal.frameCount)
        #expect(try reader.read(into: &block) == 0)
        #expect(block.frameCount == 0)
        #expect(try reader.read(into: &block) == 0)
    }
}
