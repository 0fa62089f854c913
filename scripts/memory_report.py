"""Where the bot's memory goes: load the index and the model as the bot does, answer one question,
then print the resident memory by mapping (/proc/self/smaps: shared libraries, the model file,
anonymous heap) and the Python allocations tracemalloc saw, largest first.

    python scripts/memory_report.py [--index DIR] [--top N] ["question"]

Linux only (reads /proc). tracemalloc sees only what Python's allocator hands out (numpy arrays
included); native libraries (onnxruntime, FAISS, tokenizers) allocate behind its back, which is
why the two tables differ."""

from __future__ import annotations

import argparse
import re
import tracemalloc
from collections import defaultdict
from pathlib import Path

from bot.search import load_retriever
from bot.settings import load_settings

HEADER = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$")


def rss_by_mapping(smaps: str) -> dict[str, int]:
    """Resident kB per mapping name (a file's path, [heap], [anon], ...), from /proc/PID/smaps."""
    totals: dict[str, int] = defaultdict(int)
    name = "[anon]"
    for line in smaps.splitlines():
        if match := HEADER.match(line):
            name = match.group(1).strip() or "[anon]"
        elif line.startswith("Rss:"):
            totals[name] += int(line.split()[1])
    return dict(totals)


def group(path: str) -> str:
    """A short label: the site-packages distribution or the file's name, or the kind of memory."""
    if path.startswith("["):
        return path
    parts = Path(path).parts
    if "site-packages" in parts:
        return "site-packages/" + parts[parts.index("site-packages") + 1]
    return Path(path).name if path.endswith((".onnx", ".json")) else str(Path(path).parent)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("question", nargs="?", default="what did Netflix say about Spinnaker")
    args.add_argument("--index", type=Path)
    args.add_argument("--top", type=int, default=12)
    opts = args.parse_args()
    settings = load_settings()
    if opts.index:
        settings = settings.model_copy(update={"index_dir": opts.index})
    tracemalloc.start()
    retriever = load_retriever(settings)
    retriever.search(opts.question)
    snapshot = tracemalloc.take_snapshot()
    rollup = Path("/proc/self/smaps_rollup").read_text()
    print(" ".join(line.split(":")[0] + "=" + line.split()[1] for line in rollup.splitlines()
                   if line.startswith(("Rss:", "Pss:", "Anonymous:", "Private_Dirty:"))), "(kB)")
    grouped: dict[str, int] = defaultdict(int)
    for path, kb in rss_by_mapping(Path("/proc/self/smaps").read_text()).items():
        grouped[group(path)] += kb
    print("\nRSS by mapping (MB)")
    for label, kb in sorted(grouped.items(), key=lambda kv: -kv[1])[:opts.top]:
        print(f"{kb / 1024:8.1f}  {label}")
    stats = snapshot.statistics("lineno")
    print(f"\ntracemalloc: {sum(s.size for s in stats) / 2**20:.1f} MB in Python allocations; "
          "largest (MB)")
    for stat in stats[:opts.top]:
        frame = stat.traceback[0]
        print(f"{stat.size / 2**20:8.1f}  {frame.filename.rsplit('site-packages/', 1)[-1]}:"
              f"{frame.lineno}")


if __name__ == "__main__":
    main()
