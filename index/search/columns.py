"""What a search needs to know of every talk and chunk, computed once at build time and kept
as numpy columns (`columns/*.npy`, memory-mapped) plus one small JSON file of the distinct
values they number.

Before, the retriever read every talk into a Python object at start-up and derived these from
them: at a million chunks that was most of a 49 s start and 7.8 GB. Now opening an index reads
no talk at all: filters run over the distinct values (a few hundred events, not a million
talks), groups, languages and weights are arrays, and the vocabulary the question is read
against (events, cities, companies, speakers) was built with the index."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..models import Chunk, Talk
from ..text import fold, words
from .filters import FILTER_FIELDS, numbered
from .groups import ORDER, talk_group
from .overview import OVERVIEW_FIELDS
from .vocabulary import Vocabulary

FOLDER = "columns"
VALUES = "values.json"
ARRAYS = ("chunk_talk", "group", "is_talk", "lang", "title_indptr", "title_talks",
          *(f"facet_{kind}" for kind in (*FILTER_FIELDS, *OVERVIEW_FIELDS)))


@dataclass
class Columns:
    """Per-talk and per-chunk attributes; row numbers are the index's talk and chunk rows."""

    chunk_talk: np.ndarray                    # each chunk's talk row
    group: np.ndarray                         # each talk's group, a number into groups.ORDER
    is_talk: np.ndarray                       # False for a note's own text
    lang: np.ndarray                          # each talk's language, a number into `languages`
    languages: list[str]
    # filter kind or overview field: (distinct values, each talk's value number)
    facets: dict[str, tuple[list[Any], np.ndarray]]
    title_words: list[str]                    # sorted words of the talk titles ...
    title_indptr: np.ndarray                  # ... word i is in talks title_talks[indptr[i]:indptr[i+1]]
    title_talks: np.ndarray
    names: dict[str, list[str]] = field(default_factory=dict)   # group: name words of its talks
    vocabulary: dict[str, Any] = field(default_factory=dict)    # Vocabulary.to_dict()

    @property
    def groups(self) -> np.ndarray:
        """Each talk's group name ("notes", "texts", "catalog")."""
        return np.array(ORDER)[self.group] if len(self.group) else np.array([], dtype="<U7")

    @property
    def languages_of_talks(self) -> np.ndarray:
        return np.array(self.languages or [""])[self.lang]


def talk_title_words(talk: Talk) -> set[str]:
    """The words of a title that `Retriever._titled` looks names up in."""
    return set(talk.title.lower().replace("'", " ").split())


def name_words(talks: Sequence[Talk]) -> set[str]:
    """Folded words of the talks' events, conferences, cities, speakers and companies."""
    return {fold(w) for t in talks for w in words(" ".join(
        (t.event, t.conference, t.note.city if t.note else "", *t.speakers, *t.companies)))}


def talk_languages(talks: Sequence[Talk]) -> np.ndarray:
    """Each talk's notes' language ("" for catalog-only talks)."""
    return np.array([t.note.language if t.note else "" for t in talks] or [""])[:len(talks)]


def _title_index(talks: Sequence[Talk]) -> tuple[list[str], np.ndarray, np.ndarray]:
    by_word: dict[str, list[int]] = {}
    for i, talk in enumerate(talks):
        for word in talk_title_words(talk):
            by_word.setdefault(word, []).append(i)
    vocab = sorted(by_word)
    sizes = np.array([len(by_word[w]) for w in vocab], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    members = np.array([i for w in vocab for i in by_word[w]], dtype=np.int32)
    return vocab, indptr, members


def build_columns(talks: Sequence[Talk], chunks: Sequence[Chunk]) -> Columns:
    """The columns of an index of these talks and chunks (chunk talk ids must be known)."""
    row = {t.id: i for i, t in enumerate(talks)}
    langs, lang = numbered([t.note.language if t.note else "" for t in talks])
    title_words, indptr, members = _title_index(talks)
    groups = [talk_group(t) for t in talks]
    return Columns(
        chunk_talk=np.array([row[c.talk_id] for c in chunks], dtype=np.int32),
        group=np.array([ORDER.index(g) for g in groups], dtype=np.uint8),
        is_talk=np.array([t.is_talk for t in talks], dtype=bool),
        lang=lang, languages=langs,
        facets={kind: numbered([get(t) for t in talks])
                for kind, get in (*FILTER_FIELDS.items(), *OVERVIEW_FIELDS.items())},
        title_words=title_words, title_indptr=indptr, title_talks=members,
        names={g: sorted(name_words([t for t, tg in zip(talks, groups) if tg == g]))
               for g in ORDER},
        vocabulary=Vocabulary.build(talks).to_dict())


def write_columns(folder: Path, cols: Columns) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"chunk_talk": cols.chunk_talk, "group": cols.group, "is_talk": cols.is_talk,
              "lang": cols.lang, "title_indptr": cols.title_indptr,
              "title_talks": cols.title_talks,
              **{f"facet_{kind}": inv for kind, (_, inv) in cols.facets.items()}}
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array)
    values = {"languages": cols.languages, "title_words": cols.title_words,
              "facets": {kind: values for kind, (values, _) in cols.facets.items()},
              "names": cols.names, "vocabulary": cols.vocabulary}
    (folder / VALUES).write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def read_columns(folder: Path) -> Columns:
    """The columns of an index directory, memory-mapped (errors are the caller's to word)."""
    # Plain ndarray views of the maps: numpy's memmap wrapper is slow to index.
    a = {name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in ARRAYS}
    values = json.loads((folder / VALUES).read_text(encoding="utf-8"))
    facets = {kind: ([_hashable(v) for v in values["facets"][kind]], a[f"facet_{kind}"])
              for kind in (*FILTER_FIELDS, *OVERVIEW_FIELDS)}
    return Columns(a["chunk_talk"], a["group"], a["is_talk"], a["lang"], values["languages"],
                   facets, values["title_words"], a["title_indptr"], a["title_talks"],
                   values["names"], values["vocabulary"])
