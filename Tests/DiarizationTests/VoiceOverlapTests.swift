import Foundation
import Testing
@testable import TalkBalanceCore

/// `VoiceOverlapFinder` and its parts on synthetic log-mel frames, where the truth is known exactly.
@Suite struct VoiceOverlapTests {
    /// Deterministic noise in [-1, 1).
    struct Noise {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    /// Two voices over 32 bands: A loud in the low half, B in the high half, each with two "phonemes"
    /// (a second envelope) and noise.
    static func frame(_ voice: Int, _ k: Int, _ noise: inout Noise) -> [Float] {
        (0..<32).map { b in
            let low = b < 16
            let phoneme = (k / 7) % 2 == 0 ? Float(0) : Float(b % 4) * 0.8
            let level: Float = (voice == 0) == low ? 6 : 0
            return level + phoneme + 0.6 * noise.next()
        }
    }

    @Test("the table of log Phi(z) agrees with erfc")
    func logNormalCDF() {
        for z in stride(from: -20.0, through: 10.0, by: 0.37) {
            let exact = z < -30 ? -0.5 * z * z : log(0.5 * erfc(-z / 2.0.squareRoot()))
            #expect(abs(Double(LogNormalCDF.value(Float(z))) - exact) < 2e-3 * max(1, abs(exact)), "z \(z)")
        }
        for d in stride(from: 0.0, through: 20.0, by: 0.29) {
            #expect(abs(Double(SoftplusTail.value(Float(d))) - log1p(exp(-d))) < 1e-3, "d \(d)")
        }
    }

    @Test("EM finds the two envelopes of one voice")
    func mixture() {
        var noise = Noise(state: 1)
        var frames: [Float] = []
        for k in 0..<2000 { frames += Self.frame(0, k, &noise) }
        let m = VoiceMixture(frames: frames, dimensions: 32, components: 2)
        #expect(m.components == 2)
        // One component per envelope: their means differ by the phoneme pattern in band 3 (2.4).
        let band3 = [m.means[3], m.means[32 + 3]].sorted()
        #expect(abs(band3[0] - 6) < 0.2 && abs(band3[1] - 8.4) < 0.2, "\(band3)")
        #expect(m.logWeights.allSatisfy { abs(exp($0) - 0.5) < 0.1 })
    }

    /// A stretch where B speaks under A (each band the louder of the two) is found, with B as the one
    /// underneath, and A alone is not.
    @Test("frames where two voices sound at once are found, and frames of one are not")
    func findsTheMixture() {
        var noise = Noise(state: 7)
        var finder = VoiceOverlapFinder(people: 2)
        // Training: 1000 frames of each voice alone.
        for person in 0..<2 {
            for k in 0..<1000 { Self.frame(person, k, &noise).withUnsafeBufferPointer { finder.collect($0, person: person) } }
        }
        finder.train()
        #expect(finder.canScore)
        // The session: A alone (frames 0..<300), A with B underneath (300..<400), A alone (400..<700),
        // all labelled A.
        for k in 0..<700 {
            var x = Self.frame(0, k, &noise)
            if (300..<400).contains(k) {
                let b = Self.frame(1, k + 5, &noise)
                for i in x.indices { x[i] = max(x[i], b[i]) }
            }
            x.withUnsafeBufferPointer { finder.score($0, person: 0) }
        }
        finder.finish()
        let found = finder.runs
        #expect(found.allSatisfy { $0.person == 1 })
        let frames = Set(found.flatMap { Array($0.frames) })
        let truth = Set(300..<400)
        #expect(Double(frames.intersection(truth).count) >= 0.8 * Double(truth.count), "\(found)")
        #expect(frames.subtracting(truth).count <= 25, "\(found)")
    }

    /// The live version on a stream of labelled frames: A alone, then B alone (models once both have said
    /// 5 s), then A with B underneath, and B underneath A up to shortly before B's own turn.
    @Test("live: every frame comes out once, in order, after the delay; B is found underneath A and reaches B's turn")
    func live() {
        var noise = Noise(state: 11)
        var overlap = LiveVoiceOverlap(people: 2)
        var out: [(person: Int8, under: Int8)] = []
        // (frames, person labelled, voice underneath)
        let plan: [(Range<Int>, Int, Int)] = [(0..<600, 0, -1), (600..<1200, 1, -1), (1200..<1700, 0, -1), (1700..<1800, 0, 1),
                                              (1800..<2300, 0, -1), (2300..<2380, 0, 1), (2380..<2395, 0, -1), (2395..<2600, 1, -1),
                                              (2600..<2700, -1, -1)]
        for (frames, person, under) in plan {
            for k in frames {
                var x = person >= 0 ? Self.frame(person, k, &noise) : (0..<32).map { _ in 0.6 * noise.next() }
                if under >= 0 {
                    let b = Self.frame(under, k + 5, &noise)
                    for i in x.indices { x[i] = max(x[i], b[i]) }
                }
                x.withUnsafeBufferPointer { overlap.push($0, person: person) }
                overlap.take { out.append(($0, $1)) }
                #expect(out.count <= k + 1 - overlap.delayFrames || out.count == 0 || k < overlap.delayFrames,
                        "frame \(k) out before \(overlap.delayFrames) frames followed it")
            }
        }
        overlap.finish()
        overlap.take { out.append(($0, $1)) }
        #expect(out.count == 2700)
        #expect(plan.allSatisfy { frames, person, _ in frames.allSatisfy { out[$0].person == Int8(person) } })
        // Models once both said 500 frames alone: the first check after frame 1100.
        #expect(overlap.firstScoredFrame == 1500)
        let flagged = Set(out.indices.filter { out[$0].under == 1 })
        #expect(out.allSatisfy { $0.under != 0 })
        let truth = Set(1700..<1800)
        #expect(Double(flagged.intersection(truth).count) >= 0.8 * Double(truth.count), "\(flagged.sorted())")
        // The run under A at the end of A's turn reaches B's own speech.
        #expect((2385..<2395).allSatisfy { flagged.contains($0) }, "\(flagged.filter { $0 >= 2300 }.sorted())")
        #expect(flagged.subtracting(truth).subtracting(2300..<2395).count <= 25, "\(flagged.sorted())")
    }

    @Test("with one person modelled there is nothing to score")
    func onePerson() {
        var noise = Noise(state: 3)
        var finder = VoiceOverlapFinder(people: 2)
        for k in 0..<1000 { Self.frame(0, k, &noise).withUnsafeBufferPointer { finder.collect($0, person: 0) } }
        for k in 0..<100 { Self.frame(1, k, &noise).withUnsafeBufferPointer { finder.collect($0, person: 1) } }
        finder.train()
        #expect(!finder.canScore, "the second person said 1 s alone, under the 5 s a model needs")
    }
}
