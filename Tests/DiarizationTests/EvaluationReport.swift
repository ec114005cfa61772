import Foundation
import Testing
import TalkBalanceCore
import TalkBalanceEval

/// Prints DER per file for the room diarizer (strict and 0.25 s collar) when TALKBALANCE_DIAR_REPORT=1.
/// Options can be overridden by environment variables for tuning (DIAR_PENALTY, DIAR_WINDOW, DIAR_HOP,
/// DIAR_BLOCK, DIAR_ITER, DIAR_DEV, DIAR_TOPHZ, DIAR_FILES=comma list, DIAR_SEEDS=comma list).
@Suite struct EvaluationReport {
    static var enabled: Bool { ProcessInfo.processInfo.environment["TALKBALANCE_DIAR_REPORT"] == "1" }

    static func options() -> (RoomDiarizer.Options, ClosedRange<Double>) {
        let env = ProcessInfo.processInfo.environment
        var o = RoomDiarizer.Options()
        if let v = env["DIAR_PENALTY"].flatMap(Double.init) { o.switchPenalty = v }
        if let v = env["DIAR_WINDOW"].flatMap(Double.init) { o.windowSeconds = v }
        if let v = env["DIAR_HOP"].flatMap(Double.init) { o.hopSeconds = v }
        if let v = env["DIAR_BLOCK"].flatMap(Int.init) { o.blockFrames = v }
        if let v = env["DIAR_ITER"].flatMap(Int.init) { o.iterations = v }
        if let v = env["DIAR_DEV"] { o.useDeviation = v == "1" }
        if let v = env["DIAR_END"].flatMap(Int.init) { o.endFeature = v }
        if let v = env["DIAR_CLUSTER"].flatMap(RoomDiarizer.Options.Clustering.init(rawValue:)) { o.clustering = v }
        if let v = env["DIAR_BIC"].flatMap(Double.init) { o.bicLambda = v }
        let top = env["DIAR_TOPHZ"].flatMap(Double.init) ?? 4000
        return (o, 100...top)
    }

    @Test(.enabled(if: EvaluationReport.enabled))
    func report() throws {
        let env = ProcessInfo.processInfo.environment
        let (options, band) = Self.options()
        var cases: [RoomCase] = []
        let files = env["DIAR_FILES"].map { $0.split(separator: ",").map(String.init) }
            ?? (RoomCase.ami + ["picovoice-falcon-test", "paa-diarizationExample", "paa-diarizationExample2"])
        cases += files.filter { !$0.isEmpty }.map { RoomCase.real($0) }
        let seeds = (env["DIAR_SEEDS"] ?? "1,2,3").split(separator: ",").compactMap { Int($0) }
        for s in seeds { for n in [2, 3] { cases.append(try generatedConversation(speakers: n, seed: s)) } }
        var lines: [String] = []
        var amiRef = 0.0, amiErr = 0.0, amiErrC = 0.0, amiRefC = 0.0, amiOne = 0.0
        var genRef = 0.0, genErr = 0.0, genErrC = 0.0, genRefC = 0.0
        for c in cases {
            let s = try scoreRoom(c, options: options, bandHz: band)
            let n = try c.speakerCount
            lines.append(String(format: "%-26@ N=%d  DER %.3f (miss %.3f fa %.3f conf %.3f)  DER25 %.3f  one-spk %.3f",
                                c.name as NSString, n, s.strict.der, s.strict.missed / s.strict.referenceSpeech,
                                s.strict.falseAlarm / s.strict.referenceSpeech, s.strict.confusion / s.strict.referenceSpeech,
                                s.collared.der, s.oneSpeaker.der))
            let err = s.strict.missed + s.strict.falseAlarm + s.strict.confusion
            let errC = s.collared.missed + s.collared.falseAlarm + s.collared.confusion
            if c.name.hasPrefix("ami") {
                amiRef += s.strict.referenceSpeech; amiErr += err; amiRefC += s.collared.referenceSpeech; amiErrC += errC
                amiOne += s.oneSpeaker.der * s.oneSpeaker.referenceSpeech
            } else if c.name.hasPrefix("room") {
                genRef += s.strict.referenceSpeech; genErr += err; genRefC += s.collared.referenceSpeech; genErrC += errC
            }
        }
        if amiRef > 0 { lines.append(String(format: "AMI pooled: DER %.3f  DER25 %.3f  one-spk %.3f", amiErr / amiRef, amiErrC / amiRefC, amiOne / amiRef)) }
        if genRef > 0 { lines.append(String(format: "generated pooled: DER %.3f  DER25 %.3f", genErr / genRef, genErrC / genRefC)) }
        print("ROOMDIAR " + "\(options)")
        for l in lines { print("ROOMDIAR " + l) }
    }
}
