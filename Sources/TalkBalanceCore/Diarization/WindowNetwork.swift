import Foundation
import TalkBalanceDSP

/// A voice network as the room analyses use it on windows of speech frames: each 10 ms frame's mel
/// bands (`measure`, from the analysis window centred on the frame's hop), then one embedding per window
/// of frames (`embed`, `batchSize` windows at a time). Shared by the offline analysis
/// (`RoomAnalysis.embedWindows`) and the live re-clustering (`RoomSessionAnalyzer`).
struct WindowNetwork {
    /// Mel bands a frame.
    let bands: Int
    /// Samples the analysis window must have at least.
    let windowLength: Int
    /// Windows embedded together (the network's batch).
    let batchSize: Int
    /// A frame's mel bands from its analysis window.
    let measure: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
    /// One embedding per window (each its frames' bands, one frame after the other); nil when the
    /// network's working memory cannot be had.
    let embed: ([[Float]]) -> [[Float]]?

    init(_ network: RoomDiarizer.Options.VoiceNetwork, sampleRate: Int) {
        switch network {
        case .camPlusPlus, .camPlusPlusFloat:
            // 8-bit only where the CPU runs it fast (AVX-512 VNNI); elsewhere float, as the network was
            // trained (the reports may then differ a little, as the voices' embeddings do).
            let precision: SpeakerEmbedder.Precision = network == .camPlusPlus ? .fastest : .float
            let embedder = SpeakerEmbedder(sampleRate: sampleRate)
            (bands, windowLength, batchSize) = (SpeakerEmbedder.bands, embedder.windowLength, Self.parallelBatch)
            measure = { embedder.logMel(centredIn: $0, into: $1) }
            // Each window's forward pass is independent (the network allocates its own working memory
            // per call and only reads the weights; their 8-bit copy is made once, by whichever call comes
            // first, under a pthread_once), so a batch is shared out to `parallelWindows`
            // threads; each result has its own slot, so the output does not depend on the order they
            // finish in.
            let workers = max(1, min(Self.parallelWindows, ProcessInfo.processInfo.activeProcessorCount))
            embed = { batch in
                let embeddings = concurrentResults(count: batch.count, workers: workers) { SpeakerEmbedder.embed(batch[$0], precision: precision) }
                // Every embedding, or nil when any window failed.
                return embeddings.contains { $0 == nil } ? nil : embeddings.map { $0! }
            }
        case .resemblyzer:
            let embedder = VoiceEmbedder(sampleRate: sampleRate)
            (bands, windowLength, batchSize) = (VoiceEmbedder.bands, embedder.windowLength, 16)
            measure = { embedder.melPowers(centredIn: $0, into: $1) }
            embed = { VoiceEmbedder.embed($0) }
        }
    }
}

extension WindowNetwork {
    /// Windows the CAM++ network embeds at once (their log-mel frames are held until the batch runs:
    /// 8 windows of 1.5 s are about 0.4 MB).
    static let parallelBatch = 8
    /// Most windows embedded at the same time. Each holds the network's working memory while it runs
    /// (about 45 KB a frame: 6.5 MB for a 1.5 s window), so more threads would raise the peak memory, not
    /// only the speed; two keep the one-hour room session under the 100 MB target (`tools/bench`).
    static let parallelWindows = 2
}
