"""Render a planned conversation into per-person lapel-mic channels and write the ground truth."""
import json
import math
import os
import subprocess

import numpy as np
from scipy.signal import butter, sosfilt, fftconvolve

from . import audio
from .check import check
from .plan import plan, Fail
from .voices import make_voices, espeak_version, RealVoice, VOICES_DIR

TOOL_VERSION = "1"
MAX_ATTEMPTS = 200


def clean_tracks(P, n, D, rate):
    N = int(round(D * rate))
    tr = np.zeros((n, N))
    for p in P:
        x = p.x
        i = int(round(p.start * rate))
        j = min(N, i + len(x))
        if i < 0 or j - i <= 0:
            raise Fail("placement outside the session")
        tr[p.spk, i:j] += x[:j - i]
    return tr


def truth_of(tracks, rate):
    segs, raw = [], []
    for x in tracks:
        m, _ = audio.activity(x, rate)
        segs.append(audio.mask_to_segments(m, 0.25, 0.15))
        raw.append(audio.runs(m, 0.2))
    return segs, raw


def pink_noise(n, rng):
    w = rng.standard_normal(n)
    W = np.fft.rfft(w)
    f = np.arange(len(W), dtype=np.float64)
    f[0] = 1.0
    W = W / np.sqrt(np.maximum(f, len(W) * 50.0 / 8000.0))   # ~1/f power above ~50 Hz
    x = np.fft.irfft(W, n)
    return x / (np.sqrt(np.mean(x * x)) + 1e-12)


def crosstalk_filter(rate, rng):
    fc = float(rng.uniform(2500, 5000))
    sos = butter(2, min(fc, 0.45 * rate), btype="low", fs=rate, output="sos")
    tail_len = int(0.06 * rate)
    tau = float(rng.uniform(0.010, 0.025))
    tail_db = float(rng.uniform(-18, -12))
    tail = rng.standard_normal(tail_len) * np.exp(-np.arange(tail_len) / (tau * rate))
    tail *= 10 ** (tail_db / 20) / (np.sqrt(np.sum(tail ** 2)) + 1e-12)
    h = np.concatenate([[1.0], np.zeros(int(0.002 * rate)), tail])
    return sos, h, {"lowpassHz": round(fc, 1), "reverbTailDb": round(tail_db, 1),
                    "reverbTauMs": round(tau * 1000, 1)}


def make(args):
    """args: namespace from the CLI. Returns (summary dict). Raises ValueError on impossible settings."""
    rate, D = args.rate, args.duration
    names = args.names[:args.speakers]
    n = len(names)
    rng = np.random.default_rng(args.seed)
    voices = make_voices(args.voices, names, rate, rng)
    if len(voices) != n:
        raise ValueError("--voices lists %d voices but --speakers is %d" % (len(voices), n))
    held = {}
    if getattr(args, "enrolment", False):
        for k, v in enumerate(voices):
            if not isinstance(v, RealVoice):
                raise ValueError("--enrolment needs real voices (espeak voices have no held-out recording)")
            held[names[k]] = v.hold_out()

    # --- script, redrawn until the truth satisfies every margin
    problems = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            P, E = plan(voices, names, D, args.interruptions, args.backchannels, rng)
            tracks = clean_tracks(P, n, D, rate)
        except Fail as f:
            problems = [str(f)]
            continue
        segs, raw = truth_of(tracks, rate)
        truth = {names[k]: segs[k] for k in range(n)}
        raw_runs = {names[k]: raw[k] for k in range(n)}
        events = []
        for e in E:
            by = names[e["by"]]
            # event time = start of the truth segment that holds the planned onset
            cand = [a for a, b in truth[by] if a - 0.06 <= e["time"] <= b]
            t = cand[0] if cand else e["time"]
            if e["type"] == "backchannel":
                events.append({"type": "backchannel", "time": round(t, 3), "by": by, "to": names[e["to"]]})
            else:
                events.append({"type": "interruption", "time": round(t, 3), "by": by,
                               "of": names[e["of"]], "successful": e["successful"]})
        events.sort(key=lambda e: e["time"])
        problems = check(truth, events, raw_runs, args.interruptions, args.backchannels)
        if not problems:
            break
    else:
        raise ValueError("could not place %d interruptions and %d backchannels in %g s "
                         "(last problem: %s)" % (args.interruptions, args.backchannels, D, problems[0]))

    # --- mics
    lvl = []
    for k in range(n):
        m, _ = audio.activity(tracks[k], rate)
        fr = audio.frame_rms(tracks[k], rate)
        lvl.append(math.sqrt(float(np.mean(fr[m] ** 2))) if m.any() else 1e-9)
    gains_db = [0.0] * n
    low = None
    if args.low_mic_db > 0:
        low = int(rng.integers(n))
        gains_db[low] = -args.low_mic_db
    lo, hi = args.crosstalk
    pairs = {}
    dist_delay = {}
    for j in range(n):
        for k in range(j + 1, n):
            dist_delay[(j, k)] = float(rng.uniform(1.0, 6.0))
    # make pair delays differ by at least 0.5 ms (3 people)
    vals = sorted(dist_delay.items(), key=lambda kv: kv[1])
    for i in range(1, len(vals)):
        if vals[i][1] - vals[i - 1][1] < 0.5:
            dist_delay[vals[i][0]] = min(6.0, vals[i - 1][1] + 0.5 + float(rng.uniform(0, 0.3)))
            vals[i] = (vals[i][0], dist_delay[vals[i][0]])
    chans = np.zeros_like(tracks)
    for k in range(n):
        chans[k] += tracks[k]
    for j in range(n):          # source person
        for k in range(n):      # mic
            if j == k:
                continue
            db = float(rng.uniform(min(lo, hi), max(lo, hi)))
            dms = dist_delay[(min(j, k), max(j, k))] + float(rng.uniform(-0.1, 0.1))
            sos, h, finfo = crosstalk_filter(rate, rng)
            y = sosfilt(sos, tracks[j])
            y = fftconvolve(y, h)[:tracks.shape[1]]
            # same energy as the clean voice, then the crosstalk attenuation
            y *= math.sqrt(float(np.sum(tracks[j] ** 2)) / (float(np.sum(y ** 2)) + 1e-20))
            d = int(round(dms / 1000.0 * rate))
            y = np.concatenate([np.zeros(d), y[:len(y) - d]])
            chans[k] += y * 10 ** (db / 20)
            pairs["%s->%s" % (names[j], names[k])] = dict(
                {"from": names[j], "toMic": names[k], "crosstalkDb": round(db, 2),
                 "levelVsOwnMicDb": round(db + gains_db[k] - gains_db[j], 2),
                 "delayMs": round(d * 1000.0 / rate, 3)}, **finfo)
    for k in range(n):
        chans[k] *= 10 ** (gains_db[k] / 20)
    noise_info = None
    if args.snr_db is not None:
        noise_info = {}
        for k in range(n):
            nz = pink_noise(chans.shape[1], rng) if args.noise == "pink" else rng.standard_normal(chans.shape[1])
            nz *= lvl[k] * 10 ** (gains_db[k] / 20) / 10 ** (args.snr_db / 20) / (np.sqrt(np.mean(nz ** 2)) + 1e-12)
            chans[k] += nz
            noise_info[names[k]] = round(20 * math.log10(float(np.sqrt(np.mean(nz ** 2))) + 1e-12), 2)
    peak = float(np.max(np.abs(chans)))
    scale = min(1.0, 0.97 / peak) if peak > 0 else 1.0
    chans *= scale

    # --- write
    os.makedirs(args.out, exist_ok=True)
    fname = "%s.%s" % (args.name, args.format)
    audio.write_pcm16(os.path.join(args.out, fname), chans, rate, args.format)
    lines = []
    for k in range(n):
        for a, b in truth[names[k]]:
            lines.append((a, names[k], b - a))
    lines.sort()
    with open(os.path.join(args.out, args.name + ".rttm"), "w") as fh:
        for a, nm, d in lines:
            fh.write("SPEAKER %s 1 %.3f %.3f <NA> <NA> %s <NA> <NA>\n" % (args.name, a, d, nm))
    # enrolment recordings: the held-out utterance cut from the original clip (its own rate and room
    # noise, 0.15 s either side), never heard in the conversation
    for nm, (clip, a, b) in held.items():
        src = os.path.join(VOICES_DIR, clip + ".flac")
        dst = os.path.join(args.out, "%s.enrol.%s.wav" % (args.name, nm))
        start = max(0.0, a - 0.15)
        subprocess.run(["sox", "-R", "-V1", src, "-b", "16", dst, "trim", "%.3f" % start, "%.3f" % (b + 0.15 - start)],
                       check=True)
    talk = {nm: round(sum(round(b - a, 3) for a, b in truth[nm]), 3) for nm in names}
    details = []
    for e in E:
        d = {"type": e["type"], "plannedTime": round(e["time"], 3), "by": names[e["by"]]}
        if "cut" in e:
            d["holderCut"] = round(e["cut"], 3)
        details.append(d)
    settings = {
        "tool": "tools/make-session v" + TOOL_VERSION,
        "seed": args.seed, "duration": D, "rate": rate, "format": args.format,
        "voicesArg": args.voices,
        "voices": {names[k]: voices[k].describe() for k in range(n)},
        "espeakVersion": espeak_version(),
        "crosstalkRangeDb": [lo, hi], "crosstalk": pairs,
        "micGainDb": {names[k]: gains_db[k] for k in range(n)},
        "lowMic": names[low] if low is not None else None, "lowMicDb": args.low_mic_db,
        "snrDb": args.snr_db, "noise": args.noise if args.snr_db is not None else None,
        "noiseRmsDbfsBeforeScale": noise_info,
        "outputScale": round(scale, 5),
        "interruptions": args.interruptions, "backchannels": args.backchannels,
        "truth": {"frameMs": 10, "relDb": audio.REL_DB, "loudPercentile": 95,
                  "absFloorDbfs": -75, "bridgePauseS": 0.25, "minSegmentS": 0.15,
                  "source": "clean per-person tracks before crosstalk, gain and noise"},
        "attempts": attempt,
        "enrolment": {nm: {"file": "%s.enrol.%s.wav" % (args.name, nm), "clip": c, "fromS": round(a, 3), "toS": round(b, 3)}
                      for nm, (c, a, b) in held.items()} or None,
        "plannedEvents": details,
    }
    if any(isinstance(v, RealVoice) for v in voices):
        settings["attribution"] = ATTRIBUTION
    doc = {"file": fname, "speakers": names, "sampleRate": rate,
           "channels": {names[k]: k + 1 for k in range(n)},
           "talkTime": talk, "events": events, "settings": settings}
    with open(os.path.join(args.out, args.name + ".events.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    n_i = sum(e["type"] == "interruption" for e in events)
    n_b = len(events) - n_i
    return "%s: %.1f s, %d speakers (%s), %d interruptions, %d backchannels" % (
        os.path.join(args.out, fname), D, n, ", ".join(names), n_i, n_b)


ATTRIBUTION = (
    "Real voices from ../shared/data/voices: CMU ARCTIC speakers aew and axb (BSD-style licence, "
    "notice kept; via LCAV/pyroomacoustics examples), LibriSpeech utterance 1088-134315-0000 "
    "(CC BY 4.0, via lhotse-speech/lhotse test fixtures), LJ Speech LJ002-0020/-0035 (public domain, "
    "via lhotse-speech/lhotse test fixtures). Clips were cut, gated, resampled, level-normalised, "
    "rearranged in time and mixed with crosstalk and noise.")
