import Testing
@testable import TalkBalanceIO

@Suite struct ALSADevicesTests {
    @Test func listDoesNotCrashAndNamesEveryDevice() {
        // Without sound cards only software PCMs (such as `null`) appear, or none at all.
        let devices = ALSADevices.list()
        for device in devices {
            #expect(!device.name.isEmpty)
            if device.isAvailable {
                #expect(device.channels != nil && device.sampleRates != nil)
            } else {
                #expect(device.unavailableReason?.isEmpty == false)
            }
        }
        #expect(Set(devices.map(\.name)).count == devices.count)
    }

    @Test func probeReportsRangesOrTheReason() {
        let null = ALSADevices.probe("null")
        #expect(null.reason == nil)
        #expect(null.channels.map { $0.lowerBound >= 1 } == true)
        #expect(null.rates.map { $0.lowerBound >= 1 } == true)

        let missing = ALSADevices.probe("hw:7")
        #expect(missing.channels == nil && missing.rates == nil)
        #expect(missing.reason?.hasPrefix("cannot be opened for capture: ") == true)
    }
}
