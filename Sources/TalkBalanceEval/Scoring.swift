/// Diarization error rate and its parts, in seconds of scored reference time.
public struct DiarizationScore: Sendable, Equatable {
    public var referenceSpeech: Double
    public var missed: Double
    public var falseAlarm: Double
    public var confusion: Double
    /// Hypothesis label -> reference label, the best one-to-one mapping.
    public var mapping: [String: String]
    public var der: Double { referenceSpeech > 0 ? (missed + falseAlarm + confusion) / referenceSpeech : 0 }
}

/// Scores with the conventions of NIST md-eval and dscore: same-speaker overlapping segments merged,
/// overlap scored, the best one-to-one label mapping (maximal co-speaking time), and a collar of
/// `collar` seconds around every reference boundary left unscored.
public enum Scoring {
    /// Merges overlapping or touching segments of each speaker, and with `bridging` > 0 also those
    /// separated by a pause shorter than `bridging` seconds (DOMAIN's bridge: a reference cut with
    /// another bridge than the analysis' then defines a speech segment the same way).
    public static func merged(_ segments: [LabeledSegment], bridging: Double = 0) -> [LabeledSegment] {
        var bySpeaker: [String: [LabeledSegment]] = [:]
        for s in segments where s.end > s.start { bySpeaker[s.speaker, default: []].append(s) }
        var out: [LabeledSegment] = []
        for (_, list) in bySpeaker {
            var current: LabeledSegment? = nil
            for s in list.sorted(by: { $0.start < $1.start }) {
                if var c = current, s.start <= c.end || s.start - c.end < bridging {
                    c.end = max(c.end, s.end)
                    current = c
                } else {
                    if let c = current { out.append(c) }
                    current = s
                }
            }
            if let c = current { out.append(c) }
        }
        return out.sorted { ($0.start, $0.speaker) < ($1.start, $1.speaker) }
    }

    public static func diarization(reference: [LabeledSegment], hypothesis: [LabeledSegment], collar: Double = 0) -> DiarizationScore {
        let ref = merged(reference), hyp = merged(hypothesis)
        let refLabels = Array(Set(ref.map(\.speaker))).sorted()
        let hypLabels = Array(Set(hyp.map(\.speaker))).sorted()
        // Collars: ±collar around every boundary of every (merged) reference segment, left unscored.
        var excluded: [(Double, Double)] = []
        var extraCuts: [Double] = []
        if collar > 0 {
            for s in ref {
                excluded.append((s.start - collar, s.start + collar))
                excluded.append((s.end - collar, s.end + collar))
                extraCuts += [max(0, s.start - collar), s.start + collar, max(0, s.end - collar), s.end + collar]
            }
        }
        var overlap = Array(repeating: Array(repeating: 0.0, count: hypLabels.count), count: refLabels.count)
        var refSpeech = 0.0, missed = 0.0, falseAlarm = 0.0
        var pairs: [(ref: [Int], hyp: [Int], duration: Double)] = []
        sweep(ref: ref, hyp: hyp, refLabels: refLabels, hypLabels: hypLabels, extraCuts: extraCuts, excluded: excluded) { r, h, d in
            refSpeech += Double(r.count) * d
            missed += Double(max(0, r.count - h.count)) * d
            falseAlarm += Double(max(0, h.count - r.count)) * d
            for i in r { for j in h { overlap[i][j] += d } }
            if !r.isEmpty && !h.isEmpty { pairs.append((r, h, d)) }
        }
        let assignment = bestAssignment(overlap)
        var confusion = 0.0
        for p in pairs {
            let correct = p.ref.filter { i in assignment[i].map { p.hyp.contains($0) } ?? false }.count
            confusion += Double(min(p.ref.count, p.hyp.count) - correct) * p.duration
        }
        var mapping: [String: String] = [:]
        for (i, j) in assignment.enumerated() { if let j { mapping[hypLabels[j]] = refLabels[i] } }
        return DiarizationScore(referenceSpeech: refSpeech, missed: missed, falseAlarm: falseAlarm,
                                confusion: confusion, mapping: mapping)
    }

    /// Jaccard error rate as DIHARD II's dscore (`scorelib/metrics.py`, `jer`) defines it: per reference
    /// speaker, 1 - |ref ∩ hyp| / |ref ∪ hyp| with the hypothesis speaker it is mapped to, 1 when it is
    /// mapped to none; JER = the mean over reference speakers. The one-to-one mapping is dscore's: the
    /// Hungarian assignment that *minimises the summed per-speaker Jaccard errors* (equivalently maximises
    /// the summed Jaccard indices), not the maximal-intersection mapping DER uses, so the two mappings can
    /// differ. Like dscore, no collar (dscore passes its collar to DER only) and overlap is scored; unlike
    /// dscore, times are exact rather than counted on 10 ms frames. Edge cases as dscore: no reference and
    /// no hypothesis speech 0; speech on one side only 1.
    public static func jaccard(reference: [LabeledSegment], hypothesis: [LabeledSegment]) -> JaccardScore {
        let ref = merged(reference), hyp = merged(hypothesis)
        let refLabels = Array(Set(ref.map(\.speaker))).sorted()
        let hypLabels = Array(Set(hyp.map(\.speaker))).sorted()
        if refLabels.isEmpty { return JaccardScore(jer: hypLabels.isEmpty ? 0 : 1, bySpeaker: [:], mapping: [:]) }
        if hypLabels.isEmpty {
            return JaccardScore(jer: 1, bySpeaker: Dictionary(uniqueKeysWithValues: refLabels.map { ($0, 1.0) }), mapping: [:])
        }
        var refDur = Array(repeating: 0.0, count: refLabels.count), hypDur = Array(repeating: 0.0, count: hypLabels.count)
        var inter = Array(repeating: Array(repeating: 0.0, count: hypLabels.count), count: refLabels.count)
        sweep(ref: ref, hyp: hyp, refLabels: refLabels, hypLabels: hypLabels, extraCuts: [], excluded: []) { r, h, d in
            for i in r { refDur[i] += d }
            for j in h { hypDur[j] += d }
            for i in r { for j in h { inter[i][j] += d } }
        }
        var index = inter   // Jaccard index per pair
        for i in refLabels.indices {
            for j in hypLabels.indices {
                let union = refDur[i] + hypDur[j] - inter[i][j]
                index[i][j] = union > 0 ? inter[i][j] / union : 0
            }
        }
        let assignment = bestAssignment(index)
        var bySpeaker: [String: Double] = [:], mapping: [String: String] = [:]
        for (i, j) in assignment.enumerated() {
            bySpeaker[refLabels[i]] = j.map { 1 - index[i][$0] } ?? 1
            if let j, index[i][j] > 0 { mapping[hypLabels[j]] = refLabels[i] }
        }
        let jer = refLabels.reduce(0.0) { $0 + bySpeaker[$1]! } / Double(refLabels.count)
        return JaccardScore(jer: jer, bySpeaker: bySpeaker, mapping: mapping)
    }

    /// Sweeps the sorted boundaries of the merged reference and hypothesis segments once (O(n log n)) and
    /// calls `body` for every elementary interval of positive length outside `excluded` with the indices
    /// of the reference and hypothesis speakers active throughout it and its length. `extraCuts` are
    /// further boundaries (the collar edges).
    static func sweep(ref: [LabeledSegment], hyp: [LabeledSegment], refLabels: [String], hypLabels: [String],
                      extraCuts: [Double], excluded: [(Double, Double)],
                      _ body: (_ ref: [Int], _ hyp: [Int], _ duration: Double) -> Void) {
        let refIndex = Dictionary(uniqueKeysWithValues: refLabels.enumerated().map { ($1, $0) })
        let hypIndex = Dictionary(uniqueKeysWithValues: hypLabels.enumerated().map { ($1, $0) })
        // Boundary events: (time, isReference, speaker index, +1 start / -1 end).
        var events: [(time: Double, isRef: Bool, index: Int, delta: Int)] = []
        events.reserveCapacity(2 * (ref.count + hyp.count))
        var cuts = extraCuts
        for s in ref {
            events.append((s.start, true, refIndex[s.speaker]!, 1)); events.append((s.end, true, refIndex[s.speaker]!, -1))
            cuts.append(s.start); cuts.append(s.end)
        }
        for s in hyp {
            events.append((s.start, false, hypIndex[s.speaker]!, 1)); events.append((s.end, false, hypIndex[s.speaker]!, -1))
            cuts.append(s.start); cuts.append(s.end)
        }
        events.sort { $0.time < $1.time }
        cuts.sort()
        var points: [Double] = []
        points.reserveCapacity(cuts.count)
        for c in cuts where points.last != c { points.append(c) }
        // The excluded ranges as a sorted union of open intervals.
        var holes: [(Double, Double)] = []
        for e in excluded.sorted(by: { $0.0 < $1.0 }) {
            if let last = holes.last, e.0 <= last.1 { holes[holes.count - 1].1 = max(last.1, e.1) } else { holes.append(e) }
        }
        var refActive = Array(repeating: 0, count: refLabels.count), hypActive = Array(repeating: 0, count: hypLabels.count)
        var e = 0, hole = 0
        for k in 0..<max(0, points.count - 1) {
            let a = points[k], b = points[k + 1], d = b - a
            // Segments active on [a, b]: started at or before a, ending after a (so at or after b).
            while e < events.count && events[e].time <= a {
                let ev = events[e]
                if ev.isRef { refActive[ev.index] += ev.delta } else { hypActive[ev.index] += ev.delta }
                e += 1
            }
            guard d > 0 else { continue }
            let mid = (a + b) / 2
            while hole < holes.count && holes[hole].1 <= mid { hole += 1 }
            if hole < holes.count && mid > holes[hole].0 && mid < holes[hole].1 { continue }
            var r: [Int] = [], h: [Int] = []
            for (i, n) in refActive.enumerated() where n > 0 { r.append(i) }
            for (j, n) in hypActive.enumerated() where n > 0 { h.append(j) }
            body(r, h, d)
        }
    }

    /// One-to-one assignment of rows to columns maximising the summed weight (weights >= 0; a row may stay
    /// unmapped, worth 0). Exhaustive search when the speakers are few, the Hungarian algorithm otherwise.
    /// Returns the column for each row, or nil.
    static func bestAssignment(_ w: [[Double]]) -> [Int?] {
        let rows = w.count, cols = w.first?.count ?? 0
        // Partial one-to-one assignments: sum over k of C(rows,k) P(cols,k); search exhaustively below ~50k.
        var count = 0.0
        var term = 1.0
        for k in 0...min(rows, cols) {
            if k > 0 { term *= Double(rows - k + 1) * Double(cols - k + 1) / Double(k) }
            count += term
        }
        if count > 50_000 { return hungarian(w) }
        var best: [Int?] = Array(repeating: nil, count: rows)
        var bestScore = -1.0
        var current: [Int?] = Array(repeating: nil, count: rows)
        var used = Array(repeating: false, count: cols)
        func search(_ i: Int, _ score: Double) {
            if i == rows {
                if score > bestScore { bestScore = score; best = current }
                return
            }
            for j in 0..<cols where !used[j] {
                used[j] = true; current[i] = j
                search(i + 1, score + w[i][j])
                used[j] = false; current[i] = nil
            }
            search(i + 1, score)   // or leave this row unmapped
        }
        search(0, 0)
        return best
    }

    /// Maximum-weight assignment by the Hungarian algorithm (O(n^3)) on the square matrix padded with
    /// zero weights; rows matched to padding, or with zero weight, are left unmapped.
    static func hungarian(_ w: [[Double]]) -> [Int?] {
        let rows = w.count, cols = w.first?.count ?? 0, n = max(rows, cols)
        guard n > 0 else { return Array(repeating: nil, count: rows) }
        let maxW = w.flatMap { $0 }.max() ?? 0
        func cost(_ i: Int, _ j: Int) -> Double { i < rows && j < cols ? maxW - w[i][j] : maxW }
        // e-maxx formulation, 1-based with a sentinel column 0.
        var u = Array(repeating: 0.0, count: n + 1), v = Array(repeating: 0.0, count: n + 1)
        var p = Array(repeating: 0, count: n + 1), way = Array(repeating: 0, count: n + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            var minv = Array(repeating: Double.infinity, count: n + 1)
            var used = Array(repeating: false, count: n + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...n where !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j]
                    if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0...n {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var out: [Int?] = Array(repeating: nil, count: rows)
        for j in 1...n where p[j] - 1 < rows && j - 1 < cols && w[p[j] - 1][j - 1] > 0 { out[p[j] - 1] = j - 1 }
        return out
    }

    /// Voice activity on 10 ms frames (speech = any speaker), precision/recall/F1 against the reference.
    public static func voiceActivity(reference: [LabeledSegment], hypothesis: [LabeledSegment], duration: Double,
                                     frameSeconds: Double = 0.01) -> (precision: Double, recall: Double, f1: Double, missedSeconds: Double, falseAlarmSeconds: Double) {
        let n = max(1, Int((duration / frameSeconds).rounded(.up)))
        func mask(_ segs: [LabeledSegment]) -> [Bool] {
            var m = Array(repeating: false, count: n)
            for s in segs {
                let a = max(0, Int((s.start / frameSeconds).rounded())), b = min(n, Int((s.end / frameSeconds).rounded()))
                if a < b { for i in a..<b { m[i] = true } }
            }
            return m
        }
        let r = mask(reference), h = mask(hypothesis)
        var tp = 0, fp = 0, fn = 0
        for i in 0..<n {
            if r[i] && h[i] { tp += 1 } else if h[i] { fp += 1 } else if r[i] { fn += 1 }
        }
        let p = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 1
        let rc = tp + fn > 0 ? Double(tp) / Double(tp + fn) : 1
        let f1 = p + rc > 0 ? 2 * p * rc / (p + rc) : 0
        return (p, rc, f1, Double(fn) * frameSeconds, Double(fp) * frameSeconds)
    }

    /// Talk time per reference speaker (merged segments), seconds.
    public static func talkTime(_ segments: [LabeledSegment]) -> [String: Double] {
        var out: [String: Double] = [:]
        for s in merged(segments) { out[s.speaker, default: 0] += s.end - s.start }
        return out
    }
}

/// A timed event with the people involved (interruption: by -> of; backchannel: by -> to).
public struct TimedEvent: Sendable, Equatable {
    public var type: String
    public var time: Double
    public var by: String
    public var target: String
    public init(type: String, time: Double, by: String, target: String) {
        self.type = type
        self.time = time
        self.by = by
        self.target = target
    }
}

public struct EventScore: Sendable, Equatable {
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int
    public var precision: Double { truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : 1 }
    public var recall: Double { truePositives + falseNegatives > 0 ? Double(truePositives) / Double(truePositives + falseNegatives) : 1 }
    public var f1: Double { precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0 }
}

extension Scoring {
    /// Matches events of one type one-to-one: same people, times within `tolerance` seconds; the
    /// closest pairs first.
    public static func events(reference: [TimedEvent], hypothesis: [TimedEvent], tolerance: Double = 1.0) -> EventScore {
        var candidates: [(Double, Int, Int)] = []
        for (i, r) in reference.enumerated() {
            for (j, h) in hypothesis.enumerated() where h.type == r.type && h.by == r.by && h.target == r.target {
                let d = abs(h.time - r.time)
                if d <= tolerance { candidates.append((d, i, j)) }
            }
        }
        var usedR = Set<Int>(), usedH = Set<Int>()
        for (_, i, j) in candidates.sorted(by: { $0.0 < $1.0 }) where !usedR.contains(i) && !usedH.contains(j) {
            usedR.insert(i); usedH.insert(j)
        }
        return EventScore(truePositives: usedR.count, falsePositives: hypothesis.count - usedH.count,
                          falseNegatives: reference.count - usedR.count)
    }
}

/// Jaccard error rate (dscore's JER) and its parts.
public struct JaccardScore: Sendable, Equatable {
    /// Mean over reference speakers of 1 - Jaccard index with the mapped hypothesis speaker (0-1).
    public var jer: Double
    /// Reference label -> that speaker's Jaccard error (0-1).
    public var bySpeaker: [String: Double]
    /// Hypothesis label -> reference label, dscore's JER mapping (may differ from the DER mapping).
    public var mapping: [String: String]
}
