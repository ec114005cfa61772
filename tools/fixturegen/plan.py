"""Dialogue planner: places utterances, backchannels and interruptions on a timeline."""
import numpy as np

from .voices import Clip, join
from . import audio


class Placement:
    def __init__(self, spk, start, clip, cut=None, role="utt"):
        self.spk, self.start, self.clip, self.cut, self.role = spk, start, clip, cut, role

    @property
    def x(self):
        x = self.clip.x
        if self.cut is not None:
            n = int(round(self.cut * self.clip.rate))
            x = audio.fade(x[:n].copy(), self.clip.rate, 0.0, 0.020)
        return x

    @property
    def end(self):
        return self.start + len(self.x) / self.clip.rate

    def runs(self):
        """Absolute continuous runs (no pause >= 0.19 s) of this placement."""
        out = []
        for a, b in self.clip.runs():
            if self.cut is not None:
                if a >= self.cut:
                    continue
                b = min(b, self.cut)
            out.append((self.start + a, self.start + b))
        return out

    def active_end(self):
        r = self.runs()
        return r[-1][1] if r else self.end


class Fail(Exception):
    pass


def build_utt(voice, rng, min_run=0.0, min_first=0.0, tries=8):
    """An utterance of 1-4 pieces joined with short gaps, meeting run-length needs."""
    rate = None
    for _ in range(tries):
        pieces = [voice.next_piece()]
        rate = pieces[0].rate
        gaps = []
        while True:
            c = pieces[0] if len(pieces) == 1 else join(pieces, gaps, rate, " / ".join(p.label for p in pieces))
            rs = c.runs()
            if not rs:
                break
            first_ok = rs[0][0] < 0.05 and rs[0][1] - rs[0][0] >= min_first
            run_ok = max(b - a for a, b in rs) >= min_run
            if first_ok and run_ok:
                return c
            # only extending helps when the last run reaches the clip end
            if len(pieces) >= 4 or c.dur - rs[-1][1] > 0.05:
                break
            if not first_ok and len(rs) > 1:
                break
            pieces.append(voice.next_piece())
            gaps.append(float(rng.uniform(0.03, 0.07)))
    raise Fail("no utterance with a long enough continuous run")


def plan(voices, names, D, n_int, n_bc, rng):
    n = len(voices)
    n_succ = n_int // 2 + (int(rng.integers(0, 2)) if n_int % 2 else 0)
    kinds = ["S"] * n_succ + ["U"] * (n_int - n_succ) + ["B"] * n_bc
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    # per-speaker verbosity: probabilities of 1, 2, 3 utterances per turn
    verb = []
    for _ in range(n):
        w = rng.dirichlet([2.0, 2.0, 1.5])
        verb.append(w)
    mean_utts = [float(np.dot(w, [1, 2, 3])) for w in verb]
    avg_piece = 2.9
    avg_turn = avg_piece * float(np.mean(mean_utts)) + 0.5 * (float(np.mean(mean_utts)) - 1) + 0.45
    for v in voices:
        v.prefetch(int(D / avg_piece / n * 1.3) + 6)

    P = []        # placements
    E = []        # planned events
    t = float(rng.uniform(0.3, 1.0))
    cur = int(rng.integers(n))
    forced = None  # (speaker, absolute start of first run) for a successful interrupter's turn
    prev_spk = None
    while True:
        if forced is None and t > D - 2.5:
            break
        ev = None
        if kinds and forced is None and t > 2.0:
            turns_left = max((D - t) / avg_turn, 0.01)
            p = len(kinds) / turns_left
            if p >= 0.7 or rng.random() < p:
                ev = kinds.pop(0)
        n_utt = int(rng.choice([1, 2, 3], p=verb[cur]))
        ev_idx = None
        if ev == "S":
            ev_idx = n_utt - 1
        elif ev is not None:
            ev_idx = int(rng.integers(n_utt))
        turn_start_placed = False
        for u in range(n_utt):
            if u > 0:
                t += float(rng.uniform(0.3, 0.7))
            listener = None
            extra = None
            if u == ev_idx:
                others = [k for k in range(n) if k != cur]
                listener = others[int(rng.integers(len(others)))]
                if ev == "B":
                    bc = voices[listener].backchannel()
                    brs = bc.runs()
                    if not brs:
                        raise Fail("silent backchannel")
                    blen = brs[-1][1] - brs[0][0]
                    if blen > 0.75:
                        raise Fail("backchannel too long")
                    clip = build_utt(voices[cur], rng, min_run=0.95 + blen + 0.95)
                    extra = (bc, brs[0][0], blen)
                elif ev == "U":
                    slen = float(rng.uniform(1.86, 1.94))
                    ic = build_utt(voices[listener], rng, min_first=slen + 0.1)
                    clip = build_utt(voices[cur], rng, min_run=1.65 + slen + 2.15)
                    extra = (ic, slen)
                else:  # S
                    off = float(rng.uniform(0.7, 1.4))
                    ic = build_utt(voices[listener], rng, min_first=2.2)
                    clip = build_utt(voices[cur], rng, min_run=1.65 + off + 0.1)
                    extra = (ic, off)
            elif u == 0 and forced is not None:
                clip = forced[2]
            else:
                clip = voices[cur].next_piece()
            rs = clip.runs()
            lead = rs[0][0] if rs else 0.0
            if u == 0 and forced is not None:
                start = forced[1] - lead
            else:
                start = t - lead
            if start + clip.dur > D - 0.3:
                if u == ev_idx or (u == 0 and forced is not None):
                    raise Fail("event does not fit")
                break
            pl = Placement(cur, start, clip)
            P.append(pl)
            turn_start_placed = True
            if u == ev_idx:
                cand = []
                for a, b in pl.runs():
                    if ev == "B":
                        lo, hi = a + 0.9, b - 0.9 - extra[2]
                    elif ev == "U":
                        lo, hi = a + 1.6, b - extra[1] - 2.1
                    else:
                        lo, hi = a + 1.6, b - extra[1] - 0.05
                    if hi > lo:
                        cand.append((lo, hi))
                if not cand:
                    raise Fail("no window for event")
                lo, hi = cand[int(rng.integers(len(cand)))]
                te = float(rng.uniform(lo, hi))
                if ev == "B":
                    bc, lead_b, blen = extra
                    P.append(Placement(listener, te - lead_b, bc, role="backchannel"))
                    E.append({"type": "backchannel", "time": te, "by": listener, "to": cur})
                elif ev == "U":
                    ic, slen = extra
                    irs = ic.runs()
                    P.append(Placement(listener, te - irs[0][0], ic, cut=irs[0][0] + slen,
                                       role="interruption"))
                    E.append({"type": "interruption", "time": te, "by": listener, "of": cur,
                              "successful": False})
                else:
                    ic, off = extra
                    pl.cut = te + off - pl.start
                    E.append({"type": "interruption", "time": te, "by": listener, "of": cur,
                              "successful": True, "cut": te + off})
                    forced = (listener, te, ic)
            t = pl.active_end()
            if ev == "S" and u == ev_idx:
                break
        if not turn_start_placed and forced is None:
            break
        if forced is not None and ev == "S":
            prev_spk, cur = cur, forced[0]
            t = forced[1]
            continue
        forced = None
        # next speaker and gap
        others = [k for k in range(n) if k != cur]
        prev_spk, cur = cur, others[int(rng.integers(len(others)))]
        if rng.random() < 0.8:
            t += float(rng.uniform(0.1, 0.8))
        else:
            t -= float(rng.uniform(0.05, 0.15))
    if kinds:
        raise Fail("ran out of time for events")
    P.sort(key=lambda p: p.start)
    E.sort(key=lambda e: e["time"])
    return P, E
