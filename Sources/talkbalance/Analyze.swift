import ArgumentParser
import Foundation
import TalkBalanceCore
import TalkBalanceIO
import TalkBalanceReport

extension ReportFormat: ExpressibleByArgument {}

/// Every analysis threshold as an option, defaults from ../shared/DOMAIN.md.
struct ThresholdOptions: ParsableArguments {
    // Every value is read as given, so negative numbers parse (`--vad-floor-db -70`) and an impossible
    // one gets the range in one sentence (`--vad-hangover -1`).
    @Option(name: .customLong("min-speech"), parsing: .unconditional, help: "Shortest speech kept, seconds.")
    var minSpeech: Double = AnalysisConfig().minSpeechSeconds
    @Option(name: .customLong("vad-voiced-share"), parsing: .unconditional, help: "Speech needs at least this share of voiced (periodic) frames, 0-1; 0 turns the check off.")
    var voicedShare: Double = AnalysisConfig().minVoicedShare
    @Option(name: .customLong("bridge-pause"), parsing: .unconditional, help: "Pauses shorter than this inside one person's speech are bridged, seconds (with --speakers the report's pauses only: who is who is found with 0.3 s).")
    var bridgePause: Double = AnalysisConfig().bridgePauseSeconds
    @Option(name: .customLong("vad-hangover"), parsing: .unconditional, help: "Speech goes on this long after its last active frame, seconds (up to --bridge-pause; one microphone per person only).")
    var hangover: Double = AnalysisConfig().hangoverSeconds
    @Option(name: .customLong("vad-onset-db"), parsing: .unconditional, help: "Speech starts this far above the channel's noise floor, dB.")
    var onsetDB: Double = AnalysisConfig().onsetAboveNoiseDB
    @Option(name: .customLong("vad-hold-db"), parsing: .unconditional, help: "Speech continues while this far above the noise floor, dB.")
    var holdDB: Double = AnalysisConfig().holdAboveNoiseDB
    @Option(name: .customLong("vad-floor-db"), parsing: .unconditional, help: "Never speech below this level, dBFS.")
    var floorDB: Double = AnalysisConfig().absoluteFloorDB
    @Option(name: .customLong("dynamic-range-db"), parsing: .unconditional, help: "Speech lies within this many dB of the channel's recent loudest level.")
    var dynamicRange: Double = AnalysisConfig().speechDynamicRangeDB
    @Option(name: .customLong("crosstalk-margin-db"), parsing: .unconditional, help: "Own voice must exceed the crosstalk other mics explain by this much, dB.")
    var crosstalkMargin: Double = AnalysisConfig().crosstalkMarginDB
    @Option(name: .customLong("backchannel-max"), parsing: .unconditional, help: "Longest listener reply counted as a backchannel, seconds.")
    var backchannelMax: Double = AnalysisConfig().backchannelMaxSeconds
    @Option(name: .customLong("interruption-overlap"), parsing: .unconditional, help: "An interruption overlaps the floor holder for more than this, seconds.")
    var interruptionOverlap: Double = AnalysisConfig().interruptionMinOverlapSeconds
    @Option(name: .customLong("interruption-speech"), parsing: .unconditional, help: "An interrupter speaks for more than this, seconds.")
    var interruptionSpeech: Double = AnalysisConfig().interruptionMinSpeechSeconds
    @Option(name: .customLong("interruption-success"), parsing: .unconditional, help: "The interrupted person stops within this to count as successful, seconds.")
    var interruptionSuccess: Double = AnalysisConfig().interruptionSuccessSeconds
    @Option(name: .customLong("monologue"), parsing: .unconditional, help: "A turn longer than this is flagged as a monologue, seconds.")
    var monologue: Double = AnalysisConfig().monologueSeconds
    @Option(name: .customLong("window"), parsing: .unconditional, help: "Sliding window for balance over time, seconds.")
    var window: Double = AnalysisConfig().windowSeconds
    @Option(name: .customLong("imbalance"), parsing: .unconditional, help: "Flag when one person's share of the window's talk exceeds this (0-1).")
    var imbalance: Double = AnalysisConfig().imbalanceShare

    var config: AnalysisConfig {
        var c = AnalysisConfig()
        c.minSpeechSeconds = minSpeech
        c.minVoicedShare = voicedShare
        c.bridgePauseSeconds = bridgePause
        c.hangoverSeconds = hangover
        c.onsetAboveNoiseDB = onsetDB
        c.holdAboveNoiseDB = holdDB
        c.absoluteFloorDB = floorDB
        c.speechDynamicRangeDB = dynamicRange
        c.crosstalkMarginDB = crosstalkMargin
        c.backchannelMaxSeconds = backchannelMax
        c.interruptionMinOverlapSeconds = interruptionOverlap
        c.interruptionMinSpeechSeconds = interruptionSpeech
        c.interruptionSuccessSeconds = interruptionSuccess
        c.monologueSeconds = monologue
        c.windowSeconds = window
        c.imbalanceShare = imbalance
        return c
    }
}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse a recorded session (one microphone per person: channel k is person k).",
        discussion: """
        Reads any format libsndfile reads (WAV, RF64, FLAC, Ogg, AIFF, CAF, W64, MP3), 8-192 kHz, \
        1-32 channels, streaming in fixed blocks. Prints a text summary, or writes JSON, RTTM or CSV. \
        Output files are created readable by you only (mode 0600) and never replace a file unless \
        --force is given. Progress goes to stderr when it is a terminal.
        """
    )

    @Argument(help: "The recording to analyse.")
    var file: String

    @Option(help: "Names of the people, one per channel, comma-separated (e.g. Anna,Ben,Carla). Default ch1, ch2, ...")
    var names: String?

    @Option(help: "People in the room. Default: one per channel (one microphone per person). Fewer people than channels, or a one-channel file with any number (1 too: one person, with the room's speech detection, which drops knocks and handling noise), means one microphone for the room: who speaks when is found from the voices (labels S1, S2, ... in order of first appearance, or --names); two people at once only in part (from the voices and a neural speaker segmentation network), which the report says.")
    var speakers: Int?

    /// Developer option for measuring "at most N people" (tools/evaluate --max-speakers K); hidden: it merges
    /// real people too often to offer (docs/ACCURACY.md).
    @Option(name: .customLong("max-speakers"), help: ArgumentHelp(
        "One microphone for the room, at most N people (2-8): as --speakers N, then people the voices do not support (BIC) are merged away. Not with --enroll or --online.",
        valueName: "n", visibility: .hidden))
    var maxSpeakers: Int?

    @Flag(inversion: .prefixedNo, help: "A stereo recording of the room (a recorder between the partners): use the level and time difference between the two channels as well as the voices. Default: used when the channels differ enough; --no-spatial: never (the channels are mixed). Either flag says the channels are one room, even with as many people as channels.")
    var spatial: Bool? = nil

    @Flag(help: "With one microphone for the room: decide who speaks block by block as `live --speakers N` does (online, 0.2 s blocks), instead of the offline two-pass analysis. For checking the live meter's accuracy on a recording.")
    var online = false

    /// Developer option for measuring the live room pipeline's accounting delay (docs/ACCURACY.md); hidden.
    @Option(name: .customLong("online-revision"), help: ArgumentHelp("With --online: seconds a label waits, revised by the re-clusterings, before it is accounted (default 21; 0: accounted as decided online).", visibility: .hidden))
    var onlineRevision: Double?
    @Option(name: .customLong("online-dense-grid"), help: ArgumentHelp("With --online: seconds of speech, from the start, whose voices are embedded every 0.5 s rather than every 1.5 s.", visibility: .hidden))
    var onlineDenseGrid: Double?
    @Option(name: .customLong("online-same-voice"), help: ArgumentHelp("With --online: off, or the similarity of two voices (cosine, 0-1; default 0.4 with CAM++, 0.7 with --voice-embedding resemblyzer) at or above which the re-clustering's two people the segmentation network hears as one voice are one person.", visibility: .hidden))
    var onlineSameVoice: String?

    @Option(name: .customLong("enrol-keys"), help: ArgumentHelp("With --online: enrolment keys as the live meter's digits, PERSON@SECONDS,... (e.g. 2@3.5,1@12): at that moment of the recording, the voice speaking is person PERSON (1-N).", valueName: "keys"))
    var enrolKeys: String?

    @Option(name: .customLong("enroll"), help: ArgumentHelp(
        "NAME=FILE: a few seconds of one person talking alone (at least 2 s of speech; any format and rate), so the room report names them; or NAME=@START-END: a stretch of this recording where they talk alone, which names the voice heard there (seconds or m:ss, e.g. Anna=@1:05-1:12). Repeat per person, at most --speakers times; needs --speakers (one microphone for the room).",
        discussion: "The enrolled voices are measured like the session, matched one-to-one to the voices found in it and seed the voice models, so labels do not swap. Best recorded on the session's microphone; recordings from another one (a telephone) are corrected when two or more people are enrolled, and stderr says so. People not enrolled keep S1, S2, ... in order of first appearance. With --names, --names lists everyone and each enrolled name must be one of them (otherwise an error). With --online, NAME=FILE enrols the voice before the session, as `live --enroll` does.",
        valueName: "name=file"))
    var enroll: [String] = []

    /// Developer options for measuring the enrolment modes (tools/measure-enrolment --use/--weight); hidden
    /// from --help, since the defaults are the measured best.
    @Option(name: .customLong("enrolment-use"), help: ArgumentHelp("With --enroll: name, anchor, seed or select (default name offline, select with --online).", visibility: .hidden))
    var enrolmentUse: String?
    @Option(name: .customLong("enrolment-weight"), help: ArgumentHelp("With --enroll: frames an enrolled voice counts as, per own frame (default 0.5).", visibility: .hidden))
    var enrolmentWeight: Double?

    /// Developer option for measuring the room clusterings (docs/ACCURACY.md); hidden, the default is the measured best.
    @Option(name: .customLong("room-clustering"), help: ArgumentHelp("With --speakers: cosine, euclidean, likelier, overclustered (the default) or glr.", visibility: .hidden))
    var roomClustering: String?

    /// Developer option for measuring stereo overlap detection (tools/evaluate --stereo-overlap); hidden.
    @Option(name: .customLong("overlap-spread-db"), help: ArgumentHelp("With --spatial and two people: find overlapping speech where the spread of the per-band level difference reaches this (dB); off by default (measured too weak in reverberant rooms).", visibility: .hidden))
    var overlapSpreadDB: Float?

    /// Developer options for measuring the overlap from the voices (docs/ACCURACY.md, "overlapped speech
    /// from the voices" and "the join at 0.8 s"); hidden, the defaults are the measured best.
    @Option(name: .customLong("overlap-tuning"), help: ArgumentHelp("With --speakers: KEY=VALUE,... among threshold (mean log-likelihood gain, default 1), min-run (s, 0.2), join (s, 0.8), window (frames, 41), components (16), top (4).", visibility: .hidden))
    var overlapTuning: String?
    @Flag(name: .customLong("keep-backchannels"), help: ArgumentHelp("With --speakers and --speaker-segmentation off: keep the backchannels the voices' models alone give (left out then: too many are wrong; with the network they are kept).", visibility: .hidden))
    var keepBackchannels = false

    /// Developer option for measuring the neural speech gate (docs/ACCURACY.md, "the neural speech gate"); hidden,
    /// the defaults are Silero VAD's threshold and a reach that keeps word edges.
    @Option(name: .customLong("speech-gate"), help: ArgumentHelp("With --speakers: off, or KEY=VALUE,... among threshold (speech probability, default 0.5) and reach (s, 0.5).", visibility: .hidden))
    var speechGate: String?

    /// Developer options for measuring the neural voice embeddings (docs/ACCURACY.md, "neural voice
    /// embeddings", "CAM++"); hidden.
    @Option(name: .customLong("voice-embedding"), help: ArgumentHelp("With --speakers: on (default: CAM++, offline and live, on 8-bit steps where the CPU has AVX-512 VNNI), cam, cam-float (CAM++ in float on any CPU), resemblyzer or off (cluster the voices by their cepstral statistics alone).", visibility: .hidden))
    var voiceEmbedding: String?
    @Option(name: .customLong("same-voice"), help: ArgumentHelp("With --speakers, offline: off, or the cosine similarity above which two clusters of windows are one voice (merged).", visibility: .hidden))
    var sameVoice: String?
    @Option(name: .customLong("same-local-speaker"), help: ArgumentHelp("With --speakers, offline: on (default), off, or KEY=VALUE,... among seconds (each of two people under one local speaker of the segmentation network in a chunk, and under different ones in none, default 1), purity (0-1, default 0.8), similarity (their voices' mean cosine similarity, default 0.3) and talk (seconds of speech one of them has at most, default 8): then they are one voice, merged.", visibility: .hidden))
    var sameLocalSpeaker: String?
    @Option(name: .customLong("min-cluster-windows"), help: ArgumentHelp("With --speakers, offline, neural embeddings: a cluster of fewer windows is not a person (1-20; default 2).", visibility: .hidden))
    var minClusterWindows: Int?
    @Option(name: .customLong("embedded-windows"), help: ArgumentHelp("With --speakers, offline, neural embeddings: the most windows embedded, evenly spaced when there are more (10-5000; default 300).", visibility: .hidden))
    var embeddedWindows: Int?
    @Option(name: .customLong("change-refinement"), help: ArgumentHelp("With --speakers: off, or how far (seconds, 0.01-0.5; default 0.2) a change of person with no silence between moves from the re-segmentation's block edge to where the segmentation network hears it.", visibility: .hidden))
    var changeRefinement: String?
    @Option(name: .customLong("embedding-prior"), help: ArgumentHelp("With --speakers, offline, neural embeddings: off, or how much (0-20, natural log per frame and unit of the clustering's margin) the re-segmentation favours the person the voice network's clustering gave a block (default 2).", visibility: .hidden))
    var embeddingPrior: String?
    @Option(name: .customLong("speaker-segmentation"), help: ArgumentHelp("With --speakers: on (default) or off (overlapped speech from the voices' own models alone, not from the segmentation network as well; with --online it runs for two or three people).", visibility: .hidden))
    var speakerSegmentation: String?

    /// The live re-clustering's voice network (`--voice-embedding`, else the default).
    private var onlineVoiceNetwork: RoomDiarizer.Options.VoiceNetwork {
        voiceEmbedding.flatMap(RoomDiarizer.Options.VoiceNetwork.init(rawValue:)) ?? RoomSessionAnalyzer.defaultVoiceNetwork
    }

    /// The live re-clustering's check for a talker split in two (`--online-same-voice`).
    private func onlineSameVoiceOptions() -> RoomDiarizer.Options.SameVoice? {
        guard let onlineSameVoice else { return RoomSessionAnalyzer.defaultSameVoice(for: onlineVoiceNetwork) }
        guard let similarity = Double(onlineSameVoice) else { return nil }
        var same = RoomSessionAnalyzer.defaultSameVoice(for: onlineVoiceNetwork) ?? RoomDiarizer.Options.SameVoice()
        same.similarity = similarity
        return same
    }

    /// A developer option's KEY=VALUE,... items: each item as given, its key, and its value as a number (nil
    /// when missing or not a number).
    private static func tuningItems(_ text: String) -> [(item: Substring, key: String, value: Double?)] {
        text.split(separator: ",").map { item in
            let kv = item.split(separator: "=", maxSplits: 1)
            return (item, String(kv[0]), kv.count == 2 ? Double(kv[1]) : nil)
        }
    }

    /// The speech gate's options with the developer option above; nil: off.
    private func speechGateOptions() -> SpeechGate.Options? {
        var o = SpeechGate.Options()
        guard let speechGate else { return o }
        if speechGate == "off" { return nil }
        for (item, key, v) in Self.tuningItems(speechGate) {
            switch (key, v) {
            case ("threshold", let v?) where v >= 0 && v <= 1: o.threshold = Float(v)
            case ("reach", let v?) where v >= 0 && v <= 10: o.reachSeconds = v
            default: fail("--speech-gate: \(item) is not off or one of threshold (0-1), reach (0-10 s) with a value", code: Exit.usage)
            }
        }
        return o
    }

    /// The same-voice merge's options with the developer option above; nil: off.
    private func sameLocalSpeakerOptions() -> RoomDiarizer.Options.SameVoice? {
        guard let sameLocalSpeaker else { return RoomDiarizer.Options().sameLocalSpeaker }
        if sameLocalSpeaker == "off" { return nil }
        var o = RoomDiarizer.Options.SameVoice()
        if sameLocalSpeaker == "on" { return o }
        for (item, key, v) in Self.tuningItems(sameLocalSpeaker) {
            switch (key, v) {
            case ("seconds", let v?) where v >= 0.1 && v <= 10: o.seconds = v
            case ("purity", let v?) where v > 0.5 && v <= 1: o.purity = v
            case ("similarity", let v?) where v >= -1 && v <= 1: o.similarity = v
            case ("talk", let v?) where v >= 0 && v <= 36000: o.maxTalkSeconds = v
            default: fail("--same-local-speaker: \(item) is not on, off or one of seconds (0.1-10), purity (over 0.5, up to 1), similarity (-1 to 1), talk (0-36000 s) with a value", code: Exit.usage)
            }
        }
        return o
    }

    /// The overlap-from-the-voices options with the developer options above (10 ms frames).
    private func voiceOverlapOptions(_ base: VoiceOverlapFinder.Options) -> VoiceOverlapFinder.Options {
        var o = base
        o.reportsBackchannels = keepBackchannels
        guard let overlapTuning else { return o }
        for (item, key, v) in Self.tuningItems(overlapTuning) {
            switch (key, v) {
            case ("threshold", let v?) where v.isFinite && abs(v) <= 50: o.threshold = v
            case ("min-run", let v?) where v >= 0 && v <= 5: o.minRunFrames = max(1, Int((v * 100).rounded()))
            case ("join", let v?) where v >= 0 && v <= 5: o.joinFrames = Int((v * 100).rounded())
            case ("window", let v?) where v >= 1 && v <= 301: o.smoothingFrames = Int(v)
            case ("components", let v?) where v >= 1 && v <= 64: o.components = Int(v)
            case ("top", let v?) where v >= 1 && v <= 64: o.topComponents = Int(v)
            default: fail("--overlap-tuning: \(item) is not one of threshold, min-run, join, window, components, top with a value in range", code: Exit.usage)
            }
        }
        return o
    }

    @Option(help: "Output format: text, json, rttm, csv, html (self-contained page), textgrid (Praat), eaf (ELAN), audacity (label track) or vtt (WebVTT captions).")
    var format: ReportFormat = .text

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.")
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Option(help: "The recording HTML playback and ELAN media links use (default: the analysed file, relative to the output).")
    var audio: String?

    @Flag(name: .shortAndLong, help: "No progress display.")
    var quiet = false

    @OptionGroup(title: "Thresholds")
    var thresholds: ThresholdOptions

    func validate() throws {
        do { try thresholds.config.validate() } catch { throw ValidationError(error.description) }
        if let names {
            let list = parsedNames(names)
            if list.contains(where: \.isEmpty) { throw ValidationError("--names has an empty name in \"\(names)\"") }
            if Set(list).count != list.count { throw ValidationError("--names must not repeat a name") }
        }
        if let output, output.isEmpty { throw ValidationError("--output needs a file name") }
        if let speakers, !(1...8).contains(speakers) { throw ValidationError("--speakers must be between 1 and 8") }
        if let maxSpeakers {
            if speakers != nil { throw ValidationError("give --speakers (the number of people) or --max-speakers (the most there may be), not both") }
            if !(2...8).contains(maxSpeakers) { throw ValidationError("--max-speakers must be between 2 and 8") }
            if online { throw ValidationError("--max-speakers works with the offline analysis, not --online; give --speakers") }
            if !enroll.isEmpty { throw ValidationError("--max-speakers does not go with --enroll (enrolled voices say who is there); give --speakers") }
        }
        if enrolKeys != nil && !online { throw ValidationError("--enrol-keys needs --online (and --speakers)") }
        if onlineRevision != nil && !online { throw ValidationError("--online-revision needs --online (and --speakers)") }
        if let onlineRevision, !(onlineRevision >= 0 && onlineRevision <= 300) { throw ValidationError("--online-revision must be between 0 and 300 seconds") }
        if onlineDenseGrid != nil && !online { throw ValidationError("--online-dense-grid needs --online (and --speakers)") }
        if let onlineDenseGrid, !(onlineDenseGrid >= 0 && onlineDenseGrid <= 36000) { throw ValidationError("--online-dense-grid must be between 0 and 36000 seconds") }
        if onlineSameVoice != nil && !online { throw ValidationError("--online-same-voice needs --online (and --speakers)") }
        if let onlineSameVoice, onlineSameVoice != "off" && !(Double(onlineSameVoice).map { (0...1).contains($0) } ?? false) {
            throw ValidationError("--online-same-voice must be off or a similarity between 0 and 1")
        }
    }

    /// `--enrol-keys` as (sample, person index), in time order.
    private func parsedEnrolKeys(speakers: Int, sampleRate: Int) -> [(sample: Int, person: Int)] {
        guard let enrolKeys else { return [] }
        var keys: [(sample: Int, person: Int)] = []
        for item in enrolKeys.split(separator: ",") {
            let parts = item.split(separator: "@")
            guard parts.count == 2, let person = Int(parts[0]), (1...speakers).contains(person),
                  let seconds = Double(parts[1]), seconds.isFinite, seconds >= 0 else {
                fail("--enrol-keys: \"\(item)\" is not PERSON@SECONDS with PERSON 1-\(speakers)", code: Exit.usage)
            }
            keys.append((Int((seconds * Double(sampleRate)).rounded()), person - 1))
        }
        return keys.sorted { $0.sample < $1.sample }
    }

    /// The live room pipeline over a file (same blocks and labels as `live --speakers N`).
    private func analyzeOnline(_ reader: SoundFileReader, speakers: Int,
                               enrolled: [(name: String, recording: RoomAnalysis.EnrolmentRecording)]) -> SessionResult {
        let analyzer: RoomSessionAnalyzer
        // Everyone's names, and each enrolled person's place among them (as `live --enroll`).
        let naming: (names: [String], indexOfLabel: [Int])
        do { naming = try RoomAnalysis.naming(speakers: speakers, labels: names.map(parsedNames), enrolled: enrolled.map(\.name)) } catch {
            fail(error.description, code: Exit.usage)
        }
        do {
            analyzer = try RoomSessionAnalyzer(format: reader.format, speakers: speakers, config: thresholds.config,
                                               labels: naming.names,
                                               revisionDelayFrames: onlineRevision.map { Int(($0 * 100).rounded()) }   // 10 ms frames
                                                   ?? RoomSessionAnalyzer.defaultRevisionDelayFrames,
                                               voiceOverlap: voiceOverlapOptions(LiveVoiceOverlap.defaultOptions),
                                               speechGate: speechGateOptions(), speakerSegmentation: speakerSegmentation != "off",
                                               voiceEmbedding: voiceEmbedding != "off",
                                               voiceNetwork: onlineVoiceNetwork,
                                               denseGridSpeechFrames: onlineDenseGrid.map { Int(($0 * 100).rounded()) }
                                                   ?? RoomSessionAnalyzer.defaultDenseGridSpeechFrames,
                                               sameVoice: onlineSameVoiceOptions(),
                                               changeRefinementSeconds: changeRefinement.map { Double($0) } ?? RoomDiarizer.Options().changeRefinementSeconds)
        } catch {
            fail("\(file): \(error.description)", code: Exit.usage)
        }
        analyzer.origin = "analyze --online, as in a live session"
        for (i, voice) in enrolled.enumerated() { analyzer.enrol(person: naming.indexOfLabel[i], recording: voice.recording) }
        var keys = parsedEnrolKeys(speakers: speakers, sampleRate: reader.format.sampleRate)
        var block = AudioBlock(channelCount: reader.format.channelCount, capacityFrames: 8192)
        do {
            while try reader.read(into: &block) > 0 {
                // Feed up to each key's sample, press it, go on: as the live loop does between periods.
                var offset = 0
                while offset < block.frameCount {
                    var end = block.frameCount
                    if let key = keys.first { end = min(end, max(offset, key.sample - analyzer.samplesProcessed + offset)) }
                    if end > offset {
                        block.samples.withUnsafeBufferPointer { all in
                            let c = block.channelCount
                            analyzer.process(interleaved: UnsafeBufferPointer(rebasing: all[(offset * c)..<(end * c)]))
                        }
                        offset = end
                    }
                    while let key = keys.first, key.sample <= analyzer.samplesProcessed {
                        analyzer.mark(.enrol, person: key.person)
                        keys.removeFirst()
                    }
                }
                _ = analyzer.drainEvents()
            }
        } catch let error as InputError {
            fail(error.description, code: error.kind == .truncated ? Exit.dataError : Exit.ioError)
        } catch {
            fail("\(file): \(error)", code: Exit.ioError)
        }
        let result = analyzer.finish()
        if !quiet, let message = otherMicrophoneMessage(analyzer.microphoneShift, firstName: enrolled.first?.name ?? "") {
            FileHandle.standardError.write(Data("talkbalance: \(file): \(message)\n".utf8))
        }
        return result
    }

    func run() throws {
        // --max-speakers N: one microphone for the room, at most N people.
        let speakers = self.speakers ?? maxSpeakers
        let reader: SoundFileReader
        do { reader = try SoundFileReader(path: file) } catch {
            fail(error.description, code: error.kind == .missing || error.kind == .readFailed ? Exit.noInput : Exit.dataError)
        }
        if let output, !force, SafeOutput.wouldReplace(output) {
            fail("\(output): already exists; pass --force to replace it", code: Exit.cannotCreate)
        }
        if spatial != nil && speakers == nil {
            fail("--\(spatial == true ? "" : "no-")spatial needs --speakers N, the number of people in the room", code: Exit.usage)
        }
        if let enrolmentUse, RoomDiarizer.Options.EnrolmentUse(rawValue: enrolmentUse) == nil {
            fail("--enrolment-use must be one of \(RoomDiarizer.Options.EnrolmentUse.allCases.map(\.rawValue).joined(separator: ", "))", code: Exit.usage)
        }
        if let overlapSpreadDB, !(overlapSpreadDB > 0 && overlapSpreadDB <= 30) {
            fail("--overlap-spread-db must be over 0 and at most 30 dB", code: Exit.usage)
        }
        if overlapSpreadDB != nil && (speakers != 2 || spatial != true) {
            fail("--overlap-spread-db needs --speakers 2 and --spatial (a stereo recorder between two people)", code: Exit.usage)
        }
        if let voiceEmbedding, voiceEmbedding != "on" && voiceEmbedding != "off" && RoomDiarizer.Options.VoiceNetwork(rawValue: voiceEmbedding) == nil {
            fail("--voice-embedding must be on, off, \(RoomDiarizer.Options.VoiceNetwork.allCases.map(\.rawValue).joined(separator: " or "))", code: Exit.usage)
        }
        if let minClusterWindows, !(1...20).contains(minClusterWindows) {
            fail("--min-cluster-windows must be between 1 (every cluster is a person) and 20", code: Exit.usage)
        }
        if let changeRefinement, changeRefinement != "off" && !(Double(changeRefinement).map { (0.01...0.5).contains($0) } ?? false) {
            throw ValidationError("--change-refinement must be off or a number of seconds between 0.01 and 0.5")
        }
        if let embeddedWindows, !(10...5000).contains(embeddedWindows) {
            fail("--embedded-windows must be between 10 and 5000", code: Exit.usage)
        }
        if let embeddingPrior, embeddingPrior != "off" && !(Double(embeddingPrior).map { (0...20).contains($0) } ?? false) {
            fail("--embedding-prior must be off or a weight between 0 and 20", code: Exit.usage)
        }
        _ = sameLocalSpeakerOptions()
        if let sameVoice, sameVoice != "off" && !(Double(sameVoice).map { (-1...1).contains($0) } ?? false) {
            fail("--same-voice must be off or a cosine similarity between -1 and 1", code: Exit.usage)
        }
        if let speakerSegmentation, speakerSegmentation != "on" && speakerSegmentation != "off" {
            fail("--speaker-segmentation must be on or off", code: Exit.usage)
        }
        if let roomClustering, RoomDiarizer.Options.Clustering(rawValue: roomClustering) == nil {
            fail("--room-clustering must be one of \(RoomDiarizer.Options.Clustering.allCases.map(\.rawValue).joined(separator: ", "))", code: Exit.usage)
        }
        if let enrolmentWeight, !(enrolmentWeight > 0 && enrolmentWeight <= 100) { fail("--enrolment-weight must be above 0 and at most 100", code: Exit.usage) }
        let enrolments = parsedEnrolments(enroll, noStretchesBecause: online ? "a stretch of the recording names a voice in the offline analysis only; with --online give a recording of the person, or simulate the live keys with --enrol-keys" : nil)
        if !enrolments.isEmpty {
            guard let speakers else {
                fail("--enroll needs --speakers N (one microphone for the room: voices are recognised only there)", code: Exit.usage)
            }
            if speakers == reader.format.channelCount && spatial == nil {
                let why = speakers == 1 ? "--speakers 1 on a one-channel file leaves nobody to tell apart; give --speakers 2 or more"
                    : "--speakers \(speakers) equals the \(speakers) channels (one microphone per person); mix to one channel"
                fail("\(file): --enroll needs one microphone for the room, but \(why)", code: Exit.usage)
            }
        }
        // --spatial or --no-spatial says the channels are one room, even with as many people as channels;
        // so does --speakers 1 on one channel (one person heard by a room microphone: the room analysis'
        // detector and neural speech gate, not the close-talk detector of one microphone per person).
        if let speakers, speakers != reader.format.channelCount || spatial != nil || maxSpeakers != nil || speakers == 1 {
            if speakers > reader.format.channelCount && reader.format.channelCount > 2 {
                fail("\(file): --\(maxSpeakers == nil ? "" : "max-")speakers \(speakers) is more than the \(reader.format.channelCount) channels; with one microphone per person give one channel each, or mix to one channel (or two, for a stereo recorder) for a room microphone", code: Exit.usage)
            }
            let path = file
            let config = thresholds.config
            // Names first (cheap, usage errors), then every enrolment (file or stretch), then the session.
            do { _ = try RoomAnalysis.naming(speakers: speakers, labels: names.map(parsedNames), enrolled: enrolments.map(\.name)) } catch {
                fail(error.description, code: Exit.usage)
            }
            // Enrolment recordings: their statistics for the offline analysis, their frames for --online.
            var recordings: [(name: String, recording: RoomAnalysis.EnrolmentRecording)] = []
            // Stretches of this recording that name a voice (`RoomAnalysis.NamedStretch`).
            var stretches: [RoomAnalysis.NamedStretch] = []
            var spans: [String: String] = [:]
            let rate = Double(reader.format.sampleRate)
            for (name, source) in enrolments {
                switch source {
                case .span(let start, let end, let text):
                    if let declared = reader.declaredFrames, end * rate > Double(declared) + 0.05 * rate {
                        fail("--enroll \(name)=@\(text): \(file) is only \(String(format: "%.1f", Double(declared) / rate)) s long", code: Exit.usage)
                    }
                    // Named by where they speak, not modelled: see `RoomAnalysis.NamedStretch`.
                    stretches.append(RoomAnalysis.NamedStretch(name: name, samples: Int((start * rate).rounded())..<Int((end * rate).rounded())))
                    spans[name] = text
                case .file(let enrolmentPath):
                    recordings.append((name, enrolmentRecording(name: name, path: enrolmentPath, config: config)))
                }
            }
            let result: SessionResult
            if online {
                result = analyzeOnline(reader, speakers: speakers, enrolled: recordings)
            } else { do {
                var options = RoomDiarizer.Options()
                let overlapOptions = overlapSpreadDB.map { StereoOverlapFinder.Options(thresholdDB: $0) }
                if let use = enrolmentUse.flatMap(RoomDiarizer.Options.EnrolmentUse.init(rawValue:)) { options.enrolmentUse = use }
                if let enrolmentWeight { options.enrolmentWeight = enrolmentWeight }
                if let clustering = roomClustering.flatMap(RoomDiarizer.Options.Clustering.init(rawValue:)) { options.clustering = clustering }
                if maxSpeakers != nil { options.fewerPeopleWeight = RoomDiarizer.Options.atMostWeight }
                if voiceEmbedding == "off" { options.voiceEmbedding = false }
                if let network = voiceEmbedding.flatMap(RoomDiarizer.Options.VoiceNetwork.init(rawValue:)) { options.voiceNetwork = network }
                if let sameVoice { options.sameVoiceSimilarity = Double(sameVoice) }
                if sameLocalSpeaker != nil { options.sameLocalSpeaker = sameLocalSpeakerOptions() }
                if let minClusterWindows { options.minClusterWindows = minClusterWindows }
                if let embeddedWindows { options.maxEmbeddedWindows = embeddedWindows }
                if let changeRefinement { options.changeRefinementSeconds = Double(changeRefinement) }
                if let embeddingPrior { options.embeddingPriorWeight = Double(embeddingPrior) }
                let room = try RoomAnalysis.analyzeReporting(open: { try SoundFileReader(path: path) }, speakers: speakers,
                                                             config: config, labels: names.map(parsedNames),
                                                             enrolled: recordings.map { RoomAnalysis.EnrolledVoice(name: $0.name, voice: $0.recording.voice) },
                                                             stretches: stretches, spatial: spatial, options: options, overlap: overlapOptions,
                                                             voiceOverlap: voiceOverlapOptions(VoiceOverlapFinder.Options()),
                                                             speakerSegmentation: speakerSegmentation != "off",
                                                             speechGate: speechGateOptions())
                result = room.result
                if let maxSpeakers, !quiet {
                    let found = result.speakers.count
                    FileHandle.standardError.write(Data("talkbalance: \(file): \(found) \(found == 1 ? "person" : "people") found (--max-speakers \(maxSpeakers))\n".utf8))
                }
                for stretch in room.doubtfulStretches where !quiet {
                    FileHandle.standardError.write(Data("talkbalance: \(file): the voice named \(stretch.name) holds under half of the speech in @\(spans[stretch.name] ?? ""); two stretches may be one voice, or the analysis took two people for one: check the names\n".utf8))
                }
                if !quiet, let message = otherMicrophoneMessage(room.microphoneShift, firstName: recordings.first?.name ?? "") {
                    FileHandle.standardError.write(Data("talkbalance: \(file): \(message)\n".utf8))
                }
                if room.spatial && spatial == nil && !quiet {
                    FileHandle.standardError.write(Data("talkbalance: \(file): the two channels differ (a stereo recorder between the people?): using where each voice comes from as well as the voice; --no-spatial turns this off\n".utf8))
                }
            } catch {
                switch error {
                case .invalid(let message): fail(message, code: Exit.usage)
                case .stretchWithoutSpeech(let name, _):
                    fail("\(file) @\(spans[name] ?? "") (--enroll \(name)): \(error.description)", code: Exit.dataError)
                case .source(let e as InputError): fail(e.description, code: e.kind == .missing ? Exit.noInput : Exit.dataError)
                case .source(let e): fail("\(file): \(e)", code: Exit.ioError)
                }
            } }
            writeReport(ReportRenderer(file: file, result: result, audio: audioReference(for: audio ?? file, output: output)),
                        format: format, output: output, force: force)
            return
        }
        let analyzer: SessionAnalyzer
        do {
            analyzer = try SessionAnalyzer(format: reader.format, config: thresholds.config, labels: names.map(parsedNames))
        } catch {
            // A name count that does not fit the file is a usage error; anything else is about the audio.
            if case .labelCount = error { fail("\(file): \(error.description)", code: Exit.usage) }
            fail("\(file): \(error.description)", code: Exit.dataError)
        }
        let progress = Progress(enabled: !quiet && isatty(STDERR_FILENO) == 1, totalFrames: reader.declaredFrames, sampleRate: reader.format.sampleRate)
        var block = AudioBlock(channelCount: reader.format.channelCount, capacityFrames: 8192)
        do {
            while try reader.read(into: &block) > 0 {
                analyzer.process(block)
                _ = analyzer.drainEvents()
                progress.update(frames: analyzer.samplesProcessed)
            }
        } catch let error as InputError {
            progress.clear()
            fail(error.description, code: error.kind == .truncated ? Exit.dataError : Exit.ioError)
        }
        progress.clear()
        let result = analyzer.finish()
        writeReport(ReportRenderer(file: file, result: result, audio: audioReference(for: audio ?? file, output: output)),
                    format: format, output: output, force: force)
    }
}

/// The recording as the report should refer to it: relative to the output file's folder (with `../`
/// where needed), so the report and the recording can move together.
func audioReference(for audio: String, output: String?) -> String {
    let target = URL(fileURLWithPath: audio).standardizedFileURL.pathComponents
    let folder = URL(fileURLWithPath: output ?? FileManager.default.currentDirectoryPath + "/x")
        .deletingLastPathComponent().standardizedFileURL.pathComponents
    var common = 0
    while common < min(target.count - 1, folder.count), target[common] == folder[common] { common += 1 }
    let ups = Array(repeating: "..", count: folder.count - common)
    return (ups + target[common...]).joined(separator: "/")
}

/// Writes a report to `output` (private, atomic, never over a file without `force`) or to stdout.
func writeReport(_ renderer: ReportRenderer, format: ReportFormat, output: String?, force: Bool) {
    if let output {
        do {
            let out = try SafeOutputFile(path: output, overwrite: force)
            var failure: OutputError? = nil
            renderer.write(format, buffered: 1 << 16) { chunk in
                guard failure == nil else { return }
                do { try out.write(chunk) } catch { failure = error as? OutputError }
            }
            if let failure { throw failure }
            try out.commit()
        } catch let error as OutputError {
            fail(error.description, code: error.kind == .writeFailed ? Exit.ioError : Exit.cannotCreate)
        } catch {
            fail("\(output): \(error)", code: Exit.ioError)
        }
    } else {
        renderer.write(format, buffered: 1 << 16) { FileHandle.standardOutput.write($0) }
    }
}

extension ReportRenderer {
    /// Streams the report in chunks of about `bytes` bytes.
    func write(_ format: ReportFormat, buffered bytes: Int, to sink: (Data) -> Void) {
        var buffer = Data()
        buffer.reserveCapacity(bytes + 4096)
        write(format) { piece in
            buffer.append(contentsOf: piece.utf8)
            if buffer.count >= bytes {
                sink(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { sink(buffer) }
    }
}

func parsedNames(_ s: String) -> [String] {
    s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
}

/// Progress on stderr, redrawn at most a few times a second (wall clock only paces the display).
final class Progress {
    let enabled: Bool
    let totalFrames: Int?
    let sampleRate: Int
    private var last = Date.distantPast
    private var drawn = false

    init(enabled: Bool, totalFrames: Int?, sampleRate: Int) {
        self.enabled = enabled
        self.totalFrames = totalFrames
        self.sampleRate = sampleRate
    }

    func update(frames: Int) {
        guard enabled, Date().timeIntervalSince(last) > 0.25 else { return }
        last = Date()
        let done = Double(frames) / Double(sampleRate)
        var text = String(format: "\ranalysing: %d:%02d of audio", Int(done) / 60, Int(done) % 60)
        if let total = totalFrames, total > 0 {
            text += String(format: " (%.0f%%)", min(100, 100 * Double(frames) / Double(total)))
        }
        FileHandle.standardError.write(Data(text.utf8))
        drawn = true
    }

    func clear() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
    }
}
