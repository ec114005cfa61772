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
        case .camPlusPlus:
            let embedder = SpeakerEmbedder(sampleRate: sampleRate)
            (bands, windowLength, batchSize) = (SpeakerEmbedder.bands, embedder.windowLength, 1)
            measure = { embedder.logMel(centredIn: $0, into: $1) }
            embed = { batch in
                var out: [[Float]] = []
                for stretch in batch {
                    guard let e = SpeakerEmbedder.embed(stretch) else { return nil }
                    out.append(e)
                }
                return out
            }
        case .resemblyzer:
            let embedder = VoiceEmbedder(sampleRate: sampleRate)
            (bands, windowLength, batchSize) = (VoiceEmbedder.bands, embedder.windowLength, 16)
            measure = { embedder.melPowers(centredIn: $0, into: $1) }
            embed = { VoiceEmbedder.embed($0) }
        }
    }
}
