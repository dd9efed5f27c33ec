"""Atomic writes, readable by the instructor's group and nobody else.

Readers of a report see the old file or the whole new one, never a part. Reports are written 0640 and their
folders 0750, owned by the grader's group (or the group an instructor names), so that teaching assistants in that
group can read them while students' code, which runs under other uids, cannot.
"""

from __future__ import annotations

import grp
import logging
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o640
FOLDER_MODE = 0o750

log = logging.getLogger("grader")


def group_id(name: str | None) -> int | None:
    """The gid of a group name (or number); None for the grader's own group. Raises KeyError if unknown."""
    if name is None:
        return None
    return int(name) if name.isdigit() else grp.getgrnam(name).gr_gid


def _own(path: Path, gid: int | None) -> None:
    if gid is None or path.stat().st_gid == gid:
        return
    try:
        os.chown(path, -1, gid)
    except OSError as error:
        log.warning("cannot give %s to group %s: %s", path, gid, error.strerror)


def make_folder(path: Path, gid: int | None = None) -> None:
    """Create ``path`` (and parents) as 0750; an existing folder loses any access for others."""
    missing = [p for p in [path, *path.parents] if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        os.chmod(folder, FOLDER_MODE)
        _own(folder, gid)
    mode = path.stat().st_mode & 0o777
    if mode & 0o007:
        os.chmod(path, mode & ~0o007)


def write_atomically(path: Path, text: str, gid: int | None = None, mode: int = FILE_MODE) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    make_folder(path.parent, gid)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        _own(Path(temporary), gid)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def prune(folder: Path, keep: set[str], suffixes: tuple[str, ...]) -> list[str]:
    """Delete the files of ``folder`` with these suffixes that are not in ``keep`` (stale reports); their names."""
    removed = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name.endswith(suffixes) and path.name not in keep:
                path.unlink()
                removed.append(path.name)
    return removed
