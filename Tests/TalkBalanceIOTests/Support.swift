import Foundation
import TestSupport
import Testing
import TalkBalanceCore
import TalkBalanceIO

/// A private folder under the system temporary directory, removed when the value goes away.
final class TempFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("talkbalance-io-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Every entry in the folder, hidden ones included.
    func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// A known multi-channel test signal: every channel holds a 440 Hz sine of amplitude 0.3 plus a sine of
/// its own frequency and amplitude, so per-channel RMS tells the channels apart.
struct TestSignal {
    let sampleRate: Int
    let channelCount: Int
    let frameCount: Int
    /// Interleaved.
    let samples: [Float]

    static func frequency(channel c: Int) -> Double { 500 + 311 * Double(c) }
    static func amplitude(channel c: Int) -> Double { 0.05 + 0.04 * Double(c) }

    init(sampleRate: Int, channelCount: Int, seconds: Double) {
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        frameCount = Int(Double(sampleRate) * seconds)
        var s = [Float](repeating: 0, count: frameCount * channelCount)
        for n in 0..<frameCount {
            let t = Double(n) / Double(sampleRate)
            for c in 0..<channelCount {
                let v = 0.3 * sin(2 * .pi * 440 * t) + Self.amplitude(channel: c) * sin(2 * .pi * Self.frequency(channel: c) * t)
                s[n * channelCount + c] = Float(v)
            }
        }
        samples = s
    }

    func rms(channel c: Int) -> Double { rmsOf(samples, channels: channelCount, channel: c) }

    /// Raw little-endian 32-bit float, for sox to convert.
    func rawFloatData() -> Data {
        var data = Data(capacity: samples.count * 4)
        for v in samples { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// A 16-bit PCM RF64 file (ds64 chunk, 0xFFFFFFFF placeholders), written by hand: sox cannot write RF64.
    func rf64Data() -> Data {
        let dataBytes = UInt64(samples.count * 2)
        let headerBytes: UInt64 = 12 + (8 + 28) + (8 + 16) + 8
        var d = Data()
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func tag(_ s: String) { d.append(contentsOf: Array(s.utf8)) }
        tag("RF64"); u32(0xFFFF_FFFF); tag("WAVE")
        tag("ds64"); u32(28); u64(headerBytes + dataBytes - 8); u64(dataBytes); u64(UInt64(frameCount)); u32(0)
        tag("fmt "); u32(16); u16(1); u16(UInt16(channelCount)); u32(UInt32(sampleRate))
        u32(UInt32(sampleRate * channelCount * 2)); u16(UInt16(channelCount * 2)); u16(16)
        tag("data"); u32(0xFFFF_FFFF)
        for v in samples { u16(UInt16(bitPattern: pcm16(v))) }
        return d
    }
}

func pcm16(_ v: Float) -> Int16 { Int16(max(-32768, min(32767, (Double(v) * 32768).rounded()))) }

func rmsOf(_ samples: [Float], channels: Int, channel c: Int) -> Double {
    var sum = 0.0
    var n = 0
    var i = c
    while i < samples.count { sum += Double(samples[i]) * Double(samples[i]); n += 1; i += channels }
    return n > 0 ? (sum / Double(n)).squareRoot() : 0
}

/// Runs /usr/bin/sox with `arguments`; returns its exit status and stderr.
@discardableResult
func sox(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let run = try Subprocess.run("/usr/bin/sox", arguments, timeout: 120)
    return (run.timedOut ? -1 : run.status, run.stderr)
}

/// Reads a whole file through SoundFileReader with the given block capacity.
func readAll(_ path: String, capacity: Int = 4096) throws -> (reader: SoundFileReader, samples: [Float]) {
    let reader = try SoundFileReader(path: path)
    var block = AudioBlock(channelCount: reader.format.channelCount, capacityFrames: capacity)
    var out: [Float] = []
    while true {
        let n = try reader.read(into: &block)
        if n == 0 { break }
        #expect(n <= capacity)
        #expect(block.frameCount == n)
        out.append(contentsOf: block.samples[0..<(n * block.channelCount)])
    }
    return (reader, out)
}

/// The InputError `body` throws, or nil (recording an issue for any other error).
func inputError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> InputError? {
    do {
        try body()
        return nil
    } catch let error as InputError {
        return error
    } catch {
        Issue.record("expected an InputError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
