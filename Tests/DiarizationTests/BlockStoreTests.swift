import Foundation
import Testing
@testable import TalkBalanceCore

/// `BlockStore`: full chunks go to an unlinked 0600 temporary file and read back exactly.
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
}
