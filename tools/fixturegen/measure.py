"""Listen-free measurement of a generated session: crosstalk level per mic pair vs. the settings.

python3 tools/fixturegen/measure.py DIR/NAME
For each person j, takes the frames where only j speaks (truth RTTM, 0.1 s away from anyone else),
subtracts the noise power measured in frames where nobody speaks, and reports j's level on every
other mic relative to j's own mic, next to settings.crosstalk[...].levelVsOwnMicDb.
"""
import json
import math
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from fixturegen.check import read_rttm  # noqa: E402


def main(base):
    ev = json.load(open(base + ".events.json"))
    path = os.path.join(os.path.dirname(base), ev["file"])
    raw = subprocess.run(["sox", path, "-t", "raw", "-e", "signed", "-b", "16", "-"],
                         capture_output=True, check=True).stdout
    names = ev["speakers"]
    n = len(names)
    x = np.frombuffer(raw, "<i2").astype(float).reshape(-1, n).T / 32768
    sr = ev["sampleRate"]
    fl = sr // 100
    nf = x.shape[1] // fl
    pw = (x[:, :nf * fl].reshape(n, nf, fl) ** 2).mean(2)
    truth = read_rttm(base + ".rttm")
    act = np.zeros((n, nf), bool)
    for k, nm in enumerate(names):
        for a, b in truth.get(nm, []):
            act[k, max(0, int((a - 0.1) * 100)):int((b + 0.1) * 100)] = True
    quiet = ~act.any(0)
    noise = pw[:, quiet].mean(1) if quiet.any() else np.zeros(n)
    worst = 0.0
    print("%s: %.2f s, %d ch, %d quiet frames" % (ev["file"], x.shape[1] / sr, n, quiet.sum()))
    for j, nj in enumerate(names):
        solo = act[j] & (act.sum(0) == 1)
        own = pw[j, solo].mean() - noise[j]
        for k, nk in enumerate(names):
            if k == j:
                continue
            other = max(pw[k, solo].mean() - noise[k], 1e-20)
            meas = 10 * math.log10(other / own)
            exp = ev["settings"]["crosstalk"]["%s->%s" % (nj, nk)]["levelVsOwnMicDb"]
            worst = max(worst, abs(meas - exp))
            print("  %s on %s's mic: %6.2f dB (expected %6.2f)" % (nj, nk, meas, exp))
    snr = ev["settings"].get("snrDb")
    if snr is not None:
        for k, nk in enumerate(names):
            solo = act[k] & (act.sum(0) == 1)
            s = pw[k, solo].mean() - noise[k]
            # speech level is measured over truth speech frames; 'solo' frames include some fringe
            print("  SNR on %s's mic: %.1f dB (set %.1f; frames differ slightly)" % (nk, 10 * math.log10(s / noise[k]), snr))
    return worst


if __name__ == "__main__":
    w = main(sys.argv[1])
    print("max |measured - expected| crosstalk: %.2f dB" % w)
    sys.exit(0 if w < 1.5 else 1)
