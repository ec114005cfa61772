import Foundation
internal import CSpeakerModel

/// Speaker embeddings from CAM++ (Wang et al. 2023; 3D-Speaker, Apache 2.0; weights in
/// `Sources/CSpeakerModel`, written by tools/speaker-model), the network the offline room analysis
/// clusters voices with. A stretch of speech goes in as its 10 ms frames; out comes a vector of 192
/// numbers whose direction (by cosine) is near those of the same voice and far from other voices'.
///
/// Each frame's input is Kaldi's filterbank, as the network was trained on: a 25 ms frame centred on the
/// middle of the frame's hop, its mean taken off, pre-emphasis 0.97, the Povey window, the power spectrum
/// (512 points at 16 kHz), 80 triangular mel bands over 20-8000 Hz, natural log (floored at 1.19e-7).
/// Any sample rate: the frame keeps its duration and the bands their frequencies (below 16 kHz the bands
/// above the Nyquist frequency sit at the floor); the level does not matter, as the network takes each
/// stretch's mean off every band. The network is C (`CSpeakerModel`); this class owns the FFTW plan
/// (through `FFTWPlan`) and the mel bands. Not thread-safe: one per task.
public final class SpeakerEmbedder {
    public static let bands = Int(TB_SPEAKER_MODEL_BANDS)
    public static let dimensions = Int(TB_SPEAKER_MODEL_EMBEDDING)
    public let sampleRate: Int
    /// The 25 ms frame, samples.
    public let windowLength: Int

    private let fft: FFTWPlan
    private let window: [Float]
    private let filters: BandFilters
    private var frame: [Float]
    private let powerScale: Float
    private let preEmphasis: Float

    public init(sampleRate: Int) {
        precondition(sampleRate >= 4000, "the speaker network needs at least 4 kHz")
        precondition(tb_speaker_model_weight_count == tb_speaker_model_expected_count(),
                     "speaker model: \(tb_speaker_model_weight_count) weights, the network reads \(tb_speaker_model_expected_count())")
        self.sampleRate = sampleRate
        let n = Int((Double(sampleRate) * 0.025).rounded())
        windowLength = n
        var size = 16
        while size < n { size *= 2 }
        fft = FFTWPlan(size: size)
        window = (0..<n).map { Float(pow(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n - 1)), 0.85)) }
        frame = [Float](repeating: 0, count: n)
        powerScale = Float(400.0 / Double(n)) * Float(400.0 / Double(n))
        preEmphasis = Float(pow(0.97, 16000.0 / Double(sampleRate)))
        // Kaldi's mel bands: triangles equally spaced on 1127 ln(1 + f / 700), on the bins below Nyquist.
        func mel(_ hz: Double) -> Double { 1127 * log(1 + hz / 700) }
        let low = mel(20), high = mel(8000)
        let step = (high - low) / Double(Self.bands + 1)
        let binHz = Double(sampleRate) / Double(size)
        filters = BandFilters(count: Self.bands, bins: 0..<(size / 2)) { b, k in
            let left = low + Double(b) * step, centre = left + step, right = centre + step
            let m = mel(Double(k) * binHz)
            return max(0, min((m - left) / (centre - left), (right - m) / (right - centre)))
        }
    }

    /// The 80 log mel-band energies of one frame into `bands`. `samples` is an analysis window centred
    /// on the frame, at least `windowLength` long: its middle `windowLength` samples are used.
    public func logMel(centredIn samples: UnsafeBufferPointer<Float>, into bands: UnsafeMutableBufferPointer<Float>) {
        precondition(samples.count >= windowLength && bands.count >= Self.bands)
        let n = windowLength
        let offset = (samples.count - n) / 2
        var mean: Float = 0
        for i in 0..<n { mean += samples[offset + i] }
        mean /= Float(n)
        for i in 0..<n { frame[i] = samples[offset + i] - mean }
        fft.forward(fill: { buffer in
            var previous = frame[0]
            buffer[0] = frame[0] * (1 - preEmphasis) * window[0]
            for i in 1..<n {
                let x = frame[i]
                buffer[i] = (x - preEmphasis * previous) * window[i]
                previous = x
            }
            for i in n..<buffer.count { buffer[i] = 0 }
        }, read: { spectrum in
            filters.apply(spectrum, into: bands) { log(max($0 * powerScale, Float.ulpOfOne)) }
        })
    }

    /// How the network's large products are computed.
    public enum Precision: Sendable {
        /// In float, as the network was trained.
        case float
        /// On 8-bit steps summed exactly in integers: with AVX-512 VNNI much faster than in float, else in
        /// plain C, much slower (docs/ACCURACY.md, "CAM++ on 8-bit steps"; docs/BENCHMARKS.md).
        case eightBit
        /// The same 8-bit sums in plain C whatever the CPU: the same bits as `eightBit` (a check).
        case eightBitPlainC

        /// The precision the room analysis runs CAM++ at: 8-bit where this CPU runs it fast, else float.
        public static var fastest: Precision { tb_speaker_model_fast_eight_bit() != 0 ? .eightBit : .float }

        var c: tb_speaker_model_precision {
            switch self {
            case .float: TB_SPEAKER_MODEL_FLOAT
            case .eightBit: TB_SPEAKER_MODEL_EIGHT_BIT
            case .eightBitPlainC: TB_SPEAKER_MODEL_EIGHT_BIT_PLAIN
            }
        }
    }

    /// The embedding of one stretch of speech: its frames' log mel energies (`logMel`), 80 a frame, at
    /// least one frame. Nil when the stretch is empty or the network's working memory (about 45 KB per
    /// frame) cannot be had.
    public static func embed(_ stretch: [Float], precision: Precision) -> [Float]? {
        let frames = stretch.count / bands
        guard frames > 0 else { return nil }
        var out = [Float](repeating: 0, count: dimensions)
        let status = tb_speaker_model_embed(stretch, Int32(frames), &out, precision.c)
        return status == 0 ? out : nil
    }
}
