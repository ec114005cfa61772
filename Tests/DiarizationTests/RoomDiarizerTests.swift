import Foundation
import Testing
@testable import TalkBalanceCore
import TalkBalanceDSP
import TalkBalanceEval

/// Deterministic pseudo-random numbers for the tests.
struct TestRandom {
    var state: UInt64
    mutating func uniform() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    mutating func gaussian() -> Double {
        let u = max(1e-12, uniform()), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

@Suite struct RoomDiarizerClusteringTests {
    @Test("average-linkage cosine clustering separates Gaussian blobs", arguments: [2, 3, 4])
    func blobs(clusters: Int) {
        var rng = TestRandom(state: UInt64(clusters))
        let dim = 8
        let centres = (0..<clusters).map { _ in (0..<dim).map { _ in 3 * rng.gaussian() } }
        var items: [[Double]] = [], truth: [Int] = []
        for i in 0..<(40 * clusters) {
            let c = (i * 7) % clusters
            truth.append(c)
            items.append(centres[c].map { $0 + 0.5 * rng.gaussian() })
        }
        let labels = RoomDiarizer.clusterCosine(items, clusters: clusters)
        #expect(Set(labels).count == clusters)
        // Same cluster in truth <=> same cluster found.
        for i in items.indices { for j in items.indices where j > i { #expect((truth[i] == truth[j]) == (labels[i] == labels[j])) } }
        // The subsampled path (more items than maxItems) agrees.
        let sub = RoomDiarizer.clusterCosine(items, clusters: clusters, maxItems: 25 * clusters)
        for i in items.indices { for j in items.indices where j > i { #expect((truth[i] == truth[j]) == (sub[i] == sub[j])) } }
    }

    /// Unit vectors around a direction (16 numbers): cosine similarity to it about 0.9.
    static func around(_ centre: [Double], rng: inout TestRandom) -> [Double] {
        let v = centre.map { $0 + 0.08 * rng.gaussian() }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }
    static func axis(_ k: Int, _ scale: Double = 1) -> [Double] { (0..<16).map { $0 == k ? scale : 0 } }

    @Test("same-voice merge: two registers of one voice become one, two voices stay two")
    func sameVoiceMerge() {
        var rng = TestRandom(state: 7)
        // Voice a in two registers (cosine 0.74 between them), voice b at right angles to both.
        let a = Self.axis(0), register = zip(Self.axis(0), Self.axis(2, 0.9)).map { $0 + $1 }, b = Self.axis(1)
        var items: [[Double]] = [], truth: [Int] = []
        for i in 0..<60 {
            let which = i % 3
            items.append(Self.around(which == 0 ? a : which == 1 ? register : b, rng: &rng))
            truth.append(which == 2 ? 1 : 0)
        }
        let three = RoomDiarizer.averageLinkage(items, clusters: 3)
        #expect(Set(three).count == 3)
        let merged = RoomDiarizer.mergedSameVoices(items, labels: three, threshold: 0.3)
        #expect(Set(merged).count == 2)
        for i in items.indices { for j in items.indices where j > i { #expect((truth[i] == truth[j]) == (merged[i] == merged[j])) } }
        // Above the registers' similarity nothing is merged; two voices at right angles are not merged.
        #expect(Set(RoomDiarizer.mergedSameVoices(items, labels: three, threshold: 0.95)).count == 3)
        let voices = items.indices.filter { $0 % 3 != 1 }.map { items[$0] }
        let two = RoomDiarizer.averageLinkage(voices, clusters: 2)
        #expect(Set(RoomDiarizer.mergedSameVoices(voices, labels: two, threshold: 0.3)).count == 2)
    }

    @Test("small clusters are not people: two outlying items join a voice, the three voices are found")
    func smallClusters() {
        var rng = TestRandom(state: 11)
        var items: [[Double]] = [], truth: [Int] = []
        for i in 0..<45 { items.append(Self.around(Self.axis(i % 3), rng: &rng)); truth.append(i % 3) }
        // Two items far from every voice (as a window across two voices can be): average linkage merges
        // two voices (at right angles) before it takes them in.
        let away = (0..<16).map { $0 < 3 ? -1.0 : 0 }
        for _ in 0..<2 { items.append(Self.around(away, rng: &rng)); truth.append(-1) }
        let plain = RoomDiarizer.averageLinkage(items, clusters: 3)
        let sizes = Dictionary(grouping: plain, by: { $0 }).mapValues(\.count).values.sorted()
        #expect(sizes == [2, 15, 30], "the two outliers are a cluster of their own, two voices one: \(sizes)")
        let kept = RoomDiarizer.withoutSmallClusters(items, labels: plain, speakers: 3, minimum: 3)
        #expect(Set(kept).count == 3)
        for i in 0..<45 { for j in 0..<45 where j > i { #expect((truth[i] == truth[j]) == (kept[i] == kept[j])) } }
        // Never reached (no clustering into up to 11 has three of 30 items or more): the labels as they were.
        #expect(RoomDiarizer.withoutSmallClusters(items, labels: plain, speakers: 3, minimum: 30) == plain)
    }

    @Test("GLR clustering separates Gaussian sources from their statistics")
    func glr() {
        var rng = TestRandom(state: 7)
        let d = 6
        let means: [[Double]] = [[2, 0, 0, 1, 0, 0], [-2, 1, 0, 0, 0, 1], [0, -2, 2, 0, 1, 0]]
        var n: [Double] = [], s1: [[Double]] = [], s2: [[Double]] = [], truth: [Int] = []
        for w in 0..<45 {
            let c = w % 3
            truth.append(c)
            var a = [Double](repeating: 0, count: d), q = [Double](repeating: 0, count: d)
            for _ in 0..<100 { for i in 0..<d { let x = means[c][i] + rng.gaussian(); a[i] += x; q[i] += x * x } }
            n.append(100); s1.append(a); s2.append(q)
        }
        let labels = RoomDiarizer.clusterGLR(n: n, s1: s1, s2: s2, clusters: 3, bicLambda: nil, maxItems: 1200)
        for i in truth.indices { for j in truth.indices where j > i { #expect((truth[i] == truth[j]) == (labels[i] == labels[j])) } }
    }

    @Test("Viterbi keeps a speaker through a weak contrary block, switches on a long one")
    func viterbi() {
        // Two states; block scores favour state 1 only in block 3 (weakly) and blocks 6...9 (strongly).
        var score: [Double] = []
        for b in 0..<10 {
            let favour1 = b == 3 ? 10.0 : (b >= 6 ? 50.0 : -30.0)
            score += [0, favour1]
        }
        let path = RoomDiarizer.viterbi(score: score, blocks: 10, states: 2, penalty: 40)
        #expect(path == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    }

    /// `embeddingPriorPerFrame`: one feature, two unit-variance Gaussians at -1 and +1, blocks of 20 frames
    /// at -1, -1, +0.3, +1, -1; the voice network's clustering gave every block person 0. Block 2 favours
    /// person 1 by 2 x 0.3 x 20 = 12 (natural log), less than the prior's 1 x 20: it stays with person 0.
    /// Block 3 favours person 1 by 40, more than the prior: it moves. Without the prior both move.
    @Test("re-segmentation with the clustering's prior: a block moves only where the cepstra are surer")
    func decodeWithPrior() {
        let store = BlockStore(dims: 1)
        for (b, x) in [Float(-1), -1, 0.3, 1, -1].enumerated() {
            store.append(start: b * 20)
            for _ in 0..<20 { [x].withUnsafeBufferPointer { store.addFrame($0, first: 0) } }
        }
        let models = [DiagonalGaussian(mean: [-1], variance: [1]), DiagonalGaussian(mean: [1], variance: [1])]
        let stats = BlockReader(store)
        let held = RoomDiarizer.decode(stats: stats, dims: 1, models: models, penalty: 0, prior: ([0, 0, 0, 0, 0], [1, 1, 1, 1, 1]))
        #expect(held == [0, 0, 0, 1, 0])
        let free = RoomDiarizer.decode(stats: stats, dims: 1, models: models, penalty: 0)
        #expect(free == [0, 0, 1, 1, 0])
        // A prior for person 1 where the cepstra favour person 0 by 40: the cepstra win.
        #expect(RoomDiarizer.decode(stats: stats, dims: 1, models: models, penalty: 0, prior: ([1, 0, 0, 0, 0], [1, 1, 1, 1, 1])) == [0, 0, 0, 1, 0])
        // No weight where the clustering was unsure of block 2: it moves.
        #expect(RoomDiarizer.decode(stats: stats, dims: 1, models: models, penalty: 0, prior: ([0, 0, 0, 0, 0], [1, 1, 0, 1, 1])) == [0, 0, 1, 1, 0])
    }

    /// `clusterMargins`: two tight clusters of unit vectors and one item halfway between them (put in the
    /// first): the tight items' margins are large, the halfway item's about 0.
    @Test("cluster margins: large for items deep in their cluster, about 0 halfway between two")
    func margins() {
        func unit(_ angle: Double) -> [Double] { [cos(angle), sin(angle)] }
        let units = [unit(0), unit(0.05), unit(-0.05), unit(Double.pi / 2), unit(Double.pi / 2 + 0.05), unit(Double.pi / 4)]
        let m = RoomDiarizer.clusterMargins(units, labels: [0, 0, 0, 1, 1, 0])
        for i in 0..<5 { #expect(m[i] > 0.5, "item \(i): \(m[i])") }
        #expect(abs(m[5]) < 0.1, "halfway: \(m[5])")
    }
}

@Suite struct RoomDiarizerSignalTests {
    /// Two synthetic "voices": harmonic complexes with different pitch and spectral tilt/formants.
    static func voice(_ which: Int, count: Int, phase: Int, rng: inout TestRandom) -> [Float] {
        let f0 = which == 0 ? 115.0 : 230.0
        let formant = which == 0 ? [500.0, 1500.0] : [900.0, 2600.0]
        var out = [Float](repeating: 0, count: count)
        for h in 1...30 {
            let f = f0 * Double(h)
            if f > 4000 { break }
            let gain = formant.reduce(0.0) { $0 + 1 / (1 + pow((f - $1) / 200, 2)) } + 0.02
            for i in 0..<count {
                out[i] += Float(0.1 * gain * sin(2 * Double.pi * f * Double(i + phase) / 16000))
            }
        }
        for i in 0..<count { out[i] += Float(0.003 * rng.gaussian()) }
        return out
    }

    @Test("alternating synthetic voices are split correctly, labelled in order of first appearance")
    func alternating() {
        let geometry = FrameGeometry(sampleRate: 16000)
        let mfcc = MelCepstrum(geometry: geometry)
        var rng = TestRandom(state: 3)
        // Turns: voice 1 first, lengths 1.2-2.5 s, 0.3 s silences; 16 turns.
        var samples: [Float] = [], truth: [Int8] = []
        for t in 0..<16 {
            let who = t % 2 == 0 ? 1 : (t % 5 == 1 ? 1 : 0)  // not strictly alternating
            let length = 16000 * (12 + (t * 7) % 14) / 10
            samples += Self.voice(who, count: length, phase: samples.count, rng: &rng)
            truth += [Int8](repeating: Int8(who), count: length / 160)
            samples += (0..<4800).map { _ in Float(0.003 * rng.gaussian()) }
            truth += [Int8](repeating: -1, count: 30)
        }
        var diarizer = RoomDiarizer(speakers: 2, framesPerSecond: 100)
        var features = [Float](repeating: 0, count: 13)
        var window = [Float](repeating: 0, count: geometry.windowLength)
        let hop = geometry.hopLength, n = geometry.windowLength
        for k in 0..<truth.count {
            let start = k * hop + hop / 2 - n / 2
            for i in 0..<n { let j = start + i; window[i] = j >= 0 && j < samples.count ? samples[j] : 0 }
            window.withUnsafeBufferPointer { w in features.withUnsafeMutableBufferPointer { mfcc.analyze(samples: w, into: $0) } }
            features.withUnsafeBufferPointer { diarizer.push(features: $0, speech: truth[k] >= 0) }
        }
        let labels = diarizer.finish()
        #expect(labels.count == truth.count)
        #expect(zip(labels, truth).allSatisfy { ($0 < 0) == ($1 < 0) })
        // Voice 1 speaks first, so it must be label 0.
        let mapped = truth.map { $0 < 0 ? Int8(-1) : 1 - $0 }
        let speech = truth.filter { $0 >= 0 }.count
        let wrong = zip(labels, mapped).filter { $0 != $1 }.count
        #expect(Double(wrong) / Double(speech) < 0.02, "\(wrong) of \(speech) speech frames wrong")
    }

    /// `fewerPeopleWeight` (`analyze --max-speakers`): two voices (features drawn from two Gaussians
    /// with different means), one of them shifted in some turns. Asked for exactly 3 people, the shifted
    /// turns become a third; asked for at most 3, a small shift (a register; 1.0-1.5 measured to pass)
    /// is merged back, with the frames right, and a large one (3, a voice of its own) is kept.
    @Test("at most N people: a voice's register is merged back, a third voice is not", arguments: [(1.2, 2), (3.0, 3)])
    func atMost(shiftBy: Double, people: Int) {
        var rng = TestRandom(state: 5)
        var options = RoomDiarizer.Options()
        options.fewerPeopleWeight = RoomDiarizer.Options.atMostWeight
        var atMost = RoomDiarizer(speakers: 3, framesPerSecond: 100, options: options)
        var exactly = RoomDiarizer(speakers: 3, framesPerSecond: 100)
        var truth: [Int8] = []
        for t in 0..<20 {
            let who = Int8(t % 3 == 2 ? 0 : t % 2)
            // Voice 0 shifts a little in some turns (a register): enough for exactly three people to
            // split it, too little to be a person of its own.
            let shift = who == 0 && t % 4 == 1 ? shiftBy : 0
            for _ in 0..<(150 + (t * 37) % 100) {
                let features = (0..<13).map { i in
                    Float((who == 0 ? 0.8 : -0.8) * Double(i % 2 == 0 ? 1 : -1) + (i >= 1 && i <= 4 ? shift : 0) + rng.gaussian())
                }
                atMost.push(features: features, speech: true)
                exactly.push(features: features, speech: true)
                truth.append(who)
            }
            for _ in 0..<30 {
                let quiet = (0..<13).map { _ in Float(rng.gaussian()) }
                atMost.push(features: quiet, speech: false)
                exactly.push(features: quiet, speech: false)
                truth.append(-1)
            }
        }
        let found = atMost.finishBlocks()
        #expect(found.peopleFound == people)
        #expect(exactly.finishBlocks().peopleFound == 3)
        guard people == 2 else { return }
        let labels = found.perFrame
        let first = truth.first { $0 >= 0 }!
        let mapped = truth.map { $0 < 0 ? Int8(-1) : ($0 == first ? 0 : 1) }
        let speech = truth.filter { $0 >= 0 }.count
        let wrong = zip(labels, mapped).filter { $0 != $1 }.count
        #expect(Double(wrong) / Double(speech) < 0.02, "\(wrong) of \(speech) speech frames wrong")
    }

    /// Labels over blocks of the given (start frame, frame count, person).
    static func labels(_ blocks: [(Int, Int, Int8)]) -> RoomDiarizer.Labels {
        let store = BlockStore(dims: 1)
        for (start, frames, _) in blocks {
            store.append(start: start)
            for _ in 0..<frames { [Float](repeating: 0, count: 2).withUnsafeBufferPointer { store.addFrame($0, first: 1) } }
        }
        let end = blocks.last.map { $0.0 + $0.1 } ?? 0
        return RoomDiarizer.Labels(frameCount: end, store: store, blockLabels: blocks.map(\.2))
    }

    @Test("a short run of another voice with no silence around it, inside one person's speech: that person goes on underneath")
    func underlying() {
        // Person 0 for 1 s, person 1 for 0.6 s (three blocks), person 0 again: 1 is said over 0.
        let inside = Self.labels([(0, 20, 0), (20, 20, 0), (40, 20, 1), (60, 20, 1), (80, 20, 1), (100, 20, 0), (120, 20, 0)])
        #expect(inside.underlying(maxFrames: 100) == [-1, -1, 0, 0, 0, -1, -1])
        // Longer than the limit: a turn of its own.
        #expect(inside.underlying(maxFrames: 59) == [Int8](repeating: -1, count: 7))
        // A pause before or after it: the holder stopped.
        let pause = Self.labels([(0, 20, 0), (30, 20, 1), (50, 20, 0)])
        #expect(pause.underlying(maxFrames: 100) == [-1, -1, -1])
        let pauseAfter = Self.labels([(0, 20, 0), (20, 20, 1), (45, 20, 0)])
        #expect(pauseAfter.underlying(maxFrames: 100) == [-1, -1, -1])
        // Between two other people: nobody holds the floor through it.
        let three = Self.labels([(0, 20, 0), (20, 20, 1), (40, 20, 2)])
        #expect(three.underlying(maxFrames: 100) == [-1, -1, -1])
        // At the start or the end of the speech: no holder on both sides.
        let edge = Self.labels([(0, 20, 1), (20, 20, 0), (40, 20, 0)])
        #expect(edge.underlying(maxFrames: 100) == [-1, -1, -1])
        #expect(Self.labels([]).underlying(maxFrames: 100).isEmpty)
    }

    /// Network classes for a 16 kHz recording of `frames` analysis frames (10 ms): local speaker 1 (class 1)
    /// where `person(k)` is 0, local speaker 2 (class 2) where it is 1, nobody where it is -1.
    static func networkClasses(frames: Int, _ person: (Int) -> Int) -> [UInt8] {
        let geometry = FrameGeometry(sampleRate: 16000)
        var classes = [UInt8](repeating: 0, count: SpeakerSegmenter.framesPerChunk)
        for g in classes.indices {
            let centre = g * SpeakerSegmenter.frameStepSamples + SpeakerSegmenter.frameSpanSamples / 2
            let k = centre / geometry.hopLength
            guard k < frames else { continue }
            let p = person(k)
            classes[g] = p < 0 ? 0 : UInt8(p + 1)
        }
        return classes
    }

    @Test("a change of person with no silence between moves from the block edge to where the network hears it, within its limit")
    func refinedChanges() {
        let geometry = FrameGeometry(sampleRate: 16000)
        let labels = Self.labels([(0, 20, 0), (20, 20, 0), (40, 20, 1), (60, 20, 1)])
        func changes(networkChange: Int, maxShift: Int = 10, underneath: [Int8]? = nil) -> [(frames: Range<Int>, person: Int)] {
            let classes = Self.networkClasses(frames: 80) { $0 < networkChange ? 0 : 1 }
            let personOf = RoomAnalysis.localSpeakerPeople(classes: classes, labels: labels, geometry: geometry, speakers: 2)
            #expect(Array(personOf.prefix(2)) == [0, 1])
            return RoomAnalysis.refinedChanges(classes: classes, labels: labels, geometry: geometry, personOf: personOf,
                                               underneath: underneath, maxShiftFrames: maxShift)
        }
        // The network hears the second person from 0.34 s: the first person's last block gives up 6 frames.
        // Its frames are 16.875 ms, so the change lands within one of them.
        let earlier = changes(networkChange: 34)
        #expect(earlier.count == 1)
        #expect(earlier.first?.person == 1)
        #expect(abs((earlier.first?.frames.lowerBound ?? 0) - 34) <= 1 && earlier.first?.frames.upperBound == 40)
        let later = changes(networkChange: 45)
        #expect(later.count == 1)
        #expect(later.first?.person == 0)
        #expect(later.first?.frames.lowerBound == 40 && abs((later.first?.frames.upperBound ?? 0) - 45) <= 1)
        // Where the network agrees with the edge, nothing moves (but for a frame, its frames' 16.875 ms).
        #expect(changes(networkChange: 40).allSatisfy { $0.frames.count <= 1 })
        // At most maxShift frames, and never the whole of a block.
        #expect(changes(networkChange: 25).first?.frames == 30..<40)
        #expect(changes(networkChange: 25, maxShift: 5).first?.frames == 35..<40)
        #expect(abs((changes(networkChange: 25, maxShift: 15).first?.frames.lowerBound ?? 0) - 25) <= 1)
        #expect(changes(networkChange: 10, maxShift: 30).first?.frames == 21..<40)
        #expect(changes(networkChange: 34, maxShift: 0).isEmpty)
        // A run heard underneath another person's speech keeps its edges.
        #expect(changes(networkChange: 34, underneath: [-1, -1, 0, 0]).isEmpty)
        // Two changes close together do not cross: person 1 speaks one block between two of person 0's and
        // the network hears all of it as person 0 (and person 1 later on). The first change moves to the
        // block's last frame, which stays person 1's; the second cannot move back past it.
        let short = Self.labels([(0, 20, 0), (20, 20, 1), (40, 20, 0), (60, 20, 1)])
        let late = Self.networkClasses(frames: 80) { $0 < 60 ? 0 : 1 }
        let people = RoomAnalysis.localSpeakerPeople(classes: late, labels: short, geometry: geometry, speakers: 2)
        let moved = RoomAnalysis.refinedChanges(classes: late, labels: short, geometry: geometry, personOf: people,
                                                underneath: nil, maxShiftFrames: 30)
        #expect(moved.first?.frames == 20..<39 && moved.first?.person == 0)
        #expect(!moved.contains { $0.frames.contains(39) })
        // A block at the end of a stretch of speech may go whole: a frame of it left alone would be no speech.
        let ending = Self.labels([(0, 20, 0), (20, 20, 0), (40, 20, 1), (70, 20, 1)])
        let heard0 = Self.networkClasses(frames: 90) { $0 < 60 ? 0 : 1 }
        let people0 = RoomAnalysis.localSpeakerPeople(classes: heard0, labels: ending, geometry: geometry, speakers: 2)
        #expect(RoomAnalysis.refinedChanges(classes: heard0, labels: ending, geometry: geometry, personOf: people0,
                                            underneath: nil, maxShiftFrames: 30).first?.frames == 40..<60)
        // Where the network hears one voice for both people in a chunk, it cannot place the change: none moves.
        let oneVoice = Self.networkClasses(frames: 80) { _ in 0 }
        let merged = RoomAnalysis.localSpeakerPeople(classes: oneVoice, labels: labels, geometry: geometry, speakers: 2)
        #expect(RoomAnalysis.refinedChanges(classes: oneVoice, labels: labels, geometry: geometry, personOf: merged,
                                            underneath: nil, maxShiftFrames: 30).isEmpty)
        // A pause between the two people: no change to move.
        let paused = Self.labels([(0, 20, 0), (20, 20, 0), (45, 20, 1)])
        let classes = Self.networkClasses(frames: 65) { $0 < 34 ? 0 : 1 }
        let personOf = RoomAnalysis.localSpeakerPeople(classes: classes, labels: paused, geometry: geometry, speakers: 2)
        #expect(RoomAnalysis.refinedChanges(classes: classes, labels: paused, geometry: geometry, personOf: personOf,
                                            underneath: nil, maxShiftFrames: 10).isEmpty)
    }

    @Test("no speech, one speaker, and label range")
    func edges() {
        var d = RoomDiarizer(speakers: 3, framesPerSecond: 100)
        for _ in 0..<50 { d.push(features: [Float](repeating: 0, count: 13), speech: false) }
        #expect(d.finish() == [Int8](repeating: -1, count: 50))
        var one = RoomDiarizer(speakers: 1, framesPerSecond: 100)
        var rng = TestRandom(state: 1)
        for k in 0..<300 { one.push(features: (0..<13).map { _ in Float(rng.gaussian()) }, speech: k % 50 < 40) }
        let labels = one.finish()
        #expect(labels.enumerated().allSatisfy { $0.element == ($0.offset % 50 < 40 ? 0 : -1) })
        // A few frames of speech with many speakers asked: labels stay within range.
        var few = RoomDiarizer(speakers: 4, framesPerSecond: 100)
        for k in 0..<30 { few.push(features: (0..<13).map { _ in Float(rng.gaussian()) }, speech: k > 25) }
        let f = few.finish()
        #expect(f.allSatisfy { $0 >= -1 && $0 < 4 })
        #expect(f.last! >= 0 && f.first! == -1)
    }
}
