"""Before Qt starts: can its X11 (xcb) platform plugin load here? If not, say which system
libraries are missing and how to install them.

Without this, Qt aborts with "xcb-cursor0 or libxcb-cursor0 is needed to load the Qt xcb platform
plugin", whatever is really missing (on a fresh Debian 12 it is libxcb-icccm4 and libxcb-keysyms1).
No Qt here: it runs before PySide6's libraries are loaded. The pure parts (reading `ldd`, naming
packages, the message) take their inputs as arguments, so tests can fake a missing library.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

# The system libraries Qt's xcb plugin (libqxcb.so and libQt6XcbQpa.so.6) needs that PySide6 does not
# ship: library -> (Debian/Ubuntu package, Fedora package).
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libXau.so.6": ("libxau6", "libXau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
}


# What the xcb plugin of this PySide6 loads from the system, at any depth (`ldd libqxcb.so`, less
# the C runtime and what every Linux has): the names tried when there is no ldd.
XCB_NEEDS = (
    "libxcb.so.1", "libX11-xcb.so.1", "libX11.so.6", "libXau.so.6", "libXdmcp.so.6", "libxcb-icccm.so.4", "libxcb-keysyms.so.1",
    "libxcb-cursor.so.0", "libxcb-image.so.0", "libxcb-util.so.1", "libxcb-render-util.so.0", "libxcb-randr.so.0",
    "libxcb-render.so.0", "libxcb-shape.so.0", "libxcb-shm.so.0", "libxcb-sync.so.1", "libxcb-xfixes.so.0",
    "libxcb-xkb.so.1", "libxkbcommon.so.0", "libxkbcommon-x11.so.0", "libfontconfig.so.1", "libfreetype.so.6",
    "libdbus-1.so.3", "libEGL.so.1", "libGL.so.1", "libglib-2.0.so.0",
)


def platform_is_xcb(environ=None, platform: str | None = None) -> bool:
    """Whether Qt will pick its X11 plugin: Linux, a DISPLAY, and no other platform asked for."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return False
    wanted = environ.get("QT_QPA_PLATFORM", "").strip()
    return wanted == "" or wanted.split(":")[0].split(";")[0] == "xcb"


def missing_from_ldd(output: str) -> list[str]:
    """The library names `ldd` could not find ("libfoo.so.1 => not found"), in order, once each."""
    missing = []
    for row in output.splitlines():
        name, arrow, where = row.strip().partition("=>")
        if arrow and where.strip() == "not found" and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def missing_by_loading(names: Iterable[str], load: Callable[[str], object] = ctypes.CDLL) -> list[str]:
    """Without ldd: the names that the dynamic loader cannot open."""
    missing = []
    for name in names:
        try:
            load(name)
        except OSError:
            missing.append(name)
    return missing


def message(missing: list[str]) -> str:
    """One clear message: what is missing and the command that installs it, on Debian/Ubuntu and Fedora."""
    debian = list(dict.fromkeys(PACKAGES.get(name, (name, name))[0] for name in missing))
    fedora = list(dict.fromkeys(PACKAGES.get(name, (name, name))[1] for name in missing))
    return (f"HWR Desktop cannot open its window: these system libraries are missing: {', '.join(missing)}.\n"
            f"Install them with:\n"
            f"    sudo apt install {' '.join(debian)}    (Debian/Ubuntu)\n"
            f"    sudo dnf install {' '.join(fedora)}    (Fedora)\n"
            f"then start HWR Desktop again.")


def xcb_plugin(qt_dir: Path | None = None) -> Path | None:
    """PySide6's libqxcb.so (in a checkout's venv or the packaged app), or None."""
    if qt_dir is None:
        import importlib.util
        spec = importlib.util.find_spec("PySide6")     # finds the package without loading Qt
        if spec is None or not spec.submodule_search_locations:
            return None
        qt_dir = Path(list(spec.submodule_search_locations)[0]) / "Qt"
    plugin = qt_dir / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def find_missing(plugin: Path, run: Callable = subprocess.run, which: Callable = shutil.which,
                 load: Callable[[str], object] = ctypes.CDLL) -> list[str]:
    """The libraries the xcb plugin needs that cannot be loaded: from `ldd` (which lists the plugin's
    needs at every depth), else by trying to load each known one."""
    ldd = which("ldd")
    if ldd:
        try:
            done = run([ldd, str(plugin)], capture_output=True, text=True, timeout=20)
            return missing_from_ldd(done.stdout)
        except (OSError, subprocess.SubprocessError):
            pass
    return missing_by_loading(XCB_NEEDS, load)


def window_problem(environ=None) -> str | None:
    """The message when Qt's xcb plugin will not load; None otherwise, including when the check
    itself cannot tell (then Qt has its say)."""
    if not platform_is_xcb(environ):
        return None
    plugin = xcb_plugin()
    missing = find_missing(plugin) if plugin is not None else []
    return message(missing) if missing else None


def display_answers(display: str, timeout: float = 2.0) -> bool:
    """Whether an X server accepts a connection at `display` (":N", "unix:N", "host:N", with or
    without ".screen"): its local socket, else TCP port 6000+N. A value we cannot parse counts as
    answering (Qt then has its say)."""
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isdigit():
        return True
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(f"/tmp/.X11-unix/X{number}")
        else:
            socket.create_connection((host, 6000 + int(number)), timeout=timeout).close()
    except OSError:
        return False
    return True


def display_problem(environ=None, platform: str | None = None, answers: Callable[[str], bool] = display_answers) -> str | None:
    """One line when Qt would try X11 and no display can be opened (DISPLAY unset, or nothing answers
    there); None otherwise. Without this check Qt aborts (exit 134) naming libxcb-cursor0."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    wanted = environ.get("QT_QPA_PLATFORM", "").strip().split(":")[0].split(";")[0]
    if not platform.startswith("linux") or wanted not in ("", "xcb") or (wanted == "" and environ.get("WAYLAND_DISPLAY")):
        return None
    display = environ.get("DISPLAY", "")
    if not display:
        return "HWR Desktop cannot open its window: no display (DISPLAY is not set); start it in a desktop session or under Xvfb."
    if not answers(display):
        return f"HWR Desktop cannot open its window: no display answers at DISPLAY={display}."
    return None


def check_can_open_window(environ=None, stderr=None) -> bool:
    """False, after printing the message on stderr, when the window cannot open: missing libraries
    first (they are what the user must install), then no display."""
    problem = window_problem(environ) or display_problem(environ)
    if problem:
        print(problem, file=stderr or sys.stderr, flush=True)
    return problem is None
