"""Installing a directory atomically: write it into a temporary sibling, then rename it into place.

Used by the index store (which replaces the previous index), the model cache and the ONNX export
(where the first complete folder wins and a concurrent writer's copy is discarded). A folder at
the final path is therefore always complete; a killed writer leaves only a `.NAME.tmp-*` sibling,
which `remove_stale_temps` clears later."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path


def temp_sibling(final: Path) -> Path:
    """A fresh, unique temporary path beside `final` (not created), naming the host and
    process that writes it, so that a later run can tell a dead writer's leftovers."""
    return final.parent / f".{final.name}.tmp-{_host()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _host() -> str:
    return "".join(ch for ch in socket.gethostname() if ch.isalnum())[:32] or "host"


def _writer_is_dead(tmp: Path) -> bool:
    """Whether the temporary folder's writer ran on this host and has exited (a folder from
    another host, such as another pod on a shared volume, is never judged by its pid)."""
    parts = tmp.name.rsplit(".tmp-", 1)[-1].split("-")
    if len(parts) != 3 or parts[0] != _host() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


@contextlib.contextmanager
def staged_dir(final: Path) -> Iterator[Path]:
    """Create a temporary sibling of `final` and yield it; it is removed if the body raises, or
    if it still exists afterwards (the body did not install it)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(final)
    tmp.mkdir()
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries to disk (best effort: some file systems refuse)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def install_new(tmp: Path, final: Path, is_complete: Callable[[Path], bool]) -> bool:
    """Rename `tmp` to `final` unless another writer got there first.

    Returns True when `tmp` became `final`; False when a complete folder (by `is_complete`) was
    already there, in which case `tmp` is left for the caller's `staged_dir` to remove. An
    incomplete leftover at `final` (not a writer's, since writers rename complete folders) is
    removed and the rename retried."""
    for _ in range(3):
        try:
            os.rename(tmp, final)
        except OSError:
            if is_complete(final):
                return False
            shutil.rmtree(final, ignore_errors=True)
            continue
        fsync_dir(final.parent)
        return True
    raise OSError(f"could not move {tmp.name} into {final}")


def _rename_exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two directories (Linux renameat2 RENAME_EXCHANGE)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def replace_dir(new: Path, out: Path) -> None:
    """Make `new` the folder at `out`; the old folder stays usable until the very swap
    (one atomic exchange on Linux; elsewhere two renames)."""
    if not out.exists():
        os.rename(new, out)
        return
    if _rename_exchange(new, out):
        shutil.rmtree(new, ignore_errors=True)   # `new` now holds the previous folder
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.rename(out, old)
    os.rename(new, out)
    shutil.rmtree(old, ignore_errors=True)


def remove_stale_temps(parent: Path, name: str, max_age_s: float = 3600.0) -> None:
    """Delete `.NAME.tmp-*` folders in `parent` whose writer on this host has exited, or that
    were last touched more than `max_age_s` ago (killed builds leave them behind)."""
    now = time.time()
    for tmp in parent.glob(f".{name}.tmp-*"):
        try:
            if _writer_is_dead(tmp) or now - tmp.stat().st_mtime > max_age_s:
                shutil.rmtree(tmp, ignore_errors=True)
        except FileNotFoundError:
            pass
