"""Self-check of a generated session against the event margins, on the truth segmentation.

Usable standalone:  python3 tools/fixturegen/check.py DIR/NAME   (reads NAME.rttm + NAME.events.json)
"""
import json
import os
import sys

TOL = 0.02


def seg_at(segs, t, tol=0.05):
    for a, b in segs:
        if a - tol <= t <= b + tol:
            return (a, b)
    return None


def seg_starting(segs, t, tol=0.03):
    best = None
    for a, b in segs:
        if abs(a - t) <= tol and (best is None or abs(a - t) < abs(best[0] - t)):
            best = (a, b)
    return best


def check(truth, events, raw_runs=None, n_int=None, n_bc=None):
    """truth: {name: [(start, end)]}; events: list of dicts as in events.json;
    raw_runs: optional {name: [(start, end)]} runs with no raw pause >= 0.2 s.
    Returns a list of problems (empty = fine)."""
    bad = []
    used = set()   # pairs of (name, seg) explained by an event

    def continuous(name, a, b):
        if raw_runs is None:
            return True
        return any(ra - TOL <= a and b <= rb + TOL for ra, rb in raw_runs[name])

    for e in events:
        t, by = e["time"], e["by"]
        s = seg_starting(truth[by], t)
        if s is None:
            bad.append("%s at %.3f: no truth segment of %s starts there" % (e["type"], t, by))
            continue
        if e["type"] == "backchannel":
            h = e["to"]
            hs = seg_at(truth[h], t, 0.0)
            if s[1] - s[0] > 0.8 + 1e-6:
                bad.append("backchannel at %.3f lasts %.3f s > 0.8" % (t, s[1] - s[0]))
            if hs is None or s[0] - hs[0] < 0.8 - 1e-6 or hs[1] - s[1] < 0.8 - 1e-6:
                bad.append("backchannel at %.3f not >= 0.8 s inside %s's segment %s" % (t, h, hs))
            elif not continuous(h, s[0] - 0.8, s[1] + 0.8):
                bad.append("backchannel at %.3f: %s pauses >= 0.2 s around it" % (t, h))
            if hs:
                used.add(frozenset([(by, s), (h, hs)]))
        elif e["type"] == "interruption":
            h = e["of"]
            hs = seg_at(truth[h], t, 0.0)
            if hs is None or t - hs[0] < 1.5 - 1e-6:
                bad.append("interruption at %.3f: %s has not spoken 1.5 s (%s)" % (t, h, hs))
                continue
            if not continuous(h, t - 1.5, t):
                bad.append("interruption at %.3f: %s paused >= 0.2 s in the 1.5 s before" % (t, h))
            dur = s[1] - s[0]
            if dur < 1.8 - 1e-6:
                bad.append("interruption at %.3f: interrupter speech %.3f s < 1.8" % (t, dur))
            ov = min(s[1], hs[1]) - max(s[0], hs[0])
            if ov < 0.6 - 1e-6:
                bad.append("interruption at %.3f: overlap %.3f s < 0.6" % (t, ov))
            if e["successful"]:
                cut = hs[1] - t
                if not (0.6 - TOL <= cut <= 1.5 + TOL):
                    bad.append("successful interruption at %.3f: holder stops %.3f s after, not 0.6-1.5" % (t, cut))
                if s[1] <= hs[1] + 0.5:
                    bad.append("successful interruption at %.3f: interrupter does not keep the floor" % t)
                nxt = [a for a, b in truth[h] if a > hs[1]]
                if nxt and nxt[0] < s[1]:
                    bad.append("successful interruption at %.3f: holder resumes during interrupter" % t)
            else:
                if dur > 2.0 + TOL:
                    bad.append("unsuccessful interruption at %.3f: interrupter speaks %.3f s > 2.0" % (t, dur))
                if hs[1] - s[1] < 2.0 - 1e-6:
                    bad.append("unsuccessful interruption at %.3f: holder continues only %.3f s" % (t, hs[1] - s[1]))
            used.add(frozenset([(by, s), (h, hs)]))
        else:
            bad.append("unknown event type %r" % e["type"])
    # every other overlap must be terminal (<= 0.2 s, at a change of speaker)
    names = list(truth)
    for i, p in enumerate(names):
        for q in names[i + 1:]:
            for a in truth[p]:
                for b in truth[q]:
                    ov = min(a[1], b[1]) - max(a[0], b[0])
                    if ov <= 0:
                        continue
                    if frozenset([(p, a), (q, b)]) in used:
                        continue
                    first, second = (a, b) if a[0] <= b[0] else (b, a)
                    if ov <= 0.2 + 1e-6 and second[1] > first[1]:
                        continue
                    bad.append("unexplained overlap %.3f s between %s %s and %s %s" % (ov, p, a, q, b))
    if n_int is not None and sum(e["type"] == "interruption" for e in events) != n_int:
        bad.append("wrong number of interruptions")
    if n_bc is not None and sum(e["type"] == "backchannel" for e in events) != n_bc:
        bad.append("wrong number of backchannels")
    return bad


def read_rttm(path):
    truth = {}
    with open(path) as fh:
        for line in fh:
            p = line.split()
            if len(p) >= 8 and p[0] == "SPEAKER":
                a, d = float(p[3]), float(p[4])
                truth.setdefault(p[7], []).append((round(a, 3), round(a + d, 3)))
    for k in truth:
        truth[k].sort()
    return truth


def main(argv):
    if len(argv) != 1:
        print("usage: check.py DIR/NAME", file=sys.stderr)
        return 2
    base = argv[0]
    truth = read_rttm(base + ".rttm")
    with open(base + ".events.json") as fh:
        ev = json.load(fh)
    for s in ev["speakers"]:
        truth.setdefault(s, [])
    bad = check(truth, ev["events"])
    for b in bad:
        print("FAIL:", b)
    if not bad:
        print("ok: %s (%d events)" % (os.path.basename(base), len(ev["events"])))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
