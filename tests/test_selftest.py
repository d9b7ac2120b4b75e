"""`hwr-desktop --self-test`: passes on a working checkout, fails clearly when something is missing.

Both run it as users do, in a fresh process started from another folder, so that relative paths,
a missing display or a stray working-directory import would show up here.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

from hwr_desktop.selftest import CHECKS

CHECK_LINE = re.compile(r"^(PASS|FAIL)  (\S+)\s+(.*)  \[\d+\.\d\d s\]$")


def run_self_test(cwd, **env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HWR_DESKTOP_")}
    env.update(QT_QPA_PLATFORM="offscreen", **env_overrides)
    return subprocess.run([sys.executable, "-m", "hwr_desktop", "--self-test"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def check_lines(stdout: str) -> dict[str, tuple[str, str]]:
    found = {}
    for line in stdout.splitlines():
        match = CHECK_LINE.match(line)
        if match:
            found[match[2]] = (match[1], match[3])
    return found


def test_self_test_passes_from_another_folder(tmp_path):
    result = run_self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = check_lines(result.stdout)
    assert list(lines) == [name for name, _ in CHECKS], result.stdout
    assert all(verdict == "PASS" for verdict, _ in lines.values()), result.stdout
    assert "self-test passed" in result.stdout


def test_missing_resources_fail_with_a_clear_line_and_no_traceback(tmp_path):
    empty = tmp_path / "no-resources"
    empty.mkdir()
    result = run_self_test(tmp_path, HWR_DESKTOP_RESOURCES=str(empty))
    assert result.returncode != 0
    lines = check_lines(result.stdout)
    assert lines["resources"][0] == "FAIL"
    assert str(empty) in lines["resources"][1]
    assert lines["mnist"][0] == "FAIL" and "missing" in lines["mnist"][1]
    assert lines["model"][0] == "FAIL" and "not found" in lines["model"][1]
    assert "self-test FAILED" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_corrupt_model_file_fails_the_model_check(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    result = run_self_test(tmp_path, HWR_DESKTOP_MODEL=str(bad))
    assert result.returncode != 0
    lines = check_lines(result.stdout)
    assert lines["resources"][0] == "PASS" and lines["mnist"][0] == "PASS"
    assert lines["model"][0] == "FAIL" and "bad.keras" in lines["model"][1]
    assert lines["samples"] == ("FAIL", "not run: loading the model failed")
    assert "Traceback" not in result.stdout + result.stderr
