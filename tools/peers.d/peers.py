#!/usr/bin/env python3
"""Run TalkBalance and the voice-activity detectors a user would pick instead of it (WebRTC VAD modes 0-3,
Silero VAD via ONNX Runtime without torch, TEN VAD) on the same real recordings, one thread each, and
print a side-by-side table of frame-level VAD scores and speed. Run through tools/peers, which makes the
virtual environment; this file only needs numpy, soundfile and whichever detectors import.

Scoring is the framing of `talkbalance evaluate`: 10 ms frames, frame i covers [i*0.01, (i+1)*0.01), a
frame is speech when a segment covers it after rounding the segment's start and end to the nearest frame
boundary (halves away from zero). Reference speech = union of all speakers of the recording's RTTM.
Pooled figures add up the frame counts of all files. Every per-file F1 is cross-checked against
`talkbalance evaluate` on the same hypothesis RTTM; a disagreement is an error.
"""
import argparse
import datetime
import glob
import importlib.util
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "ACCURACY.md")
BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"
FRAME = 0.01
SR = 16000


# ---------------------------------------------------------------- scoring (mirror of Scoring.voiceActivity)

def swift_round(x):
    """Swift's Double.rounded(): to nearest, halves away from zero."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def frame_mask(segments, n):
    m = np.zeros(n, dtype=bool)
    for start, end in segments:
        a = max(0, swift_round(start / FRAME))
        b = min(n, swift_round(end / FRAME))
        if a < b:
            m[a:b] = True
    return m


def counts(ref_mask, hyp_mask):
    tp = int(np.sum(ref_mask & hyp_mask))
    fp = int(np.sum(hyp_mask & ~ref_mask))
    fn = int(np.sum(ref_mask & ~hyp_mask))
    return tp, fp, fn


def scores(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "missed": fn * FRAME, "falseAlarm": fp * FRAME}


def read_rttm(path):
    segs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0] == "SPEAKER":
                start, dur = float(parts[3]), float(parts[4])
                segs.append((start, start + dur))
    return segs


def write_rttm(path, name, segments):
    with open(path, "w", encoding="utf-8") as f:
        for start, end in segments:
            f.write(f"SPEAKER {name} 1 {start:.3f} {end - start:.3f} <NA> <NA> ch1 <NA> <NA>\n")


def runs_to_segments(flags, hop_seconds):
    """Consecutive speech decisions of frames k*hop .. (k+1)*hop -> (start, end) in seconds."""
    segs = []
    start = None
    for k, v in enumerate(flags):
        if v and start is None:
            start = k
        elif not v and start is not None:
            segs.append((start * hop_seconds, k * hop_seconds))
            start = None
    if start is not None:
        segs.append((start * hop_seconds, len(flags) * hop_seconds))
    return segs


# ---------------------------------------------------------------- detectors

class WebRTC:
    """webrtcvad: 30 ms frames of 16-bit PCM, the raw per-frame is_speech decision, no smoothing."""

    def __init__(self, mode):
        import webrtcvad
        self.mode = mode
        self.make = webrtcvad.Vad
        self.make(mode)
        self.name = f"WebRTC VAD mode {mode}"
        self.key = f"webrtc{mode}"

    def detect(self, pcm16, f32):
        hop = 480
        vad = self.make(self.mode)     # fresh per file: the detector adapts to what it has heard
        data = pcm16.tobytes()
        n = len(pcm16) // hop          # a trailing partial frame is dropped
        flags = [vad.is_speech(data[2 * k * hop:2 * (k + 1) * hop], SR) for k in range(n)]
        return runs_to_segments(flags, hop / SR)


class Silero:
    """Silero VAD ONNX model (silero_vad.onnx from the silero-vad package, the file load_silero_vad(onnx=True)
    picks), run with onnxruntime and the package's OnnxWrapper loop re-implemented in numpy: 512-sample chunks
    at 16 kHz, each preceded by the previous chunk's last 64 samples, recurrent state (2, 1, 128), the last
    chunk zero-padded. Probabilities -> segments with get_speech_timestamps' defaults (ported below)."""

    def __init__(self):
        import onnxruntime as ort
        spec = importlib.util.find_spec("silero_vad")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("silero-vad is not installed")
        self.model_path = os.path.join(spec.submodule_search_locations[0], "data", "silero_vad.onnx")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(self.model_path, sess_options=opts, providers=["CPUExecutionProvider"])
        names = {i.name for i in self.session.get_inputs()}
        if names != {"input", "state", "sr"}:
            raise RuntimeError(f"unexpected Silero ONNX inputs {sorted(names)}")
        self.name = "Silero VAD"
        self.key = "silero"

    def probabilities(self, f32):
        win, ctx = 512, 64
        state = np.zeros((2, 1, 128), dtype=np.float32)
        context = np.zeros((1, ctx), dtype=np.float32)
        sr = np.array(SR, dtype=np.int64)
        probs = []
        run = self.session.run
        for s in range(0, len(f32), win):
            chunk = f32[s:s + win]
            if len(chunk) < win:
                chunk = np.pad(chunk, (0, win - len(chunk)))
            x = np.concatenate([context, chunk[None, :]], axis=1)
            out, state = run(None, {"input": x, "state": state, "sr": sr})
            context = x[:, -ctx:]
            probs.append(float(out[0, 0]))
        return probs

    @staticmethod
    def timestamps(probs, n_samples, threshold=0.5, min_speech_ms=250, min_silence_ms=100, pad_ms=30):
        """get_speech_timestamps_from_probs with its defaults (max_speech_duration_s = inf, so the
        max-length cutting branch never runs; neg_threshold = threshold - 0.15), in samples."""
        win = 512
        min_speech = SR * min_speech_ms / 1000
        pad = SR * pad_ms / 1000
        min_silence = SR * min_silence_ms / 1000
        neg = max(threshold - 0.15, 0.01)
        triggered, temp_end, cur = False, 0, {}
        speeches = []
        for i, p in enumerate(probs):
            sample = win * i
            if p >= threshold and temp_end:
                temp_end = 0
            if p >= threshold and not triggered:
                triggered = True
                cur = {"start": sample}
                continue
            if p < neg and triggered:
                if not temp_end:
                    temp_end = sample
                if sample - temp_end < min_silence:
                    continue
                cur["end"] = temp_end
                if cur["end"] - cur["start"] > min_speech:
                    speeches.append(cur)
                cur, temp_end, triggered = {}, 0, False
        if cur and n_samples - cur["start"] > min_speech:
            cur["end"] = n_samples
            speeches.append(cur)
        for i, sp in enumerate(speeches):
            if i == 0:
                sp["start"] = int(max(0, sp["start"] - pad))
            if i != len(speeches) - 1:
                gap = speeches[i + 1]["start"] - sp["end"]
                if gap < 2 * pad:
                    sp["end"] += int(gap // 2)
                    speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - gap // 2))
                else:
                    sp["end"] = int(min(n_samples, sp["end"] + pad))
                    speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - pad))
            else:
                sp["end"] = int(min(n_samples, sp["end"] + pad))
        return [(sp["start"] / SR, sp["end"] / SR) for sp in speeches]

    def detect(self, pcm16, f32):
        return self.timestamps(self.probabilities(f32), len(f32))


class Ten:
    """TEN VAD (ten-vad's TenVad class): hop 256 samples (16 ms) of int16, threshold 0.5, its own per-hop
    speech flag taken as is; a trailing partial hop is dropped."""

    def __init__(self):
        from ten_vad import TenVad
        self.cls = TenVad
        TenVad(256, 0.5)     # fails here when libten_vad.so cannot be loaded
        self.name = "TEN VAD"
        self.key = "ten"

    def detect(self, pcm16, f32):
        hop = 256
        vad = self.cls(hop, 0.5)     # fresh state per file
        n = len(pcm16) // hop
        flags = [vad.process(pcm16[k * hop:(k + 1) * hop])[1] for k in range(n)]
        return runs_to_segments(flags, hop / SR)


# ---------------------------------------------------------------- helpers

def version(dist):
    try:
        from importlib.metadata import version as v
        return v(dist)
    except Exception:
        return None


def git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return ""


def load_audio(path):
    import soundfile as sf
    f32, sr = sf.read(path, dtype="float32", always_2d=True)
    if sr != SR:
        raise SystemExit(f"tools/peers: {path} is {sr} Hz; the data is expected at 16 kHz")
    f32 = np.ascontiguousarray(f32.mean(axis=1) if f32.shape[1] > 1 else f32[:, 0])
    pcm16 = np.ascontiguousarray(np.clip(np.round(f32 * 32768.0), -32768, 32767).astype(np.int16))
    return f32, pcm16


def fmt_x(x):
    if x >= 100:
        return f"{x:,.0f}x"
    return f"{x:.1f}x"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(prog="tools/peers", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "real")))
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "talkbalance"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--write-doc", action="store_true")
    ap.add_argument("--command", default="tools/peers")
    ap.add_argument("--unavailable", action="append", default=[], help="NAME=reason from the installer")
    args = ap.parse_args()

    files = []
    for d in sorted(glob.glob(os.path.join(args.data, "*", ""))):
        for flac in sorted(glob.glob(os.path.join(d, "*.flac"))):
            rttm = flac[:-5] + ".rttm"
            if os.path.exists(rttm):
                files.append((os.path.basename(os.path.dirname(flac)), flac, rttm))
    if not files:
        print(f"tools/peers: no *.flac with a matching *.rttm under {args.data}/*/", file=sys.stderr)
        return 2
    if not os.access(args.binary, os.X_OK):
        print(f"tools/peers: {args.binary} is missing", file=sys.stderr)
        return 2

    # Detectors that load; the rest go in the table as not available, with the reason.
    unavailable = {}
    for item in args.unavailable:
        k, _, why = item.partition("=")
        unavailable[k] = why
    detectors = []
    for mode in range(4):
        try:
            detectors.append(WebRTC(mode))
        except Exception as e:
            unavailable[f"WebRTC VAD mode {mode}"] = unavailable.get("webrtc", f"{type(e).__name__}: {e}")
    for cls, label, key in ((Silero, "Silero VAD", "silero"), (Ten, "TEN VAD", "ten")):
        try:
            detectors.append(cls())
        except Exception as e:
            unavailable[label] = unavailable.get(key, f"{type(e).__name__}: {e}".splitlines()[0])
    for k in ("webrtc", "silero", "ten"):
        unavailable.pop(k, None)

    work = tempfile.mkdtemp(prefix="peers.")
    audio = {}
    ref_masks = {}
    durations = {}
    turn_level = set()     # SOURCE.txt says the RTTM is turn-level, not fit for VAD scoring
    for name, flac, rttm in files:
        f32, pcm16 = load_audio(flac)
        audio[name] = (f32, pcm16)
        durations[name] = len(f32) / SR
        ref = read_rttm(rttm)
        # talkbalance evaluate frames up to the latest segment end, so a reference running past the audio
        # (turn-level files rounded to 0.1 s) counts as missed there for every detector
        span = max([durations[name]] + [e for _, e in ref])
        n = max(1, math.ceil(span / FRAME))
        ref_masks[name] = frame_mask(ref, n)
        src = os.path.join(os.path.dirname(flac), "SOURCE.txt")
        if os.path.exists(src) and "not for vad" in open(src, encoding="utf-8", errors="replace").read().lower():
            turn_level.add(name)
    total_audio = sum(durations.values())

    results = {}     # label -> {"files": {name: score}, "tp","fp","fn","seconds"}
    problems = []

    def record(label, name, segs, seconds):
        r = results.setdefault(label, {"files": {}, "tp": 0, "fp": 0, "fn": 0, "seconds": 0.0})
        hyp = frame_mask(segs, len(ref_masks[name]))
        tp, fp, fn = counts(ref_masks[name], hyp)
        r["tp"] += tp; r["fp"] += fp; r["fn"] += fn; r["seconds"] += seconds
        r["files"][name] = scores(tp, fp, fn)
        r["files"][name]["counts"] = (tp, fp, fn)
        return r["files"][name]

    def crosscheck(label, name, rttm_ref, hyp_path, mine):
        out = subprocess.run([args.binary, "evaluate", "--reference", rttm_ref, "--format", "json", hyp_path],
                             capture_output=True, text=True)
        if out.returncode != 0:
            problems.append(f"`talkbalance evaluate` failed on {label} / {name}: {out.stderr.strip()}")
            return
        e = json.loads(out.stdout)
        if abs(e["vadF1"] - mine["f1"]) > 1e-9 or abs(e["vadMissedSeconds"] - mine["missed"]) > 1e-6 \
                or abs(e["vadFalseAlarmSeconds"] - mine["falseAlarm"]) > 1e-6:
            problems.append(f"{label} / {name}: this tool's F1 {mine['f1']:.6f} != talkbalance evaluate's {e['vadF1']:.6f}")

    env = dict(os.environ, OMP_NUM_THREADS="1")
    # TalkBalance: whole `analyze` process, wall time, fastest of --runs.
    for name, flac, rttm in files:
        best, rttm_text = None, None
        for _ in range(max(1, args.runs)):
            t0 = time.perf_counter()
            out = subprocess.run([args.binary, "analyze", flac, "--format", "rttm", "--quiet"],
                                 capture_output=True, text=True, env=env)
            dt = time.perf_counter() - t0
            if out.returncode != 0:
                print(f"tools/peers: talkbalance analyze failed on {flac}: {out.stderr.strip()}", file=sys.stderr)
                return 3
            if rttm_text is not None and out.stdout != rttm_text:
                problems.append(f"TalkBalance gave different output on repeated runs of {name}")
            rttm_text = out.stdout
            best = dt if best is None else min(best, dt)
        hyp_path = os.path.join(work, f"TalkBalance.{name}.rttm")
        with open(hyp_path, "w", encoding="utf-8") as f:
            f.write(rttm_text)
        mine = record("TalkBalance", name, read_rttm(hyp_path), best)
        crosscheck("TalkBalance", name, rttm, hyp_path, mine)

    # Peers: detection + post-processing only (audio already decoded, model already loaded), fastest of --runs.
    for det in detectors:
        for name, flac, rttm in files:
            f32, pcm16 = audio[name]
            best, segs = None, None
            for _ in range(max(1, args.runs)):
                t0 = time.perf_counter()
                s = det.detect(pcm16, f32)
                dt = time.perf_counter() - t0
                if segs is not None and s != segs:
                    problems.append(f"{det.name} gave different output on repeated runs of {name}")
                segs = s
                best = dt if best is None else min(best, dt)
            hyp_path = os.path.join(work, f"{det.key}.{name}.rttm")
            write_rttm(hyp_path, name, segs)
            mine = record(det.name, name, read_rttm(hyp_path), best)
            crosscheck(det.name, name, rttm, hyp_path, mine)

    order = ["TalkBalance"] + [d.name for d in detectors]
    all_labels = ["TalkBalance", "WebRTC VAD mode 0", "WebRTC VAD mode 1", "WebRTC VAD mode 2",
                  "WebRTC VAD mode 3", "Silero VAD", "TEN VAD"]

    pooled = {}
    scorable = [n for n, _, _ in files if n not in turn_level]
    sub_audio = sum(durations[n] for n in scorable)
    lines = []
    lines.append(f"Pooled over all {len(files)} recordings ({total_audio:.1f} s of audio), 10 ms frames"
                 + (f"; the last column pools only the {len(scorable)} whose RTTM marks pauses "
                    f"({sub_audio:.1f} s, without {', '.join(sorted(turn_level))}: turn-level truth, pauses count as "
                    f"speech, not fit for VAD scoring per their SOURCE.txt)" if turn_level else "") + ":")
    lines.append("")
    extra_h, extra_s = (" VAD F1, VAD-fit files |", "---|") if turn_level else ("", "")
    lines.append("| detector | VAD F1 | precision | recall | missed (s) | false alarm (s) | times real time |" + extra_h)
    lines.append("|---|---|---|---|---|---|---|" + extra_s)
    for label in all_labels:
        if label in results:
            r = results[label]
            s = scores(r["tp"], r["fp"], r["fn"])
            s["xrt"] = total_audio / r["seconds"] if r["seconds"] > 0 else float("inf")
            if turn_level:
                c = [sum(r["files"][n]["counts"][i] for n in scorable) for i in range(3)]
                s["f1_fit"] = scores(*c)["f1"]
            pooled[label] = s
            lines.append(f"| {label} | {s['f1']:.3f} | {s['precision']:.3f} | {s['recall']:.3f} | "
                         f"{s['missed']:.2f} | {s['falseAlarm']:.2f} | {fmt_x(s['xrt'])} |"
                         + (f" {s['f1_fit']:.3f} |" if turn_level else ""))
        elif label in unavailable:
            lines.append(f"| {label} | not available here: {unavailable[label]} | | | | | |" + (" |" if turn_level else ""))
    ref_speech = sum(int(m.sum()) for m in ref_masks.values()) * FRAME
    lines.append("")
    lines.append(f"Reference speech: {ref_speech:.2f} s of {total_audio:.1f} s.")
    lines.append("")
    lines.append("Per-file VAD F1" + (" (* = turn-level reference, pauses count as speech)" if turn_level else "") + ":")
    lines.append("")
    short = {"TalkBalance": "TalkBalance", "Silero VAD": "Silero", "TEN VAD": "TEN"}
    cols = [l for l in all_labels if l in results]
    head = [short.get(l, l.replace("WebRTC VAD mode ", "WebRTC ")) for l in cols]
    lines.append("| file | length (s) | speech (s) | " + " | ".join(head) + " |")
    lines.append("|---|---|---|" + "---|" * len(cols))
    for name, _, _ in files:
        cells = []
        for l in cols:
            f1 = results[l]["files"][name]["f1"]
            best = max(results[c]["files"][name]["f1"] for c in cols)
            cells.append(f"**{f1:.3f}**" if f1 == best else f"{f1:.3f}")
        label = name + (" *" if name in turn_level else "")
        lines.append(f"| {label} | {durations[name]:.1f} | {ref_masks[name].sum() * FRAME:.2f} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Bold = best on that file.")
    table = "\n".join(lines)

    settings = settings_text(detectors, args.runs, problems)
    print(table)
    print()
    print(settings)
    if problems:
        print()
        print("Problems:")
        for p in problems:
            print(f"- {p}")

    if args.write_doc:
        write_doc(table, settings, pooled, unavailable, args, problems, files, results, turn_level, durations)
        print(f"\nwrote {os.path.relpath(DOC, os.getcwd())} between {BEGIN} and {END}")
    return 1 if any("!=" in p or "failed" in p for p in problems) else 0


def settings_text(detectors, runs, problems):
    v = {k: version(k) for k in ("webrtcvad-wheels", "silero-vad", "onnxruntime", "ten-vad", "numpy", "soundfile")}
    s = []
    s.append("Settings (each tool's usual defaults):")
    s.append("")
    s.append(f"- TalkBalance: `talkbalance analyze FILE --format rttm --quiet`, default thresholds; time = wall time of the whole "
             f"process (start-up, FLAC decoding, analysis, output).")
    s.append(f"- WebRTC VAD (webrtcvad-wheels {v['webrtcvad-wheels'] or 'n/a'}): 30 ms frames of 16-bit PCM, modes 0-3, raw "
             f"per-frame decisions, no smoothing.")
    s.append(f"- Silero VAD (silero-vad {v['silero-vad'] or 'n/a'}, its `silero_vad.onnx`, onnxruntime {v['onnxruntime'] or 'n/a'}, "
             f"no torch): 512-sample chunks with 64 samples of context and the recurrent state, then get_speech_timestamps "
             f"defaults: threshold 0.5 (leave speech below 0.35), min speech 250 ms, min silence 100 ms, 30 ms padding.")
    s.append(f"- TEN VAD (ten-vad {v['ten-vad'] or 'n/a'}): hop 256 samples (16 ms), threshold 0.5, its per-hop speech flag "
             f"as is.")
    s.append(f"- Peers' time = detection and post-processing only (audio decoded by soundfile {v['soundfile'] or 'n/a'} and "
             f"models loaded beforehand). One thread everywhere (OMP_NUM_THREADS=1, onnxruntime intra/inter-op 1), one "
             f"detector at a time; fastest of {runs} runs per file"
             + (", output identical across runs." if not any("repeated runs" in p for p in problems) else "."))
    if not any("!=" in p or "evaluate` failed" in p for p in problems):
        s.append("- Every per-file F1 above agrees with `talkbalance evaluate --reference REF.rttm` on the same segments.")
    return "\n".join(s)


def reading(pooled, unavailable, results, turn_level, durations):
    """One paragraph on what the tables say, from the numbers."""
    if "TalkBalance" not in pooled:
        return ""
    tb = pooled["TalkBalance"]
    peers = {k: v for k, v in pooled.items() if k != "TalkBalance"}
    key = "f1_fit" if turn_level else "f1"
    out = []
    if peers:
        best = max(peers, key=lambda k: peers[k][key])
        better = sorted((k for k in peers if peers[k][key] > tb[key] + 0.005), key=lambda k: -peers[k][key])
        close = [k for k in peers if abs(peers[k][key] - tb[key]) <= 0.005]
        worse = [k for k in peers if peers[k][key] < tb[key] - 0.005]
        subset = " on the files fit for VAD scoring" if turn_level else ""
        out.append(f"With one microphone for everyone, TalkBalance's voice activity is an energy detector's: pooled F1 "
                   f"{tb['f1']:.3f} (precision {tb['precision']:.3f}, recall {tb['recall']:.3f}), {tb[key]:.3f}{subset}.")
        parts = []
        if better:
            parts.append(f"below {', '.join(f'{k} ({peers[k][key]:.3f})' for k in better)}")
        if close:
            parts.append(f"level with {', '.join(close)} (within 0.005)")
        if worse:
            parts.append(f"above {', '.join(worse)}")
        if parts:
            out.append(f"On F1{subset} it is " + "; ".join(parts) + ".")
        if tb["falseAlarm"] > tb["missed"]:
            neural = [k for k in ("Silero VAD", "TEN VAD") if k in peers]
            fa = ", ".join(f"{peers[k]['falseAlarm']:.1f} s" for k in neural)
            out.append(f"Its errors are mostly false alarms ({tb['falseAlarm']:.1f} s, against {tb['missed']:.1f} s missed)"
                       + (f", where the neural detectors ({', '.join(neural)}) have {fa} of false alarm and lose their "
                          f"points on missed speech instead" if neural else "")
                       + ": it takes any sound well above the noise floor in the gaps for speech.")
        tbf = results["TalkBalance"]["files"]
        sparse = [n for n in tbf if tbf[n]["f1"] < 0.5]
        if sparse:
            desc = []
            for n in sparse:
                bp = max(peers, key=lambda k: results[k]["files"][n]["f1"])
                desc.append(f"{n}: F1 {tbf[n]['f1']:.2f} with {tbf[n]['falseAlarm']:.1f} s of false alarm, best peer "
                            f"{bp} {results[bp]['files'][n]['f1']:.2f}")
            out.append(f"It is worst on the recordings with little speech ({'; '.join(desc)}).")
        fastest = max(pooled, key=lambda k: pooled[k]["xrt"])
        out.append(f"Speed: {fmt_x(tb['xrt'])} real time for the whole analyze process (start-up and decoding included, "
                   f"on files of {min(durations.values()):.0f}-{max(durations.values()):.0f} s; docs/BENCHMARKS.md has long "
                   f"sessions), against {fmt_x(peers[best]['xrt'])} for {best}'s detection alone; the fastest "
                   f"is {fastest} ({fmt_x(pooled[fastest]['xrt'])}).")
    if turn_level:
        out.append(f"The all-files F1 flatters whoever marks the most speech, because {', '.join(sorted(turn_level))} "
                   f"count every pause as speech; read the last column.")
    out.append("These are 15 short recordings, most of them AMI room microphones; differences of a hundredth or two are "
               "within what another handful of files would change. TalkBalance is built for one microphone per person, "
               "where the table above measures it; this section shows where its single-microphone voice activity stands "
               "against what a user could pick instead.")
    if unavailable:
        out.append("Not measured here: " + "; ".join(f"{k} ({v})" for k, v in unavailable.items()) + ".")
    return " ".join(out)


def write_doc(table, settings, pooled, unavailable, args, problems, files, results, turn_level, durations):
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "Sources", "Package.swift")
    when = datetime.date.today().isoformat()
    body = [BEGIN, "", "## Against other voice-activity detectors", ""]
    body.append(f"Measured {when} at commit {commit}"
                + (f" (the work tree had uncommitted changes in Sources/; the binary measured was built "
                   f"{datetime.datetime.fromtimestamp(os.path.getmtime(args.binary)).strftime('%Y-%m-%d %H:%M')})"
                   if dirty else "")
                + f" on {platform.machine()} ({os.cpu_count()} cores), one thread per detector, with:")
    body += ["", "```", args.command, "```", ""]
    body.append("It installs the peers into tools/.venv-peers (PyPI) and runs them and `talkbalance analyze` on every "
                "recording in ../shared/data/real/*/ (16 kHz mono FLAC; reference = union of all speakers of its RTTM).")
    body.append("")
    body.append(table)
    body.append("")
    body.append(settings)
    body.append("")
    body.append(reading(pooled, unavailable, results, turn_level, durations))
    if problems:
        body.append("")
        body.append("Problems in this run:")
        body.append("")
        body += [f"- {p}" for p in problems]
    body += ["", END]
    section = "\n".join(body)

    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    if BEGIN in text and END in text and text.index(BEGIN) < text.index(END):
        a = text.index(BEGIN)
        b = text.index(END) + len(END)
        text = text[:a] + section + text[b:]
    else:
        if not text.endswith("\n"):
            text += "\n"
        text += "\n" + section + "\n"
    tmp = DOC + ".peers.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, DOC)


if __name__ == "__main__":
    sys.exit(main())
