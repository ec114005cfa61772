import Foundation

/// Log-mel cepstra (MFCC) of one analysis frame, plus a simple pitch and voicing estimate, for telling
/// voices apart on a single room microphone.
///
/// Per frame: pre-emphasis (0.97), periodic Hann window, zero-padded real FFT of twice the window
/// length, power spectrum, `melBands` triangular filters spaced evenly on the mel scale over `bandHz`,
/// natural log of each band's energy (floored at 1e-10), orthonormal DCT-II, first `coefficients`
/// values (c0 is the log-energy term). The pitch comes from the same power spectrum: its inverse FFT
/// is the frame's (linear, thanks to the zero padding) autocorrelation, divided by the window's own
/// autocorrelation (Boersma 1993) and searched over 60-400 Hz (local maxima, parabolic interpolation,
/// an octave cost against period doubling).
///
/// Plans, filters and buffers are made in `init`; `analyze` allocates nothing. Deterministic. Not
/// thread-safe: use one per task.
public final class MelCepstrum {
    public let geometry: FrameGeometry
    public let melBands: Int
    public let coefficients: Int
    public let bandHz: ClosedRange<Double>
    /// Pitch of the last analysed frame in Hz, or 0 when it is not voiced enough to say.
    public private(set) var pitchHz: Float = 0
    /// Peak of the normalised autocorrelation in the pitch range (0 = noise-like, 1 = periodic).
    public private(set) var voicing: Float = 0
    /// Below this voicing `pitchHz` reads 0.
    public static let voicingThreshold: Float = 0.45

    private let plan: FFTWPlan
    private let window: [Float]
    private var windowAutocorrelation: [Float]
    /// Triangular filters stored sparsely: for band b, weights[filterStart[b] ..< filterStart[b + 1]]
    /// apply to bins firstBinOf[b] ...
    private var filterStart: [Int]
    private var firstBinOf: [Int]
    private var weights: [Float]
    private var dct: [Float]
    private var logMel: [Float]
    private var power: [Float]
    private let minLag: Int
    private let maxLag: Int

    /// Whether `analyze` estimates the pitch and voicing (else they stay 0: log-mel energies and cepstra only).
    public let estimatesPitch: Bool

    public init(geometry: FrameGeometry, melBands: Int = 24, coefficients: Int = 13, estimatesPitch: Bool = true,
                bandHz: ClosedRange<Double> = 100...4000) {
        precondition(melBands >= 2 && coefficients >= 1 && coefficients <= melBands)
        self.geometry = geometry
        self.estimatesPitch = estimatesPitch
        self.melBands = melBands
        self.coefficients = coefficients
        let n = geometry.windowLength
        let size = 2 * n
        plan = FFTWPlan(size: size)
        let bins = size / 2 + 1
        let rate = Double(geometry.sampleRate)
        let top = min(bandHz.upperBound, rate / 2 * 0.98)
        let bottom = min(max(0, bandHz.lowerBound), top * 0.5)
        self.bandHz = bottom...top
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        // The window's autocorrelation, for the normalised frame autocorrelation.
        var wac = [Float](repeating: 0, count: n)
        for lag in 0..<n {
            var s: Double = 0
            for i in 0..<(n - lag) { s += Double(window[i]) * Double(window[i + lag]) }
            wac[lag] = Float(s)
        }
        windowAutocorrelation = wac
        minLag = max(2, Int(rate / 400))
        maxLag = min(n / 2, Int(rate / 60))  // plus one for the interpolation (n / 2 + 1 < 2n)

        func mel(_ hz: Double) -> Double { 2595 * log10(1 + hz / 700) }
        func hz(_ mel: Double) -> Double { 700 * (pow(10, mel / 2595) - 1) }
        let lowMel = mel(bottom), highMel = mel(top)
        let edges = (0...(melBands + 1)).map { hz(lowMel + (highMel - lowMel) * Double($0) / Double(melBands + 1)) }
        let binHz = rate / Double(size)
        var starts: [Int] = [0], firsts: [Int] = [], w: [Float] = []
        for b in 0..<melBands {
            let lo = edges[b], mid = edges[b + 1], hi = edges[b + 2]
            let first = max(1, Int(ceil(lo / binHz)))
            let last = min(bins - 1, Int(floor(hi / binHz)))
            firsts.append(first)
            if last >= first {
                for k in first...last {
                    let f = Double(k) * binHz
                    let v = f <= mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid)
                    w.append(Float(max(0, v)))
                }
            }
            // A band narrower than a bin still gets the nearest bin.
            if last < first || w[starts[b]...].allSatisfy({ $0 == 0 }) {
                if last >= first { w.removeSubrange(starts[b]...) }
                firsts[b] = min(bins - 1, max(1, Int((mid / binHz).rounded())))
                w.append(1)
            }
            starts.append(w.count)
        }
        filterStart = starts
        firstBinOf = firsts
        weights = w
        var d = [Float](repeating: 0, count: coefficients * melBands)
        for c in 0..<coefficients {
            let scale = c == 0 ? (1 / Double(melBands)).squareRoot() : (2 / Double(melBands)).squareRoot()
            for b in 0..<melBands {
                d[c * melBands + b] = Float(scale * cos(Double.pi * Double(c) * (Double(b) + 0.5) / Double(melBands)))
            }
        }
        dct = d
        logMel = [Float](repeating: 0, count: melBands)
        power = [Float](repeating: 0, count: bins)
    }

    /// Centre frequency of mel band `b` in Hz (for tests and plots).
    public func bandCentreHz(_ b: Int) -> Double {
        func mel(_ hz: Double) -> Double { 2595 * log10(1 + hz / 700) }
        let lowMel = mel(bandHz.lowerBound), highMel = mel(bandHz.upperBound)
        let m = lowMel + (highMel - lowMel) * Double(b + 1) / Double(melBands + 1)
        return 700 * (pow(10, m / 2595) - 1)
    }

    /// The natural-log mel energies of the last analysed frame (`melBands` values).
    public func withLogMelEnergies<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        logMel.withUnsafeBufferPointer(body)
    }

    /// Analyses one frame of exactly `windowLength` samples and writes `coefficients` cepstra into
    /// `into` (which must hold at least that many). Also updates `pitchHz` and `voicing`.
    public func analyze(samples: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        let n = geometry.windowLength
        precondition(samples.count == n && out.count >= coefficients)
        let bands = melBands
        power.withUnsafeMutableBufferPointer { pw in
            window.withUnsafeBufferPointer { w in
                plan.forward(fill: { buffer in
                    var previous = samples[0]
                    for i in 0..<n {
                        let x = samples[i]
                        buffer[i] = (x - 0.97 * previous) * w[i]
                        previous = x
                    }
                    for i in n..<buffer.count { buffer[i] = 0 }
                }, read: { spectrum in
                    for k in 0..<pw.count {
                        let re = spectrum[2 * k], im = spectrum[2 * k + 1]
                        pw[k] = re * re + im * im
                    }
                })
            }
            weights.withUnsafeBufferPointer { wt in
                logMel.withUnsafeMutableBufferPointer { lm in
                    for b in 0..<bands {
                        var e: Float = 0
                        let first = firstBinOf[b]
                        var k = first
                        for j in filterStart[b]..<filterStart[b + 1] {
                            e += wt[j] * pw[k]
                            k += 1
                        }
                        lm[b] = logf(max(e, 1e-10))
                    }
                }
            }
        }
        dct.withUnsafeBufferPointer { d in
            logMel.withUnsafeBufferPointer { lm in
                for c in 0..<coefficients {
                    var s: Float = 0
                    for b in 0..<bands { s += d[c * bands + b] * lm[b] }
                    out[c] = s
                }
            }
        }
        if estimatesPitch { estimatePitch() }
    }

    /// Autocorrelation of the (pre-emphasised, windowed) frame from its power spectrum.
    private func estimatePitch() {
        let lo = minLag, hi = maxLag
        let (best, lag): (Float, Float) = power.withUnsafeBufferPointer { pw in
            windowAutocorrelation.withUnsafeBufferPointer { wac in
                plan.inverse(fill: { spectrum in
                    for k in 0..<pw.count {
                        spectrum[2 * k] = pw[k]
                        spectrum[2 * k + 1] = 0
                    }
                }, read: { r in
                    let r0 = r[0]
                    guard r0 > 1e-12 else { return (Float(0), Float(0)) }
                    // Local maxima, refined by parabolic interpolation; an octave cost (0.03 per
                    // octave, cf. Praat's 0.01) favours the shortest of near-equal periods.
                    var best: Float = 0, bestScore: Float = 0
                    var bestLag: Float = 0
                    func value(_ l: Int) -> Float { (r[l] / r0) / (wac[l] / wac[0]) }
                    var prev = value(lo - 1), cur = value(lo)
                    for l in lo...hi {
                        let next = value(l + 1)
                        if cur >= prev && cur >= next && cur > 0 {
                            let denominator = prev - 2 * cur + next
                            let shift = denominator < 0 ? max(-0.5, min(0.5, 0.5 * (prev - next) / denominator)) : 0
                            let peak = cur - 0.25 * (prev - next) * shift
                            let lag = Float(l) + shift
                            let score = peak - 0.03 * log2f(lag / Float(lo))
                            if score > bestScore { bestScore = score; best = peak; bestLag = lag }
                        }
                        prev = cur
                        cur = next
                    }
                    return (best, bestLag)
                })
            }
        }
        voicing = min(1, best)
        pitchHz = voicing >= Self.voicingThreshold && lag > 0 ? Float(geometry.sampleRate) / lag : 0
    }
}
