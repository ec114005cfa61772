/// Minimum-statistics noise floor of one channel (after Martin 2001, without bias correction): the
/// lowest frame level seen in the last `memoryFrames`, kept as minima of `subWindowCount` sub-windows so
/// memory and time per frame are constant. It drops at once when the level drops and rises only as old
/// sub-windows expire, so speech never drags it up unless a talker goes `memoryFrames` without a pause.
public struct NoiseFloorTracker: Sendable {
    private var minima: [Float]
    private var current: Float = .infinity
    private var framesInCurrent = 0
    private var next = 0
    private let framesPerSubWindow: Int

    public init(memoryFrames: Int, subWindowCount: Int = 8) {
        precondition(memoryFrames >= subWindowCount && subWindowCount >= 2)
        minima = [Float](repeating: .infinity, count: subWindowCount)
        framesPerSubWindow = memoryFrames / subWindowCount
    }

    /// Adds a frame's level (dB) and returns the floor including it.
    public mutating func update(levelDB: Float) -> Float {
        current = min(current, levelDB)
        framesInCurrent += 1
        var floor = current
        for m in minima where m < floor { floor = m }
        if framesInCurrent == framesPerSubWindow {
            minima[next] = current
            next = (next + 1) % minima.count
            current = .infinity
            framesInCurrent = 0
        }
        return floor
    }
}
