import Testing
import TalkBalanceDSP
@testable import TalkBalanceCore

/// The room's batch embedding (`WindowNetwork`): CAM++ embeds a batch's windows on two threads at once;
/// each embedding must land in its own window's place, exactly as one at a time would give it.
@Suite("Window network (CAM++ batches)")
struct WindowNetworkTests {
    /// A stretch of `frames` frames of made-up log mel energies, different for every `seed`.
    static func stretch(frames: Int, seed: Int) -> [Float] {
        (0..<(frames * SpeakerEmbedder.bands)).map { i in Float((i * 7919 + seed * 104_729) % 1000) / 100 - 5 }
    }

    @Test("a batch of windows of different lengths: each embedding equals the window's own, in order")
    func batchKeepsOrder() throws {
        let net = WindowNetwork(.camPlusPlus, sampleRate: 16000)
        #expect(net.batchSize == WindowNetwork.parallelBatch)
        // More windows than threads, lengths that differ so they finish out of order.
        let batch = (0..<7).map { Self.stretch(frames: 40 + 23 * ($0 % 4), seed: $0) }
        let together = try #require(net.embed(batch))
        #expect(together.count == batch.count)
        for (k, window) in batch.enumerated() {
            let alone = try #require(SpeakerEmbedder.embed(window, precision: .fastest))
            #expect(together[k] == alone, "window \(k)")
        }
        // The windows are not alike, so a swap would show.
        #expect(together[0] != together[1])
    }

    @Test("one window that cannot be embedded fails the batch, never a partial answer")
    func failureFailsBatch() {
        let net = WindowNetwork(.camPlusPlus, sampleRate: 16000)
        let batch = [Self.stretch(frames: 30, seed: 1), [], Self.stretch(frames: 30, seed: 2)]
        #expect(net.embed(batch) == nil)
    }
}
