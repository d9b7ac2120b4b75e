"""Soak: 1,000 draw/predict/clear cycles and several train/stop runs in one app session.

Bounds (quoted in the README): resident memory may grow by at most 150 MB over the soak
(TensorFlow allocates caches on first use; a leak of one canvas image per cycle would be 700 MB+),
and no thread may be left behind.
"""
import os
import threading

from hwr_desktop.devtools.strokes import SHAPES, draw_stroke

MEMORY_GROWTH_BOUND_MB = 150


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


def running_threads() -> list[threading.Thread]:
    """The Python-visible threads that still run.

    threading.enumerate() alone over-counts on Python 3.11: a thread Python did not start (a QThread,
    a TensorFlow pool thread) that once asks threading.current_thread(), e.g. to log a warning, gets a
    _DummyThread entry that is never removed and always claims to be alive, even after the thread
    ended. So each thread's native id is checked against the kernel's list of this process's tasks.
    """
    tasks = set(os.listdir("/proc/self/task"))
    return [t for t in threading.enumerate() if str(t.native_id) in tasks]


def test_soak_draw_predict_clear_and_train_stop(qtbot, good_model_file, capsys):
    from hwr_desktop.app import create_main_window
    win = create_main_window(good_model_file)
    qtbot.addWidget(win)
    win.show()
    canvas, label = win.draw_panel.canvas, win.draw_panel.prediction.predictionLabel
    shapes = [(d, strokes) for d, strokes in SHAPES.items()]
    for i in range(50):                      # warm-up: first calls allocate TensorFlow's caches
        draw_stroke(canvas, shapes[i % len(shapes)][1][0])
        canvas.clear()
    threads_before = len(running_threads())
    before = rss_mb()
    correct = 0
    for i in range(1000):
        digit, strokes = shapes[i % len(shapes)]
        for stroke in strokes:
            draw_stroke(canvas, stroke)
        correct += label.text() == str(digit)
        canvas.clear()
        assert label.text() == ""
    after_drawing = rss_mb()
    panel = win.training_panel
    panel.limitSpin.setValue(1000)
    for delay_ms in (300, 800, 1500):
        panel.start()
        qtbot.wait(delay_ms)
        panel.stop()
        qtbot.waitUntil(lambda: panel.worker is None, timeout=60000)
    after = rss_mb()
    with capsys.disabled():
        print(f"\nsoak: 1000 cycles, {correct} correct; RSS {before:.0f} -> {after_drawing:.0f} MB after drawing, "
              f"{after:.0f} MB after 3 train/stop runs; threads {threads_before} -> {len(running_threads())}")
    figures = (f"correct {correct}, RSS {before:.0f} -> {after_drawing:.0f} -> {after:.0f} MB, "
               f"threads {threads_before} -> {len(running_threads())}: {running_threads()} of {threading.enumerate()}")
    assert correct == 1000, figures
    assert after_drawing - before < MEMORY_GROWTH_BOUND_MB, figures
    assert after - before < MEMORY_GROWTH_BOUND_MB + 250, figures  # trained models' graphs may stay cached
    assert len(running_threads()) <= threads_before, figures
