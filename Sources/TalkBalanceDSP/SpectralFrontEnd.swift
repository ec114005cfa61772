import Foundation

/// How a stream is cut into analysis frames, in samples at the stream's own rate.
///
/// Glossary: a *sample* is one value of one channel; a *frame* (here: analysis frame) is one window of
/// `windowLength` samples per channel, taken every `hopLength` samples. Frame `k` stands for the hop
/// `[k * hopLength, (k + 1) * hopLength)` and its window is centred on that hop.
public struct FrameGeometry: Sendable, Equatable {
    public let sampleRate: Int
    /// About 32 ms, rounded to a multiple of 32 samples so FFTW gets a size with small factors.
    public let windowLength: Int
    /// 10 ms (rounded to whole samples).
    public let hopLength: Int

    public init(sampleRate: Int, windowSeconds: Double = 0.032, hopSeconds: Double = 0.010) {
        precondition(sampleRate > 0)
        self.sampleRate = sampleRate
        let window = (Double(sampleRate) * windowSeconds / 32).rounded() * 32
        self.windowLength = max(32, Int(window))
        self.hopLength = max(1, Int((Double(sampleRate) * hopSeconds).rounded()))
    }

    /// Samples of look-ahead past the start of frame `k`'s hop that the window needs.
    public var lookaheadSamples: Int { (windowLength + hopLength) / 2 }
    public func seconds(frames: Int) -> Double { Double(frames * hopLength) / Double(sampleRate) }
}

/// What the front end measures in one frame of one channel.
public struct FrameFeatures: Sendable, Equatable {
    /// Mean-square level of the speech band, dB relative to a full-scale square wave (0 dBFS);
    /// digital silence reads as `FrameFeatures.floorDB`.
    public var energyDB: Float
    /// Spectral flatness of the speech band (geometric / arithmetic mean of power), 0 (tonal, voiced)
    /// to 1 (white noise).
    public var flatness: Float
    public static let floorDB: Float = -120
    public init(energyDB: Float, flatness: Float) {
        self.energyDB = energyDB
        self.flatness = flatness
    }
}

/// Result of a phase-transform-weighted cross-correlation between two channels' current frames.
public struct ChannelLag: Sendable, Equatable {
    /// Positive: the second channel lags the first, i.e. the sound reached the first channel's
    /// microphone first.
    public var lagSamples: Int
    /// Height of the PHAT peak, 0 (no common sound) to 1 (one source, perfectly coherent).
    public var coherence: Float
}

/// FFTW-backed spectral front end for a fixed number of channels: Hann window, real FFT, speech-band
/// energy and flatness per channel, and GCC-PHAT between channel pairs. Plans and buffers are made in
/// `init`; `analyze` and `lag` allocate nothing.
public final class SpectralFrontEnd {
    public let geometry: FrameGeometry
    public let channelCount: Int
    private let plan: FFTWPlan
    private let window: [Float]
    private let windowPower: Float
    private let firstBin: Int
    private let lastBin: Int
    /// Speech-band spectra of the latest frame of each channel: re, im interleaved, `bandBins` each.
    private var spectra: [Float]
    private let bandBins: Int

    /// - Parameter bandHz: the speech band whose energy is measured (clamped below Nyquist).
    public init(geometry: FrameGeometry, channelCount: Int, bandHz: ClosedRange<Double> = 150...4000) {
        precondition(channelCount >= 1)
        self.geometry = geometry
        self.channelCount = channelCount
        let n = geometry.windowLength
        plan = FFTWPlan(size: n)
        // Periodic Hann window.
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        windowPower = window.reduce(0) { $0 + $1 * $1 }
        let binHz = Double(geometry.sampleRate) / Double(n)
        let nyquistBin = n / 2
        firstBin = max(1, Int((bandHz.lowerBound / binHz).rounded()))
        lastBin = min(nyquistBin - 1, max(firstBin, Int((bandHz.upperBound / binHz).rounded())))
        bandBins = lastBin - firstBin + 1
        spectra = [Float](repeating: 0, count: 2 * bandBins * channelCount)
    }

    /// Windows and transforms one frame of `channel` (exactly `windowLength` samples), keeps its
    /// speech-band spectrum for `lag(_:_:maxLagSamples:)`, and returns its features.
    public func analyze(channel: Int, samples: UnsafeBufferPointer<Float>) -> FrameFeatures {
        precondition(samples.count == geometry.windowLength && channel < channelCount)
        let first = firstBin, bins = bandBins
        let offset = 2 * bins * channel
        let (sum, logSum): (Float, Float) = plan.forward(fill: { buffer in
            window.withUnsafeBufferPointer { w in
                for i in 0..<buffer.count { buffer[i] = samples[i] * w[i] }
            }
        }, read: { spectrum in
            spectra.withUnsafeMutableBufferPointer { store in
                var total: Float = 0
                var logTotal: Float = 0
                for b in 0..<bins {
                    let re = spectrum[2 * (first + b)], im = spectrum[2 * (first + b) + 1]
                    store[offset + 2 * b] = re
                    store[offset + 2 * b + 1] = im
                    let power = re * re + im * im + 1e-20
                    total += power
                    logTotal += logf(power)
                }
                return (total, logTotal)
            }
        })
        // Parseval: one-sided band power * 2 / (N * sum(w^2)) is the band-limited mean square.
        let meanSquare = 2 * sum / (Float(geometry.windowLength) * windowPower)
        let energyDB = meanSquare > 1e-12 ? 10 * log10f(meanSquare) : FrameFeatures.floorDB
        let flatness = sum > 1e-18 * Float(bins) ? expf(logSum / Float(bins)) / (sum / Float(bins)) : 1
        return FrameFeatures(energyDB: max(energyDB, FrameFeatures.floorDB), flatness: min(1, flatness))
    }

    /// Number of bins in the speech band kept per channel, and the frequency of the first one (Hz); bin
    /// `k` of the band is at `speechBandFirstHz + k * binHz`.
    public var speechBandBins: Int { bandBins }
    public var binHz: Double { Double(geometry.sampleRate) / Double(geometry.windowLength) }
    public var speechBandFirstHz: Double { Double(firstBin) * binHz }

    /// Summed power of bins `bins` (indices into the speech band, `0..<speechBandBins`) of the latest
    /// frame of `channel`, in the units of the FFT (compare channels with each other, not with dBFS).
    public func bandPower(channel: Int, bins: Range<Int>) -> Float {
        precondition(channel < channelCount && bins.lowerBound >= 0 && bins.upperBound <= bandBins)
        let offset = 2 * bandBins * channel
        return spectra.withUnsafeBufferPointer { store in
            var total: Float = 0
            for b in bins {
                let re = store[offset + 2 * b], im = store[offset + 2 * b + 1]
                total += re * re + im * im
            }
            return total
        }
    }

    /// GCC-PHAT between the latest frames of channels `a` and `b`, searched over ±`maxLagSamples`.
    public func lag(_ a: Int, _ b: Int, maxLagSamples: Int) -> ChannelLag {
        let n = geometry.windowLength
        let first = firstBin, bins = bandBins
        let maxLag = min(maxLagSamples, n / 2 - 1)
        let oa = 2 * bins * a, ob = 2 * bins * b
        return spectra.withUnsafeBufferPointer { store in
            plan.inverse(fill: { cross in
                for i in 0..<cross.count { cross[i] = 0 }
                for k in 0..<bins {
                    // conj(A) * B, normalised to unit magnitude (phase transform).
                    let ar = store[oa + 2 * k], ai = store[oa + 2 * k + 1]
                    let br = store[ob + 2 * k], bi = store[ob + 2 * k + 1]
                    let re = ar * br + ai * bi
                    let im = ar * bi - ai * br
                    let mag = (re * re + im * im).squareRoot()
                    if mag > 1e-20 {
                        cross[2 * (first + k)] = re / mag
                        cross[2 * (first + k) + 1] = im / mag
                    }
                }
            }, read: { r in
                var best: Float = -.infinity
                var bestLag = 0
                for lag in -maxLag...maxLag {
                    let v = r[lag >= 0 ? lag : n + lag]
                    if v > best { best = v; bestLag = lag }
                }
                // A perfectly coherent, delayed copy gives 2 * bins at its lag.
                return ChannelLag(lagSamples: bestLag, coherence: max(0, best / Float(2 * bins)))
            })
        }
    }
}
