import Foundation
import TalkBalanceCore
internal import CSndFile

/// Why a recording could not be made: the same failures as any file we write.
public typealias RecordingError = OutputError

/// How samples are stored in a recording.
public enum RecordedSampleFormat: Sendable, Equatable {
    /// Signed 16-bit PCM. A sample k/32768 (what a 16-bit capture delivers) is stored as exactly k, so
    /// the recording's data is byte-identical to the S16_LE capture.
    case pcm16
    /// 32-bit IEEE float, stored exactly as given (values beyond -1...1 included).
    case float32
}

/// Records interleaved float audio to a WAV file that stays readable if the process is killed.
///
/// The file is created mode 0600 and never replaces an existing file unless `overwrite` is set. The
/// container is RF64 with libsndfile's auto-downgrade: while the file is under 4 GB it is a plain RIFF
/// WAV (WAVE_FORMAT_EXTENSIBLE, with a JUNK chunk reserving room for the RF64 `ds64` chunk); once it
/// grows past 4 GB the header becomes RF64 in place, so a long session never overflows. The header is
/// rewritten after every write (`SFC_SET_UPDATE_HEADER_AUTO`), so everything written so far is readable
/// from what is on disk at any moment.
///
/// Owns its `SNDFILE*` (and through it the file descriptor); closes it in `close()` or `deinit`.
public final class WAVRecorder {
    public let path: String
    public let format: StreamFormat
    public let sampleFormat: RecordedSampleFormat
    /// Sample frames written so far.
    public private(set) var framesWritten = 0
    private var handle: OpaquePointer? = nil
    /// Conversion buffer for `.pcm16`, grown to the largest block seen and then reused.
    private var shorts: [Int16] = []

    public init(path: String, format: StreamFormat, sampleFormat: RecordedSampleFormat = .pcm16, overwrite: Bool) throws(RecordingError) {
        self.path = path
        self.format = format
        self.sampleFormat = sampleFormat
        guard format.channelCount >= 1, format.sampleRate > 0, format.channelCount <= 1024, format.sampleRate <= Int(Int32.max) else {
            throw RecordingError(kind: .cannotCreate, path: path,
                                 detail: "cannot record \(format.channelCount) channels at \(format.sampleRate) Hz")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw RecordingError(kind: .cannotCreate, path: path, detail: "is a directory, not a place for a recording")
            }
            if !overwrite {
                throw RecordingError(kind: .exists, path: path, detail: "already exists; pass --force to replace it")
            }
            var st = stat()
            if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
                throw RecordingError(kind: .cannotCreate, path: path, detail: "is not a regular file; record to a file instead")
            }
        }
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RecordingError(kind: .cannotCreate, path: path, detail: "cannot be created: folder \(folder) does not exist")
        }

        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw RecordingError(kind: .exists, path: path, detail: "already exists; pass --force to replace it")
            }
            throw RecordingError(kind: .cannotCreate, path: path, detail: "cannot be created (\(String(cString: strerror(code))))")
        }
        // An overwritten file keeps its old mode through O_TRUNC; recordings are private.
        if fchmod(fd, 0o600) != 0 {
            let reason = String(cString: strerror(errno))
            Foundation.close(fd)
            throw RecordingError(kind: .cannotCreate, path: path, detail: "cannot be made private (\(reason))")
        }

        var info = SF_INFO()
        info.samplerate = Int32(format.sampleRate)
        info.channels = Int32(format.channelCount)
        let subtype = sampleFormat == .pcm16 ? Int32(SF_FORMAT_PCM_16) : Int32(SF_FORMAT_FLOAT)
        info.format = Int32(SF_FORMAT_RF64) | subtype
        // close_desc: libsndfile owns the descriptor from here on, and closes it even when opening fails.
        guard let h = sf_open_fd(fd, Int32(SFM_WRITE), &info, 1) else {
            let reason = String(cString: sf_strerror(nil)).trimmingCharacters(in: .whitespacesAndNewlines)
            unlink(path)
            throw RecordingError(kind: .cannotCreate, path: path, detail: "cannot be created as a WAV file (\(reason))")
        }
        handle = h
        // Both must be set before the first write. Each returns the setting now in force.
        let downgrade = sf_command(h, Int32(SFC_RF64_AUTO_DOWNGRADE), nil, Int32(SF_TRUE))
        let autoHeader = sf_command(h, Int32(SFC_SET_UPDATE_HEADER_AUTO), nil, Int32(SF_TRUE))
        guard downgrade == Int32(SF_TRUE), autoHeader == Int32(SF_TRUE) else {
            sf_close(h)
            handle = nil
            unlink(path)
            throw RecordingError(kind: .cannotCreate, path: path,
                                 detail: "cannot be created: libsndfile refused crash-safe WAV writing")
        }
    }

    deinit {
        try? close()
    }

    /// Appends interleaved frames (`format.channelCount` samples each).
    public func write(interleaved samples: UnsafeBufferPointer<Float>) throws(RecordingError) {
        let channels = format.channelCount
        precondition(samples.count % channels == 0, "interleaved samples must be whole frames")
        guard let h = handle else {
            throw RecordingError(kind: .writeFailed, path: path, detail: "could not be written: the recording is already closed")
        }
        let frames = samples.count / channels
        guard frames > 0, let base = samples.baseAddress else { return }
        let written: Int
        switch sampleFormat {
        case .float32:
            written = Int(sf_writef_float(h, base, sf_count_t(frames)))
        case .pcm16:
            // Not sf_writef_float: libsndfile scales floats by 32767, so k/32768 would not come back as k.
            if shorts.count < samples.count { shorts = [Int16](repeating: 0, count: samples.count) }
            written = shorts.withUnsafeMutableBufferPointer { out in
                for i in 0..<samples.count { out[i] = Self.pcm16(samples[i]) }
                return Int(sf_writef_short(h, out.baseAddress, sf_count_t(frames)))
            }
        }
        if written > 0 { framesWritten += written }
        if written != frames {
            let reason = String(cString: sf_strerror(h)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw RecordingError(kind: .writeFailed, path: path,
                                 detail: "could not be written after \(seconds(framesWritten)) of audio (\(reason))")
        }
    }

    /// Appends the block's `frameCount` frames.
    public func write(_ block: AudioBlock) throws(RecordingError) {
        precondition(block.channelCount == format.channelCount, "block has \(block.channelCount) channels, recording has \(format.channelCount)")
        let count = block.frameCount * block.channelCount
        var failure: RecordingError? = nil
        block.samples.withUnsafeBufferPointer { all in
            do throws(RecordingError) {
                try write(interleaved: UnsafeBufferPointer(rebasing: all[0..<count]))
            } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Finishes the header, flushes the file to disk and closes it. Safe to call more than once; later
    /// calls do nothing. `deinit` calls it too (ignoring failures).
    public func close() throws(RecordingError) {
        guard let h = handle else { return }
        handle = nil
        sf_command(h, Int32(SFC_UPDATE_HEADER_NOW), nil, 0)
        sf_write_sync(h)
        let status = sf_close(h)
        if status != 0 {
            let reason = String(cString: sf_error_number(status)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw RecordingError(kind: .writeFailed, path: path, detail: "could not be finished (\(reason))")
        }
    }

    /// k/32768 -> k, rounded to the nearest step and clamped to the 16-bit range; NaN -> 0.
    @inline(__always)
    static func pcm16(_ v: Float) -> Int16 {
        let scaled = (v * 32768).rounded()
        if scaled.isNaN { return 0 }
        if scaled >= 32767 { return 32767 }
        if scaled <= -32768 { return -32768 }
        return Int16(scaled)
    }

    private func seconds(_ frames: Int) -> String {
        String(format: "%.2f s", Double(frames) / Double(format.sampleRate))
    }
}
