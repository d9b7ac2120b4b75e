"""The app starts on a real X11 display through Qt's xcb plugin (not offscreen), then closes.

Every other GUI test runs offscreen, which needs none of the X11 libraries the xcb plugin links
against: this is the test that notices when one is missing. It needs Xvfb (`.ci/run` installs it);
without it the test is skipped on a developer's machine, and fails under CI (CI=true).
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_display() -> int:
    for number in range(90, 200):
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number between :90 and :199")


@pytest.fixture
def x_display():
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Xvfb is not installed: CI must run the X11 start test (.ci/run installs xvfb)")
        pytest.skip("Xvfb is not installed (apt install xvfb)")
    number = _free_display()
    server = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if server.poll() is not None:
                pytest.fail(f"Xvfb :{number} did not start: {server.stderr.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"Xvfb :{number} did not open its socket within 15 s")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_the_app_opens_its_window_on_x11_and_closes(x_display, tmp_path):
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", "HWR_DESKTOP_EXIT_AFTER_SHOWN": "1",
           "HWR_DESKTOP_CONFIG_DIR": str(tmp_path / "config"), "HWR_DESKTOP_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run([sys.executable, "-m", "hwr_desktop"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "window shown" in done.stdout and "model ready" in done.stdout, output
    assert "qt.qpa.plugin" not in output and "cannot open its window" not in output, output
