"""Measure the built app's start-up: launch -> window shown, and launch -> model ready.

    .venv/bin/python -m hwr_desktop.devtools.measure_startup [--runs 3] [--cold] [dist/hwr-desktop/hwr-desktop]

Each run starts the program from / in a bare environment (offscreen Qt) with
HWR_DESKTOP_EXIT_AFTER_SHOWN=1, which makes the app print both times and quit; the medians are
reported. --cold first evicts the program folder's files from the page cache (Linux
posix_fadvise), as after a reboot, so the disk reads are part of the figure; libraries of the
system (libc, libGL, fonts) stay cached, as they are on a running desktop.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "dist" / "hwr-desktop" / "hwr-desktop"
LINE = re.compile(r"^(window shown|model ready|model failed to load) ([\d.]+) s after launch$")


def evict(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def run_once(exe: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "QT_QPA_PLATFORM": "offscreen",
               "HWR_DESKTOP_EXIT_AFTER_SHOWN": "1"}
        out = subprocess.run([str(exe)], cwd="/", env=env, capture_output=True, text=True, timeout=300).stdout
    times = {m[1]: float(m[2]) for m in map(LINE.match, out.splitlines()) if m}
    if "window shown" not in times:
        raise SystemExit(f"no start-up time in the output:\n{out}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exe", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="evict the program's files from the page cache first")
    args = parser.parse_args()
    exe = args.exe.absolute()  # it runs from /; absolute, not resolved: a venv's script must stay in its venv
    runs = []
    for i in range(args.runs):
        if args.cold:
            evict(exe.parent)
        runs.append(run_once(exe))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in runs[-1].items()), flush=True)
    for key in ("window shown", "model ready"):
        values = [r[key] for r in runs if key in r]
        if values:
            print(f"median {key}: {statistics.median(values):.2f} s ({'cold' if args.cold else 'warm'}, "
                  f"{len(values)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
