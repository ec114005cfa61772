import Foundation
import Testing
@testable import TalkBalanceCore

/// `BlockStore`: full chunks go to an unlinked 0600 temporary file and read back exactly; the room
/// diarizer gives the same labels whether its blocks spill or not.
@Suite struct BlockStoreTests {
    /// A fresh empty folder for one test's temporary file, removed afterwards by the caller.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("blockstore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }

    /// Appends `blocks` blocks of 1...5 frames of `dims` random features to every store alike (frames
    /// between blocks skipped); returns the expected (start, frames, sums) per block, summed in `Float`
    /// as the store sums.
    static func fill(_ stores: [BlockStore], blocks: Int, dims: Int, seed: UInt64) -> [(Int32, Int32, [Float])] {
        var rng = TestRandom(state: seed)
        var expected: [(Int32, Int32, [Float])] = []
        var frame = 0
        for _ in 0..<blocks {
            frame += Int(rng.uniform() * 3)
            for s in stores { s.append(start: frame) }
            let frames = 1 + Int(rng.uniform() * 5)
            var sums = [Float](repeating: 0, count: 2 * dims)
            for _ in 0..<frames {
                // One feature before the ones kept, as the diarizer skips c0.
                let features = (0...dims).map { _ in Float(3 * rng.gaussian() + 1) }
                for i in 0..<dims { sums[i] += features[1 + i]; sums[dims + i] += features[1 + i] * features[1 + i] }
                features.withUnsafeBufferPointer { f in for s in stores { s.addFrame(f, first: 1) } }
            }
            expected.append((Int32(frame), Int32(frames), sums))
            frame += frames
        }
        return expected
    }

    static func read(_ reader: BlockReader, _ b: Int) -> (Int32, Int32, [Float]) {
        reader.withBlock(b) { frames, sums in (reader.start(b), frames, Array(sums)) }
    }

    static func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    @Test("full chunks spill to an unlinked 0600 file and read back exactly, in any order")
    func spill() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dims = 3
        let spilled = BlockStore(dims: dims, chunkBlocks: 4, directory: dir.path)
        let memory = BlockStore(dims: dims, chunkBlocks: 1000, directory: dir.path)
        let expected = Self.fill([spilled, memory], blocks: 23, dims: dims, seed: 7)
        #expect(spilled.count == 23 && spilled.chunkCount == 6)
        #expect(spilled.spilledChunks == 5, "the five full chunks are in the file")
        #expect(spilled.spillFailure == nil)
        #expect(memory.spilledChunks == 0 && memory.spillFileStatus == nil, "a store that never fills a chunk makes no file")
        // No name in the folder; the open file has no link and mode 0600.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let status = try #require(spilled.spillFileStatus)
        #expect(status.st_nlink == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(Int(status.st_size) == 5 * 4 * (8 + 8 * dims))

        let reader = BlockReader(spilled)
        let order = Array(0..<23) + Array((0..<23).reversed()) + [0, 22, 5, 17, 3, 12, 12, 1]
        for b in order {
            let (start, frames, sums) = Self.read(reader, b)
            #expect(start == expected[b].0 && frames == expected[b].1, "block \(b)")
            #expect(Self.bits(sums) == Self.bits(expected[b].2), "block \(b)")
        }
        // Normalised as read: the same values from the file as from memory.
        let mean = [0.5, -1.0, 2.0], scale = [0.3, 1.7, 0.9]
        let a = BlockReader(spilled, mean: mean, scale: scale), b = BlockReader(memory, mean: mean, scale: scale)
        for k in order { #expect(Self.bits(Self.read(a, k).2) == Self.bits(Self.read(b, k).2), "block \(k)") }
        var visited: [Int] = []
        a.forEach { block, frames, _ in visited.append(block); #expect(frames == expected[block].1) }
        #expect(visited == Array(0..<23))
    }

    @Test("a copy holds the same blocks and grows on its own")
    func copy() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = BlockStore(dims: 2, chunkBlocks: 3, directory: dir.path)
        let expected = Self.fill([store], blocks: 10, dims: 2, seed: 3)
        let other = store.copy()
        _ = Self.fill([other], blocks: 5, dims: 2, seed: 4)
        #expect(store.count == 10 && other.count == 15)
        let r = BlockReader(store), o = BlockReader(other)
        for b in 0..<10 {
            #expect(Self.bits(Self.read(r, b).2) == Self.bits(expected[b].2))
            #expect(Self.bits(Self.read(o, b).2) == Self.bits(expected[b].2))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("no temporary file possible: the chunks stay in memory, the same values, and the store says why")
    func fallback() {
        let store = BlockStore(dims: 2, chunkBlocks: 2, directory: "/nonexistent-talkbalance-folder")
        let expected = Self.fill([store], blocks: 9, dims: 2, seed: 5)
        guard case .create(let directory, _, let code)? = store.spillFailure else {
            Issue.record("expected a creation failure, got \(String(describing: store.spillFailure))")
            return
        }
        #expect(directory == "/nonexistent-talkbalance-folder" && code == ENOENT)
        #expect(store.spilledChunks == 0)
        let reader = BlockReader(store)
        for b in (0..<9).reversed() {
            let (start, frames, sums) = Self.read(reader, b)
            #expect(start == expected[b].0 && frames == expected[b].1 && Self.bits(sums) == Self.bits(expected[b].2))
        }
    }

    /// Voice v's mean of feature i.
    static func mean(_ v: Int, _ i: Int) -> Double {
        let k: Int = (i * 7 + v * 5) % 11
        return Double(k) / 3 - 1.5
    }

    /// Two voices in turns, 13 features per frame, with silences.
    static func session(_ d: inout RoomDiarizer, seed: UInt64) {
        var rng = TestRandom(state: seed)
        let means: [[Double]] = (0..<2).map { v in (0..<13).map { i in mean(v, i) } }
        for t in 0..<30 {
            let v = t % 2
            for _ in 0..<(60 + Int(rng.uniform() * 150)) {
                d.push(features: means[v].map { Float($0 + 0.8 * rng.gaussian()) }, speech: rng.uniform() > 0.07)
            }
            for _ in 0..<25 { d.push(features: [Float](repeating: 0, count: 13), speech: false) }
        }
    }

    @Test("the diarizer's labels do not depend on how its blocks are chunked or spilled",
          arguments: RoomDiarizer.Options.EnrolmentUse.allCases)
    func diarizerSpills(use: RoomDiarizer.Options.EnrolmentUse) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = RoomDiarizer.Options()
        options.enrolmentUse = use
        var plain = RoomDiarizer(speakers: 3, framesPerSecond: 100, options: options)
        var spilling = RoomDiarizer(speakers: 3, framesPerSecond: 100, options: options, chunkBlocks: 3, spillDirectory: dir.path)
        Self.session(&plain, seed: 11)
        Self.session(&spilling, seed: 11)
        // An enrolled voice: frames like the session's first voice.
        var rng = TestRandom(state: 12)
        var voice = VoiceStatistics(coefficients: 13, sampleRate: 16000)
        for _ in 0..<300 {
            let features: [Float] = (0..<13).map { i in Float(Self.mean(0, i) + 0.8 * rng.gaussian()) }
            voice.add(features: features, hopSamples: 160)
        }
        var copy = spilling  // shares the store: finishing both must not disturb either
        let expected = plain.finish(enrolled: [voice])
        #expect(expected.contains(1) && expected.contains(-1))
        #expect(spilling.finish(enrolled: [voice]) == expected)
        #expect(copy.finishBlocks(enrolled: [voice]).perFrame == expected)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// The per-frame renumbering `RoomAnalysis.relabel` did before it went by blocks.
    static func relabelPerFrame(_ labels: inout [Int8], like segments: [SpeechSegment], speakers: Int, hop: Int) {
        var common = [Int](repeating: 0, count: speakers * speakers)
        for seg in segments where seg.speaker >= 0 && seg.speaker < speakers {
            let first = max(0, seg.startSample / hop), end = min(labels.count, (seg.endSample + hop - 1) / hop)
            guard first < end else { continue }
            for k in first..<end where labels[k] >= 0 { common[Int(labels[k]) * speakers + seg.speaker] += 1 }
        }
        let best = BestAssignment.solve((0..<speakers).map { i in (0..<speakers).map { Double(common[i * speakers + $0]) } })
        for k in labels.indices where labels[k] >= 0 { labels[k] = Int8(best[Int(labels[k])]) }
    }

    @Test("renumbering like another analysis by blocks matches the per-frame renumbering", arguments: [21, 22, 23, 24])
    func relabelByBlocks(seed: Int) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var d = RoomDiarizer(speakers: 3, framesPerSecond: 100, chunkBlocks: 5, spillDirectory: dir.path)
        Self.session(&d, seed: UInt64(seed))
        var labels = d.finishBlocks()
        var perFrame = labels.perFrame
        // Overlapping segments of random speakers (some out of range), in no particular order.
        var rng = TestRandom(state: UInt64(seed))
        let hop = 160
        let segments = (0..<40).map { _ -> SpeechSegment in
            let start = Int(rng.uniform() * Double(labels.frameCount * hop + 500)) - 200
            return SpeechSegment(speaker: Int(rng.uniform() * 4), startSample: start, endSample: start + Int(rng.uniform() * 300 * Double(hop)))
        }
        Self.relabelPerFrame(&perFrame, like: segments, speakers: 3, hop: hop)
        RoomAnalysis.relabel(&labels, like: segments, speakers: 3, hop: hop)
        #expect(labels.perFrame == perFrame)
    }
}
