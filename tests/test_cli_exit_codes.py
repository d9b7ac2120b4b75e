"""The CLI's exit codes past 0 and 2: 1 for a bug (one line, no traceback), 130 for Ctrl-C, and 0 when
the reader of its output went away (`hwr-desktop runs list | head -1`)."""
import pytest

from hwr_desktop.cli import main
from hwr_desktop.cli import runs as runs_command


def _failing(exc):
    def store():
        raise exc
    return store


@pytest.mark.parametrize(("exc", "code", "stderr"), [
    (RuntimeError("a bug"), 1, "hwr-desktop: internal error: RuntimeError: a bug\n"),
    (KeyboardInterrupt(), 130, "hwr-desktop: interrupted\n"),
    (BrokenPipeError(), 0, ""),
])
def test_a_bug_ctrl_c_and_a_closed_pipe_have_their_own_exit_codes(capsys, monkeypatch, exc, code, stderr):
    monkeypatch.delenv("HWR_DEBUG", raising=False)
    monkeypatch.setattr(runs_command, "_store", _failing(exc))
    assert main(["runs", "list"]) == code
    out, err = capsys.readouterr()
    assert (out, err) == ("", stderr)          # one line at most, never a traceback


def test_hwr_debug_adds_the_traceback_of_a_bug(capsys, monkeypatch):
    monkeypatch.setenv("HWR_DEBUG", "1")
    monkeypatch.setattr(runs_command, "_store", _failing(RuntimeError("a bug")))
    assert main(["runs", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.endswith("hwr-desktop: internal error: RuntimeError: a bug\n")
