"""Small audio helpers: reading, resampling, framing, activity masks, writing."""
import io
import math
import os
import subprocess
import tempfile
import wave

import numpy as np
from scipy.signal import resample_poly

FRAME_S = 0.010
REL_DB = 35.0          # a frame is speech if within 35 dB of the loud level
ABS_FLOOR = 10 ** (-75 / 20)   # tiny absolute floor (about -75 dBFS)
REF_RMS = 0.1          # clips are normalised to this active RMS (-20 dBFS)


def resample(x, sr_in, sr_out):
    if sr_in == sr_out:
        return x
    g = math.gcd(int(sr_in), int(sr_out))
    return resample_poly(x, sr_out // g, sr_in // g).astype(np.float64)


def read_audio(path):
    """Read any file sox understands; returns (float64 mono/first channel array, rate)."""
    wav = subprocess.run(["sox", "-R", path, "-t", "wav", "-b", "16", "-"],
                         capture_output=True, check=True).stdout
    return parse_wav_bytes(wav)


def parse_wav_bytes(b):
    """Parse a 16-bit PCM WAV (tolerates the 0xFFFFFFFF sizes written by espeak-ng --stdout)."""
    if b[:4] != b"RIFF" or b[8:12] != b"WAVE":
        raise ValueError("not a WAV stream")
    pos = 12
    sr = ch = None
    while pos + 8 <= len(b):
        cid = b[pos:pos + 4]
        size = int.from_bytes(b[pos + 4:pos + 8], "little")
        if cid == b"fmt ":
            ch = int.from_bytes(b[pos + 10:pos + 12], "little")
            sr = int.from_bytes(b[pos + 12:pos + 16], "little")
        if cid == b"data":
            data = b[pos + 8:]
            if size < len(data):
                data = data[:size]
            data = data[:len(data) // 2 * 2]
            x = np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0
            if ch and ch > 1:
                x = x[:len(x) // ch * ch].reshape(-1, ch)[:, 0]
            return x, sr
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def frame_rms(x, rate):
    n = int(round(FRAME_S * rate))
    m = len(x) // n
    if m == 0:
        return np.zeros(0)
    fr = x[:m * n].reshape(m, n)
    return np.sqrt(np.mean(fr * fr, axis=1))


def activity(x, rate, loud=None):
    """10 ms frame mask: RMS within REL_DB of the loud level (95th percentile) and above ABS_FLOOR."""
    r = frame_rms(x, rate)
    if loud is None:
        above = r[r > ABS_FLOOR]
        loud = np.percentile(above, 95) if len(above) else 1.0
    thr = max(loud * 10 ** (-REL_DB / 20), ABS_FLOOR)
    return r > thr, loud


def mask_to_segments(mask, bridge_s=0.25, min_s=0.15):
    """Frames -> [(start_s, end_s)], bridging pauses < bridge_s and dropping segments < min_s."""
    segs = []
    idx = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    starts, ends = idx[0::2], idx[1::2]
    for s, e in zip(starts, ends):
        s_t, e_t = s * FRAME_S, e * FRAME_S
        if segs and s_t - segs[-1][1] < bridge_s - 1e-9:
            segs[-1] = (segs[-1][0], e_t)
        else:
            segs.append((s_t, e_t))
    return [(round(a, 3), round(b, 3)) for a, b in segs if b - a >= min_s - 1e-9]


def runs(mask, max_gap_s=0.19):
    """Continuous runs (seconds) of a frame mask where no pause >= max_gap_s occurs inside."""
    return mask_to_segments(mask, bridge_s=max_gap_s, min_s=0.0)


def trim_active(x, rate, pad_s=0.01):
    m, loud = activity(x, rate)
    idx = np.flatnonzero(m)
    if len(idx) == 0:
        return x
    n = int(round(FRAME_S * rate))
    a = max(0, idx[0] * n - int(pad_s * rate))
    b = min(len(x), (idx[-1] + 1) * n + int(pad_s * rate))
    return fade(x[a:b].copy(), rate, 0.005, 0.005)


def fade(x, rate, fin_s, fout_s):
    nin, nout = int(fin_s * rate), int(fout_s * rate)
    if nin > 0 and len(x) > nin:
        x[:nin] *= np.linspace(0.0, 1.0, nin)
    if nout > 0 and len(x) > nout:
        x[-nout:] *= np.linspace(1.0, 0.0, nout)
    return x


def normalise(x, rate, target=REF_RMS):
    m, _ = activity(x, rate)
    n = int(round(FRAME_S * rate))
    r = frame_rms(x, rate)
    act = r[m] if m.any() else r
    level = math.sqrt(float(np.mean(act ** 2))) if len(act) else 1.0
    return x * (target / max(level, 1e-9))


def write_pcm16(path, chans, rate, fmt):
    """chans: (n_ch, n) float array in [-1, 1]. Writes 16-bit PCM WAV or FLAC."""
    pcm = np.clip(np.round(chans.T * 32767.0), -32768, 32767).astype("<i2")
    if fmt == "wav":
        dst = path
    else:
        fd, dst = tempfile.mkstemp(suffix=".wav", dir=os.path.dirname(path) or ".")
        os.close(fd)
    with wave.open(dst, "wb") as w:
        w.setnchannels(chans.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    if fmt == "flac":
        try:
            subprocess.run(["sox", "-R", "-V1", dst, "-b", "16", path], check=True)
        finally:
            os.unlink(dst)
