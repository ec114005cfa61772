import Foundation
internal import CFFTW

/// FFTW's planner is not thread-safe (execute is): every plan is made and destroyed under this lock.
private let plannerLock = NSLock()

/// A real-to-complex and complex-to-real FFT of one size, with its own FFTW buffers and plans.
///
/// Owns every FFTW resource it touches and frees them in `deinit`; buffers are lent out only inside
/// closures. Plans are made once with `FFTW_ESTIMATE` (MEASURE would overwrite the buffers and costs
/// start-up time for no measurable gain at these sizes). Not thread-safe: use one per task.
final class FFTWPlan {
    let size: Int
    var binCount: Int { size / 2 + 1 }
    private var real: UnsafeMutablePointer<Float>? = nil
    private var complex: UnsafeMutablePointer<fftwf_complex>? = nil
    private var forwardPlan: OpaquePointer? = nil
    private var inversePlan: OpaquePointer? = nil

    init(size: Int) {
        precondition(size >= 16 && size % 2 == 0, "FFT size must be even and at least 16")
        self.size = size
        plannerLock.lock()
        defer { plannerLock.unlock() }
        guard let r = fftwf_alloc_real(size), let c = fftwf_alloc_complex(size / 2 + 1) else {
            fatalError("fftwf_alloc failed for an FFT of \(size) points (out of memory)")
        }
        real = r
        complex = c
        let flags = UInt32(FFTW_ESTIMATE)
        forwardPlan = fftwf_plan_dft_r2c_1d(Int32(size), r, c, flags)
        inversePlan = fftwf_plan_dft_c2r_1d(Int32(size), c, r, flags)
        guard forwardPlan != nil, inversePlan != nil else {
            fatalError("fftwf_plan_dft failed for \(size) points")
        }
    }

    deinit {
        plannerLock.lock()
        defer { plannerLock.unlock() }
        if let p = forwardPlan { fftwf_destroy_plan(p) }
        if let p = inversePlan { fftwf_destroy_plan(p) }
        if let r = real { fftwf_free(r) }
        if let c = complex { fftwf_free(c) }
    }

    /// Fills the time-domain buffer with `fill`, runs the forward transform, then lends the spectrum
    /// (interleaved re, im pairs; `binCount` bins) to `read`.
    @inline(__always)
    func forward<R>(fill: (UnsafeMutableBufferPointer<Float>) -> Void,
                    read: (UnsafeBufferPointer<Float>) -> R) -> R {
        fill(UnsafeMutableBufferPointer(start: real!, count: size))
        fftwf_execute(forwardPlan)
        return complex!.withMemoryRebound(to: Float.self, capacity: 2 * binCount) {
            read(UnsafeBufferPointer(start: $0, count: 2 * binCount))
        }
    }

    /// Fills the spectrum (interleaved re, im; `binCount` bins) with `fill`, runs the inverse transform
    /// (unnormalised: FFTW's c2r scales by `size`), then lends the time-domain result to `read`.
    @inline(__always)
    func inverse<R>(fill: (UnsafeMutableBufferPointer<Float>) -> Void,
                    read: (UnsafeBufferPointer<Float>) -> R) -> R {
        complex!.withMemoryRebound(to: Float.self, capacity: 2 * binCount) {
            fill(UnsafeMutableBufferPointer(start: $0, count: 2 * binCount))
        }
        fftwf_execute(inversePlan)
        return read(UnsafeBufferPointer(start: real!, count: size))
    }
}
