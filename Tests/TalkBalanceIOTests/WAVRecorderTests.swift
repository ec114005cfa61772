import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceIO

/// Helpers shared by the WAVRecorder tests.
enum RecorderFixture {
    /// Deterministic 16-bit values, interleaved, with the extremes and small values up front.
    static func int16Samples(frames: Int, channels: Int) -> [Int16] {
        var out: [Int16] = [-32768, 32767, 0, 1, -1, 16384, -16384, 255, -256, 32766]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        while out.count < frames * channels {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            out.append(Int16(truncatingIfNeeded: state >> 33))
        }
        return Array(out.prefix(frames * channels))
    }

    /// Deterministic floats: mostly within -1...1, some beyond, with awkward values up front.
    static func floatSamples(frames: Int, channels: Int) -> [Float] {
        var out: [Float] = [0, -0.0, 1, -1, 1.5, -3.25, .leastNonzeroMagnitude, -.leastNormalMagnitude, 0.1, 1e-7, 12345.678]
        var state: UInt64 = 42
        while out.count < frames * channels {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            out.append(Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max) * 1.2)
        }
        return Array(out.prefix(frames * channels))
    }

    static func littleEndianBytes(_ values: [Int16]) -> Data {
        var d = Data(capacity: values.count * 2)
        for v in values { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    static func littleEndianBytes(_ values: [Float]) -> Data {
        var d = Data(capacity: values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    /// Writes `samples` in blocks cycling through `blockFrames`, alternating the two write methods.
    static func write(_ samples: [Float], to recorder: WAVRecorder, blockFrames: [Int]) throws {
        let channels = recorder.format.channelCount
        var block = AudioBlock(channelCount: channels, capacityFrames: blockFrames.max()!)
        var position = 0
        var turn = 0
        while position < samples.count {
            let frames = min(blockFrames[turn % blockFrames.count], (samples.count - position) / channels)
            let slice = samples[position..<(position + frames * channels)]
            if turn % 2 == 0 {
                try slice.withUnsafeBufferPointer { try recorder.write(interleaved: $0) }
            } else {
                for (i, v) in slice.enumerated() { block.samples[i] = v }
                block.frameCount = frames
                try recorder.write(block)
            }
            position += frames * channels
            turn += 1
        }
    }

    /// The file's first four bytes and its `data` chunk's declared size and bytes (to the end of the
    /// chunk, or of the file for an RF64 0xFFFFFFFF size).
    static func dataChunk(of path: String) throws -> (tag: String, declaredSize: UInt32, bytes: Data)? {
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        guard file.count >= 12 else { return nil }
        let tag = String(decoding: file[0..<4], as: UTF8.self)
        var offset = 12
        while offset + 8 <= file.count {
            let id = String(decoding: file[offset..<(offset + 4)], as: UTF8.self)
            let size = file[(offset + 4)..<(offset + 8)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            if id == "data" {
                let start = offset + 8
                let end = size == 0xFFFF_FFFF ? file.count : min(file.count, start + Int(size))
                return (tag, size, file.subdata(in: start..<end))
            }
            offset += 8 + Int(size) + Int(size & 1)
        }
        return nil
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// The RecordingError `body` throws, or nil (recording an issue for any other error).
    static func recordingError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> RecordingError? {
        do {
            try body()
            return nil
        } catch let error as RecordingError {
            return error
        } catch {
            Issue.record("expected a RecordingError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }
}

@Suite("WAVRecorder writes exact, private, crash-safe WAV files")
struct WAVRecorderTests {
    let stereo16k = StreamFormat(sampleRate: 16000, channelCount: 2)

    @Test("16-bit round trip: every sample and the data chunk's bytes match the S16_LE input",
          arguments: [[1, 7, 160, 1024, 4000, 3], [1600], [16000, 2], [333]])
    func pcm16RoundTrip(blockFrames: [Int]) throws {
        let folder = try TempFolder()
        let path = folder.path("session.wav")
        let frames = 20_801
        let ints = RecorderFixture.int16Samples(frames: frames, channels: 2)
        let floats = ints.map { Float($0) / 32768 }
        let recorder = try WAVRecorder(path: path, format: stereo16k, overwrite: false)
        #expect(recorder.sampleFormat == .pcm16)
        try RecorderFixture.write(floats, to: recorder, blockFrames: blockFrames)
        #expect(recorder.framesWritten == frames)
        try recorder.close()

        let (reader, back) = try readAll(path, capacity: 1000)
        #expect(reader.format == stereo16k)
        #expect(reader.declaredFrames == frames)
        #expect(reader.formatName.contains("16 bit"), "\(reader.formatName)")
        #expect(back.count == floats.count)
        let mismatches = zip(back, floats).filter { $0 != $1 }.count
        #expect(mismatches == 0, "\(mismatches) samples differ")

        let chunk = try #require(try RecorderFixture.dataChunk(of: path))
        #expect(chunk.tag == "RIFF", "a small recording is plain RIFF WAV (RF64 auto-downgrade)")
        #expect(Int(chunk.declaredSize) == ints.count * 2)
        #expect(chunk.bytes == RecorderFixture.littleEndianBytes(ints))
    }

    @Test("Out-of-range and odd 16-bit inputs are rounded and clamped, not wrapped")
    func pcm16Clamps() throws {
        let folder = try TempFolder()
        let path = folder.path("clamp.wav")
        let mono = StreamFormat(sampleRate: 8000, channelCount: 1)
        let input: [Float] = [2, -2, 1, -1, .nan, .infinity, -.infinity, 0.4 / 32768, 0.6 / 32768, -0.6 / 32768]
        let expected: [Int16] = [32767, -32768, 32767, -32768, 0, 32767, -32768, 0, 1, -1]
        do {
            let recorder = try WAVRecorder(path: path, format: mono, overwrite: false)
            try input.withUnsafeBufferPointer { try recorder.write(interleaved: $0) }
        } // deinit closes
        let chunk = try #require(try RecorderFixture.dataChunk(of: path))
        #expect(chunk.bytes == RecorderFixture.littleEndianBytes(expected))
    }

    @Test("float32 round trip is bit-exact, values beyond -1...1 included")
    func float32RoundTrip() throws {
        let folder = try TempFolder()
        let path = folder.path("float.wav")
        let frames = 12_345
        let floats = RecorderFixture.floatSamples(frames: frames, channels: 2)
        let recorder = try WAVRecorder(path: path, format: stereo16k, sampleFormat: .float32, overwrite: false)
        try RecorderFixture.write(floats, to: recorder, blockFrames: [1, 512, 77, 4096])
        try recorder.close()

        let (reader, back) = try readAll(path)
        #expect(reader.format == stereo16k)
        #expect(reader.declaredFrames == frames)
        #expect(reader.formatName.contains("float"), "\(reader.formatName)")
        #expect(back.count == floats.count)
        let mismatches = zip(back, floats).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0, "\(mismatches) samples differ")
        let chunk = try #require(try RecorderFixture.dataChunk(of: path))
        #expect(chunk.bytes == RecorderFixture.littleEndianBytes(floats))
    }

    @Test("The recording is mode 0600")
    func privateMode() throws {
        let folder = try TempFolder()
        let path = folder.path("private.wav")
        let recorder = try WAVRecorder(path: path, format: stereo16k, overwrite: false)
        #expect(try RecorderFixture.mode(path) == 0o600)
        try recorder.close()
        #expect(try RecorderFixture.mode(path) == 0o600)
        #expect(try folder.entries() == ["private.wav"])
    }

    @Test("An existing file is refused without overwrite and left untouched")
    func refusesExisting() throws {
        let folder = try TempFolder()
        let path = folder.path("keep.wav")
        let original = Data("not yours\n".utf8)
        try original.write(to: URL(fileURLWithPath: path))
        let error = RecorderFixture.recordingError { _ = try WAVRecorder(path: path, format: stereo16k, overwrite: false) }
        #expect(error?.kind == .exists)
        #expect(error?.path == path)
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("--force") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        #expect(try folder.entries() == ["keep.wav"])
    }

    @Test("With overwrite an existing file is replaced, and made private")
    func replacesWithOverwrite() throws {
        let folder = try TempFolder()
        let path = folder.path("old.wav")
        try Data(repeating: 0x55, count: 100_000).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        let ints = RecorderFixture.int16Samples(frames: 100, channels: 2)
        let recorder = try WAVRecorder(path: path, format: stereo16k, overwrite: true)
        try ints.map { Float($0) / 32768 }.withUnsafeBufferPointer { try recorder.write(interleaved: $0) }
        try recorder.close()
        #expect(try RecorderFixture.mode(path) == 0o600)
        let (_, back) = try readAll(path)
        #expect(back == ints.map { Float($0) / 32768 })
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(size.map { $0 < 1000 } == true, "old contents must be gone, size \(String(describing: size))")
    }

    @Test("A missing folder or a directory in the way is cannotCreate, naming the path")
    func cannotCreate() throws {
        let folder = try TempFolder()
        let missing = folder.path("no-such-folder/session.wav")
        let e1 = RecorderFixture.recordingError { _ = try WAVRecorder(path: missing, format: stereo16k, overwrite: false) }
        #expect(e1?.kind == .cannotCreate)
        #expect(e1?.description.contains(missing) == true)

        let directory = folder.path("adir")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        for overwrite in [false, true] {
            let e2 = RecorderFixture.recordingError { _ = try WAVRecorder(path: directory, format: stereo16k, overwrite: overwrite) }
            #expect(e2?.kind == .cannotCreate)
            #expect(e2?.path == directory)
        }

        let e3 = RecorderFixture.recordingError {
            _ = try WAVRecorder(path: folder.path("zero.wav"), format: StreamFormat(sampleRate: 16000, channelCount: 0), overwrite: false)
        }
        #expect(e3?.kind == .cannotCreate)
        #expect(try folder.entries() == ["adir"])
    }

    @Test("close is idempotent; writing after close is writeFailed naming the path")
    func closeTwiceAndWriteAfterClose() throws {
        let folder = try TempFolder()
        let path = folder.path("closed.wav")
        let recorder = try WAVRecorder(path: path, format: stereo16k, overwrite: false)
        let samples: [Float] = [0.5, -0.5, 0.25, -0.25]
        try samples.withUnsafeBufferPointer { try recorder.write(interleaved: $0) }
        try recorder.close()
        try recorder.close()
        let error = RecorderFixture.recordingError { try samples.withUnsafeBufferPointer { try recorder.write(interleaved: $0) } }
        #expect(error?.kind == .writeFailed)
        #expect(error?.description.contains(path) == true)
        #expect(recorder.framesWritten == 2)
        let (_, back) = try readAll(path)
        #expect(back == samples)
    }

    /// Simulates a kill / power cut: the file is copied as it is on disk while the recorder is still
    /// open (nothing closed, nothing flushed by us), and the copy must be readable with every frame.
    /// A true SIGKILL test belongs to the `talkbalance live --record` end-to-end test.
    @Test("Crash safety: an unclosed recording is readable with every frame written so far",
          arguments: [RecordedSampleFormat.pcm16, .float32])
    func readableWhileOpen(sampleFormat: RecordedSampleFormat) throws {
        let folder = try TempFolder()
        let path = folder.path("live.wav")
        let ints = RecorderFixture.int16Samples(frames: 16000 * 3 / 2, channels: 2)
        let floats = ints.map { Float($0) / 32768 }
        let recorder = try WAVRecorder(path: path, format: stereo16k, sampleFormat: sampleFormat, overwrite: false)
        var written = 0
        for (checkpoint, copyName) in [(16000, "after-1s.wav"), (16000 * 3 / 2 - 17, "after-1.5s.wav")] {
            while written < checkpoint {
                let frames = min(1600, checkpoint - written)
                try floats[(written * 2)..<((written + frames) * 2)].withUnsafeBufferPointer { try recorder.write(interleaved: $0) }
                written += frames
            }
            let copy = folder.path(copyName)
            try Data(contentsOf: URL(fileURLWithPath: path)).write(to: URL(fileURLWithPath: copy))
            let (reader, back) = try readAll(copy)
            #expect(reader.declaredFrames == checkpoint)
            #expect(back.count == checkpoint * 2)
            #expect(back == Array(floats[0..<(checkpoint * 2)]), "\(copyName)")
            // libsndfile forgives a stale header (it reads to the end of the file), other readers do not:
            // the sizes on disk must already be right.
            let bytesPerSample = sampleFormat == .pcm16 ? 2 : 4
            let chunk = try #require(try RecorderFixture.dataChunk(of: copy))
            #expect(chunk.tag == "RIFF")
            #expect(Int(chunk.declaredSize) == checkpoint * 2 * bytesPerSample, "\(copyName): data chunk size on disk")
            let file = try Data(contentsOf: URL(fileURLWithPath: copy))
            let riffSize = file[4..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect(riffSize == file.count - 8, "\(copyName): RIFF size on disk")
        }
        withExtendedLifetime(recorder) {} // still open (never closed) during every copy above
    }
}
