import ArgumentParser
import Foundation
import TalkBalanceIO

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the capture devices ALSA knows, with the channel counts and rates they accept."
    )

    func run() throws {
        let devices = ALSADevices.list()
        guard !devices.isEmpty else {
            fail("ALSA knows no capture device here (no sound card, no configured PCM); connect an audio interface or define a PCM in ~/.asoundrc", code: Exit.noInput)
        }
        var out = ""
        let width = max(12, devices.map(\.name.count).max() ?? 0)
        for d in devices {
            var line = d.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
            if let c = d.channels, let r = d.sampleRates {
                let channels = c.lowerBound == c.upperBound ? "\(c.lowerBound) ch" : "\(c.lowerBound)-\(min(c.upperBound, 64))\(c.upperBound > 64 ? "+" : "") ch"
                let rates = r.lowerBound == r.upperBound ? "\(r.lowerBound) Hz" : "\(r.lowerBound)-\(min(r.upperBound, 768_000))\(r.upperBound > 768_000 ? "+" : "") Hz"
                line += "\(channels), \(rates)"
            } else {
                line += "unavailable: \(d.unavailableReason ?? "cannot be opened")"
            }
            let description = d.description.replacingOccurrences(of: "\n", with: " ")
            if !description.isEmpty { line += "  (\(description))" }
            out += line + "\n"
        }
        if !devices.contains(where: { $0.kind == .hardware }) {
            out += "No sound card found: only configured (software) PCMs are listed.\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
