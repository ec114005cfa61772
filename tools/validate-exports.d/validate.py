"""Validates TalkBalance exports with real parsers (see tools/validate-exports --help).

One line per file on stdout: "ok FILE: summary" or "FAIL FILE: reason". Exit 1 if any file failed.
"""
import math
import os
import re
import sys
import xml.etree.ElementTree as ET

EPS = 1e-9


class Invalid(Exception):
    pass


def need(condition, message):
    if not condition:
        raise Invalid(message)


def fmt(x):
    return ("%.6f" % x).rstrip("0").rstrip(".")


def check_textgrid(path):
    from praatio import textgrid
    from praatio.data_classes.interval_tier import IntervalTier
    from praatio.data_classes.point_tier import PointTier

    with open(path, encoding="utf-8") as f:
        head = f.read(200)
    need(head.startswith('File type = "ooTextFile"\nObject class = "TextGrid"\n'), "not a long-format Praat TextGrid header")
    need("tiers? <exists>" in head, "not the long text format")
    tg = textgrid.openTextgrid(path, includeEmptyIntervals=True, reportingMode="error")
    lo, hi = tg.minTimestamp, tg.maxTimestamp
    need(lo == 0, f"xmin is {lo}, not 0")
    need(hi >= lo, f"xmax {hi} < xmin {lo}")
    parts = []
    for name in tg.tierNames:
        tier = tg.getTier(name)
        need(tier.minTimestamp == lo and tier.maxTimestamp == hi, f"tier {name!r} spans {tier.minTimestamp}-{tier.maxTimestamp}, not {lo}-{hi}")
        if isinstance(tier, IntervalTier):
            entries = list(tier.entries)
            need(entries, f"tier {name!r} has no intervals")
            need(abs(entries[0].start - lo) < EPS, f"tier {name!r} starts at {entries[0].start}")
            need(abs(entries[-1].end - hi) < EPS, f"tier {name!r} ends at {entries[-1].end}, not {hi}")
            for a, b in zip(entries, entries[1:]):
                need(abs(a.end - b.start) < EPS, f"tier {name!r}: gap or overlap between {a.end} and {b.start}")
            for e in entries:
                need(e.end > e.start or len(entries) == 1, f"tier {name!r}: empty interval at {e.start}")
            speech = sum(1 for e in entries if e.label != "")
            parts.append(f"{name} {len(entries)} intervals ({speech} labelled)")
        elif isinstance(tier, PointTier):
            times = [p.time for p in tier.entries]
            need(all(lo - EPS <= t <= hi + EPS for t in times), f"tier {name!r}: point outside {lo}-{hi}")
            need(all(a < b for a, b in zip(times, times[1:])), f"tier {name!r}: points not strictly in time order")
            parts.append(f"{name} {len(times)} points")
        else:
            raise Invalid(f"tier {name!r} of unknown class {type(tier).__name__}")
    return f"TextGrid {fmt(lo)}-{fmt(hi)} s, {len(tg.tierNames)} tiers: " + ", ".join(parts)


def check_eaf(path):
    from pympi.Elan import Eaf

    root = ET.parse(path).getroot()  # well-formed XML, or raises
    need(root.tag == "ANNOTATION_DOCUMENT", f"root element is {root.tag}")
    need(root.get("FORMAT") == "3.0" and root.get("VERSION") == "3.0", "not EAF 3.0")
    need(root.get("DATE") and root.get("AUTHOR") is not None, "DATE or AUTHOR missing")
    header = root.find("HEADER")
    need(header is not None and header.get("TIME_UNITS") == "milliseconds", "HEADER with TIME_UNITS=milliseconds missing")
    order = [child.tag for child in root]
    expected = ["HEADER", "TIME_ORDER", "TIER", "LINGUISTIC_TYPE", "LOCALE", "LANGUAGE", "CONSTRAINT"]
    ranks = [expected.index(t) if t in expected else len(expected) for t in order]
    need(ranks == sorted(ranks), f"elements out of schema order: {order}")
    ids = [a.get("ANNOTATION_ID") for a in root.iter("ALIGNABLE_ANNOTATION")]
    need(len(ids) == len(set(ids)), "duplicate ANNOTATION_ID")
    slots = [s.get("TIME_SLOT_ID") for s in root.iter("TIME_SLOT")]
    need(len(slots) == len(set(slots)), "duplicate TIME_SLOT_ID")

    eaf = Eaf(path, suppress_version_warning=True)
    need(eaf.media_descriptors, "no MEDIA_DESCRIPTOR")
    for m in eaf.media_descriptors:
        need(m.get("MEDIA_URL") and m.get("MIME_TYPE"), "MEDIA_DESCRIPTOR without MEDIA_URL or MIME_TYPE")
        need(m["MEDIA_URL"].startswith("file:") or not m["MEDIA_URL"].startswith("/"), "MEDIA_URL is neither a file: URL nor relative")
    parts = []
    for name in eaf.get_tier_names():
        attributes = eaf.tiers[name][2]
        need(attributes.get("LINGUISTIC_TYPE_REF") in eaf.linguistic_types, f"tier {name!r}: undefined linguistic type")
        for aid, (ts1, ts2, value, _) in eaf.tiers[name][0].items():
            need(eaf.timeslots.get(ts1) is not None and eaf.timeslots.get(ts2) is not None, f"tier {name!r}: {aid} has an unresolved time slot")
        data = sorted(eaf.get_annotation_data_for_tier(name))
        for begin, end, *_ in data:
            need(0 <= begin < end, f"tier {name!r}: annotation {begin}-{end} ms is empty or negative")
        for a, b in zip(data, data[1:]):
            need(a[1] <= b[0], f"tier {name!r}: annotations overlap ({a[0]}-{a[1]} and {b[0]}-{b[1]} ms)")
        parts.append(f"{name} {len(data)} annotations")
    return f"EAF {len(eaf.get_tier_names())} tiers: " + ", ".join(parts)


def seconds(stamp):
    """HH:MM:SS.mmm or MM:SS.mmm (webvtt-py's start_in_seconds drops the milliseconds)."""
    parts = stamp.split(":")
    need(len(parts) in (2, 3) and re.fullmatch(r"\d{2}\.\d{3}", parts[-1]), f"bad timestamp {stamp!r}")
    value = 0.0
    for p in parts:
        value = value * 60 + float(p)
    return value


def check_vtt(path):
    import webvtt

    with open(path, encoding="utf-8") as f:
        first = f.readline().rstrip("\n")
    need(first == "WEBVTT" or first.startswith("WEBVTT ") or first.startswith("WEBVTT\t"), "first line is not WEBVTT")
    cues = list(webvtt.read(path))
    need(cues, "no cues")
    previous = -math.inf
    voices = []
    for c in cues:
        s, e = seconds(c.start), seconds(c.end)
        need(e > s, f"cue {c.start} --> {c.end}: end not after start")
        need(s >= previous, f"cue {c.start}: starts before the cue before it")
        previous = s
        if c.voice and c.voice not in voices:
            voices.append(c.voice)
    voiced = sum(1 for c in cues if c.voice)
    return f"WebVTT {len(cues)} cues ({voiced} voiced: {', '.join(voices)})"


def check_audacity(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    need(text == "" or text.endswith("\n"), "last line not terminated")
    lines = text.split("\n")[:-1] if text else []
    for n, line in enumerate(lines, 1):
        fields = line.split("\t")
        need(len(fields) == 3, f"line {n}: {len(fields)} tab-separated fields, not 3")
        try:
            start, end = float(fields[0]), float(fields[1])
        except ValueError:
            raise Invalid(f"line {n}: start or end is not a number")
        need(math.isfinite(start) and math.isfinite(end) and 0 <= start <= end, f"line {n}: start {start} end {end}")
    return f"Audacity labels, {len(lines)} lines"


CHECKS = {".textgrid": check_textgrid, ".eaf": check_eaf, ".vtt": check_vtt, ".txt": check_audacity}


def main(paths):
    failed = 0
    for path in paths:
        check = CHECKS.get(os.path.splitext(path)[1].lower())
        try:
            need(check is not None, "unknown extension (expected .TextGrid, .eaf, .vtt or .txt)")
            need(os.path.isfile(path), "no such file")
            print(f"ok {path}: {check(path)}", flush=True)
        except Exception as error:  # the parsers raise many kinds; each is a failure of this file
            failed += 1
            reason = str(error) if isinstance(error, Invalid) else f"{type(error).__name__}: {error}"
            print(f"FAIL {path}: {reason}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
