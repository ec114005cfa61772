/// A streaming analysis the live command (and `analyze`) can drive: interleaved audio blocks in, a
/// conversation analysis, marks, the meter's state and finally a session result out. One microphone
/// per person (`SessionAnalyzer`) and one microphone for the room (`RoomSessionAnalyzer`) both conform.
/// Not thread-safe: feed it from one task.
public protocol StreamingSessionAnalysis: AnyObject {
    /// The format of the audio fed in (channels as captured).
    var format: StreamFormat { get }
    /// One name per person.
    var labels: [String] { get }
    /// Samples per channel fed so far.
    var samplesProcessed: Int { get }
    /// How far (in samples of audio) final decisions lag behind the newest sample fed.
    var decisionLatencySamples: Int { get }
    var conversation: ConversationAnalyzer { get }
    var marks: [Mark] { get }
    /// Records a mark at the current position of the stream.
    func mark(_ kind: Mark.Kind, person: Int?)
    func liveState(cueSeconds: Double, lostSeconds: Double) -> LiveState
    /// Feeds interleaved samples (a whole number of sample frames).
    func process(interleaved samples: UnsafeBufferPointer<Float>)
    func drainEvents() -> ArraySlice<ConversationEvent>
    /// Ends the stream and returns the result (idempotent).
    func finish() -> SessionResult
}

extension StreamingSessionAnalysis {
    public func mark(_ kind: Mark.Kind) { mark(kind, person: nil) }
    public func process(_ block: AudioBlock) {
        block.samples.withUnsafeBufferPointer { process(interleaved: UnsafeBufferPointer(rebasing: $0[0..<(block.frameCount * block.channelCount)])) }
    }
    public func liveState(lostSeconds: Double = 0) -> LiveState { liveState(cueSeconds: 10, lostSeconds: lostSeconds) }
}
