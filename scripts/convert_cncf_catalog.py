"""Regenerate corpus/catalog/cncf-presentations.jsonl from the CNCF presentations tables.

    python scripts/convert_cncf_catalog.py [SOURCE_DIR] [--out FILE]

SOURCE_DIR holds the Markdown tables of github.com/cncf/presentations, folder `chinese/`
(default: corpus/catalog/source, a copy of the upstream tables). Each table row's first
cell is `Chinese title<br>English title - Speaker, Role, Company`; the other cells link the
recording on YouTube and on Tencent Video. The English cell is split here into title, speakers
and companies; the output is one JSON object a line in the catalog format that
corpus/catalog/README.md documents, in table order, so a rerun gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.notes.bylines import NOT_NAMES as BYLINE_NOT_NAMES, PARTICLES  # noqa: E402

SOURCE_REPO = "https://github.com/cncf/presentations"
SOURCE_COMMIT = "d90af6bbaa727cc6054d3e86d6a2713b401c4a8d"
DEFAULT_SOURCE = ROOT / "corpus" / "catalog" / "source"
DEFAULT_OUT = ROOT / "corpus" / "catalog" / "cncf-presentations.jsonl"

# file stem -> (event id, conference, city, year); ids follow the notes' front matter.
EVENTS: dict[str, tuple[str, str, str, int]] = {
    "2016Seattle": ("kubecon-na-2016", "CloudNativeCon + KubeCon North America 2016", "Seattle", 2016),
    "2017Berlin": ("kubecon-eu-2017", "CloudNativeCon + KubeCon Europe 2017", "Berlin", 2017),
    "2017Austin": ("kubecon-na-2017", "KubeCon + CloudNativeCon North America 2017", "Austin", 2017),
    "2018Copenhagen": ("kubecon-eu-2018", "KubeCon + CloudNativeCon Europe 2018", "Copenhagen", 2018),
    "2018Shanghai": ("kubecon-cn-2018", "KubeCon + CloudNativeCon China 2018", "Shanghai", 2018),
    "2018Seattle": ("kubecon-na-2018", "KubeCon + CloudNativeCon North America 2018", "Seattle", 2018),
    "EnvoyCon2018Seattle": ("envoycon-2018", "EnvoyCon 2018", "Seattle", 2018),
    "2019Barcelona": ("kubecon-eu-2019", "KubeCon + CloudNativeCon Europe 2019", "Barcelona", 2019),
    "2019Shanghai": ("kubecon-cn-2019",
                     "KubeCon + CloudNativeCon + Open Source Summit China 2019", "Shanghai", 2019),
    "2019SanDiego": ("kubecon-na-2019", "KubeCon + CloudNativeCon North America 2019", "San Diego", 2019),
    "2020VSC": ("kubecon-cn-2020", "Cloud Native + Open Source Virtual Summit China 2020", "Virtual", 2020),
    "2021ChinaVirtual": ("kubecon-cn-2021",
                         "KubeCon + CloudNativeCon + Open Source Summit China 2021", "Virtual", 2021),
    "2023Shanghai": ("kubecon-cn-2023",
                     "KubeCon + CloudNativeCon + Open Source Summit China 2023", "Shanghai", 2023),
}

KIND_PREFIX_RE = re.compile(
    r"^(sponsored keynote|opening keynote|keynote panel|keynote|lightning talk|tutorial|workshop|"
    r"panel discussion|panel)\s*(?::|\s[-–—]\s)\s*", re.I)
KIND_OF_PREFIX = {"sponsored keynote": "keynote", "opening keynote": "keynote",
                  "keynote panel": "keynote", "keynote": "keynote", "lightning talk": "lightning_talk",
                  "tutorial": "tutorial", "workshop": "workshop", "panel discussion": "panel",
                  "panel": "panel"}
SKILL_RE = re.compile(r"\s*\((Any|Beginner|Intermediate|Advanced) Skill Level\)\s*$", re.I)
SKILL_LEVEL = {"any": "All", "beginner": "B", "intermediate": "I", "advanced": "A"}
LEVEL_RE = re.compile(r"\s*\[(A|B|I|N|All)\]\s*$")
DASH_SEP_RE = re.compile(r"\s+[-–—]{1,2}\s+|(?<=[\w?!.)\"”])[-–—]\s+")
ELLIPSIS_RE = re.compile(r"(?:\.\.\.|…)\s*")
HOST_RE = re.compile(r"^(?:moderated|hosted|presented)\s+by\s+", re.I)
GROUP_SPLIT_RE = re.compile(r"\s*;\s*(?:&\s+)?|\s+&\s+|\s+\+\s+|\s+with\s+|,?\s+and\s+|(?<=[a-z])&(?=[A-Z][a-z])")
NOT_NAMES = BYLINE_NOT_NAMES - {"deep", "day"}   # Deep Kapadia, Stephen Day
NICK_RE = re.compile(r"\s*(?:\"[^\"]*\"|“[^”]*”|\([^()]*\))\s*")
NAME_TOKEN_RE = re.compile(r"^(?:[^\W\d_][\w'’\-]*\.?|(?:[A-Z]\.)+)$")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
ROLE_RE = re.compile(
    r"\b(engineer|engineering|director|manager|advocate|architect|ceo|cto|cio|coo|cso|vp|head|"
    r"lead|founder|co-?founder|developer|maintainer|president|fellow|evangelist|scientist|"
    r"consultant|specialist|strategist|officer|chair|co-chair|member|sre|staff|principal|senior|"
    r"sr\.?|programmer|analyst|researcher|student|contributor|executive|chief|owner|partner|"
    r"technologist|expert|leader|professor|intern|committer|designer|tech|technical|"
    r"general manager|product|ambassador|editor|author|creator)\b", re.I)
COMPANY_WORDS = {
    "inc", "inc.", "llc", "ltd", "ltd.", "corp", "corp.", "corporation", "co.", "gmbh", "ag",
    "sa", "bv", "labs", "lab", "systems", "software", "technologies", "technology", "security",
    "data", "bank", "hat", "times", "foundation", "university", "group", "networks", "services",
    "cloud", "computing", "solutions", "institute", "research", "media", "digital", "telecom",
    "health", "mobile", "capital", "insurance", "financial", "games", "studios", "analytics",
    "works", "consulting", "io", "ai", "automation", "platform", "platforms", "center", "centre",
    "company", "web", "online", "communications", "electronics", "energy", "motors", "airlines",
    "interactive", "global", "international", "ventures", "project", "community", "aws",
    "microsoft", "google", "amazon", "intel", "huawei", "alibaba", "tencent", "baidu", "vmware",
    "oracle", "cisco", "ibm", "sap", "netflix", "uber", "lyft", "pivotal", "heptio", "coreos",
    "docker", "mesosphere", "rancher", "weaveworks", "buoyant", "tetrate", "datadog", "sysdig",
    "twistlock", "aqua", "suse", "canonical", "mirantis", "nvidia", "ericsson", "nokia", "zte",
    "jd.com", "ant", "kinvolk", "jetstack", "coop", "container", "containers", "native", "linux",
}


@dataclass(frozen=True)
class Row:
    stem: str
    line: int
    title_zh: str
    english: str
    youtube: str
    tencent: str


def read_rows(path: Path) -> list[Row]:
    """The talk rows of one Markdown table (header and rule rows skipped)."""
    rows: list[Row] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.startswith("|") or line.startswith(("|Topic", "|---")):
            continue
        cells = line.strip().strip("|").split("|")
        if len(cells) < 3:
            raise ValueError(f"{path}:{n}: expected 3 cells, found {len(cells)}")
        first = cells[0]
        zh, _, en = first.partition("<br>") if "<br>" in first else ("", "", first)
        en = _clean(en)
        if re.match(r"^https?://\S+$", en):      # a link where the English title belongs
            en = zh.strip()
        en = re.sub(r"^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+\s+(?=[A-Z])", "", en)  # 中文 Keynote: ...
        rows.append(Row(path.stem, n, zh.strip(), en, _link(cells[1]), _link(cells[2])))
    return rows


def _clean(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("&amp;", "&")
    text = re.sub(r"[\u200b-\u200f\ufeff]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _link(cell: str) -> str:
    m = re.search(r"\]\(\s*([^)\s]+)\s*\)", cell)
    url = m.group(1) if m else ""
    return "" if url.endswith(("watch?v=", "/page/")) else url    # a link without its video id


class Lexicon:
    """Person names seen in unambiguous positions, to decide the ambiguous ones."""

    def __init__(self, rows: list[Row]) -> None:
        self.names: Counter[str] = Counter()
        self.title_words: set[str] = set()
        for row in rows:
            text = _strip_skill(row.english)[0]
            seps = list(DASH_SEP_RE.finditer(text))
            if not seps:
                continue
            right = text[seps[-1].end():]
            for group in GROUP_SPLIT_RE.split(HOST_RE.sub("", right)):
                parts = [p.strip() for p in group.split(",") if p.strip()]
                if len(parts) >= 2 and is_name(parts[0]) and not _companyish(parts[0]) \
                        and not ROLE_RE.search(parts[0]):
                    self.names[parts[0]] += 1
                    self.title_words.update(w.lower() for w in text[: seps[-1].start()].split())
        name_tokens = {t.lower() for n in self.names for t in n.split()}
        self.title_words -= name_tokens

    def person(self, text: str) -> bool:
        """Strict: a known name, or person-shaped without company or title words."""
        text = text.strip()
        if text in self.names:
            return True
        if not is_name(text) or _companyish(text) or ROLE_RE.search(text):
            return False
        return not any(t.lower() in self.title_words for t in text.split())


def is_name(text: str, single: bool = False) -> bool:
    """A person's name: one to five name-shaped words (initials and nicknames allowed)."""
    tokens = NICK_RE.sub(" ", text).split()
    if len(tokens) == 1 and CJK_RE.match(tokens[0]):
        return 2 <= len(tokens[0]) <= 4
    if not 1 <= len(tokens) <= 5 or (len(tokens) == 1 and not (single or NICK_RE.search(text))):
        return False
    if any(t.lower() in NOT_NAMES or any(c.isdigit() for c in t) for t in tokens):
        return False
    named = [t for t in tokens if t.lower() not in PARTICLES]
    shaped = all(NAME_TOKEN_RE.match(t) and (not t[0].islower() or re.match(r"^[a-z]+[A-Z]", t))
                 for t in named)
    return bool(named) and shaped and \
        not all(len(t.rstrip(".")) == 1 for t in named)


def _companyish(text: str) -> bool:
    """Company words, domain names, digits, or an all-caps word that is not a surname."""
    tokens = text.split()
    for i, t in enumerate(tokens):
        if t.lower().strip(",") in COMPANY_WORDS or re.search(r"\w\.[a-z]{2,}", t) \
                or any(c.isdigit() for c in t):
            return True
        surname = i == len(tokens) - 1 and i > 0 and tokens[0][1:].islower()
        initials = len(t) == 2 and i == 0 and len(tokens) > 1
        if len(t) >= 2 and t.isalpha() and t.isupper() and not (surname or initials):
            return True
    return False


def _strip_skill(text: str) -> tuple[str, str]:
    m = SKILL_RE.search(text)
    if m:
        return text[: m.start()].strip(), m.group(1).lower()
    return text, ""


def parse_people(text: str, lex: Lexicon, strict: bool = False
                 ) -> tuple[list[str], list[str]] | None:
    """`Name, Role, Company & Name, Company` -> (speakers, companies); None if not people."""
    text = HOST_RE.sub("", text.strip().rstrip(",.").strip()).replace(" + CloudNativeCon", "+CloudNativeCon")
    groups = [g for g in GROUP_SPLIT_RE.split(text) if g.strip(" ,")]
    speakers: list[str] = []
    companies: list[str] = []
    for gi, group in enumerate(groups):
        parts = [p.strip() for p in group.split(",") if p.strip()]
        first, rest = parts[0], parts[1:]
        if not _speaker(first, lex, strict, single=len(parts) > 1 or len(groups) > 1):
            if gi == 0:
                return None
            # `Name, VP & Chief Officer, Company`, `Name, Vulk Coop & CNCF`: not a new person.
            companies.extend(_company(parts if not ROLE_RE.search(first) else rest))
            continue
        speakers.append(first)
        # `Name, Name, Name & Name`: further parts that are all people.
        if rest and all(lex.person(p) for p in rest) and \
                (len(rest) > 1 or rest[0] in lex.names or gi < len(groups) - 1):
            speakers.extend(rest)
            continue
        companies.extend(_company(rest))
    if not speakers:
        return None
    return list(dict.fromkeys(speakers)), list(dict.fromkeys(c for c in companies if c))


def _speaker(text: str, lex: Lexicon, strict: bool, single: bool) -> bool:
    """Is this part of a byline a speaker's name?"""
    if lex.person(text):
        return True
    if strict or _companyish(text) or ROLE_RE.search(text) or not is_name(text, single=single):
        return False
    return not all(t.lower() in lex.title_words for t in text.split())


def _company(rest: list[str]) -> list[str]:
    """The company among the parts after a name (roles dropped): `Role, Company` -> Company."""
    rest = [p for p in rest if len(p) > 1 and not re.match(r"^[a-z]+ ", p)]   # `in conversation`
    tail = [p for p in rest if not _is_role(p)]
    if rest and not tail and not ROLE_RE.search(rest[-1].split()[-1]):
        tail = [rest[-1]]
    if not tail:
        return []
    return [", ".join(tail) if _is_suffix(tail) else tail[-1]]


def _is_role(part: str) -> bool:
    """`Senior Engineer`, `Head of Engineering`, `2019 Co-Chair`: a role, not a company."""
    return bool(ROLE_RE.search(part.split()[-1]) or (ROLE_RE.search(part) and not _companyish(part)))


def _is_suffix(tail: list[str]) -> bool:
    """`CoreOS, Inc.` is one company, not two."""
    return len(tail) == 2 and tail[1].lower().rstrip(".") in {"inc", "llc", "ltd", "gmbh", "co"}


def split_title(text: str, lex: Lexicon, after_kind: bool = False
                ) -> tuple[str, list[str], list[str]]:
    """Title and the speakers/companies after it, trying the separators the tables use."""
    weak: tuple[str, list[str], list[str]] | None = None
    for m in reversed(list(DASH_SEP_RE.finditer(text))):
        people = parse_people(text[m.end():], lex)
        if people and text[: m.start()].strip():
            if all(len(s.split()) > 1 for s in people[0]):
                return text[: m.start()].strip(), *people
            weak = weak or (text[: m.start()].strip(), *people)
    if weak:       # single-word names (`Flynn, Datawire`) only when nothing better parses
        return weak
    for m in reversed(list(re.finditer(r"\s+by\s+", text))):
        people = parse_people(text[m.end():], lex)
        if people:
            return text[: m.start()].strip(), *people
    for m in reversed(list(ELLIPSIS_RE.finditer(text))):
        people = parse_people(text[m.end():], lex)
        if people and m.end() < len(text):
            return text[: m.end()].strip(), *people
    glued = re.search(r"(?<=[a-z])([A-Z][a-z]+ [A-Z][a-z]+, .+)$", text)
    if glued:
        people = parse_people(glued.group(1), lex, strict=True)
        if people:
            return text[: glued.start()].strip(), *people
    for m in reversed(list(re.finditer(r":\s+", text))):
        right = text[m.end():]
        people = parse_people(right, lex, strict=True)
        if people and re.search(r"[,&]", right):
            return text[: m.start()].strip(), *people
    comma = re.search(r",\s+([^,]+)$", text)
    if comma and lex.person(comma.group(1)) and len(comma.group(1).split()) >= 2:
        return text[: comma.start()].strip(), [comma.group(1).strip()], []
    if after_kind:
        people = parse_people(text, lex, strict=True)
        if people and "," in text:
            return "", *people
    return text, [], []


def convert_row(row: Row, lex: Lexicon) -> dict[str, object]:
    event, conference, city, year = EVENTS[row.stem]
    text, skill = _strip_skill(row.english)
    kind = "talk"
    m = KIND_PREFIX_RE.match(text)
    if m:
        kind = KIND_OF_PREFIX[m.group(1).lower()]
        text = text[m.end():]
    title, speakers, companies = split_title(text, lex, after_kind=bool(m))
    level = ""
    lm = LEVEL_RE.search(title)
    if lm:
        level, title = lm.group(1), title[: lm.start()].strip()
    if not title:
        title = f"{m.group(1) if m else 'Talk'}: {' & '.join(speakers)}".strip(": ")
    return {
        "title": title, "speakers": speakers, "companies": companies, "event": event,
        "year": year, "kind": kind, "video": row.youtube, "slides": "", "schedule": "",
        "conference": conference, "city": city, "level": level or SKILL_LEVEL.get(skill, ""),
        "title_zh": row.title_zh,
        "video_cn": row.tencent, "source": f"cncf/presentations@{SOURCE_COMMIT[:12]}:chinese/"
                                           f"{row.stem}.md#L{row.line}",
    }


def convert(source: Path) -> list[dict[str, object]]:
    files = sorted(p for p in source.glob("*.md") if p.stem in EVENTS)
    missing = sorted(set(EVENTS) - {p.stem for p in files})
    if missing:
        raise SystemExit(f"{source}: missing tables for {', '.join(missing)}")
    order = {stem: i for i, stem in enumerate(EVENTS)}
    rows = [r for p in sorted(files, key=lambda p: order[p.stem]) for r in read_rows(p)]
    lex = Lexicon(rows)
    out: list[dict[str, object]] = []
    seen: set[tuple[object, ...]] = set()
    for row in rows:
        rec = convert_row(row, lex)
        key = (rec["event"], rec["title"], rec["video"])
        if rec["video"] and key in seen:      # the same talk listed twice in one table
            continue
        seen.add(key)
        out.append(rec)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    records = convert(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    events = Counter(str(r["event"]) for r in records)
    print(f"wrote {len(records)} talks from {len(events)} events to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
