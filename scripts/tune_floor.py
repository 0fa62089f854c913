"""Measure the relevance floor (index/search/relevance.py) on questions files.

Prints, for every question, the evidence the floor weighs (margin of the best chunk over the
question's median cosine with notes in its language, known-term share, dense/BM25 agreement),
the margin it needs and the slack; then the separation by answerable or not and by language
pair, a grid of the two parameters, and recall / refusal with the rule against the absolute floor
it replaces.

Usage: python scripts/tune_floor.py [QUESTIONS.yaml ...] [--index DIR] [--quiet]
(default: eval/dev_questions.yaml eval/crosslang_questions.yaml)
"""

from __future__ import annotations

import argparse
import re
import statistics
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from index.cli import open_retriever
from index.search.evaluation import Question, as_answered, first_match, load_questions
from index.search.filters import parse_query
from index.search.relevance import Evidence, needed_margin
from index.text import query_names

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = (ROOT / "eval/dev_questions.yaml", ROOT / "eval/crosslang_questions.yaml")
# Words that mark a question as French or Danish (enough for these questions files).
MARKERS = {
    "fr": set("qu'est-ce comment pourquoi quels quelle quelles les des est une sur dans pour "
              "avec au aux du".split()),
    "da": set("hvad hvordan hvorfor hvem hvilke hvor og på til med af det som deres sine fra "
              "når".split()),
}
GRID_FLOOR = (0.05, 0.055, 0.06, 0.065, 0.07)
GRID_CREDIT = (0.0, 0.02, 0.03, 0.04, 0.05)


@dataclass
class Row:
    file: str
    question: Question
    qlang: str                  # the question's language (guessed from its words)
    evidence: Evidence | None   # the notes group's evidence (None: no candidates)
    best_dense: float
    best_bm25: float
    unknown: list[str]          # names the notes do not know
    notes_ok: bool              # the floor lets the notes answer
    rank: int | None            # rank of the expected talk in the answer
    answered: bool              # the answer has any talk


def question_language(text: str) -> str:
    ws = re.findall(r"[\w'-]+", text.lower())
    hits = {lang: sum(w in m for w in ws) for lang, m in MARKERS.items()}
    lang, n = max(hits.items(), key=lambda kv: kv[1])
    return lang if n else "en"


def measure(r: Any, file: str, q: Question) -> Row:
    """The notes group's evidence and verdict, and the full answer's rank, for one question."""
    text, filters = parse_query(q.q)
    qvec = r.encoder.embed_query(text)
    found, best_dense, best_bm25 = r.rank(text, filters, qvec=qvec, group="notes")
    evidence = r.relevance.evidence(text, qvec, found, "notes") if found else None
    ok = bool(found) and r.is_relevant(text, best_dense, best_bm25, "notes", qvec, found)
    results = r.search(q.q, k=20).results
    talks = [(x.talk.title, x.talk.has_notes) for x in results]
    rank = first_match(talks, q.expect, q.catalog) if q.expect else None
    unknown = [n for n in query_names(text) if not r.relevance.known(n, "notes")]
    return Row(file, q, question_language(text), evidence, best_dense, best_bm25, unknown, ok,
               rank, bool(results))


def print_rows(rows: list[Row], params: Any) -> None:
    print(f"{'kind':4} {'pair':5} {'margin':>6} {'known':>5} {'agr':>3} {'need':>6} {'slack':>7}"
          f" {'cos':>5} {'bm25':>5} {'floor':>5} {'rank':>4}  question")
    for row in sorted(rows, key=lambda x: (bool(x.question.expect), slack(x, params))):
        e = row.evidence
        kind = "CAT" if row.question.catalog else "pos" if row.question.expect else "NEG"
        pair = f"{row.qlang}>{row.question.lang or '-'}"
        ev = f"{e.margin:6.3f} {e.known_share:5.2f} {int(e.agree):3d} " \
             f"{needed_margin(params, e.lexical):6.3f} {slack(row, params):+7.3f}" if e else \
             f"{'-':>6} {'-':>5} {'-':>3} {'-':>6} {'-':>7}"
        names = f"  unknown names {row.unknown}" if row.unknown else ""
        mark = "-" if row.rank is None else str(row.rank)
        print(f"{kind:4} {pair:5} {ev} {row.best_dense:5.3f} {row.best_bm25:5.1f} "
              f"{'pass' if row.notes_ok else 'stop':>5} {mark:>4}  {row.question.q[:70]}{names}")


def slack(row: Row, params: Any) -> float:
    """How far the margin is above (+) or below (-) the margin the question needs."""
    if row.evidence is None:
        return -1.0
    return row.evidence.margin - needed_margin(params, row.evidence.lexical)


def print_separation(rows: list[Row], params: Any) -> None:
    """Median and range of each feature, answerable (by notes) or not, by language pair."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if row.evidence is None or row.question.catalog:
            continue
        kind = "answerable" if row.question.expect else "unanswerable"
        pair = f"{row.qlang}>{row.question.lang}" if row.question.expect else row.qlang
        groups.setdefault((kind, pair), []).append(row)
    print(f"\n{'':13} {'lang':5} {'n':>3}  {'margin median [min, max]':26} {'known share':20} "
          f"{'agree':>5}  {'slack min':>9}  {'best cosine median [min]':>24}")
    for (kind, pair), rs in sorted(groups.items()):
        m = [x.evidence.margin for x in rs if x.evidence]
        k = [x.evidence.known_share for x in rs if x.evidence]
        d = [x.best_dense for x in rs]
        agree = sum(x.evidence.agree for x in rs if x.evidence)
        print(f"{kind:13} {pair:5} {len(rs):3d}  {statistics.median(m):.3f} [{min(m):.3f}, "
              f"{max(m):.3f}]      {statistics.median(k):.2f} [{min(k):.2f}, {max(k):.2f}]"
              f"   {agree:3d}/{len(rs):<3d} {min(slack(x, params) for x in rs):+9.3f}"
              f"  {statistics.median(d):.3f} [{min(d):.3f}]")


def print_grid(r: Any, rows: list[Row]) -> None:
    """Answerable questions the notes floor refuses / unanswerable ones it passes, by setting."""
    print("\nnotes floor by floor_margin (rows) and lexical_credit (columns): "
          "answerable refused / unanswerable passed")
    print(" " * 8 + "".join(f"{c:>10}" for c in GRID_CREDIT))
    saved = r.relevance.params
    try:
        for floor in GRID_FLOOR:
            cells = []
            for credit in GRID_CREDIT:
                r.relevance.params = replace(saved, floor_margin=floor, lexical_credit=credit)
                lost = sum(1 for x in rows if x.question.expect and not x.question.catalog
                           and not decide(r, x))
                passed = sum(1 for x in rows if not x.question.expect and decide(r, x))
                cells.append(f"{lost:>6}/{passed:<3}")
            print(f"{floor:<8}" + "".join(cells))
    finally:
        r.relevance.params = saved


def decide(r: Any, row: Row) -> bool:
    if row.evidence is None:
        return False
    text, _ = parse_query(row.question.q)
    return r.relevance.decide(row.evidence, text, row.best_bm25, "notes")


def figures(r: Any, questions: list[Question]) -> str:
    """recall@1, recall@5 and unanswerable refused, the way `python -m index.eval` counts."""
    questions = as_answered(questions, r.cites_catalog)
    ranks, refused, pos, neg = [], 0, 0, 0
    for q in questions:
        results = r.search(q.q, k=20).results
        if q.expect:
            pos += 1
            ranks.append(first_match([(x.talk.title, x.talk.has_notes) for x in results],
                                     q.expect, q.catalog))
        else:
            neg += 1
            refused += not results
    r1 = sum(1 for k in ranks if k == 1) / max(1, pos)
    r5 = sum(1 for k in ranks if k and k <= 5) / max(1, pos)
    answered = sum(1 for k in ranks if k)
    return (f"r@1 {r1:.4f}  r@5 {r5:.4f}  found {answered}/{pos}  "
            f"unanswerable refused {refused}/{neg}")


def print_figures(r: Any, files: list[Path]) -> None:
    """The rule against the absolute floor it replaces (the same retriever without evidence)."""
    print()
    for path in files:
        questions = load_questions(path)
        print(f"{path.name:26} relative floor:  {figures(r, questions)}")
        dense = r.relevance.dense
        r.relevance.dense = None        # no evidence: the absolute floor (floor_dense 0.79)
        try:
            print(f"{'':26} absolute floor:  {figures(r, questions)}")
        finally:
            r.relevance.dense = dense


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path, nargs="*", default=list(DEFAULT_FILES))
    ap.add_argument("--index", type=Path, default=None, help="index folder")
    ap.add_argument("--quiet", action="store_true", help="leave out the per-question table")
    args = ap.parse_args(argv)
    r = open_retriever(args.index)
    if r is None:
        return 1
    p = r.params
    print(f"floor_margin {p.floor_margin}  lexical_credit {p.lexical_credit}  strong_margin "
          f"{p.strong_margin}  strong_bm25 {p.strong_bm25}\n")
    rows = [measure(r, path.stem, q) for path in args.questions for q in load_questions(path)]
    if not args.quiet:
        print_rows(rows, p)
    print_separation(rows, p)
    print_grid(r, rows)
    print_figures(r, args.questions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
