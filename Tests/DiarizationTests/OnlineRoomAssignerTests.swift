import Foundation
import Testing
@testable import TalkBalanceCore

/// The online assigner on synthetic feature streams (no audio): each "voice" is a Gaussian cloud of
/// 13 cepstra around its own centre, scattered per frame far more than the centres differ (as phonetic
/// content scatters real cepstra), so only a window of frames tells voices apart.
@Suite struct OnlineRoomAssignerTests {
    struct Stream {
        var rng: TestRandom
        let centres: [[Double]]
        var frames: [(features: [Float], speech: Bool, truth: Int)] = []

        init(voices: Int, seed: UInt64 = 11) {
            var r = TestRandom(state: seed)
            var c: [[Double]] = []
            for _ in 0..<voices { c.append((0..<13).map { _ in 0.8 * r.gaussian() }) }
            centres = c
            rng = r
        }

        mutating func speak(_ voice: Int, frames count: Int) {
            for _ in 0..<count {
                frames.append((centres[voice].map { Float($0 + 1.5 * rng.gaussian()) }, true, voice))
            }
        }

        mutating func silence(frames count: Int) {
            for _ in 0..<count { frames.append(((0..<13).map { _ in Float(rng.gaussian()) }, false, -1)) }
        }
    }

    /// Runs the stream (with enrolment keys at frames), returns a label per frame.
    static func run(_ stream: Stream, speakers: Int, keys: [(frame: Int, person: Int)] = [],
                    checkLatency: Bool = false) -> [Int8] {
        var assigner = OnlineRoomAssigner(speakers: speakers)
        var labels: [Int8] = []
        for (k, f) in stream.frames.enumerated() {
            for key in keys where key.frame == k { assigner.enrol(person: key.person, atFrame: k) }
            assigner.push(features: f.features, speech: f.speech)
            assigner.takeLabels { labels.append($0) }
            if checkLatency {
                // Every frame is labelled at most one block (0.2 s) after it arrives.
                #expect(labels.count >= k + 1 - assigner.options.blockFrames)
                #expect(assigner.framesPending < assigner.options.blockFrames)
            }
        }
        assigner.finish()
        assigner.takeLabels { labels.append($0) }
        return labels
    }

    /// Share of the speech frames in `range` labelled `expected`.
    static func agreement(_ labels: [Int8], _ stream: Stream, _ range: Range<Int>, map: [Int]) -> Double {
        var speech = 0, right = 0
        for k in range where stream.frames[k].speech {
            speech += 1
            if labels[k] == Int8(map[stream.frames[k].truth]) { right += 1 }
        }
        return speech == 0 ? 1 : Double(right) / Double(speech)
    }

    @Test("people are labelled in order of first appearance, within 0.2 s, and silence stays -1")
    func firstAppearance() {
        var s = Stream(voices: 3)
        s.silence(frames: 50)
        s.speak(2, frames: 500)      // voice 2 first: it is person 0
        s.silence(frames: 30)
        s.speak(0, frames: 500)      // then voice 0: person 1
        s.silence(frames: 30)
        let later = s.frames.count
        for turn in 0..<6 {
            s.speak(turn % 2 == 0 ? 2 : 0, frames: 300)
            s.silence(frames: 25)
        }
        let labels = Self.run(s, speakers: 2, checkLatency: true)
        #expect(labels.count == s.frames.count)
        #expect(zip(labels, s.frames).allSatisfy { ($0 < 0) == !$1.speech })
        let map = [1, -9, 0]
        #expect(Self.agreement(labels, s, 0..<580, map: map) == 1)
        // The second voice is recognised as new within its first 3 s (novelty needs evidence).
        #expect(Self.agreement(labels, s, 880..<1080, map: map) > 0.95)
        #expect(Self.agreement(labels, s, later..<s.frames.count, map: map) > 0.95)
        // Stable: no more label changes than turns, plus a few.
        var changes = 0, previous: Int8 = -1
        for l in labels where l >= 0 { if previous >= 0 && l != previous { changes += 1 }; previous = l }
        #expect(changes <= 7 + 2, "\(changes) label changes for 7 true changes")
    }

    @Test("after a long silence the same voices keep their labels (no swap)")
    func noSwapAfterSilence() {
        var s = Stream(voices: 2, seed: 5)
        for turn in 0..<6 {
            s.speak(turn % 2, frames: 400)
            s.silence(frames: 30)
        }
        s.silence(frames: 12_000)    // two minutes of nothing
        let after = s.frames.count
        s.speak(1, frames: 400)      // the second voice speaks first after the pause
        s.silence(frames: 30)
        s.speak(0, frames: 400)
        let labels = Self.run(s, speakers: 2)
        #expect(Self.agreement(labels, s, after..<s.frames.count, map: [0, 1]) > 0.95)
    }

    @Test("an enrolment key names the voice speaking: the right person from the start, swapped if needed")
    func enrolment() {
        // Voice 1 speaks first; the facilitator says it is person 2 (index 1), then that voice 0 is
        // person 1 (index 0) and voice 2 person 3 (index 2).
        var s = Stream(voices: 3, seed: 9)
        s.speak(1, frames: 300)
        s.silence(frames: 30)
        s.speak(0, frames: 300)
        s.silence(frames: 30)
        s.speak(2, frames: 300)
        s.silence(frames: 30)
        let later = s.frames.count
        for turn in 0..<9 {
            s.speak([1, 0, 2][turn % 3], frames: 250)
            s.silence(frames: 25)
        }
        let keys = [(frame: 150, person: 1), (frame: 480, person: 0), (frame: 810, person: 2)]
        let labels = Self.run(s, speakers: 3, keys: keys)
        let map = [0, 1, 2]
        // From each key on, that voice carries the enrolled label.
        #expect(Self.agreement(labels, s, 150..<300, map: map) == 1)
        #expect(Self.agreement(labels, s, 480..<630, map: map) == 1)
        #expect(Self.agreement(labels, s, 810..<960, map: map) == 1)
        // Three voices, turns of 2.5 s: the first block or two after a change can still go wrong.
        #expect(Self.agreement(labels, s, later..<s.frames.count, map: map) > 0.9)
        // Before its key, voice 1 had been given person 0 (first appearance): the key swapped it.
        #expect(labels[0] == 0)
        var assigner = OnlineRoomAssigner(speakers: 3)
        #expect(assigner.enrolledPeople == [false, false, false])
        for (k, f) in s.frames.prefix(400).enumerated() {
            if k == 150 { assigner.enrol(person: 1, atFrame: k) }
            assigner.push(features: f.features, speech: f.speech)
        }
        #expect(assigner.enrolledPeople == [false, true, false])
        #expect(assigner.enrolments.map(\.person) == [1])
    }

    /// `live --enroll NAME=FILE`: each person enrolled from a recording of their own voice before the
    /// session is named from their first word, whoever speaks first; a person not enrolled is found
    /// as new and gets the free label.
    @Test("voices enrolled from their own recordings are named from the start; the one not enrolled is found")
    func enrolledFromRecordings() {
        var clips = Stream(voices: 3, seed: 17)
        // Each clip: 5 s of one voice with a pause in the middle (the frames' index jumps there).
        var clip: [(features: [Float], frames: [Int])] = []
        for voice in 0..<2 {
            clips.frames = []
            clips.speak(voice, frames: 500)
            clip.append((clips.frames.flatMap(\.features), (0..<500).map { $0 < 250 ? $0 : $0 + 40 }))
        }
        var s = clips
        s.frames = []
        // Voice 1 first, then 0, then the third voice (not enrolled), then turns.
        for voice in [1, 0, 2, 1, 2, 0, 1, 0, 2] { s.speak(voice, frames: 300); s.silence(frames: 30) }
        var assigner = OnlineRoomAssigner(speakers: 3)
        // Voice 0 is enrolled as person 2 (index 1), voice 1 as person 3 (index 2).
        assigner.enrol(person: 1, features: clip[0].features, featureCount: 13, frames: clip[0].frames)
        assigner.enrol(person: 2, features: clip[1].features, featureCount: 13, frames: clip[1].frames)
        #expect(assigner.enrolledPeople == [false, true, true])
        #expect(assigner.knownPeople == [false, true, true])
        var labels: [Int8] = []
        for f in s.frames {
            assigner.push(features: f.features, speech: f.speech)
            assigner.takeLabels { labels.append($0) }
        }
        assigner.finish()
        assigner.takeLabels { labels.append($0) }
        let map = [1, 2, 0]
        // The first voice heard carries its enrolled label from its first block.
        #expect(Self.agreement(labels, s, 0..<300, map: map) == 1)
        #expect(Self.agreement(labels, s, 330..<630, map: map) == 1)
        // The third voice is new: it takes the free label about 2 s in (the split test's windows).
        #expect(Self.agreement(labels, s, 660..<960, map: map) > 0.3)
        #expect(Self.agreement(labels, s, 990..<s.frames.count, map: map) > 0.9)
    }

    @Test("a key pressed in silence takes the next speech; one person, and all silence")
    func edges() {
        var s = Stream(voices: 2, seed: 3)
        s.silence(frames: 300)
        s.speak(1, frames: 300)
        s.silence(frames: 30)
        s.speak(0, frames: 300)
        let labels = Self.run(s, speakers: 2, keys: [(frame: 100, person: 1)])
        #expect(Self.agreement(labels, s, 300..<600, map: [0, 1]) == 1)
        var quiet = Stream(voices: 1)
        quiet.silence(frames: 200)
        #expect(Self.run(quiet, speakers: 3) == [Int8](repeating: -1, count: 200))
        var one = Stream(voices: 1)
        for _ in 0..<5 { one.speak(0, frames: 200); one.silence(frames: 40) }
        #expect(Self.run(one, speakers: 1).allSatisfy { $0 <= 0 })
    }
    /// `retrain` replaces the people's models with ones built from the given labelling: told that the
    /// first voice's speech is person 1 and the second's person 0 (the opposite of what the assigner
    /// found), it labels the voices the other way round from then on.
    @Test("retraining from another labelling takes over the models")
    func retrainTakesOver() {
        var stream = Stream(voices: 2, seed: 29)
        for _ in 0..<4 { stream.speak(0, frames: 400); stream.silence(frames: 40); stream.speak(1, frames: 400); stream.silence(frames: 40) }
        var assigner = OnlineRoomAssigner(speakers: 2)
        var labels: [Int8] = []
        for f in stream.frames {
            assigner.push(features: f.features, speech: f.speech)
            assigner.takeLabels { labels.append($0) }
        }
        let before = Self.agreement(labels, stream, 0..<labels.count, map: [0, 1])
        #expect(before > 0.9, "the assigner itself found the voices: \(before)")
        // Retrain with the voices swapped (pauses break the windows).
        var features: [Float] = [], swapped: [Int8] = []
        for f in stream.frames {
            features += f.features
            swapped.append(f.speech ? Int8(1 - f.truth) : -1)
        }
        assigner.retrain(features: features, featureCount: 13, labels: swapped)
        var after: [Int8] = []
        var next = stream
        next.frames = []
        next.silence(frames: 40)
        for _ in 0..<2 { next.speak(0, frames: 400); next.silence(frames: 40); next.speak(1, frames: 400); next.silence(frames: 40) }
        for f in next.frames {
            assigner.push(features: f.features, speech: f.speech)
            assigner.takeLabels { after.append($0) }
        }
        assigner.finish()
        assigner.takeLabels { after.append($0) }
        let flipped = Self.agreement(after, next, 0..<after.count, map: [1, 0])
        #expect(flipped > 0.8, "after retraining, voice 0 is person 1: \(flipped)")
    }
}
