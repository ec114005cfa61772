import Foundation

/// A person's voice as the room front end sees it: the sufficient statistics (frame count, sum and sum
/// of squares of every `MelCepstrum` coefficient and of the smoothed pitch) of the speech frames of an
/// enrolment recording.
///
/// The statistics are raw (not normalised): the room diarizer normalises the session's features with
/// the session's own cepstral mean and variance, and maps these statistics through the same affine
/// transform at `finish`, so enrolment and session live in one feature space. A diagonal Gaussian is
/// all the diarizer needs from them, so a voice costs 2 x 14 doubles (13 cepstra and the pitch) however long the recording.
public struct VoiceStatistics: Sendable, Equatable {
    /// Speech frames summed (one per hop).
    public private(set) var frames: Int = 0
    /// Per coefficient: sum and sum of squares over the speech frames.
    public private(set) var sum: [Double]
    public private(set) var sumOfSquares: [Double]
    /// Speech found, in samples at `sampleRate` (the frames' hops).
    public private(set) var speechSamples: Int = 0
    public let sampleRate: Int

    public init(coefficients: Int, sampleRate: Int) {
        precondition(coefficients >= 1 && sampleRate > 0)
        sum = [Double](repeating: 0, count: coefficients)
        sumOfSquares = [Double](repeating: 0, count: coefficients)
        self.sampleRate = sampleRate
    }

    public var coefficients: Int { sum.count }
    public var speechSeconds: Double { Double(speechSamples) / Double(sampleRate) }

    /// Adds one speech frame covering `hopSamples` samples.
    public mutating func add(features: UnsafeBufferPointer<Float>, hopSamples: Int) {
        precondition(features.count == sum.count, "feature count changed")
        for i in 0..<sum.count {
            let x = Double(features[i])
            sum[i] += x
            sumOfSquares[i] += x * x
        }
        frames += 1
        speechSamples += hopSamples
    }

    public mutating func add(features: [Float], hopSamples: Int) {
        features.withUnsafeBufferPointer { add(features: $0, hopSamples: hopSamples) }
    }
}

/// A diagonal Gaussian given by sufficient statistics, and its average log-likelihood of other data
/// given by theirs (exact: sum over frames of log N(x | mean, variance), divided by the frame count).
struct DiagonalGaussian: Sendable, Equatable {
    var mean: [Double]
    var variance: [Double]

    /// Variances are floored at `floor` (in normalised units) so a short or very steady recording does
    /// not make a needle-sharp model.
    init(frames n: Double, sum: [Double], sumOfSquares: [Double], floor: Double = 1e-3) {
        mean = sum.map { $0 / max(n, 1e-9) }
        variance = zip(sumOfSquares, mean).map { max(floor, $0 / max(n, 1e-9) - $1 * $1) }
    }

    init(mean: [Double], variance: [Double]) {
        self.mean = mean
        self.variance = variance
    }

    /// Over the first `dims` features only (nil: all).
    func averageLogLikelihood(frames n: Double, sum: [Double], sumOfSquares: [Double], dims: Int? = nil) -> Double {
        guard n > 0 else { return -.infinity }
        var total = 0.0
        for i in 0..<min(mean.count, dims ?? mean.count) {
            let m = mean[i], v = variance[i]
            total += log(2 * Double.pi * v) + (sumOfSquares[i] - 2 * m * sum[i] + n * m * m) / (n * v)
        }
        return -0.5 * total
    }
}

/// One-to-one assignment of rows to columns that maximises the total score.
public enum BestAssignment {
    /// `scores[r][c]`: how well row r fits column c. Requires rows <= columns <= 8 (exhaustive search over
    /// the at most 8!/(8-rows)! = 40320 injective maps: exact, and cheaper than Hungarian bookkeeping at
    /// this size). Returns, for each row, its column; ties go to the lexicographically first assignment.
    public static func solve(_ scores: [[Double]]) -> [Int] {
        let rows = scores.count
        guard rows > 0 else { return [] }
        let columns = scores[0].count
        precondition(scores.allSatisfy { $0.count == columns }, "ragged score matrix")
        precondition(rows <= columns && columns <= 8, "need rows <= columns <= 8")
        var best: [Int] = Array(0..<rows), bestTotal = -Double.infinity
        var current = [Int](repeating: 0, count: rows)
        var used = [Bool](repeating: false, count: columns)
        func search(_ r: Int, _ total: Double) {
            if r == rows {
                if total > bestTotal { bestTotal = total; best = current }
                return
            }
            for c in 0..<columns where !used[c] {
                used[c] = true
                current[r] = c
                search(r + 1, total + scores[r][c])
                used[c] = false
            }
        }
        search(0, 0)
        return best
    }
}
