"""Voice sources: espeak-ng synthetic voices and the real voices in shared/data/voices."""
import math
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import audio
from .sentences import SENTENCES, BACKCHANNELS

VOICES_DIR = os.environ.get("TALKBALANCE_VOICES_DIR", os.path.normpath(
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "voices")))
if not os.path.isdir(VOICES_DIR):
    VOICES_DIR = "/work/shared/data/voices"

# espeak voice pools: (voice, pitch, words per minute)
ESPEAK_FEMALE = [("en-us+f3", 62, 172), ("en+f2", 55, 165), ("en-gb+f4", 70, 178), ("en-us+f1", 48, 170)]
ESPEAK_MALE = [("en-gb+m3", 38, 168), ("en-us+m1", 50, 175), ("en-us+m7", 30, 160), ("en-gb+m2", 44, 180)]
DEFAULT_GENDER = {"Anna": "f", "Ben": "m", "Carla": "f"}

# real voices: id -> (clip files, description)
REAL = {
    "aew": (["cmu_arctic_us_aew_a0001", "cmu_arctic_us_aew_a0002", "cmu_arctic_us_aew_a0003"],
            "CMU ARCTIC aew (US English, male)"),
    "axb": (["cmu_arctic_us_axb_a0004", "cmu_arctic_us_axb_a0005", "cmu_arctic_us_axb_a0006"],
            "CMU ARCTIC axb (Indian English, female)"),
    "lib1088": (["librispeech_1088-134315-0000"], "LibriSpeech speaker 1088"),
    "ljs": (["ljspeech_LJ002-0020", "ljspeech_LJ002-0035"], "LJ Speech (female)"),
}


def espeak_version():
    try:
        out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
        return out.split("Data at")[0].replace("eSpeak NG text-to-speech:", "").strip()
    except OSError:
        return "unknown"


def espeak_raw(voice, pitch, wpm, text):
    b = subprocess.run(["espeak-ng", "-v", voice, "-p", str(int(pitch)), "-s", str(int(wpm)),
                        "--stdout", text], capture_output=True, check=True).stdout
    return audio.parse_wav_bytes(b)


class Clip:
    """A mono clip at the session rate, normalised, with its 10 ms activity mask."""

    def __init__(self, x, rate, label):
        self.x = x
        self.rate = rate
        self.label = label
        self.mask, _ = audio.activity(x, rate)

    @property
    def dur(self):
        return len(self.x) / self.rate

    def runs(self):
        return audio.runs(self.mask)


def join(clips, gaps, rate, label):
    parts = []
    for i, c in enumerate(clips):
        parts.append(c.x)
        if i < len(gaps):
            parts.append(np.zeros(int(round(gaps[i] * rate))))
    return Clip(np.concatenate(parts), rate, label)


class EspeakVoice:
    kind = "espeak"

    def __init__(self, voice, pitch, wpm, rate, rng, sentences=None):
        self.voice, self.pitch, self.wpm, self.rate = voice, pitch, wpm, rate
        self.rng = rng
        self.deck = list(sentences if sentences is not None else SENTENCES)
        self.pos = 0
        self.cache = {}

    def describe(self):
        return {"kind": "espeak", "voice": self.voice, "pitch": self.pitch, "wpm": self.wpm}

    def _synth(self, text, level=audio.REF_RMS):
        key = (text, level)
        if key not in self.cache:
            x, sr = espeak_raw(self.voice, self.pitch, self.wpm, text)
            x = audio.resample(x, sr, self.rate)
            x = audio.trim_active(x, self.rate)
            x = audio.normalise(x, self.rate, level)
            self.cache[key] = Clip(x, self.rate, text)
        return self.cache[key]

    def prefetch(self, n):
        texts = [self.deck[(self.pos + i) % len(self.deck)] for i in range(n)]
        texts = [t for t in texts if (t, audio.REF_RMS) not in self.cache]
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as ex:
            res = list(ex.map(lambda t: espeak_raw(self.voice, self.pitch, self.wpm, t), texts))
        for t, (x, sr) in zip(texts, res):
            x = audio.resample(x, sr, self.rate)
            x = audio.trim_active(x, self.rate)
            x = audio.normalise(x, self.rate)
            self.cache[(t, audio.REF_RMS)] = Clip(x, self.rate, t)

    def next_piece(self):
        t = self.deck[self.pos % len(self.deck)]
        self.pos += 1
        return self._synth(t)

    def backchannel(self):
        word = BACKCHANNELS[int(self.rng.integers(len(BACKCHANNELS)))]
        return self._synth(word, audio.REF_RMS * 10 ** (-3 / 20))


class RealVoice:
    kind = "real"

    def __init__(self, vid, rate, rng):
        self.vid, self.rate, self.rng = vid, rate, rng
        files, self.desc = REAL[vid]
        self.pieces = []
        self.bc_pieces = []
        for f in files:
            self._load(f)
        self.order = []
        self.fallback = None

    def describe(self):
        d = {"kind": "real", "id": self.vid, "source": self.desc,
             "clips": REAL[self.vid][0]}
        if getattr(self, "held_out", None):
            name, a, b = self.held_out
            d["heldOutForEnrolment"] = "%s %.2f-%.2f s" % (name, a, b)
        if self.fallback is not None:
            d["backchannelFallback"] = self.fallback.describe()
        return d

    def _load(self, name):
        x, sr = audio.read_audio(os.path.join(VOICES_DIR, name + ".flac"))
        x = audio.resample(x, sr, self.rate)
        regs = []
        with open(os.path.join(VOICES_DIR, name + ".rttm")) as fh:
            for line in fh:
                p = line.split()
                if len(p) >= 5 and p[0] == "SPEAKER":
                    regs.append((float(p[3]), float(p[3]) + float(p[4])))
        regs.sort()
        # gate: keep only the labelled speech regions (plus 30 ms), zero the room noise between them
        gate = np.zeros(len(x))
        pad = 0.03
        for a, b in regs:
            i, j = max(0, int((a - pad) * self.rate)), min(len(x), int((b + pad) * self.rate))
            gate[i:j] = 1.0
        # 10 ms ramps on the gate edges
        k = int(0.01 * self.rate)
        ramp = np.convolve(gate, np.ones(k) / k, mode="same")
        xg = x * np.minimum(gate, ramp) if k > 1 else x * gate
        # group regions separated by < 0.4 s into one utterance
        groups = []
        for a, b in regs:
            if groups and a - groups[-1][1] < 0.4:
                groups[-1] = (groups[-1][0], b)
            else:
                groups.append((a, b))
        for a, b in groups:
            i, j = max(0, int((a - pad) * self.rate)), min(len(x), int((b + pad) * self.rate))
            seg = audio.normalise(xg[i:j].copy(), self.rate)
            clip = Clip(seg, self.rate, "%s[%.2f-%.2f]" % (name, a, b))
            clip.source = (name, a, b, sum(rb - ra for ra, rb in regs if a <= ra and rb <= b))
            self.pieces.append(clip)
        # backchannel candidates: stretches of 0.25-0.7 s between energy dips (25 dB below loud level)
        r = audio.frame_rms(x, self.rate)
        loud = np.percentile(r, 95)
        m = r > loud * 10 ** (-25 / 20)
        for a, b in audio.mask_to_segments(m, 0.04, 0.0):
            if 0.25 <= b - a <= 0.7 and any(ra - 0.01 <= a and b <= rb + 0.01 for ra, rb in regs):
                i, j = int((a - 0.02) * self.rate), int((b + 0.02) * self.rate)
                seg = audio.fade(x[max(0, i):j].copy(), self.rate, 0.015, 0.015)
                seg = audio.normalise(seg, self.rate, audio.REF_RMS * 10 ** (-3 / 20))
                clip = Clip(seg, self.rate, "%s[%.2f-%.2f]" % (name, a, b))
                clip.source = (name, a, b, b - a)
                self.bc_pieces.append(clip)

    def hold_out(self, min_speech_s=2.0):
        """Keep the utterance with the most labelled speech out of the conversation (and every
        backchannel cut from it), for an enrolment recording. Returns (clip name, start s, end s)."""
        if len(self.pieces) < 2:
            raise ValueError("voice %s has only one utterance; nothing is left to hold out for enrolment" % self.vid)
        k = max(range(len(self.pieces)), key=lambda i: self.pieces[i].source[3])
        name, a, b, speech = self.pieces[k].source
        if speech < min_speech_s:
            raise ValueError("voice %s has no utterance with %.1f s of speech to hold out for enrolment (longest %.2f s)"
                             % (self.vid, min_speech_s, speech))
        del self.pieces[k]
        self.bc_pieces = [c for c in self.bc_pieces
                          if not (c.source[0] == name and c.source[1] < b + 0.05 and c.source[2] > a - 0.05)]
        self.held_out = (name, a, b)
        return self.held_out

    def prefetch(self, n):
        pass

    def next_piece(self):
        if not self.order:
            self.order = [int(i) for i in self.rng.permutation(len(self.pieces))]
        return self.pieces[self.order.pop(0)]

    def backchannel(self):
        if self.bc_pieces:
            return self.bc_pieces[int(self.rng.integers(len(self.bc_pieces)))]
        if self.fallback is None:
            f0 = estimate_f0(np.concatenate([p.x for p in self.pieces]), self.rate)
            if f0 < 165:
                v, p = "en-us+m3", int(np.clip((f0 - 70) / 1.2, 0, 99))
            else:
                v, p = "en-us+f3", int(np.clip((f0 - 140) / 1.6, 0, 99))
            self.fallback = EspeakVoice(v, p, 170, self.rate, self.rng)
        return self.fallback.backchannel()


def estimate_f0(x, rate):
    """Median autocorrelation pitch over loud 40 ms frames (rough)."""
    n = int(0.04 * rate)
    f0s = []
    lo, hi = int(rate / 400), int(rate / 60)
    loud = np.percentile(np.abs(x), 99)
    for i in range(0, len(x) - n, n):
        fr = x[i:i + n]
        if np.sqrt(np.mean(fr ** 2)) < loud * 0.1:
            continue
        fr = fr - fr.mean()
        ac = np.correlate(fr, fr, "full")[n - 1:]
        if ac[0] <= 0:
            continue
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] / ac[0] > 0.5:
            f0s.append(rate / k)
    return float(np.median(f0s)) if f0s else 150.0


def make_voices(spec, names, rate, rng):
    """spec: 'espeak', 'real' or a comma list of items 'espeak:VOICE@PITCH', 'VOICE@PITCH' or a real id."""
    n = len(names)
    voices = []
    if spec == "espeak":
        fem = [ESPEAK_FEMALE[i] for i in rng.permutation(len(ESPEAK_FEMALE))]
        mal = [ESPEAK_MALE[i] for i in rng.permutation(len(ESPEAK_MALE))]
        for i, nm in enumerate(names):
            g = DEFAULT_GENDER.get(nm, "f" if i % 2 == 0 else "m")
            v, p, w = (fem if g == "f" else mal).pop(0)
            voices.append(EspeakVoice(v, p, w, rate, rng))
    elif spec == "real":
        ids = sorted(REAL)
        pick = rng.permutation(len(ids))[:n]
        voices = [RealVoice(ids[int(i)], rate, rng) for i in pick]
    else:
        items = [s.strip() for s in spec.split(",")]
        for it in items:
            if it.startswith("real:"):
                it = it[5:]
            if it in REAL:
                voices.append(RealVoice(it, rate, rng))
                continue
            if it.startswith("espeak:"):
                it = it[7:]
            v, _, p = it.partition("@")
            voices.append(EspeakVoice(v, int(p) if p else 50, 170, rate, rng))
    # espeak speakers get their own shuffled deck of sentences (disjoint where possible)
    order = [int(i) for i in rng.permutation(len(SENTENCES))]
    es = [v for v in voices if isinstance(v, EspeakVoice)]
    for k, v in enumerate(es):
        mine = order[k::len(es)] if es else order
        v.deck = [SENTENCES[i] for i in mine]
    return voices
