import Foundation
import Testing
import TalkBalanceCore
@testable import TalkBalanceIO

/// Capture through the real ALSA path (snd_pcm_open_lconf / hw_params / snd_pcm_readi) with ALSA's `file`
/// plugin reading a known raw file: no sound card needed. The configuration is passed in-process.
///
/// The file plugin is not paced and, past the end of its infile, keeps returning full counts of stale data,
/// so every test reads exactly the input's length (or a known multiple of it).
///
/// Content is checked only where the app reads the file plugin directly (RW access): any converting
/// plugin in front of it (`linear`, `plug` changing format or rate) reads it through mmap, and alsa-lib
/// 1.2.8's file plugin then skips whole periods of the infile (arecord shows the same: frames 2000.. of a
/// capture come from input frame 8000..). So the S16 device restricts formats *below* the file plugin,
/// the float device gets a float infile, and the plug device is used for negotiation only.
final class ALSAFixture {
    static let sampleRate = 16000
    static let channels = 2
    static let frames = 3 * sampleRate
    static let sineHz = 200.0

    let folder: TempFolder
    /// Interleaved S16 samples written to the raw file: channel 0 a wrapping ramp that hits every value
    /// class including -32768 and 32767, channel 1 a 200 Hz sine of amplitude 20000.
    let raw: [Int16]
    let configText: String

    init() throws {
        folder = try TempFolder()
        var samples = [Int16](repeating: 0, count: Self.frames * Self.channels)
        for n in 0..<Self.frames {
            samples[2 * n] = Int16(truncatingIfNeeded: n &* 1367 &- 32768)
            samples[2 * n + 1] = Int16((20000 * sin(2 * .pi * Self.sineHz * Double(n) / Double(Self.sampleRate))).rounded())
        }
        samples[0] = .min
        samples[2] = .max
        raw = samples
        // Little-endian host: the arrays' bytes are S16_LE and FLOAT_LE.
        let path16 = folder.path("input-s16.raw")
        try samples.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: path16))
        let floats = samples.map { Float($0) / 32768 }
        let pathFloat = folder.path("input-float.raw")
        try floats.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: pathFloat))
        configText = """
        # Offers integer formats only (the linear slave), so capture falls back from FLOAT_LE to S16_LE.
        pcm.tbs16 { type file slave.pcm { type linear slave { pcm { type null } format S16_LE } }
                    file "/dev/null" infile "\(path16)" format "raw" }
        # Offers every format; capture picks FLOAT_LE and the infile holds floats.
        pcm.tbfloat { type file slave.pcm { type null } file "/dev/null" infile "\(pathFloat)" format "raw" }
        pcm.tbtest { type file slave.pcm { type null } file "/dev/null" infile "\(path16)" format "raw" }
        pcm.tbplug { type plug slave { pcm "tbtest" format S16_LE rate 16000 channels 2 } }
        """
    }

    func open(_ device: String, channels: Int? = ALSAFixture.channels, sampleRate: Int? = ALSAFixture.sampleRate,
              periodFrames: Int? = nil, sampleFormat: ALSACapture.SampleFormat? = nil) throws(CaptureError) -> ALSACapture {
        try ALSACapture(device: device, channels: channels, sampleRate: sampleRate, periodFrames: periodFrames,
                        sampleFormat: sampleFormat, configText: configText)
    }

    /// Reads exactly `frames` frames in blocks of `blockFrames` (a smaller last block for the remainder).
    static func capture(_ capture: ALSACapture, frames: Int, blockFrames: Int) throws -> [Float] {
        let channels = capture.format.channelCount
        var out: [Float] = []
        out.reserveCapacity(frames * channels)
        var block = AudioBlock(channelCount: channels, capacityFrames: blockFrames)
        var remaining = frames
        while remaining > 0 {
            if remaining < block.capacityFrames { block = AudioBlock(channelCount: channels, capacityFrames: remaining) }
            let n = try capture.read(into: &block)
            #expect(n == block.capacityFrames)
            #expect(block.frameCount == n)
            out += block.samples[0..<(n * channels)]
            remaining -= n
        }
        return out
    }

    static func zeroCrossings(_ samples: [Float], channel: Int, of channels: Int) -> Int {
        var count = 0
        var previous = samples[channel]
        for i in stride(from: channel + channels, to: samples.count, by: channels) {
            let value = samples[i]
            if (previous < 0) != (value < 0) { count += 1 }
            previous = value
        }
        return count
    }
}

@Suite struct ALSACaptureTests {
    @Test(arguments: [1, 7, 160, 320, 1000, 4096, ALSAFixture.frames])
    func sixteenBitCaptureIsExact(blockFrames: Int) throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbs16")
        #expect(capture.sampleFormat == .s16)
        #expect(capture.format == StreamFormat(sampleRate: 16000, channelCount: 2))
        let samples = try ALSAFixture.capture(capture, frames: ALSAFixture.frames, blockFrames: blockFrames)
        #expect(samples.count == fixture.raw.count)
        let mismatches = zip(samples, fixture.raw).filter { $0 != Float($1) / 32768 }.count
        #expect(mismatches == 0)
        #expect(samples[0] == -1)
        #expect(samples[2] == Float(32767) / 32768)
        #expect(capture.framesCaptured == ALSAFixture.frames)
        #expect(capture.overruns == 0 && capture.lostFramesEstimate == 0)
    }

    @Test(arguments: [1, 320, 999, ALSAFixture.frames])
    func floatCaptureIsExact(blockFrames: Int) throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbfloat")
        #expect(capture.sampleFormat == .float32)
        #expect(capture.format == StreamFormat(sampleRate: 16000, channelCount: 2))
        let samples = try ALSAFixture.capture(capture, frames: ALSAFixture.frames, blockFrames: blockFrames)
        let mismatches = zip(samples, fixture.raw).filter { $0 != Float($1) / 32768 }.count
        #expect(mismatches == 0)
    }

    @Test func askedSampleFormatIsUsed() throws {
        let fixture = try ALSAFixture()
        // tbtest offers every format; asking for S16_LE reads its S16 infile exactly.
        let capture = try fixture.open("tbtest", sampleFormat: .s16)
        #expect(capture.sampleFormat == .s16)
        let samples = try ALSAFixture.capture(capture, frames: ALSAFixture.frames, blockFrames: 640)
        #expect(zip(samples, fixture.raw).allSatisfy { $0 == Float($1) / 32768 })
        do {
            _ = try fixture.open("tbs16", sampleFormat: .float32)
            Issue.record("tbs16 offers no float")
        } catch {
            #expect(error.kind == .unsupported)
            #expect(error.description.contains("FLOAT_LE is not offered"))
        }
    }

    @Test func plugOffersFloat() throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbplug")
        #expect(capture.sampleFormat == .float32)
        #expect(capture.format == StreamFormat(sampleRate: 16000, channelCount: 2))
        let samples = try ALSAFixture.capture(capture, frames: ALSAFixture.frames, blockFrames: 1000)
        #expect(samples.allSatisfy { $0.isFinite && abs($0) <= 1 })
    }

    @Test func otherRateThroughPlugScalesTheLength() throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbplug", sampleRate: 48000)
        #expect(capture.format == StreamFormat(sampleRate: 48000, channelCount: 2))
        #expect(abs(capture.periodFrames - 960) <= 64)  // about 20 ms at 48 kHz
        // 3 s of audio is 3 x the input's frames at 48 kHz, delivered in full blocks. (The content is not
        // compared: see the fixture's note on the file plugin behind a converting plugin.)
        let samples = try ALSAFixture.capture(capture, frames: 3 * ALSAFixture.frames, blockFrames: 777)
        #expect(samples.count == 3 * ALSAFixture.frames * 2)
        #expect(capture.framesCaptured == 3 * ALSAFixture.frames)
        #expect(samples.allSatisfy { $0.isFinite && abs($0) <= 1 })
    }

    @Test func oneChannelThroughPlug() throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbplug", channels: 1)
        #expect(capture.format == StreamFormat(sampleRate: 16000, channelCount: 1))
        let samples = try ALSAFixture.capture(capture, frames: ALSAFixture.frames, blockFrames: 500)
        #expect(samples.count == ALSAFixture.frames)
    }

    @Test func defaultsPrefer16kHzAndUpToEightChannels() throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbs16", channels: nil, sampleRate: nil)
        #expect(capture.format == StreamFormat(sampleRate: 16000, channelCount: 8))
        #expect(abs(capture.periodFrames - 320) <= 32)  // about 20 ms
        #expect(capture.bufferFrames >= 4 * capture.periodFrames)
    }

    @Test func askedPeriodIsUsed() throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbs16", periodFrames: 128)
        #expect(capture.periodFrames == 128)
        #expect(capture.bufferFrames == 128 * ALSACapture.periodsPerBuffer)
        let samples = try ALSAFixture.capture(capture, frames: ALSAFixture.frames, blockFrames: 1000)
        #expect(zip(samples, fixture.raw).allSatisfy { $0 == Float($1) / 32768 })
    }

    @Test func aLiveDeviceHasNoEnd() throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbs16")
        _ = try ALSAFixture.capture(capture, frames: ALSAFixture.frames, blockFrames: 4000)
        // Past the end of the infile the file plugin keeps delivering (stale) data; read never returns 0.
        var block = AudioBlock(channelCount: 2, capacityFrames: 500)
        #expect(try capture.read(into: &block) == 500)
    }

    @Test func missingDeviceNamesItAndSuggestsDevices() {
        do {
            _ = try ALSACapture(device: "hw:7", channels: 2, sampleRate: 16000)
            Issue.record("opening hw:7 should fail on a machine without sound cards")
        } catch {
            #expect(error.kind == .cannotOpen)
            #expect(error.call == "snd_pcm_open")
            #expect(error.description.contains("cannot open capture device \"hw:7\""))
            #expect(error.description.contains("talkbalance devices"))
            #expect(error.code < 0)
        }
    }

    @Test func undefinedDeviceInConfigurationText() throws {
        let fixture = try ALSAFixture()
        #expect(throws: CaptureError.self) { try fixture.open("nosuch") }
        do {
            _ = try fixture.open("nosuch")
        } catch {
            #expect(error.kind == .cannotOpen)
            #expect(error.description.hasPrefix("cannot open capture device \"nosuch\": "))
            #expect(error.description.contains("(snd_pcm_open_lconf); run 'talkbalance devices'"))
        }
    }

    @Test func brokenConfigurationText() {
        do {
            _ = try ALSACapture(device: "x", channels: 1, sampleRate: 16000, configText: "pcm.x { type file ")
            Issue.record("a broken configuration should not load")
        } catch {
            #expect(error.kind == .badConfiguration)
            #expect(error.call == "snd_config_load")
            #expect(error.description.contains("\"x\""))
        }
    }

    @Test func rateTheDeviceCannotDoIsRefusedWithWhatItOffers() throws {
        let fixture = try ALSAFixture()
        do {
            _ = try fixture.open("tbplug", sampleRate: 2000)  // the plug's rate converter starts at 4000 Hz
            Issue.record("2000 Hz should be refused")
        } catch {
            #expect(error.kind == .unsupported)
            #expect(error.description.contains("2000 Hz"))
            #expect(error.description.contains("4000 Hz"))
            #expect(error.description.contains("talkbalance devices"))
        }
    }

    @Test func nonsenseRequestsAreRefusedBeforeOpening() {
        do {
            _ = try ALSACapture(device: "null", channels: 0, sampleRate: 16000)
            Issue.record("0 channels should be refused")
        } catch {
            #expect(error.description.hasPrefix("capture device \"null\" cannot record as asked: 0 channels is not a channel count; ask for"))
        }
        #expect(throws: CaptureError.self) { try ALSACapture(device: "null", channels: 2, sampleRate: 0) }
        #expect(throws: CaptureError.self) { try ALSACapture(device: "null", channels: 2, sampleRate: 16000, periodFrames: 0) }
    }

    @Test func overrunIsRecoveredAndCounted() throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbs16")
        var block = AudioBlock(channelCount: 2, capacityFrames: 1000)
        _ = try capture.read(into: &block)
        // The file plugin never overruns; feed the recovery path the code snd_pcm_readi returns on one.
        try capture.handleReadError(-EPIPE)
        #expect(capture.overruns == 1)
        #expect(capture.lostFramesEstimate >= capture.bufferFrames)
        #expect(try capture.read(into: &block) == 1000)
    }

    @Test func vanishedDeviceThrows() throws {
        let fixture = try ALSAFixture()
        let capture = try fixture.open("tbs16")
        var block = AudioBlock(channelCount: 2, capacityFrames: 16000)
        _ = try capture.read(into: &block)
        do {
            try capture.handleReadError(-ENODEV)
            Issue.record("-ENODEV should throw")
        } catch {
            #expect(error.kind == .deviceGone)
            #expect(error.description.hasPrefix("capture device \"tbs16\" went away: "))
            #expect(error.description.contains("after 1.00 s of audio (snd_pcm_readi)"))
        }
    }
}
