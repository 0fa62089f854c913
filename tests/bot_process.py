"""The bot as its own OS process: `python tests/bot_process.py` runs `bot.cli.main` in HTTP
mode, every setting from the environment as in production (INDEX_DIR must hold an index, which
start-up checks), answering from the FakeRetriever so that start-up takes a second, not the
model's load."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot.cli import main  # noqa: E402
from bot_fakes import FakeRetriever  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["--http"], load=lambda settings: FakeRetriever()))
