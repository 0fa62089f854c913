"""Shared fixtures: a fake-encoder index of the real corpus (fast) and the real-model index (slow)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from encoders import FakeEncoder  # noqa: E402


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return ROOT / "corpus"


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory, corpus_dir):
    from index.build import build_index
    out = tmp_path_factory.mktemp("fake") / "index"
    build_index(corpus_dir, out, FakeEncoder(), catalog=False, show_progress=False,
                log=lambda m: None)
    return out


@pytest.fixture(scope="session")
def fake_catalog_index(tmp_path_factory, corpus_dir):
    """The notes plus the official talk catalog, with the fake encoder."""
    from index.build import build_index
    out = tmp_path_factory.mktemp("fakecat") / "index"
    build_index(corpus_dir, out, FakeEncoder(), show_progress=False, log=lambda m: None)
    return out


@pytest.fixture(scope="session")
def fake_retriever(fake_index):
    from index.search.retriever import FusionParams, load_retriever
    # The fake encoder's cosines are not calibrated: no dense floor for it.
    return load_retriever(fake_index, "fake-encoder", encoder=FakeEncoder(),
                          params=FusionParams(floor_dense=0.0))


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory, corpus_dir) -> Path:
    """The real corpus indexed with the real default model (built once per test session).

    REAL_INDEX_DIR points at an index built beforehand (CI builds it once and reuses it)."""
    from index.build import build_index
    from index.settings import DEFAULT_MODEL
    from index.model.encoders import encoder_for
    from index.settings import load_index_settings
    given = os.environ.get("REAL_INDEX_DIR")
    out = Path(given) if given else tmp_path_factory.mktemp("real") / "index"
    build_index(corpus_dir, out, encoder_for(load_index_settings(), DEFAULT_MODEL), show_progress=False,
                log=lambda m: None)
    return out


@pytest.fixture(scope="session")
def real_retriever(real_index_dir):
    from index.settings import DEFAULT_MODEL
    from index.search.retriever import load_retriever
    return load_retriever(real_index_dir, DEFAULT_MODEL)


@pytest.fixture
def corpus_copy(tmp_path, corpus_dir) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(corpus_dir, dst)
    return dst


# Property tests run with a fixed seed so that a run is repeatable; set
# HYPOTHESIS_PROFILE=explore to search new examples (that is how the URL-label bug was found).
from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("repeatable", derandomize=True, deadline=None)
_hyp_settings.register_profile("explore", deadline=None, max_examples=500)
_hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server for the session (fails, never skips, when it is not installed)."""
    from redis_server import running_redis
    with running_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_url(redis_server):
    """The session's Redis, emptied for this test."""
    import redis
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server
