"""Score retrieval on the wild notes: where the answer passage of each question lands.

    python scripts/wild_eval.py FOLDER [--questions eval/wild_questions.yaml] [--json] [--k 5]

FOLDER holds the wild notes as their authors wrote them (`talks.yaml` names the sources).
`scripts/wild_corpus.py`'s `make_corpus` turns it into a corpus in a temporary folder, the
real index is built there with the configured model, and every question is asked twice:

- product: the retriever's answer (catalog off); the rank is the position of the first talk
  whose passages contain the question's answer phrase, none when no result does (or the
  question is refused: no results at all);
- baseline: plain BM25 (bm25s defaults, English stop words and PyStemmer's English stemmer)
  over the same notes' Markdown bodies cut every 1,000 characters; the rank is the position
  of the first chunk among the top k in which an occurrence of the phrase starts.

Phrases are compared normalised: casefolded, whitespace collapsed, links reduced to their
label, the emphasis/code characters * _ ~ ` and backslashes dropped (on both sides, so
snake_case still matches), typographic quotes and apostrophes folded. Prints a table per question and
top-1/top-k shares overall and per kind, with the targets (product top-5 >= 0.95, top-1 >=
0.85, and above the baseline on both) marked PASS/FAIL; `--json` prints one JSON document.
When the corpus has errors and the index cannot be built, the product finds nothing and the
report says why. Exit code 0 when every target passes, 1 when one fails, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import yaml

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "wild_questions.yaml"
KINDS = ("direct", "paraphrase", "crosslang", "subsection", "outside")
CHUNK_CHARS = 1000
MIN_WORDS, MAX_WORDS = 4, 12
TOP5_TARGET, TOP1_TARGET = 0.95, 0.85

# -- phrases ------------------------------------------------------------------------------------
LINK_RE = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                      "\u2032": "'", "`": "", "\u201c": '"', "\u201d": '"', "\u201e": '"',
                      "\u00ab": '"', "\u00bb": '"', "*": "", "_": "", "~": "", "\\": ""})
MARKUP_IN_PHRASE = re.compile(r"[*_`\\]|\]\(|^#|\[[^\]]*\]")


def _kept_chars(text: str) -> Iterator[tuple[str, int]]:
    """The characters of text with link markup reduced to the label, each with its offset."""
    pos = 0
    for m in LINK_RE.finditer(text):
        yield from ((ch, i) for i, ch in enumerate(text[pos:m.start()], pos))
        yield from ((ch, i) for i, ch in enumerate(m.group(1), m.start(1)))
        pos = m.end()
    yield from ((ch, i) for i, ch in enumerate(text[pos:], pos))


def normalise_map(text: str) -> tuple[str, list[int]]:
    """(normalised text, offset in `text` of each of its characters)."""
    out: list[str] = []
    offsets: list[int] = []
    space = True
    for ch, i in _kept_chars(text):
        ch = ch.translate(FOLD)
        if not ch:
            continue
        if ch.isspace():
            if not space:
                out.append(" ")
                offsets.append(i)
            space = True
            continue
        for c in ch.casefold():
            out.append(c)
            offsets.append(i)
        space = False
    if out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


def normalise(text: str) -> str:
    return normalise_map(text)[0]


def contains(text: str, phrase: str) -> bool:
    """Whether text holds the phrase, both normalised."""
    needle = normalise(phrase)
    return bool(needle) and needle in normalise(text)


def phrase_starts(text: str, phrase: str) -> list[int]:
    """Offsets in text where an occurrence of the (normalised) phrase starts."""
    needle = normalise(phrase)
    hay, offsets = normalise_map(text)
    if not needle:
        return []
    starts, i = [], hay.find(needle)
    while i != -1:
        starts.append(offsets[i])
        i = hay.find(needle, i + 1)
    return starts


# -- questions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    q: str
    source: str
    answer: str
    kind: str


def question_problems(entry: Any, n: int) -> list[str]:
    """What is wrong with one entry of the questions file (empty when nothing)."""
    if not isinstance(entry, dict) or set(entry) != {"q", "source", "answer", "kind"}:
        return [f"question {n}: needs exactly the keys q, source, answer, kind"]
    problems = []
    if entry["kind"] not in KINDS:
        problems.append(f"question {n}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    answer = str(entry["answer"])
    if not MIN_WORDS <= len(answer.split()) <= MAX_WORDS:
        problems.append(f"question {n}: answer {answer!r} should have {MIN_WORDS}-{MAX_WORDS} "
                        "words")
    if MARKUP_IN_PHRASE.search(answer):
        problems.append(f"question {n}: answer {answer!r} holds Markdown markup")
    return problems


def load_questions(path: Path) -> list[Question]:
    """The questions of a YAML file; ValueError naming every bad entry."""
    data = yaml.safe_load(path.read_text("utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of questions")
    problems = [p for n, e in enumerate(data, 1) for p in question_problems(e, n)]
    if problems:
        raise ValueError("\n".join(problems))
    return [Question(str(e["q"]), str(e["source"]), str(e["answer"]), str(e["kind"]))
            for e in data]


# -- the notes' text ----------------------------------------------------------------------------
def strip_front_matter(text: str) -> str:
    """The Markdown body of a notes file (YAML front matter between `---` lines removed)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    m = re.match(r"---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|$)", text, re.S)
    return text[m.end():] if m else text


def note_bodies(files: dict[str, list[Path]]) -> list[tuple[str, str]]:
    """(source, Markdown body) of every Markdown file of the corpus, in order."""
    return [(source, strip_front_matter(p.read_text("utf-8")))
            for source, paths in files.items() for p in paths if p.suffix == ".md"]


def missing_answers(questions: Sequence[Question], bodies: list[tuple[str, str]]) -> list[int]:
    """Indexes of the questions whose answer phrase is in none of their source's notes."""
    by_source: dict[str, str] = {}
    for source, body in bodies:
        by_source[source] = by_source.get(source, "") + "\n\n" + body
    return [i for i, q in enumerate(questions) if not contains(by_source.get(q.source, ""),
                                                                q.answer)]


# -- baseline: BM25 over fixed 1,000-character chunks -------------------------------------------
def fixed_chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """(start offset, text) of consecutive pieces of `size` characters, no overlap."""
    return [(i, text[i:i + size]) for i in range(0, len(text), size)]


class Bm25Baseline:
    """Plain BM25 over fixed-size chunks of each notes body."""

    def __init__(self, bodies: list[tuple[str, str]], size: int = CHUNK_CHARS) -> None:
        import bm25s
        import Stemmer
        self.size = size
        self.bodies = [body for _, body in bodies]
        # (body index, start offset, text) of every chunk
        self.chunks = [(b, start, piece) for b, body in enumerate(self.bodies)
                       for start, piece in fixed_chunks(body, size)]
        self._stemmer = Stemmer.Stemmer("english")
        self._bm25 = bm25s.BM25()
        self._bm25.index(self._tokens([c[2] for c in self.chunks]), show_progress=False)

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        import bm25s
        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, return_ids=False,
                              show_progress=False)

    def top(self, question: str, k: int) -> list[int]:
        """Chunk rows of the k best chunks with a positive score, best first."""
        vocab = self._bm25.vocab_dict
        query = [t for t in self._tokens([question])[0] if t in vocab]
        if not query or not self.chunks:
            return []
        docs, scores = self._bm25.retrieve([query], k=min(k, len(self.chunks)),
                                           show_progress=False)
        return [int(d) for d, s in zip(docs[0], scores[0]) if s > 0]

    def holds(self, row: int, phrase: str) -> bool:
        """Whether an occurrence of the phrase starts in the chunk (it may run past its end)."""
        body, start, _ = self.chunks[row]
        return any(start <= s < start + self.size
                   for s in phrase_starts(self.bodies[body], phrase))

    def rank(self, question: Question, k: int) -> int | None:
        for i, row in enumerate(self.top(question.q, k), 1):
            if self.holds(row, question.answer):
                return i
        return None


# -- product ------------------------------------------------------------------------------------
def product_rank(answer: Any, phrase: str, k: int) -> int | None:
    """1-based position of the first of the first k results with a passage holding the phrase."""
    for i, result in enumerate(answer.results[:k], 1):
        if any(contains(p.text, phrase) for p in result.passages):
            return i
    return None


def make_corpus(folder: Path, out: Path) -> dict[str, list[Path]]:
    """The wild notes as a corpus (scripts/wild_corpus.py, imported when needed)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from wild_corpus import make_corpus as make
    finally:
        sys.path.pop(0)
    return make(folder, out)


def product_search(corpus_dir: Path, index_dir: Path, encoder: Any = None,
                   params: Any = None) -> Callable[[str, int], Any]:
    """Build the index of the corpus (with the configured model unless an `encoder` is given;
    `params`: the retriever's FusionParams, default its own) and return `search(q, k)`."""
    from index.build import build_index
    from index.model.encoders import encoder_for
    from index.search.retriever import load_retriever
    from index.settings import load_index_settings
    encoder = encoder or encoder_for(load_index_settings())
    build_index(corpus_dir, index_dir, encoder, catalog=False, show_progress=False,
                log=lambda m: print(m, file=sys.stderr))
    retriever = load_retriever(index_dir, encoder.name, encoder=encoder, catalog_results=False,
                               params=params)
    return lambda q, k: retriever.search(q, k=k)


# -- scoring ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    q: str
    source: str
    kind: str
    answer: str
    product: int | None
    bm25: int | None


def shares(ranks: Iterable[int | None], k: int) -> dict[str, float]:
    ranks = list(ranks)
    n = len(ranks) or 1
    return {"top1": round(sum(r == 1 for r in ranks) / n, 4),
            f"top{k}": round(sum(r is not None and r <= k for r in ranks) / n, 4)}


def summarise(rows: Sequence[Row], k: int) -> dict[str, Any]:
    """Top-1/top-k shares of product and baseline, overall and per kind (kinds present)."""
    groups = {"overall": list(rows)}
    groups.update({kind: [r for r in rows if r.kind == kind] for kind in KINDS
                   if any(r.kind == kind for r in rows)})
    return {name: {"n": len(g), "product": shares((r.product for r in g), k),
                   "bm25": shares((r.bm25 for r in g), k)} for name, g in groups.items()}


def targets(totals: dict[str, Any], k: int) -> list[dict[str, Any]]:
    """The done-when targets: product top-k and top-1 shares, and both above the baseline."""
    prod, base = totals["overall"]["product"], totals["overall"]["bm25"]
    top = f"top{k}"
    checks = [(f"product {top} >= {TOP5_TARGET}", prod[top], TOP5_TARGET),
              (f"product top1 >= {TOP1_TARGET}", prod["top1"], TOP1_TARGET),
              (f"product {top} > bm25 {top}", prod[top], base[top]),
              ("product top1 > bm25 top1", prod["top1"], base["top1"])]
    return [{"name": name, "value": value, "against": against,
             "pass": value >= against if ">=" in name else value > against}
            for name, value, against in checks]


def evaluate(questions: Sequence[Question], search: Callable[[str, int], Any] | None,
             baseline: Bm25Baseline, k: int) -> list[Row]:
    """A row per question; without `search` (no index) the product finds nothing."""
    return [Row(q.q, q.source, q.kind, q.answer,
                product_rank(search(q.q, k), q.answer, k) if search else None,
                baseline.rank(q, k)) for q in questions]


# -- output -------------------------------------------------------------------------------------
def _cell(rank: int | None) -> str:
    return "-" if rank is None else str(rank)


def render(rows: Sequence[Row], totals: dict[str, Any], checks: list[dict[str, Any]],
           k: int, missing: Sequence[int] = ()) -> str:
    """The report as text: one line per question, then the shares and the targets."""
    width = max([len(r.source) for r in rows] + [6])
    lines = [f"{'#':>3}  {'kind':<10}  {'source':<{width}}  product  bm25  question"]
    for i, r in enumerate(rows, 1):
        lines.append(f"{i:>3}  {r.kind:<10}  {r.source:<{width}}  {_cell(r.product):>7}  "
                     f"{_cell(r.bm25):>4}  {r.q}")
    top = f"top{k}"
    lines += ["", f"{'':<11}{'n':>4}   product top1  {top}   bm25 top1  {top}"]
    for name, t in totals.items():
        p, b = t["product"], t["bm25"]
        lines.append(f"{name:<11}{t['n']:>4}   {p['top1']:>12.2f}  {p[top]:>4.2f}   "
                     f"{b['top1']:>9.2f}  {b[top]:>4.2f}")
    lines.append("")
    for c in checks:
        lines.append(f"{'PASS' if c['pass'] else 'FAIL'}  {c['name']}: "
                     f"{c['value']:.2f} (against {c['against']:.2f})")
    for i in missing:
        lines.append(f"warning: question {i + 1}'s answer is not in the notes of "
                     f"{rows[i].source}: {rows[i].answer!r}")
    return "\n".join(lines)


def report(rows: Sequence[Row], k: int, missing: Sequence[int] = (),
           error: str = "") -> dict[str, Any]:
    totals = summarise(rows, k)
    checks = targets(totals, k)
    return {"k": k, "questions": [asdict(r) for r in rows], "totals": totals,
            "targets": checks, "passed": all(c["pass"] for c in checks),
            "missing_answers": [i + 1 for i in missing], "product_error": error}


def run(folder: Path, questions: Sequence[Question], k: int) -> dict[str, Any]:
    """Corpus, index, both rankings and the report, in a temporary folder."""
    from index.errors import CorpusError
    with tempfile.TemporaryDirectory(prefix="wild-eval-") as tmp:
        corpus = Path(tmp) / "corpus"
        bodies = note_bodies(make_corpus(folder, corpus))
        error, search = "", None
        try:
            search = product_search(corpus, Path(tmp) / "index")
        except CorpusError as exc:
            errors = [p for p in exc.problems if getattr(p, "severity", "error") == "error"]
            error = (f"the index could not be built ({len(errors)} corpus errors, the first: "
                     f"{errors[0] if errors else exc}); the product finds nothing")
            print(f"error: {error}", file=sys.stderr)
        rows = evaluate(questions, search, Bm25Baseline(bodies), k)
    return report(rows, k, missing_answers(questions, bodies), error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/wild_eval.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the wild notes (with talks.yaml)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--json", action="store_true", help="one JSON document")
    parser.add_argument("--k", type=int, default=5, help="results looked at (default 5)")
    args = parser.parse_args(argv)
    try:
        questions = load_questions(args.questions)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.folder.is_dir() or args.k < 1:
        print(f"error: {args.folder} is not a folder, or --k is below 1", file=sys.stderr)
        return 2
    doc = run(args.folder, questions, args.k)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        rows = [Row(**r) for r in doc["questions"]]
        print(render(rows, doc["totals"], doc["targets"], args.k,
                     [i - 1 for i in doc["missing_answers"]]))
        if doc["product_error"]:
            print(f"error: {doc['product_error']}")
    return 0 if doc["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
