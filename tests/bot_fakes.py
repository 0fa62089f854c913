"""Hand-built talks and answers, and a FakeRetriever that serves them."""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from index.errors import QueryError
from index.models import Answer, Filters, IndexInfo, Link, NoteMeta, Passage, Result, Talk

INFO = IndexInfo(built_at="2024-05-01T12:30:00+00:00", notes=5, talks=160, chunks=900,
                 model="fake-model")

AUSTIN = NoteMeta(path="corpus/kubecon-2017-austin.md", title="KubeCon 2017 Austin",
                  author="Alexander Trost", url="https://galexrt.moe/blog/2017/kubecon-2017-austin/",
                  conference="KubeCon + CloudNativeCon North America 2017", event="kubecon-na-2017",
                  city="Austin", year=2017, date="2017-12-10", language="en")

BARCELONA = NoteMeta(path="corpus/kubecon-eu-2019.md", title="KubeCon EU 2019 notes",
                     author="Jane Doe", url="https://notes.example.org/kubecon-eu-2019",
                     conference="KubeCon + CloudNativeCon Europe 2019", event="kubecon-eu-2019",
                     city="Barcelona", year=2019, date="2019-05-25", language="en")

SPINNAKER_SENTENCE = "Netflix deploys with Spinnaker thousands of times a day."
SPINNAKER = Talk(
    id="kubecon-na-2017/cloud-native-cd-spinnaker",
    title="Cloud Native CD: Spinnaker and the Culture Behind the Tech",
    speakers=("Dianne Marsh",), companies=("Netflix",), kind="keynote",
    event="kubecon-na-2017", conference="KubeCon + CloudNativeCon North America 2017", year=2017,
    anchor="cloud-native-cd-spinnaker", note=AUSTIN,
    links=(Link("video", "https://www.youtube.com/watch?v=spinnaker1"),
           Link("slides", "https://slides.example.com/spinnaker.pdf")),
)
MESH = Talk(
    id="kubecon-eu-2019/service-mesh", title="Service Mesh in Practice",
    speakers=("Ana Lopez", "Bo Chen"), companies=("Acme", "Globex"), kind="talk",
    event="kubecon-eu-2019", conference="KubeCon + CloudNativeCon Europe 2019", year=2019,
    anchor="service-mesh", note=BARCELONA,
    links=(Link("schedule", "https://kccnceu19.sched.com/event/mesh"),),
)
CATALOG_ONLY = Talk(
    id="catalog/kubecon-eu-2019/gitops", title="GitOps at Scale", speakers=("Kim Park",),
    companies=("Weaveworks",), kind="talk", event="kubecon-eu-2019",
    conference="KubeCon + CloudNativeCon Europe 2019", year=2019, note=None, has_notes=False,
    links=(Link("video", "https://www.youtube.com/watch?v=gitops1"),),
)


def extra_talk(n: int) -> Talk:
    return Talk(id=f"kubecon-na-2017/extra-{n}", title=f"Extra Talk {n}", speakers=(f"Speaker {n}",),
                companies=(), kind="talk", event="kubecon-na-2017",
                conference="KubeCon + CloudNativeCon North America 2017", year=2017,
                anchor=f"extra-{n}", note=AUSTIN)


def result(talk: Talk, rank: int, text: str = "", highlight: str = "", score: float = 0.5) -> Result:
    passages = (Passage(text=text, highlight=highlight),) if text else ()
    return Result(rank=rank, score=score, talk=talk, passages=passages)


RANKING: tuple[Result, ...] = (
    result(SPINNAKER, 1, "Dianne opened the second day. " + SPINNAKER_SENTENCE
           + " Culture matters more than tools.", SPINNAKER_SENTENCE, 0.9),
    result(MESH, 2, "Istio and Linkerd were compared. Sidecars add latency.", "Sidecars add latency.", 0.7),
    result(CATALOG_ONLY, 3, "", "", 0.6),
    result(extra_talk(4), 4, "Fourth talk text.", "Fourth talk text.", 0.5),
    result(extra_talk(5), 5, "Fifth talk text.", "Fifth talk text.", 0.4),
)


QUESTION = "what did Netflix say about Spinnaker"
IDS = [r.talk.id for r in RANKING[:3]]      # the talks of the first page


def parse_filters(query: str) -> tuple[str, Filters]:
    """A tiny stand-in for the retriever's filter parsing (year: and company: only)."""
    year = re.search(r"\byear:(\d{4})\b", query)
    company = re.search(r"\bcompany:(\S+)", query)
    text = re.sub(r"\b(year|company):\S+", "", query).strip()
    return text, Filters(year=int(year.group(1)) if year else None,
                         company=company.group(1) if company else "")


@dataclass
class FakeRetriever:
    """Serves `ranking` page by page; `nothing` in a question finds nothing; `boom` raises."""

    ranking: Sequence[Result] = RANKING
    info: IndexInfo = INFO
    gate: threading.Event | None = None          # search blocks until the test sets it
    entered: threading.Event = field(default_factory=threading.Event)
    calls: list[tuple[str, int, int]] = field(default_factory=list)
    on_search: Callable[[str], None] | None = None

    def search(self, query: str, k: int = 3, offset: int = 0) -> Answer:
        self.calls.append((query, k, offset))
        self.entered.set()
        if self.gate is not None and not self.gate.wait(timeout=10):
            raise TimeoutError("the test never opened the gate")
        if self.on_search is not None:
            self.on_search(query)
        if not query.strip():
            raise QueryError("Ask a question, for example: what did Netflix say about Spinnaker")
        if len(query) > 5000:
            raise QueryError("That question is too long: keep it under 5000 characters.")
        if "boom" in query:
            raise RuntimeError("the index exploded")
        text, filters = parse_filters(query)
        ranking = [] if "nothing" in query else list(self.ranking)
        page = ranking[offset: offset + k]
        return Answer(query=query, text=text, filters=filters, results=tuple(page), info=self.info,
                      offset=offset, total=len(ranking), has_more=offset + k < len(ranking))


def answer(results: Sequence[Result] = RANKING[:3], query: str = QUESTION,
           offset: int = 0, total: int | None = None, has_more: bool = False,
           filters: Filters = Filters(), info: IndexInfo = INFO) -> Answer:
    return Answer(query=query, text=query, filters=filters, results=tuple(results), info=info,
                  offset=offset, total=len(results) if total is None else total, has_more=has_more)


@pytest.fixture
def clean_settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No setting from the machine running the tests leaks in; logging restored afterwards.
    Use with `pytestmark = pytest.mark.usefixtures("clean_settings_env")`."""
    from bot.settings import Settings
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class Stream(io.StringIO):
    """stdin/stdout/stderr for the CLI, a terminal or not."""

    def __init__(self, text: str = "", tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty
