import Foundation
internal import CALSA

/// Why live capture could not start or go on. `description` is one sentence for the user: what failed,
/// ALSA's reason (`snd_strerror`), the ALSA call in parentheses, and what to do about it.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The device does not exist or cannot be opened.
        case cannotOpen
        /// Another program holds the device.
        case busy
        /// The ALSA configuration text given in-process could not be parsed.
        case badConfiguration
        /// The device cannot record what was asked (channels, rate, sample format, access).
        case unsupported
        /// The device went away while recording (unplugged, powered off, driver gone).
        case deviceGone
        /// Any other failure while recording.
        case readFailed
    }

    public let kind: Kind
    /// The ALSA device name as given, e.g. `hw:1,0` or `default`.
    public let device: String
    /// The ALSA function that failed, e.g. `snd_pcm_open`; empty when TalkBalance refused the request itself.
    public let call: String
    /// ALSA's (negative errno) return code; 0 when the failure is TalkBalance's own check.
    public let code: Int32
    /// What went wrong, in words: `snd_strerror(code)` or TalkBalance's explanation.
    public let reason: String
    /// What the user can do, without a trailing full stop.
    public let advice: String

    public var description: String {
        let what: String
        switch kind {
        case .cannotOpen, .busy: what = "cannot open capture device \"\(device)\""
        case .badConfiguration: what = "cannot load the ALSA configuration for capture device \"\(device)\""
        case .unsupported: what = "capture device \"\(device)\" cannot record as asked"
        case .deviceGone: what = "capture device \"\(device)\" went away"
        case .readFailed: what = "recording from capture device \"\(device)\" failed"
        }
        return "\(what): \(reason)\(call.isEmpty ? "" : " (\(call))"); \(advice)"
    }

    init(_ kind: Kind, device: String, call: String, code: Int32, reason: String? = nil, advice: String) {
        self.kind = kind
        self.device = device
        self.call = call
        self.code = code
        self.reason = reason ?? ALSA.errorText(code)
        self.advice = advice
    }

    static let listAdvice = "run 'talkbalance devices' to see what there is"

    /// A failed `snd_pcm_open`: busy devices and missing ones get different advice.
    static func open(device: String, call: String, code: Int32) -> CaptureError {
        if code == -EBUSY {
            return CaptureError(.busy, device: device, call: call, code: code,
                                advice: "another program is using it: close that program or choose another device")
        }
        return CaptureError(.cannotOpen, device: device, call: call, code: code, advice: listAdvice)
    }

    /// The device cannot do what was asked; `reason` says what it offers instead.
    static func unsupported(device: String, call: String, code: Int32 = 0, reason: String) -> CaptureError {
        var advice = "ask for something it offers (run 'talkbalance devices' to see what each device offers)"
        if device.hasPrefix("hw:") {
            advice += " or use \"plug\(device)\", which converts"
        }
        return CaptureError(.unsupported, device: device, call: call, code: code, reason: reason, advice: advice)
    }
}

/// Process-wide ALSA set-up and helpers shared by capture and device listing.
enum ALSA {
    /// ALSA prints its own errors to stderr unless told otherwise; TalkBalance reports them as typed
    /// errors instead. Evaluated once, on first use.
    static let silenced: Void = talkbalance_alsa_silence_errors()

    /// `snd_strerror` text for an ALSA return code (negative errno or ALSA's own codes).
    static func errorText(_ code: Int32) -> String {
        guard let text = snd_strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// Takes ownership of a `malloc`ed C string from ALSA and frees it.
    static func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
