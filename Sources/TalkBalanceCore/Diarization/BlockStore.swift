import Foundation

/// What went wrong at the C boundary of `BlockStore`'s temporary file: the call and its `errno`.
public enum BlockStoreError: Error, Equatable, CustomStringConvertible {
    /// mkstemp, unlink, fchmod or fcntl in `directory` failed.
    case create(directory: String, call: String, errno: Int32)
    case write(errno: Int32)
    case read(errno: Int32)
    /// The file ended before a chunk that was written to it (it cannot: the file has no name).
    case shortRead

    public var description: String {
        switch self {
        case .create(let directory, let call, let e):
            return "cannot create the temporary file for the room statistics in \(directory) (\(call): \(String(cString: strerror(e))))"
        case .write(let e): return "cannot write the room statistics' temporary file (\(String(cString: strerror(e))))"
        case .read(let e): return "cannot read the room statistics' temporary file (\(String(cString: strerror(e))))"
        case .shortRead: return "the room statistics' temporary file is shorter than what was written to it"
        }
    }
}

/// The per-block statistics of `RoomDiarizer` (a block: up to 0.2 s of consecutive speech frames): per
/// block its first frame, its frame count and, for each of the D features, the sum and the sum of
/// squares (`Float`, as they were accumulated).
///
/// Memory: the chunk being filled (`chunkBlocks` blocks of 8 + 8 x D bytes: 213 kB at the default 2048
/// blocks and D = 12, about 40 s of speech); every full chunk goes to a temporary file, so memory does
/// not grow with the session. Only these feature statistics go to disk, never audio. The file is created
/// with mkstemp in $TMPDIR (else /tmp) when the first chunk fills (a session of less than about 40 s
/// of speech never touches the disk), made mode 0600 and unlinked at once: it has no name, nothing is
/// left behind even on a crash, and the space is freed when the descriptor is closed (`deinit`). The
/// page cache, not this process, holds its pages while they are read.
///
/// If the file cannot be created or written (no writable temporary folder, disk full), the store keeps
/// its chunks in memory from then on, as the diarizer did before it had a store (about 2.5 MB per hour
/// of speech): the result is the same, only the memory grows. `spillFailure` says why.
///
/// Reads go through `BlockReader` (a small chunk cache, optionally normalising). Blocks are appended
/// only while the owner holds the only reference (`RoomDiarizer` copies the store before pushing into a
/// shared one), and a store is only read after that: so it can be shared across threads.
final class BlockStore: @unchecked Sendable {
    /// Blocks per chunk by default: one chunk is 213 kB at D = 12.
    static let defaultChunkBlocks = 2048

    /// Features per frame (D).
    let dims: Int
    let chunkBlocks: Int
    /// Blocks appended so far.
    private(set) var count = 0
    /// Chunks `0..<spilledChunks` are in the file; the following ones are `held` (normally just the one
    /// being filled; every chunk from the first failed write on).
    private(set) var spilledChunks = 0
    private var held: [Chunk] = []
    /// The only owner of the temporary file's descriptor (nil until the first chunk fills).
    private var file: SpillFile?
    /// Where the temporary file goes (nil: $TMPDIR, else /tmp).
    private let directory: String?
    /// Why chunks stay in memory (nil: every full chunk is in the file).
    private(set) var spillFailure: BlockStoreError?

    /// One chunk of blocks, `starts.count` of them.
    struct Chunk {
        var starts: [Int32]
        var counts: [Int32]
        /// Per block: D sums, then D sums of squares.
        var sums: [Float]
    }

    init(dims: Int, chunkBlocks: Int = BlockStore.defaultChunkBlocks, directory: String? = nil) {
        precondition(dims >= 1 && chunkBlocks >= 1)
        self.dims = dims
        self.chunkBlocks = chunkBlocks
        self.directory = directory
    }

    /// A store holding the same blocks (for a copy that is pushed into: see `RoomDiarizer.push`).
    func copy() -> BlockStore {
        let other = BlockStore(dims: dims, chunkBlocks: chunkBlocks, directory: directory)
        for c in 0..<chunkCount {
            other.startChunk()
            other.held[other.held.count - 1] = chunk(c)
        }
        other.count = count
        return other
    }

    var chunkCount: Int { (count + chunkBlocks - 1) / chunkBlocks }

    // MARK: - Appending

    /// Starts a new block at frame `start`, with no frames yet.
    func append(start: Int) {
        if held.isEmpty || held[held.count - 1].starts.count >= chunkBlocks { startChunk() }
        let c = held.count - 1
        held[c].starts.append(Int32(start))
        held[c].counts.append(0)
        held[c].sums.append(contentsOf: repeatElement(0, count: 2 * dims))
        count += 1
    }

    /// Frames in the last block.
    var lastFrames: Int { Int(held[held.count - 1].counts.last!) }

    /// Adds a frame to the last block: `features[first..<(first + dims)]` to its sums (in `Float`).
    func addFrame(_ features: UnsafeBufferPointer<Float>, first: Int) {
        let c = held.count - 1, d = dims
        held[c].counts[held[c].counts.count - 1] += 1
        let base = held[c].sums.count - 2 * d
        held[c].sums.withUnsafeMutableBufferPointer { s in
            for i in 0..<d {
                let x = features[first + i]
                s[base + i] += x
                s[base + d + i] += x * x
            }
        }
    }

    /// Spills the full chunk being filled (when every earlier one is in the file), then opens a new one.
    private func startChunk() {
        if spillFailure == nil, held.count == 1, held[0].starts.count == chunkBlocks {
            do {
                try spill(held[0], index: spilledChunks)
                spilledChunks += 1
                held.removeAll()
            } catch {
                spillFailure = error
            }
        }
        var chunk = Chunk(starts: [], counts: [], sums: [])
        chunk.starts.reserveCapacity(chunkBlocks)
        chunk.counts.reserveCapacity(chunkBlocks)
        chunk.sums.reserveCapacity(chunkBlocks * 2 * dims)
        held.append(chunk)
    }

    /// Bytes of one chunk in the file: starts, counts, sums (each array at a fixed offset).
    private var chunkBytes: Int { chunkBlocks * (8 + 8 * dims) }

    private func spill(_ chunk: Chunk, index: Int) throws(BlockStoreError) {
        if file == nil { file = try SpillFile(directory: directory ?? Self.temporaryDirectory) }
        let offset = index * chunkBytes
        try file!.write(chunk.starts, at: offset)
        try file!.write(chunk.counts, at: offset + 4 * chunkBlocks)
        try file!.write(chunk.sums, at: offset + 8 * chunkBlocks)
    }

    static var temporaryDirectory: String {
        if let t = getenv("TMPDIR"), t.pointee != 0 { return String(cString: t) }
        return "/tmp"
    }

    // MARK: - Reading

    /// Chunk `c` as appended (from the file or from memory). A failed read of the file (a disk error
    /// under a file this process wrote moments ago) ends the program: the statistics it held exist
    /// nowhere else. It says so in one line on stderr and exits with 74 (EX_IOERR), with no trace.
    func chunk(_ c: Int) -> Chunk {
        precondition(c >= 0 && c < chunkCount)
        if c >= spilledChunks { return held[c - spilledChunks] }
        do { return try read(c) } catch {
            FileHandle.standardError.write(Data("talkbalance: cannot read back the room analysis's temporary voice statistics (\(error)); nothing was written\n".utf8))
            exit(74)
        }
    }

    private func read(_ c: Int) throws(BlockStoreError) -> Chunk {
        let n = chunkBlocks, d = dims, offset = c * chunkBytes
        var chunk = Chunk(starts: [Int32](repeating: 0, count: n), counts: [Int32](repeating: 0, count: n),
                          sums: [Float](repeating: 0, count: n * 2 * d))
        try file!.read(into: &chunk.starts, at: offset)
        try file!.read(into: &chunk.counts, at: offset + 4 * n)
        try file!.read(into: &chunk.sums, at: offset + 8 * n)
        return chunk
    }

    /// The temporary file's status (nil before the first spill): for tests (no name, mode 0600).
    var spillFileStatus: stat? {
        guard let file else { return nil }
        var s = stat()
        return fstat(file.descriptor, &s) == 0 ? s : nil
    }
}

/// The temporary file of a `BlockStore`, and the only owner of its descriptor (closed in `deinit`):
/// created with mkstemp in `directory`, unlinked at once, made mode 0600 and close-on-exec.
private final class SpillFile {
    let descriptor: Int32

    init(directory: String) throws(BlockStoreError) {
        var template = Array("\(directory)/talkbalance-blocks-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .create(directory: directory, call: "mkstemp", errno: errno) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if unlink(path) != 0 {
            let e = errno
            close(fd)
            throw .create(directory: directory, call: "unlink", errno: e)
        }
        if fchmod(fd, 0o600) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 {
            let e = errno
            close(fd)
            throw .create(directory: directory, call: "fchmod/fcntl", errno: e)
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Writes all of `values` at byte `offset`.
    func write<T>(_ values: [T], at offset: Int) throws(BlockStoreError) {
        let failure = values.withUnsafeBytes { bytes in
            Self.transferAll(bytes.count) { done in pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
        }
        if let e = failure { throw .write(errno: e == 0 ? EIO : e) }   // 0: nothing written, as a disk error
    }

    /// Fills `values` from byte `offset`.
    func read<T>(into values: inout [T], at offset: Int) throws(BlockStoreError) {
        let failure = values.withUnsafeMutableBytes { bytes in
            Self.transferAll(bytes.count) { done in pread(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
        }
        if let e = failure { throw e == 0 ? .shortRead : .read(errno: e) }
    }

    /// Calls `transfer(done)` (bytes moved, or -1 with errno set) until `total` bytes have moved,
    /// retrying on EINTR. nil: all moved; the errno of a failure; 0: the file ended first.
    private static func transferAll(_ total: Int, _ transfer: (_ done: Int) -> Int) -> Int32? {
        var done = 0
        while done < total {
            let n = transfer(done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return 0 }
            done += n
        }
        return nil
    }
}

/// Reads a `BlockStore` a chunk at a time, keeping the last two chunks read (sequential passes and the
/// overlapping windows of the clustering read each chunk once per pass). With `mean` and `scale` every
/// chunk is normalised as it is read, (x - mean) * scale on the sums exactly as `RoomDiarizer` did in
/// place before it had a store (the same `Float` values); the store itself is never changed, so copies
/// of a diarizer that share it each finish on their own. Memory: two chunks.
final class BlockReader {
    let store: BlockStore
    private let mean: [Double]?
    private let scale: [Double]?
    private var recent: (index: Int, chunk: BlockStore.Chunk)?
    private var older: (index: Int, chunk: BlockStore.Chunk)?

    init(_ store: BlockStore, mean: [Double]? = nil, scale: [Double]? = nil) {
        self.store = store
        self.mean = mean
        self.scale = scale
    }

    var count: Int { store.count }
    var dims: Int { store.dims }

    /// Block `b`'s frame count and its 2 x D sums (D sums, then D sums of squares), valid inside `body`.
    @inline(__always)
    func withBlock<R>(_ b: Int, _ body: (_ frames: Int32, _ sums: UnsafeBufferPointer<Float>) -> R) -> R {
        let n = store.chunkBlocks, c = b / n, j = b - c * n, w = 2 * store.dims
        let chunk = self.chunk(c)
        return chunk.sums.withUnsafeBufferPointer { s in
            body(chunk.counts[j], UnsafeBufferPointer(rebasing: s[(j * w)..<((j + 1) * w)]))
        }
    }

    /// Frames in block `b`.
    func frames(_ b: Int) -> Int32 {
        let n = store.chunkBlocks, c = b / n
        return chunk(c).counts[b - c * n]
    }

    /// First frame of block `b`.
    func start(_ b: Int) -> Int32 {
        let n = store.chunkBlocks, c = b / n
        return chunk(c).starts[b - c * n]
    }

    /// Calls `body` for each block of `blocks` in order (see `withBlock`).
    @inline(__always)
    func forEach(_ blocks: Range<Int>, _ body: (_ block: Int, _ frames: Int32, _ sums: UnsafeBufferPointer<Float>) -> Void) {
        for b in blocks { withBlock(b) { body(b, $0, $1) } }
    }

    func forEach(_ body: (_ block: Int, _ frames: Int32, _ sums: UnsafeBufferPointer<Float>) -> Void) {
        forEach(0..<count, body)
    }

    private func chunk(_ c: Int) -> BlockStore.Chunk {
        if let recent, recent.index == c { return recent.chunk }
        if let older, older.index == c {
            swap(&self.recent, &self.older)
            return older.chunk
        }
        var chunk = store.chunk(c)
        if let mean, let scale { normalise(&chunk, mean: mean, scale: scale) }
        older = recent
        recent = (c, chunk)
        return chunk
    }

    private func normalise(_ chunk: inout BlockStore.Chunk, mean: [Double], scale: [Double]) {
        let d = store.dims
        for j in 0..<chunk.counts.count {
            let n = Double(chunk.counts[j])
            for i in 0..<d {
                let s1 = Double(chunk.sums[2 * d * j + i]), s2 = Double(chunk.sums[2 * d * j + d + i])
                let m = mean[i], k = scale[i]
                chunk.sums[2 * d * j + i] = Float((s1 - n * m) * k)
                chunk.sums[2 * d * j + d + i] = Float((s2 - 2 * m * s1 + n * m * m) * k * k)
            }
        }
    }
}
