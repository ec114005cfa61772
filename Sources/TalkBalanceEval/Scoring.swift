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
    /// Merges overlapping or touching segments of each speaker.
    public static func merged(_ segments: [LabeledSegment]) -> [LabeledSegment] {
        var bySpeaker: [String: [LabeledSegment]] = [:]
        for s in segments where s.end > s.start { bySpeaker[s.speaker, default: []].append(s) }
        var out: [LabeledSegment] = []
        for (_, list) in bySpeaker {
            var current: LabeledSegment? = nil
            for s in list.sorted(by: { $0.start < $1.start }) {
                if var c = current, s.start <= c.end {
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
        // Elementary intervals between all boundaries, minus collars.
        var cuts = Set<Double>()
        for s in ref + hyp { cuts.insert(s.start); cuts.insert(s.end) }
        var excluded: [(Double, Double)] = []
        if collar > 0 {
            for s in ref {
                excluded.append((s.start - collar, s.start + collar))
                excluded.append((s.end - collar, s.end + collar))
                cuts.insert(max(0, s.start - collar)); cuts.insert(s.start + collar)
                cuts.insert(max(0, s.end - collar)); cuts.insert(s.end + collar)
            }
        }
        let points = cuts.sorted()
        var overlap = Array(repeating: Array(repeating: 0.0, count: hypLabels.count), count: refLabels.count)
        var refSpeech = 0.0, missed = 0.0, falseAlarm = 0.0
        var pairs: [(ref: [Int], hyp: [Int], duration: Double)] = []
        let refIndex = Dictionary(uniqueKeysWithValues: refLabels.enumerated().map { ($1, $0) })
        let hypIndex = Dictionary(uniqueKeysWithValues: hypLabels.enumerated().map { ($1, $0) })
        for k in 0..<max(0, points.count - 1) {
            let a = points[k], b = points[k + 1], d = b - a
            guard d > 0 else { continue }
            let mid = (a + b) / 2
            if excluded.contains(where: { mid > $0.0 && mid < $0.1 }) { continue }
            let r = ref.filter { $0.start <= a && $0.end >= b }.map { refIndex[$0.speaker]! }
            let h = hyp.filter { $0.start <= a && $0.end >= b }.map { hypIndex[$0.speaker]! }
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

    /// One-to-one assignment of rows to columns maximising the summed weight (exhaustive search with
    /// pruning; speakers per session are few). Returns the column for each row, or nil.
    static func bestAssignment(_ w: [[Double]]) -> [Int?] {
        let rows = w.count, cols = w.first?.count ?? 0
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
