"""Guards against a Qt binding that corrupts reference counts (fatal on Python 3.11).

PySide6 6.12.0 dropped one reference to None per QApplication.processEvents() call; after a few
thousand calls the interpreter aborts with "none_dealloc". We pin a release without the bug
(pyproject.toml) and keep this test so an upgrade cannot bring it back unnoticed.
"""
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QThread, Signal
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    before_none, before_true = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(3000):
        app.processEvents()
    class Emitter(QThread):
        value = Signal(object)
        def run(self):
            for i in range(3000):
                self.value.emit(i % 2 == 0)
    received = []
    emitter = Emitter()
    emitter.value.connect(received.append)
    emitter.start()
    emitter.wait()
    app.processEvents()
    print(sys.getrefcount(None) - before_none, sys.getrefcount(True) - before_true, len(received))
""")


def test_processevents_and_signals_keep_none_and_bool_refcounts():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-1500:]
    none_delta, true_delta, received = map(int, result.stdout.split())
    assert received == 3000
    assert none_delta > -50 and true_delta > -50   # 6.12.0 gives about -3000 for None
