"""Text utilities shared by chunking, BM25 and highlighting: words, stems, sentences."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import Stemmer

WORD_RE = re.compile(r"[\w][\w'’.+-]*[\w+]|\w", re.UNICODE)
# A sentence ends at . ! ? … (and a closing quote or bracket, which stays with its sentence)
# followed by white space and a capital or digit (or an opening quote or bracket and one): the
# white space is where `sentences` splits.
SENTENCE_END_RE = re.compile(r"[.!?…][\"”»)]?(\s+)(?=[\"“«(]?[A-ZÀ-ÞÆØÅ0-9])")

# Function words of the three corpus languages: they carry no topic.
STOPWORDS = frozenset("""
a about after all also am an and any are as at be been but by can could did do does doing
for from had has have how i if in into is it its just me more most my no not of on or our out
over so some than that the their them then there these they this those to too up was we were
what when where which who whom why will with would you your yours talk talks say said said
people anyone someone did do does tell me present presented session sessions
og i at er en et det den der de som på til med for af har var jeg vi kan ikke om så men
fra eller også blev være bliver skal mere meget nu hvad hvordan hvem hvor sagde
le la les un une des du de et est en au aux pour que qui dans sur par pas plus ce cette
ces son sa ses il elle ils on nous vous avec ont été être fait d l qu c s n j
""".split())


class _Marks(dict):  # type: ignore[type-arg]
    """A str.translate table that drops combining marks, filled in as characters come."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_MARKS = _Marks()


def fold(text: str) -> str:
    """Lowercase and strip accents: 'Société' -> 'societe'."""
    if text.isascii():          # most text: nothing to strip, and 20x faster
        return text.lower()
    return unicodedata.normalize("NFKD", text.lower()).translate(_MARKS)


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """BM25 terms: folded, stop words dropped, English-stemmed (names survive stemming)."""
    return list(_terms(text))


@lru_cache(maxsize=512)
def _terms(text: str) -> tuple[str, ...]:
    """terms(), remembered: a search reads its question's terms for every group's BM25, the
    known-word share and the highlights (about ten times)."""
    known = _WORD_TERMS.get
    out = []
    for w in words(fold(text)):
        term = known(w, _UNSEEN)
        if term is _UNSEEN:
            term = _word_term(w)
        if term is not None:
            out.append(term)
    return tuple(out)


_UNSEEN = object()
_WORD_TERMS: dict[str, Any] = {}     # folded word: its term, None for none (a stop word)
WORD_TERMS_LIMIT = 200_000           # words remembered (then forgotten at once)


def _word_term(word: str) -> str | None:
    """The term of one folded word (None: a stop word or too short), remembered: a corpus
    has a vocabulary of some thousands of words, and each is stemmed once."""
    w = word.strip("'’.-+") or word
    term = None if w in STOPWORDS or len(w) < 2 and not w.isdigit() else _stemmer().stemWord(w)
    if len(_WORD_TERMS) >= WORD_TERMS_LIMIT:
        _WORD_TERMS.clear()
    _WORD_TERMS[word] = term
    return term


def estimate_tokens(text: str) -> int:
    """Rough subword-token count for multilingual BERT-style tokenisers."""
    ws = words(text)
    long_words = sum(1 for w in ws if len(w) > 7)
    punct = len(re.findall(r"[^\w\s]", text))
    return len(ws) + long_words + punct // 2


def sentences(text: str) -> list[str]:
    """Sentences of plain text; each line of a list is its own sentence."""
    out: list[str] = []
    for line in text.split("\n"):
        start = 0
        for end in SENTENCE_END_RE.finditer(line):
            out.append(line[start:end.start(1)].strip())
            start = end.end(1)
        out.append(line[start:].strip())
    return [s for s in out if s]


GENERIC_NAMES = frozenset("""kubernetes k8s kubecon cloudnativecon cncf cloud native kubectl
container containers docker linux open source talk talks keynote keynotes""".split())


def query_names(text: str) -> list[str]:
    """Proper-name-like words of a question (capitalised after the first word, or with digits)."""
    return list(_query_names(text))


@lru_cache(maxsize=256)
def _query_names(text: str) -> tuple[str, ...]:
    """query_names(), remembered: the relevance floor asks for each group."""
    out = []
    for i, w in enumerate(words(text)):
        w = re.sub(r"['’]s$", "", w)
        f = fold(w)
        if f in STOPWORDS or f in GENERIC_NAMES or len(w) < 2:
            continue
        if (i > 0 and any(ch.isupper() for ch in w)) or any(ch.isdigit() for ch in w) and not w.isdigit():
            out.append(w)
    return tuple(out)


def ascii_slug(text: str, limit: int = 60) -> str:
    """Short ASCII id fragment."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")
    return slug[:limit].rstrip("-") or "talk"


def talk_id(event: str, title: str, seen: set[str]) -> str:
    """`event/title-slug`, with `-2`, `-3`, ... when `seen` has it already; added to `seen`."""
    base = f"{event}/{ascii_slug(title)}"
    tid, n = base, 1
    while tid in seen:
        n += 1
        tid = f"{base}-{n}"
    seen.add(tid)
    return tid
