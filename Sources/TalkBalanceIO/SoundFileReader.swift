import Foundation
import TalkBalanceCore
internal import CSndFile

/// Why a sound file could not be read; `description` is one sentence for the user naming the file.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case missing, directory, empty, notAudio, unsupported, truncated, readFailed }
    public let kind: Kind
    public let path: String
    public let detail: String
    public var description: String { "\(path): \(detail)" }
}

/// A sound file opened through libsndfile, read in fixed blocks as float samples (-1...1).
///
/// Owns its `SNDFILE*` and closes it in `deinit`. Reads every format libsndfile reads; never trusts the
/// header's frame count for sizing (a FLAC whose writer died says Int64.max frames).
public final class SoundFileReader: AudioSource {
    public let path: String
    public let format: StreamFormat
    /// Frames the header promises, when it is believable.
    public let declaredFrames: Int?
    /// Container and encoding as libsndfile names them, e.g. "WAV (Microsoft) / Signed 16 bit PCM".
    public let formatName: String
    private var handle: OpaquePointer? = nil
    private var framesRead = 0

    public init(path: String) throws(InputError) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(kind: .missing, path: path, detail: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw InputError(kind: .directory, path: path, detail: "is a directory, not a sound file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw InputError(kind: .readFailed, path: path, detail: "permission denied")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { throw InputError(kind: .empty, path: path, detail: "the file is empty") }

        var info = SF_INFO()
        guard let h = sf_open(path, Int32(SFM_READ), &info) else {
            let reason = String(cString: sf_strerror(nil))
            throw InputError(kind: .notAudio, path: path,
                             detail: "not a sound file libsndfile can read (\(reason.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        handle = h
        guard info.channels >= 1, info.samplerate > 0 else {
            sf_close(h)
            handle = nil
            throw InputError(kind: .unsupported, path: path, detail: "the file declares \(info.channels) channels at \(info.samplerate) Hz")
        }
        format = StreamFormat(sampleRate: Int(info.samplerate), channelCount: Int(info.channels))
        // MPEG and Ogg frame counts are estimates (libsndfile's MP3 count runs a little high), so only
        // other containers' counts are held against what can be read.
        let major = info.format & Int32(SF_FORMAT_TYPEMASK)
        let estimated = major == Int32(SF_FORMAT_MPEG) || major == Int32(SF_FORMAT_OGG)
        declaredFrames = !estimated && info.frames > 0 && info.frames < Int64(Int32.max) * 1024 ? Int(info.frames) : nil
        formatName = Self.describe(info.format)
        // A WAV cut short: libsndfile quietly shrinks its frame count to the bytes present, but logs
        // "should be" against the header's data size.
        var log = [CChar](repeating: 0, count: 4096)
        sf_command(h, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        let logText = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if logText.split(separator: "\n").contains(where: { $0.contains("data") && $0.contains("should be") }) {
            throw InputError(kind: .truncated, path: path, detail: "the file is truncated: its header promises more audio than the file holds")
        }
        if info.frames == 0 {
            throw InputError(kind: .empty, path: path, detail: "the file holds no audio")
        }
    }

    deinit {
        if let h = handle { sf_close(h) }
    }

    /// Reads the next block; returns 0 at the end of the audio.
    public func read(into block: inout AudioBlock) throws -> Int {
        precondition(block.channelCount == format.channelCount)
        let wanted = block.capacityFrames
        let got = block.samples.withUnsafeMutableBufferPointer { buffer in
            Int(sf_readf_float(handle, buffer.baseAddress, sf_count_t(wanted)))
        }
        let status = sf_error(handle)
        if status != 0 && got == 0 {
            let reason = String(cString: sf_strerror(handle))
            throw InputError(kind: .readFailed, path: path, detail: "reading failed after \(seconds(framesRead)) of audio (\(reason))")
        }
        framesRead += got
        block.frameCount = got
        if got == 0, let declared = declaredFrames, framesRead < declared {
            throw InputError(kind: .truncated, path: path,
                             detail: "the file is truncated: its header promises \(seconds(declared)) of audio but only \(seconds(framesRead)) could be read")
        }
        return got
    }

    private func seconds(_ frames: Int) -> String {
        String(format: "%.2f s", Double(frames) / Double(format.sampleRate))
    }

    private static func describe(_ format: Int32) -> String {
        func name(_ command: Int32, _ value: Int32) -> String {
            var fmt = SF_FORMAT_INFO()
            fmt.format = value
            guard sf_command(nil, command, &fmt, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0, let n = fmt.name else { return "?" }
            return String(cString: n)
        }
        let major = name(Int32(SFC_GET_FORMAT_INFO), format & Int32(SF_FORMAT_TYPEMASK))
        let minor = name(Int32(SFC_GET_FORMAT_INFO), format & Int32(SF_FORMAT_SUBMASK))
        return "\(major) / \(minor)"
    }
}
