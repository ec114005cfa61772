/// Weighted bands over an FFT's power spectrum (the mel bands of the voice networks' inputs), each kept as
/// its first bin and its weights on the bins from there, so summing a band reads only its own bins.
struct BandFilters {
    private let bands: [(first: Int, weights: [Float])]

    /// Band b's weight on bin k is `weight(b, k)` for k in `bins`; zero and negative weights are left out.
    init(count: Int, bins: Range<Int>, weight: (_ band: Int, _ bin: Int) -> Double) {
        bands = (0..<count).map { b in
            var first = -1
            var weights: [Float] = []
            for k in bins {
                let w = weight(b, k)
                if w > 0 {
                    if first < 0 { first = k }
                    while first + weights.count < k { weights.append(0) }
                    weights.append(Float(w))
                }
            }
            return (max(0, first), weights)
        }
    }

    /// Each band's weighted power from `spectrum` (interleaved re, im pairs, as `FFTWPlan` lends it),
    /// through `transform`, into `out`.
    @inline(__always)
    func apply(_ spectrum: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, transform: (Float) -> Float) {
        for (b, band) in bands.enumerated() {
            var sum: Float = 0
            for (j, w) in band.weights.enumerated() {
                let re = spectrum[2 * (band.first + j)], im = spectrum[2 * (band.first + j) + 1]
                sum += w * (re * re + im * im)
            }
            out[b] = transform(sum)
        }
    }
}
