"""The start-up check for Qt's X11 plugin: no display needed, the missing library is faked."""
import io
import os
import subprocess
import sys

import pytest

from hwr_desktop.ui import platform_check as pc

# `ldd libqxcb.so` on a fresh Debian 12 (shortened): two libraries are missing.
LDD_FRESH_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffd1b5f3000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f0e)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f0d)
\tlibxcb-icccm.so.4 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f0c)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f0e2a0d1000)
"""


def test_ldd_output_gives_the_missing_libraries_once_each_in_order():
    assert pc.missing_from_ldd(LDD_FRESH_DEBIAN) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert pc.missing_from_ldd(LDD_FRESH_DEBIAN.replace("not found", "/lib/x.so (0x1)")) == []


def test_the_message_names_libraries_and_the_install_commands_for_debian_and_fedora():
    text = pc.message(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert text.startswith("HWR Desktop cannot open its window: these system libraries are missing: "
                           "libxcb-icccm.so.4, libxcb-keysyms.so.1.")
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1    (Debian/Ubuntu)" in text
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms    (Fedora)" in text
    assert "xcb-cursor" not in text                      # never Qt's misleading hint
    # Libraries sharing a package name it once; an unknown library is named as it is.
    text = pc.message(["libxcb-shape.so.0", "libxcb-randr.so.0", "libweird.so.3"])
    assert "sudo dnf install libxcb libweird.so.3    (Fedora)" in text
    assert "sudo apt install libxcb-shape0 libxcb-randr0 libweird.so.3" in text


def test_every_known_library_has_both_package_names():
    assert all(debian and fedora for debian, fedora in pc.PACKAGES.values())
    assert set(pc.XCB_NEEDS) <= set(pc.PACKAGES)
    assert pc.PACKAGES["libxkbcommon-x11.so.0"] == ("libxkbcommon-x11-0", "libxkbcommon-x11")
    assert pc.PACKAGES["libxcb-cursor.so.0"] == ("libxcb-cursor0", "xcb-util-cursor")


def test_the_check_runs_only_when_qt_will_use_xcb():
    x11 = {"DISPLAY": ":0"}
    assert pc.platform_is_xcb(x11, "linux")
    assert pc.platform_is_xcb({**x11, "QT_QPA_PLATFORM": "xcb"}, "linux")
    assert pc.platform_is_xcb({**x11, "QT_QPA_PLATFORM": "xcb:nomitshm"}, "linux")
    assert not pc.platform_is_xcb({**x11, "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not pc.platform_is_xcb({**x11, "QT_QPA_PLATFORM": "wayland"}, "linux")
    assert not pc.platform_is_xcb({}, "linux")               # no display: Qt says so itself
    assert not pc.platform_is_xcb(x11, "darwin")


def test_without_ldd_each_known_library_is_tried_with_the_loader():
    def loader(name):
        if name in ("libxcb-icccm.so.4", "libxkbcommon-x11.so.0"):
            raise OSError(f"{name}: cannot open shared object file")
    missing = pc.find_missing(pc.Path("/x/libqxcb.so"), which=lambda _name: None, load=loader)
    assert missing == ["libxcb-icccm.so.4", "libxkbcommon-x11.so.0"]


def test_with_ldd_its_output_decides(tmp_path):
    calls = []

    def run(cmd, **_kw):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, LDD_FRESH_DEBIAN, "")

    missing = pc.find_missing(tmp_path / "libqxcb.so", run=run, which=lambda _name: "/usr/bin/ldd")
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert calls == [["/usr/bin/ldd", str(tmp_path / "libqxcb.so")]]


def test_a_missing_library_stops_the_start_with_the_message(monkeypatch):
    """The whole check, as app.main runs it, with a missing library faked through ldd's output."""
    monkeypatch.setattr(pc, "xcb_plugin", lambda: pc.Path("/fake/libqxcb.so"))
    monkeypatch.setattr(pc, "find_missing", lambda plugin: pc.missing_from_ldd(LDD_FRESH_DEBIAN))
    err = io.StringIO()
    assert pc.check_can_open_window({"DISPLAY": ":0"}, err) is False
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in err.getvalue()
    err = io.StringIO()
    assert pc.check_can_open_window({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, err) is True
    assert err.getvalue() == ""


def test_app_main_exits_2_before_creating_qt_when_libraries_are_missing(monkeypatch, capsys):
    from hwr_desktop import app
    monkeypatch.setattr(pc, "xcb_plugin", lambda: pc.Path("/fake/libqxcb.so"))
    monkeypatch.setattr(pc, "find_missing", lambda plugin: ["libxcb-icccm.so.4"])
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(pc.sys, "platform", "linux")

    def reached_qt(**_kw):
        raise AssertionError("main went on to build the window")
    monkeypatch.setattr(app, "create_main_window", reached_qt)
    assert app.main([]) == 2
    assert "sudo apt install libxcb-icccm4" in capsys.readouterr().err


def test_the_real_plugin_is_found_here_and_ldd_and_the_loader_agree():
    plugin = pc.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so" and plugin.is_file()
    if pc.shutil.which("ldd"):
        by_ldd = set(pc.find_missing(plugin))
        assert by_ldd == set(pc.find_missing(plugin, which=lambda _name: None))   # the fallback says the same
        done = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True)
        x11 = {row.split()[0] for row in done.stdout.splitlines() if row.strip().startswith(("libxcb", "libX", "libxkb"))}
        assert x11 and x11 <= set(pc.XCB_NEEDS)          # every X11 library the plugin needs is tried


def test_the_self_test_fails_its_gui_check_with_the_message(monkeypatch):
    from hwr_desktop import selftest
    monkeypatch.setattr(pc, "xcb_plugin", lambda: pc.Path("/fake/libqxcb.so"))
    monkeypatch.setattr(pc, "find_missing", lambda plugin: ["libxcb-keysyms.so.1"])
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(pc.sys, "platform", "linux")
    ctx = selftest.Context()
    ctx.predictor = object()                  # the model check passed
    with pytest.raises(selftest.CheckFailed, match=r"missing: libxcb-keysyms\.so\.1\. Install them with: "
                                                   r"sudo apt install libxcb-keysyms1 \(Debian/Ubuntu\)"):
        selftest.check_gui(ctx)


def test_no_display_is_one_line_naming_the_display():
    linux = "linux"
    unset = pc.display_problem({}, linux, answers=lambda d: True)
    assert unset is not None and "DISPLAY is not set" in unset and "\n" not in unset
    silent = pc.display_problem({"DISPLAY": ":99"}, linux, answers=lambda d: False)
    assert silent == "HWR Desktop cannot open its window: no display answers at DISPLAY=:99."
    assert pc.display_problem({"DISPLAY": ":0"}, linux, answers=lambda d: True) is None
    assert pc.display_problem({"QT_QPA_PLATFORM": "offscreen"}, linux) is None        # no X11 wanted
    assert pc.display_problem({"WAYLAND_DISPLAY": "wayland-0"}, linux) is None        # Qt may use Wayland
    assert pc.display_problem({}, "darwin") is None


def test_a_display_nobody_listens_on_does_not_answer(tmp_path):
    assert pc.display_answers(":987654") is False                 # no /tmp/.X11-unix/X987654
    assert pc.display_answers("not-a-display") is True            # unparsable: Qt has its say


def test_app_main_exits_2_with_one_line_when_no_display_answers():
    code = ("import sys\nfrom hwr_desktop import app\nsys.exit(app.main([]))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = ":987654"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "HWR Desktop cannot open its window: no display answers at DISPLAY=:987654."
