"""Atomic writes, the one home of core's: a temporary name in the target folder, then a rename.

A file (or folder) is first written under a hidden temporary name beside the target, flushed to
disk and only renamed over the target when complete, so an interrupted or failed write never
leaves a half-written file under the real name and the old file stays until the new one is whole.
`replacing(path)` does that for one file (model files, sample zips, designs, pictures); an export
(a file, or a SavedModel folder) and its README and .check.json are `publish`ed once verified.
Problems are OSErrors, which each caller words for its user.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` (same suffix) for the block to write. If the block ends
    without an exception the file is fsynced, made an ordinary file (0666 less the umask, as open()
    would make it) and renamed over `path`; either way no temporary file is left."""
    path = Path(path)
    tmp = temporary_beside(path)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _ordinary_mode())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> Path:
    """`text` to `path` in UTF-8, atomically."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _ordinary_mode() -> int:
    umask = os.umask(0)   # the only way to read it is to set it
    os.umask(umask)
    return 0o666 & ~umask


def temporary_beside(out: Path, folder: bool = False) -> Path:
    """A new hidden file (or folder) in out's folder, keeping out's suffix (converters check it)."""
    if folder:
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".tmp" + out.suffix, dir=out.parent)
    os.close(fd)
    return Path(name)


def temporaries_of(out: Path) -> list[Path]:
    """The temporary files and folders temporary_beside and write_text_tmp make for `out` and its
    sidecars (`out.name + '.README.md'`...), for clearing up after a writer that was killed."""
    found = set(out.parent.glob(f".{out.stem}.*.tmp*")) | set(out.parent.glob(f".{out.name}.*.tmp*"))
    return sorted(found)


def size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_text_tmp(directory: Path, name: str, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o644)
    return Path(tmp)


def move_into_place(tmp: Path, out: Path) -> None:
    """os.replace for files; for folders the old one is renamed aside first, then removed."""
    if not tmp.is_dir():
        os.replace(tmp, out)
        return
    old = None
    if out.exists():
        if not out.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "a file of that name is in the way", str(out))
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.replace(out, old / out.name)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def publish(tmp: Path, out: Path, sidecars: dict[Path, str], temps: list[Path]) -> None:
    """Sidecars to temporary files first, then everything renamed into place (the export first)."""
    staged = []
    for path, text in sidecars.items():
        staged.append((write_text_tmp(out.parent, path.name, text), path))
        temps.append(staged[-1][0])
    os.chmod(tmp, 0o755 if tmp.is_dir() else 0o644)   # mkstemp/mkdtemp make private files
    move_into_place(tmp, out)
    for staged_path, path in staged:
        os.replace(staged_path, path)
