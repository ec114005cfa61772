import Foundation
import TalkBalanceCore
internal import CALSA

/// Live capture from an ALSA PCM, delivered as float blocks (-1...1) like any other `AudioSource`.
///
/// Owns its `snd_pcm_t*` (and, when opened from configuration text, the `snd_config_t*` tree it came
/// from) and closes them in `deinit`. Blocking mode: `read(into:)` waits until the block is full, so the
/// block size sets the latency. A device has no end: `read` never returns 0; callers stop by duration.
///
/// Not thread-safe: use one instance from one task.
public final class ALSACapture: AudioSource {
    /// Sample format negotiated with the device. TalkBalance prefers 32-bit float (no conversion), then
    /// 16-bit integers; 32-bit integers are the last resort (hw: devices of 24-bit interfaces often
    /// offer nothing else).
    public enum SampleFormat: String, Sendable, Equatable {
        case float32 = "FLOAT_LE"
        case s16 = "S16_LE"
        case s32 = "S32_LE"
    }

    /// The ALSA device name as given.
    public let device: String
    /// Negotiated rate and channel count (what the device actually does, not what was asked).
    public private(set) var format = StreamFormat(sampleRate: 0, channelCount: 0)
    public private(set) var sampleFormat = SampleFormat.float32
    /// Frames per ALSA period (about 20 ms unless asked otherwise): the most one `snd_pcm_readi` asks for.
    public private(set) var periodFrames = 0
    /// Frames the device buffer holds (several periods): how long the reader may stall without losing audio.
    public private(set) var bufferFrames = 0
    /// Overruns (the reader fell behind and the device buffer filled) recovered so far.
    public private(set) var overruns = 0
    /// Estimated frames lost to overruns and suspends. Per overrun: the full buffer (ALSA drops the unread
    /// buffer when it restarts the stream) plus the time between the overrun and the restart from
    /// `snd_pcm_status` timestamps times the rate. Plugins without timestamps give only the buffer part,
    /// so the figure is a lower bound there. The count is not exact on any device.
    public private(set) var lostFramesEstimate = 0
    /// Frames delivered by `read(into:)` so far.
    public private(set) var framesCaptured = 0

    private var pcm: OpaquePointer? = nil
    private var config: OpaquePointer? = nil
    private var status: OpaquePointer? = nil
    /// Integer samples of one period, converted into the block (unused for float capture).
    private var scratch16: [Int16] = []
    private var scratch32: [Int32] = []

    /// Buffer length in periods: 16 x 20 ms = 320 ms of slack for a reader that stalls (disk, terminal).
    public static let periodsPerBuffer = 16

    /// Opens `device` for capture and negotiates the stream.
    ///
    /// - Parameters:
    ///   - device: ALSA PCM name, e.g. `default`, `plughw:1`, `hw:1,0`.
    ///   - channels: channels to record; nil = the device's maximum, at most 8.
    ///   - sampleRate: Hz; the nearest rate the device accepts is used if it is within 1 % of this,
    ///     otherwise the error says what the device offers. nil = 16000 Hz if offered, else 48000 Hz,
    ///     else the nearest to 16000 Hz.
    ///   - periodFrames: frames per period; nil = 20 ms at the negotiated rate (a device may round it).
    ///   - sampleFormat: nil = FLOAT_LE if the device offers it, else S16_LE, else S32_LE; a value = only
    ///     that one (e.g. `.s16` for a `file` plugin PCM over `null`, which offers every format, reading
    ///     an S16_LE infile).
    ///   - configText: an ALSA configuration snippet defining `device`, loaded in-process instead of the
    ///     system configuration (tests; no environment variable needed).
    public init(device: String = "default", channels: Int?, sampleRate: Int?, periodFrames: Int? = nil,
                sampleFormat: SampleFormat? = nil, configText: String? = nil) throws(CaptureError) {
        _ = ALSA.silenced
        self.device = device
        if let channels, channels < 1 || channels > 1024 {
            throw .unsupported(device: device, call: "", reason: "\(channels) channels is not a channel count")
        }
        if let sampleRate, sampleRate < 1000 || sampleRate > 768_000 {
            throw .unsupported(device: device, call: "", reason: "\(sampleRate) Hz is not a sample rate")
        }
        if let periodFrames, periodFrames < 1 {
            throw .unsupported(device: device, call: "", reason: "a period of \(periodFrames) frames is not possible")
        }

        var handle: OpaquePointer? = nil
        if let configText {
            config = try Self.loadConfig(configText, device: device)
            let rc = snd_pcm_open_lconf(&handle, device, SND_PCM_STREAM_CAPTURE, 0, config)
            guard rc >= 0, let handle else { throw .open(device: device, call: "snd_pcm_open_lconf", code: rc) }
            pcm = handle
        } else {
            let rc = snd_pcm_open(&handle, device, SND_PCM_STREAM_CAPTURE, 0)
            guard rc >= 0, let handle else { throw .open(device: device, call: "snd_pcm_open", code: rc) }
            pcm = handle
        }
        try negotiate(channels: channels, sampleRate: sampleRate, periodFrames: periodFrames, sampleFormat: sampleFormat)

        var st: OpaquePointer? = nil
        let rc = snd_pcm_status_malloc(&st)
        guard rc >= 0 else { throw CaptureError(.readFailed, device: device, call: "snd_pcm_status_malloc", code: rc, advice: "try again") }
        status = st
        let samples = self.periodFrames * format.channelCount
        switch self.sampleFormat {
        case .float32: break
        case .s16: scratch16 = [Int16](repeating: 0, count: samples)
        case .s32: scratch32 = [Int32](repeating: 0, count: samples)
        }
    }

    deinit {
        if let pcm { snd_pcm_close(pcm) }
        if let config { snd_config_delete(config) }
        if let status { snd_pcm_status_free(status) }
    }

    /// Fills `block` to its capacity, one period (at most) per `snd_pcm_readi`, and returns the frame count
    /// (always `block.capacityFrames`). Recovers from overruns (counted in `overruns`,
    /// `lostFramesEstimate`); throws when the device goes away or reading fails otherwise.
    public func read(into block: inout AudioBlock) throws(CaptureError) -> Int {
        precondition(block.channelCount == format.channelCount, "block has \(block.channelCount) channels, capture \(format.channelCount)")
        let channels = format.channelCount
        var filled = 0
        while filled < block.capacityFrames {
            // Never more than a period: asking ALSA for more than its buffer holds skips audio while
            // still reporting success.
            let wanted = min(periodFrames, block.capacityFrames - filled)
            let got: Int
            switch sampleFormat {
            case .float32:
                // Little-endian hosts only (every Linux target TalkBalance runs on).
                got = block.samples.withUnsafeMutableBufferPointer { buffer in
                    snd_pcm_readi(pcm, buffer.baseAddress! + filled * channels, snd_pcm_uframes_t(wanted))
                }
            case .s16:
                got = scratch16.withUnsafeMutableBufferPointer { snd_pcm_readi(pcm, $0.baseAddress, snd_pcm_uframes_t(wanted)) }
                if got > 0 {
                    let base = filled * channels
                    for i in 0..<(got * channels) { block.samples[base + i] = Float(scratch16[i]) / 32768 }
                }
            case .s32:
                got = scratch32.withUnsafeMutableBufferPointer { snd_pcm_readi(pcm, $0.baseAddress, snd_pcm_uframes_t(wanted)) }
                if got > 0 {
                    let base = filled * channels
                    for i in 0..<(got * channels) { block.samples[base + i] = Float(scratch32[i]) / 2_147_483_648 }
                }
            }
            if got >= 0 {
                filled += got
                framesCaptured += got
            } else {
                try handleReadError(Int32(got))
            }
        }
        block.frameCount = filled
        return filled
    }

    /// What to do with a negative `snd_pcm_readi` result: recover and count, or throw.
    func handleReadError(_ code: Int32) throws(CaptureError) {
        switch -code {
        case EPIPE:
            overruns += 1
            lostFramesEstimate += estimateLostFrames()
        case ESTRPIPE:
            lostFramesEstimate += estimateLostFrames()
        case EINTR:
            break
        case EAGAIN:
            _ = snd_pcm_wait(pcm, 100)
            return
        case ENODEV, EBADFD, ENXIO:
            throw deviceGone(call: "snd_pcm_readi", code: code)
        default:
            throw CaptureError(.readFailed, device: device, call: "snd_pcm_readi", code: code,
                               reason: ALSA.errorText(code) + " after \(elapsed)", advice: "check the device and start again")
        }
        let rc = snd_pcm_recover(pcm, code, 1)
        if rc < 0 {
            if rc == -ENODEV || rc == -EBADFD || rc == -ENXIO { throw deviceGone(call: "snd_pcm_recover", code: rc) }
            throw CaptureError(.readFailed, device: device, call: "snd_pcm_recover", code: rc,
                               reason: ALSA.errorText(rc) + " after \(elapsed)", advice: "check the device and start again")
        }
    }

    private var elapsed: String {
        String(format: "%.2f s of audio", Double(framesCaptured) / Double(max(format.sampleRate, 1)))
    }

    private func deviceGone(call: String, code: Int32) -> CaptureError {
        CaptureError(.deviceGone, device: device, call: call, code: code, reason: ALSA.errorText(code) + " after \(elapsed)",
                     advice: "check that it is plugged in and switched on, then start again (the audio so far is kept)")
    }

    /// Frames lost in the overrun (or suspend) being recovered: the unread buffer, plus the time since the
    /// stream stopped when the device timestamps it.
    private func estimateLostFrames() -> Int {
        guard let status, snd_pcm_status(pcm, status) >= 0 else { return bufferFrames }
        var stopped = snd_htimestamp_t()
        var now = snd_htimestamp_t()
        snd_pcm_status_get_trigger_htstamp(status, &stopped)
        snd_pcm_status_get_htstamp(status, &now)
        let seconds = Double(now.tv_sec - stopped.tv_sec) + Double(now.tv_nsec - stopped.tv_nsec) / 1e9
        // Zero or nonsense timestamps (plugins that do not keep them): the buffer alone.
        guard stopped.tv_sec > 0, seconds >= 0, seconds < 3600 else { return bufferFrames }
        return bufferFrames + Int(seconds * Double(format.sampleRate))
    }

    // MARK: - Set-up

    private static func loadConfig(_ text: String, device: String) throws(CaptureError) -> OpaquePointer {
        var top: OpaquePointer? = nil
        var rc = snd_config_top(&top)
        guard rc >= 0, let top else {
            throw CaptureError(.badConfiguration, device: device, call: "snd_config_top", code: rc, advice: "try again")
        }
        var input: OpaquePointer? = nil
        let bytes = Array(text.utf8)
        rc = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { snd_input_buffer_open(&input, $0.baseAddress, buffer.count) }
        }
        guard rc >= 0, let input else {
            snd_config_delete(top)
            throw CaptureError(.badConfiguration, device: device, call: "snd_input_buffer_open", code: rc, advice: "try again")
        }
        rc = snd_config_load(top, input)
        snd_input_close(input)
        guard rc >= 0 else {
            snd_config_delete(top)
            throw CaptureError(.badConfiguration, device: device, call: "snd_config_load", code: rc,
                               advice: "check the syntax of the configuration text")
        }
        return top
    }

    private func negotiate(channels: Int?, sampleRate: Int?, periodFrames requestedPeriod: Int?,
                           sampleFormat requestedFormat: SampleFormat?) throws(CaptureError) {
        var hwp: OpaquePointer? = nil
        var rc = snd_pcm_hw_params_malloc(&hwp)
        guard rc >= 0, let hw = hwp else {
            throw CaptureError(.readFailed, device: device, call: "snd_pcm_hw_params_malloc", code: rc, advice: "try again")
        }
        defer { snd_pcm_hw_params_free(hw) }

        rc = snd_pcm_hw_params_any(pcm, hw)
        guard rc >= 0 else { throw .unsupported(device: device, call: "snd_pcm_hw_params_any", code: rc, reason: ALSA.errorText(rc)) }

        rc = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)
        guard rc >= 0 else {
            throw .unsupported(device: device, call: "snd_pcm_hw_params_set_access", code: rc,
                               reason: "interleaved read access is not offered")
        }

        // Sample format: float if offered, else 16-bit, else 32-bit integers.
        let candidates: [(SampleFormat, snd_pcm_format_t)] = [
            (.float32, SND_PCM_FORMAT_FLOAT_LE), (.s16, SND_PCM_FORMAT_S16_LE), (.s32, SND_PCM_FORMAT_S32_LE),
        ].filter { requestedFormat == nil || $0.0 == requestedFormat }
        guard let chosen = candidates.first(where: { snd_pcm_hw_params_test_format(pcm, hw, $0.1) == 0 }) else {
            throw .unsupported(device: device, call: "snd_pcm_hw_params_test_format",
                               reason: requestedFormat.map { "the sample format \($0.rawValue) is not offered" }
                                   ?? "none of the sample formats FLOAT_LE, S16_LE, S32_LE is offered")
        }
        rc = snd_pcm_hw_params_set_format(pcm, hw, chosen.1)
        guard rc >= 0 else { throw .unsupported(device: device, call: "snd_pcm_hw_params_set_format", code: rc, reason: ALSA.errorText(rc)) }
        sampleFormat = chosen.0

        // Channels: exactly what was asked, or the device maximum up to 8.
        var minChannels: UInt32 = 0, maxChannels: UInt32 = 0
        snd_pcm_hw_params_get_channels_min(hw, &minChannels)
        snd_pcm_hw_params_get_channels_max(hw, &maxChannels)
        let wantChannels = channels.map { UInt32($0) } ?? max(min(maxChannels, 8), minChannels)
        rc = snd_pcm_hw_params_set_channels(pcm, hw, wantChannels)
        guard rc >= 0 else {
            let offered = minChannels == maxChannels ? "\(minChannels)" : "\(minChannels) to \(maxChannels)"
            throw .unsupported(device: device, call: "snd_pcm_hw_params_set_channels", code: rc,
                               reason: "\(wantChannels) channel\(wantChannels == 1 ? " is" : "s are") not offered, only \(offered)")
        }

        // Rate: the nearest the device accepts, if within 1 % of what was asked.
        var minRate: UInt32 = 0, maxRate: UInt32 = 0
        var dir: Int32 = 0
        snd_pcm_hw_params_get_rate_min(hw, &minRate, &dir)
        snd_pcm_hw_params_get_rate_max(hw, &maxRate, &dir)
        let wantRate: UInt32
        if let sampleRate {
            wantRate = UInt32(sampleRate)
        } else if snd_pcm_hw_params_test_rate(pcm, hw, 16000, 0) == 0 {
            wantRate = 16000
        } else if snd_pcm_hw_params_test_rate(pcm, hw, 48000, 0) == 0 {
            wantRate = 48000
        } else {
            wantRate = 16000
        }
        var rate = wantRate
        dir = 0
        rc = snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, &dir)
        let offeredRates = minRate == maxRate ? "\(minRate) Hz" : "\(minRate) to \(maxRate) Hz"
        guard rc >= 0 else {
            throw .unsupported(device: device, call: "snd_pcm_hw_params_set_rate_near", code: rc,
                               reason: "no rate at or near \(wantRate) Hz is offered (range \(offeredRates))")
        }
        if sampleRate != nil, abs(Int(rate) - Int(wantRate)) * 100 > Int(wantRate) {
            throw .unsupported(device: device, call: "snd_pcm_hw_params_set_rate_near",
                               reason: "\(wantRate) Hz is not offered; the nearest is \(rate) Hz (range \(offeredRates))")
        }

        // Period about 20 ms (what one read waits for), buffer several periods (slack for a slow reader).
        var period = snd_pcm_uframes_t(requestedPeriod ?? max(Int(rate) / 50, 1))
        dir = 0
        rc = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir)
        guard rc >= 0 else {
            throw .unsupported(device: device, call: "snd_pcm_hw_params_set_period_size_near", code: rc, reason: ALSA.errorText(rc))
        }
        var buffer = period * snd_pcm_uframes_t(Self.periodsPerBuffer)
        rc = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer)
        guard rc >= 0 else {
            throw .unsupported(device: device, call: "snd_pcm_hw_params_set_buffer_size_near", code: rc, reason: ALSA.errorText(rc))
        }

        rc = snd_pcm_hw_params(pcm, hw)
        guard rc >= 0 else {
            throw .unsupported(device: device, call: "snd_pcm_hw_params", code: rc,
                               reason: "\(wantChannels) channels at \(rate) Hz, \(sampleFormat.rawValue), were refused: \(ALSA.errorText(rc))")
        }

        // Read back what the device actually settled on.
        var gotChannels: UInt32 = 0, gotRate: UInt32 = 0
        snd_pcm_hw_params_get_channels(hw, &gotChannels)
        snd_pcm_hw_params_get_rate(hw, &gotRate, &dir)
        var gotPeriod: snd_pcm_uframes_t = 0, gotBuffer: snd_pcm_uframes_t = 0
        snd_pcm_hw_params_get_period_size(hw, &gotPeriod, &dir)
        snd_pcm_hw_params_get_buffer_size(hw, &gotBuffer)
        format = StreamFormat(sampleRate: Int(gotRate), channelCount: Int(gotChannels))
        bufferFrames = Int(gotBuffer)
        periodFrames = max(1, min(Int(gotPeriod), bufferFrames))
    }
}
