import Foundation
internal import CALSA

/// One place audio can be captured from, as `ALSADevices.list()` found it.
public struct CaptureDevice: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A capture device of a sound card (`hw:CARD,DEV`): native formats, no conversion.
        case hardware
        /// A PCM from the ALSA configuration (`default`, `plughw:...`, `null`, user-defined ones).
        case configured
    }

    /// What to pass as the device name (`ALSACapture(device:)`, `talkbalance live --device`).
    public let name: String
    /// Human-readable description (card and device names, or the configuration's hint), possibly several lines.
    public let description: String
    public let kind: Kind
    /// Channel counts the device can record, when it could be opened to ask.
    public let channels: ClosedRange<Int>?
    /// Sample rates (Hz) the device can record, when it could be opened to ask. A range, not a list:
    /// hardware may offer only some rates inside it.
    public let sampleRates: ClosedRange<Int>?
    /// Why the device could not be opened for capture just now (busy, missing, ...); nil if it could.
    public let unavailableReason: String?

    public var isAvailable: Bool { unavailableReason == nil }

    public init(name: String, description: String, kind: Kind, channels: ClosedRange<Int>?, sampleRates: ClosedRange<Int>?,
                unavailableReason: String?) {
        self.name = name
        self.description = description
        self.kind = kind
        self.channels = channels
        self.sampleRates = sampleRates
        self.unavailableReason = unavailableReason
    }
}

/// Lists what can be captured from: every sound card's capture devices, then the configured PCMs that
/// offer input. Each is opened briefly without blocking (`SND_PCM_NONBLOCK`) to ask its channel and
/// rate ranges; a device that cannot be opened is still listed, with the reason.
public enum ALSADevices {
    public static func list() -> [CaptureDevice] {
        _ = ALSA.silenced
        var devices = hardwareDevices()
        var seen = Set(devices.map(\.name))
        for device in configuredDevices() where !seen.contains(device.name) {
            seen.insert(device.name)
            devices.append(device)
        }
        return devices
    }

    /// Sound cards (`snd_card_next`) and their PCM devices that have a capture stream.
    private static func hardwareDevices() -> [CaptureDevice] {
        var result: [CaptureDevice] = []
        var card: Int32 = -1
        while snd_card_next(&card) >= 0, card >= 0 {
            var namePointer: UnsafeMutablePointer<CChar>? = nil
            var longPointer: UnsafeMutablePointer<CChar>? = nil
            let cardName = snd_card_get_name(card, &namePointer) >= 0 ? ALSA.takeString(namePointer) ?? "card \(card)" : "card \(card)"
            let longName = snd_card_get_longname(card, &longPointer) >= 0 ? ALSA.takeString(longPointer) ?? cardName : cardName

            var ctl: OpaquePointer? = nil
            let rc = snd_ctl_open(&ctl, "hw:\(card)", 0)
            guard rc >= 0, let ctl else {
                result.append(CaptureDevice(name: "hw:\(card)", description: longName, kind: .hardware, channels: nil,
                                            sampleRates: nil, unavailableReason: "cannot open its control: \(ALSA.errorText(rc))"))
                continue
            }
            defer { snd_ctl_close(ctl) }
            var infoPointer: OpaquePointer? = nil
            guard snd_pcm_info_malloc(&infoPointer) >= 0, let info = infoPointer else { continue }
            defer { snd_pcm_info_free(info) }
            var dev: Int32 = -1
            while snd_ctl_pcm_next_device(ctl, &dev) >= 0, dev >= 0 {
                snd_pcm_info_set_device(info, UInt32(dev))
                snd_pcm_info_set_subdevice(info, 0)
                snd_pcm_info_set_stream(info, SND_PCM_STREAM_CAPTURE)
                guard snd_ctl_pcm_info(ctl, info) >= 0 else { continue }  // no capture stream on this device
                let pcmName = snd_pcm_info_get_name(info).map { String(cString: $0) } ?? "device \(dev)"
                let name = "hw:\(card),\(dev)"
                let probe = probe(name)
                result.append(CaptureDevice(name: name, description: "\(cardName): \(pcmName)\n\(longName); plug\(name) converts any rate and channel count",
                                            kind: .hardware, channels: probe.channels, sampleRates: probe.rates,
                                            unavailableReason: probe.reason))
            }
        }
        return result
    }

    /// PCMs with a `hint` in the ALSA configuration that offer input (IOID absent or "Input").
    private static func configuredDevices() -> [CaptureDevice] {
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>? = nil
        guard snd_device_name_hint(-1, "pcm", &hints) >= 0, let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        var result: [CaptureDevice] = []
        var index = 0
        while let hint = hints[index] {
            index += 1
            guard let name = ALSA.takeString(snd_device_name_get_hint(hint, "NAME")), !name.isEmpty else { continue }
            let ioid = ALSA.takeString(snd_device_name_get_hint(hint, "IOID"))
            guard ioid == nil || ioid == "Input" else { continue }
            let description = ALSA.takeString(snd_device_name_get_hint(hint, "DESC")) ?? ""
            let probe = probe(name)
            result.append(CaptureDevice(name: name, description: description, kind: .configured, channels: probe.channels,
                                        sampleRates: probe.rates, unavailableReason: probe.reason))
        }
        return result
    }

    /// Opens `name` for capture without blocking and reads its channel and rate ranges.
    static func probe(_ name: String) -> (channels: ClosedRange<Int>?, rates: ClosedRange<Int>?, reason: String?) {
        _ = ALSA.silenced
        var pcmPointer: OpaquePointer? = nil
        var rc = snd_pcm_open(&pcmPointer, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK)
        guard rc >= 0, let pcm = pcmPointer else {
            let reason = rc == -EBUSY ? "busy: another program is using it" : "cannot be opened for capture: \(ALSA.errorText(rc))"
            return (nil, nil, reason)
        }
        defer { snd_pcm_close(pcm) }
        var hwPointer: OpaquePointer? = nil
        guard snd_pcm_hw_params_malloc(&hwPointer) >= 0, let hw = hwPointer else { return (nil, nil, "out of memory") }
        defer { snd_pcm_hw_params_free(hw) }
        rc = snd_pcm_hw_params_any(pcm, hw)
        guard rc >= 0 else { return (nil, nil, "cannot report its capabilities: \(ALSA.errorText(rc))") }
        var minChannels: UInt32 = 0, maxChannels: UInt32 = 0, minRate: UInt32 = 0, maxRate: UInt32 = 0
        var dir: Int32 = 0
        snd_pcm_hw_params_get_channels_min(hw, &minChannels)
        snd_pcm_hw_params_get_channels_max(hw, &maxChannels)
        snd_pcm_hw_params_get_rate_min(hw, &minRate, &dir)
        snd_pcm_hw_params_get_rate_max(hw, &maxRate, &dir)
        let channels = Int(minChannels) <= Int(maxChannels) ? Int(minChannels)...Int(maxChannels) : nil
        let rates = Int(minRate) <= Int(maxRate) ? Int(minRate)...Int(maxRate) : nil
        return (channels, rates, nil)
    }
}
