"""How well the notes parser reads notes as other people write them: a report, not a gate.

    python scripts/wild_notes.py FOLDER [--json] [--corpus-extra DIR]

FOLDER holds other people's notes and a talks.yaml that lists, per source, the talks counted
by hand (see tests/data/wild/). The notes are made into a corpus (scripts/wild_corpus.py),
`python -m index.check --json` reads it, and each source's hand-counted talks are matched
one to one with the talks the parser reported. Printed per source and in total, beside the
targets: talk counts (within ±15% of the hand count), found (hand talks with a reported
talk of the right title), precision (reported talks that are hand talks), the lines in and
out of talks, and the wall time of `index.check` on DIR (default: corpus/) plus FOLDER.
Always exits 0 unless something crashes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from wild_corpus import copy_tree, load_sources, make_corpus

MATCH = 85.0            # a title score at or above this is the same talk
TARGETS = {"found": 0.90, "precision": 0.90, "count_tolerance": 0.15, "dropped": 0,
           "check_seconds": 2.0}
LINE_KEYS = ("content", "in_talks", "outside_talks", "dropped")
STOP = {"a", "an", "the", "and", "of", "in", "on", "to", "for", "with", "at", "by", "from",
        "is", "it", "its", "de", "la", "le", "les", "et", "du", "des"}
GENERIC_REMARKS = {"no heading", "untitled", "no title"}
PUNCT = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


# --- the title matcher ------------------------------------------------------------------------

def norm(text: str) -> str:
    """Lower-case words only: markup, links, quotes, accents, punctuation and '.md' removed."""
    text = unicodedata.normalize("NFKD", str(text).translate(PUNCT))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\.md\b", " ", text)
    text = re.sub(r"(\w)'(\w)", r"\1\2", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def hand_variants(title: str) -> list[tuple[str, bool]]:
    """Ways to read a hand-written title, each with whether a reported title may contain it
    (or be contained in it) rather than only resemble it: as written, without its
    (remarks), each remark alone, and the part before a ' - ' or ',' (the title without
    speakers) when it has two words or more."""
    bare = re.sub(r"\([^)]*\)", " ", title)
    remarks = [re.sub(r"^\s*under\s+", "", r) for r in re.findall(r"\(([^)]*)\)", title)
               if norm(r) not in GENERIC_REMARKS]
    cores = [c for c in (re.split(r"\s+[-–—]\s+|\s+@", bare)[0], bare.split(",")[0])
             if len(set(norm(c).split()) - STOP) >= 2]     # 'Dan Kohn', not 'CNI' or 'KEDA'
    out: dict[str, bool] = {}
    for text, subset in [(title, True), (bare, True), *((r, True) for r in remarks),
                         *((c, False) for c in cores)]:
        if (n := norm(text)) and not out.get(n):
            out[n] = subset
    return list(out.items())


def reported_variants(talk: dict[str, Any]) -> list[tuple[str, bool]]:
    """Ways to read a reported talk: its title and official title, alone and with its
    speakers and companies; its speakers alone (a keynote noted under the speaker's name)."""
    people = " ".join([*talk.get("speakers", ()), *talk.get("companies", ())])
    out: dict[str, bool] = {}
    for title in (talk.get("title", ""), talk.get("official_title") or ""):
        for text in (title, f"{title} {people}"):
            if norm(text):
                out[norm(text)] = True
    speakers = norm(" ".join(talk.get("speakers", ())))
    if speakers and speakers not in out:
        out[speakers] = False
    return list(out.items())


def _content(words: set[str]) -> int:
    return sum(len(w) for w in words if w not in STOP)


def pair_score(hand: str, reported: str, subset: bool = True) -> float:
    """0-100: how surely two normalised titles name one talk. Whole-string likeness always
    counts; containment (token_set_ratio, partial_ratio) only when nearly all the hand title's
    words are in the reported one, or a reported title of some length is nearly all in a hand
    title it covers most of, so that 'Envoy' does not match every Envoy talk. Titles whose
    numbers differ ('Day 1 keynote', 'Day 2 keynote') never match."""
    h_words, r_words = set(hand.split()), set(reported.split())
    h_numbers = {w for w in h_words if w.isdigit()}
    r_numbers = {w for w in r_words if w.isdigit()}
    if h_numbers and r_numbers and not h_numbers & r_numbers:
        return 0.0                                  # 'Day 1 keynote' is not 'Day 2 keynote'
    base = max(fuzz.ratio(hand, reported), fuzz.token_sort_ratio(hand, reported))
    h_size, r_size = _content(h_words), _content(r_words)
    if not subset or h_size < 5 or r_size < 5:
        return base
    common = _content(h_words & r_words)
    cover_h, cover_r = common / h_size, common / r_size
    if cover_h >= 0.85 or (cover_r >= 0.9 and cover_h >= 0.6 and r_size >= 10):
        partial = fuzz.partial_ratio(hand, reported)
        return max(base, fuzz.token_set_ratio(hand, reported), partial)
    return base


def title_score(hand: str, talk: dict[str, Any]) -> tuple[float, float]:
    """(best score over the readings of both sides, plain likeness for breaking ties)."""
    best = 0.0
    for h, h_sub in hand_variants(hand):
        for r, r_sub in reported_variants(talk):
            best = max(best, pair_score(h, r, h_sub and r_sub))
    full = f"{talk.get('title', '')} {' '.join(talk.get('speakers', ()))}"
    return best, fuzz.ratio(norm(hand), norm(full))


def match_talks(hand: list[str], reported: list[dict[str, Any]]
                ) -> list[tuple[int, int, float]]:
    """One-to-one (hand index, reported index, score), best scores first, each >= MATCH."""
    pairs = []
    for i, title in enumerate(hand):
        for j, talk in enumerate(reported):
            score, tie = title_score(title, talk)
            if score >= MATCH:
                pairs.append((score, tie, i, j))
    pairs.sort(key=lambda p: (-p[0], -p[1], p[2], p[3]))
    used_h: set[int] = set()
    used_r: set[int] = set()
    out = []
    for score, _tie, i, j in pairs:
        if i not in used_h and j not in used_r:
            used_h.add(i)
            used_r.add(j)
            out.append((i, j, round(score, 1)))
    return out


# --- running index.check -------------------------------------------------------------------

def run_check(corpus: Path) -> tuple[dict[str, Any], float]:
    """`python -m index.check --json --corpus CORPUS` (this interpreter): its report and
    wall time in seconds. Exit 1 (the corpus has problems) is a report, not a crash."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "index.check", "--json", "--corpus",
                           str(corpus)], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - start
    try:
        return json.loads(proc.stdout), seconds
    except json.JSONDecodeError:
        raise RuntimeError(f"index.check exited {proc.returncode} without a JSON report:\n"
                           f"{proc.stderr[-3000:]}") from None


def time_check(folder: Path, extra: Path, runs: int = 3) -> float:
    """Median wall time of index.check on EXTRA's files plus FOLDER's notes in one corpus."""
    with tempfile.TemporaryDirectory(prefix="wild-notes-") as tmp:
        corpus = Path(tmp) / "corpus"
        copy_tree(extra, corpus)
        make_corpus(folder, corpus)
        return round(statistics.median(run_check(corpus)[1] for _ in range(runs)), 3)


# --- the figures ---------------------------------------------------------------------------

def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def sum_lines(notes: list[dict[str, Any]]) -> dict[str, int | None] | None:
    """`lines` summed over notes; a figure no note reports is None; None without notes."""
    if not notes:
        return None
    return {k: (sum(n["lines"][k] for n in notes)
                if all(k in (n.get("lines") or {}) for n in notes) else None)
            for k in LINE_KEYS}


def source_figures(src: dict[str, Any], doc: dict[str, Any], files: list[Path],
                   corpus: Path) -> dict[str, Any]:
    """One source's hand count against what index.check reported for its files."""
    mine = {_key(p) for p in files}
    notes = [n for n in doc.get("notes", []) if _key(n["path"]) in mine]
    reported = [{**t, "path": str(Path(n["path"]).resolve().relative_to(corpus.resolve()))}
                for n in notes for t in n.get("talks", [])]
    hand = [str(t) for t in src["talks"]]
    pairs = match_talks(hand, reported)
    hit_h, hit_r = {i for i, _, _ in pairs}, {j for _, j, _ in pairs}
    count = int(src.get("talk_count", len(hand)))
    problems = [p for p in doc.get("problems", []) if _key(p.get("path", "")) in mine]
    return {
        "short_name": src["short_name"],
        "hand": count,
        "reported": len(reported),
        "within": abs(len(reported) - count) <= TARGETS["count_tolerance"] * count,
        "found": len(pairs),
        "precision": len(hit_r) / len(reported) if reported else None,
        "matches": [{"hand": hand[i], "reported": reported[j]["title"], "score": s}
                    for i, j, s in pairs],
        "unmatched_hand": [t for i, t in enumerate(hand) if i not in hit_h],
        "unmatched_reported": [{"title": t["title"], "path": t["path"], "line": t.get("line")}
                               for j, t in enumerate(reported) if j not in hit_r],
        "lines": sum_lines(notes),
        "problems": [f"{Path(p['path']).name}:{p.get('line')}: {p['message']}"
                     for p in problems],
    }


def totals_of(sources: list[dict[str, Any]]) -> dict[str, Any]:
    hand = sum(s["hand"] for s in sources)
    reported = sum(s["reported"] for s in sources)
    found = sum(s["found"] for s in sources)
    lines = {k: (None if any(s["lines"] is None or s["lines"][k] is None for s in sources)
                 else sum(s["lines"][k] for s in sources)) for k in LINE_KEYS}
    return {"hand": hand, "reported": reported, "found": found,
            "found_share": found / hand if hand else 0.0,
            "precision": found / reported if reported else 0.0,
            "sources": len(sources), "sources_within": sum(s["within"] for s in sources),
            "lines": lines}


def verdicts(totals: dict[str, Any], check_seconds: float | None) -> dict[str, bool | None]:
    """Each target: True (met), False (missed; an unknown figure misses), None (not run)."""
    dropped = totals["lines"]["dropped"]
    return {
        "found": totals["found_share"] >= TARGETS["found"],
        "precision": totals["precision"] >= TARGETS["precision"],
        "counts": totals["sources_within"] == totals["sources"],
        "dropped": dropped is not None and dropped <= TARGETS["dropped"],
        "check_seconds": (None if check_seconds is None
                          else check_seconds < TARGETS["check_seconds"]),
    }


def report(folder: Path, extra: Path | None = None) -> dict[str, Any]:
    """Every figure for FOLDER; with EXTRA, also index.check's time on EXTRA + FOLDER."""
    with tempfile.TemporaryDirectory(prefix="wild-notes-") as tmp:
        corpus = Path(tmp) / "corpus"
        files = make_corpus(folder, corpus)
        doc, _ = run_check(corpus)
        sources = [source_figures(src, doc, files[src["short_name"]], corpus)
                   for src in load_sources(folder)]
    totals = totals_of(sources)
    seconds = time_check(folder, extra) if extra is not None else None
    return {"folder": str(folder), "targets": TARGETS, "sources": sources, "totals": totals,
            "check_seconds": seconds, "check_corpus": str(extra) if extra else None,
            "pass": verdicts(totals, seconds)}


# --- printing ------------------------------------------------------------------------------

def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _lines(lines: dict[str, int | None] | None) -> str:
    values = [None] * 3 if lines is None else [lines[k] for k in
                                                 ("content", "outside_talks", "dropped")]
    return "/".join("?" if v is None else str(v) for v in values)


def _flag(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "not run"}[ok]


def print_sources(rep: dict[str, Any]) -> None:
    print(f"{'source':40} {'hand':>4} {'rep':>4} {'±15%':>5} {'found':>10} {'precision':>9}"
          f"  lines content/outside/dropped")
    for s in rep["sources"]:
        found = f"{s['found']}/{s['hand']} {_pct(s['found'] / s['hand'] if s['hand'] else 0)}"
        print(f"{s['short_name']:40} {s['hand']:>4} {s['reported']:>4} "
              f"{'ok' if s['within'] else 'OFF':>5} {found:>10} {_pct(s['precision']):>9}"
              f"  {_lines(s['lines'])}")
    for s in rep["sources"]:
        if not (s["unmatched_hand"] or s["unmatched_reported"] or s["problems"]):
            continue
        print(f"\n{s['short_name']}:")
        for title in s["unmatched_hand"]:
            print(f"  not found:      {title}")
        for t in s["unmatched_reported"]:
            where = f"{t['path']}:{t['line']}" if t.get("line") else t["path"]
            print(f"  false positive: {t['title']}  ({where})")
        for p in s["problems"][:5]:
            print(f"  problem:        {p}")
        if len(s["problems"]) > 5:
            print(f"  ... and {len(s['problems']) - 5} more problems")


def print_totals(rep: dict[str, Any]) -> None:
    t, ok, tg = rep["totals"], rep["pass"], rep["targets"]
    lines = t["lines"]
    seconds = rep["check_seconds"]
    rows = [
        ("found", f"{t['found']}/{t['hand']} = {_pct(t['found_share'])}",
         f">= {_pct(tg['found'])}", ok["found"]),
        ("precision", f"{t['found']}/{t['reported']} = {_pct(t['precision'])}",
         f">= {_pct(tg['precision'])}", ok["precision"]),
        ("talk counts", f"{t['sources_within']}/{t['sources']} sources within ±15%",
         "every source", ok["counts"]),
        ("dropped lines", "?" if lines["dropped"] is None else str(lines["dropped"]),
         "0", ok["dropped"]),
        ("check time", "-" if seconds is None else
         f"{seconds:.2f} s ({rep['check_corpus']} + wild notes, median of 3)",
         f"< {tg['check_seconds']:g} s", ok["check_seconds"]),
    ]
    content = "?" if lines["content"] is None else lines["content"]
    outside = "?" if lines["outside_talks"] is None else lines["outside_talks"]
    print(f"\ntotal: {t['hand']} hand-counted talks, {t['reported']} reported; "
          f"lines: {content} content, {outside} outside talks")
    for name, value, target, passed in rows:
        print(f"  {name:14} {value:52} target {target:14} {_flag(passed)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/wild_notes.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder with talks.yaml and the notes")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--corpus-extra", type=Path, default=ROOT / "corpus",
                        help="corpus timed together with the wild notes (default: corpus/)")
    args = parser.parse_args(argv)
    for folder in (args.folder, args.corpus_extra):
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")
    rep = report(args.folder, args.corpus_extra)
    if args.json:
        print(json.dumps(rep, ensure_ascii=False, indent=2))
    else:
        print_sources(rep)
        print_totals(rep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
