import Foundation

/// `body(i)` for every i in 0..<count, on up to `workers` threads (worker w takes w, w + workers, ...),
/// each result in its own slot: the results are in the order of i whatever order the threads finish in.
/// `body` must be safe to run on several threads at once. Used where independent pieces of work are
/// shared out to the two cores (`WindowNetwork`, `VoiceOverlapFinder.train`).
func concurrentResults<Value>(count: Int, workers: Int, _ body: @Sendable (Int) -> Value) -> [Value] {
    let slots = ResultSlots<Value>(count: count)
    let threads = max(1, min(workers, count))
    DispatchQueue.concurrentPerform(iterations: threads) { w in
        for i in stride(from: w, to: count, by: threads) { slots.set(i, body(i)) }
    }
    return slots.all()
}

/// One slot per piece of work, written from several threads (each slot by exactly one).
private final class ResultSlots<Value>: @unchecked Sendable {
    private var slots: [Value?]
    private let lock = NSLock()
    init(count: Int) { slots = [Value?](repeating: nil, count: count) }
    func set(_ i: Int, _ value: Value) { lock.withLock { slots[i] = value } }
    /// Every slot's value (each has been set once `concurrentPerform` returns).
    func all() -> [Value] { lock.withLock { slots.map { $0! } } }
}
