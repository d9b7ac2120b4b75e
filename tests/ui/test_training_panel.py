"""The Training tab looks finished and stays light on the GUI thread while a model trains.

No training here: the panel's slots get BatchInfo/EpochInfo as the worker would send them.
"""
from hwr_desktop.core.training.loop import BatchInfo, EpochInfo
from hwr_desktop.ui.panels.training_panel import REFRESH_MS, TrainingPanel
from hwr_desktop.ui.widgets.training_plot import ACCURACY_FLOORS, TrainingPlot, nice_ceiling

BATCHES = 100


def batch(step: int, epochs: int = 3) -> BatchInfo:
    epoch, b = divmod(step - 1, BATCHES)
    return BatchInfo(epoch + 1, epochs, b + 1, BATCHES, step, epochs * BATCHES, loss=2.3 / step ** 0.5,
                     accuracy=min(0.99, 0.1 + step / 120), learning_rate=1e-3, images_per_second=3000.0,
                     elapsed=step / 10, remaining=(epochs * BATCHES - step) / 10)


def epoch(n: int, epochs: int = 3) -> EpochInfo:
    return EpochInfo(n, epochs, loss=0.2 / n, accuracy=0.95 + n / 100, val_loss=0.15 / n,
                     val_accuracy=0.96 + n / 100, seconds=10.0)


def test_plot_shows_a_hint_until_there_is_data(qtbot):
    plot = TrainingPlot()
    qtbot.addWidget(plot)
    plot.resize(560, 400)
    plot.show()
    qtbot.waitExposed(plot)
    hint = plot.hint
    assert hint.isVisible() and "curves appear here" in hint.text()
    # No empty axes or legend dots: the hint is opaque and covers the plots whole.
    assert hint.autoFillBackground() and hint.geometry() == plot.rect()
    assert plot.grab().toImage().pixelColor(5, 5) == hint.palette().color(hint.backgroundRole())
    plot.add_batch(batch(1))
    assert hint.isVisible()                          # shown by the next flush, not by every batch
    plot.flush()
    assert not hint.isVisible()
    plot.resize(600, 450)
    assert hint.geometry() == plot.rect()
    plot.reset()
    assert hint.isVisible()


def test_axis_ranges_move_in_coarse_steps():
    assert [nice_ceiling(v) for v in (0.04, 0.9, 1.0, 1.01, 2.3, 4.0, 7.0, 12.0)] == [
        0.05, 1.0, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0]
    plot = TrainingPlot()
    applied = set()
    for step in range(1, 3 * BATCHES + 1):           # a flush every batch: the worst case
        plot.add_batch(batch(step))
        if step % BATCHES == 0:
            plot.add_epoch(epoch(step // BATCHES))
        plot.flush()
        applied.add(plot.ranges)
    assert plot.flushes > 3 * BATCHES
    # Moving an axis repaints the plots whole: it happens a few times per run, not per update.
    assert len(applied) <= 10
    x_limit, loss_limit, acc_floor = plot.ranges
    assert x_limit == 3.0 and loss_limit == 3.0                  # every x and loss drawn is in view
    recent = plot.data["batch_acc"][1][-200:] + plot.data["val_acc"][1]
    assert acc_floor == 0.8 and min(recent) > 0.81               # accuracy: the recent part, coarse floors
    assert len({r[2] for r in applied}) <= len(ACCURACY_FLOORS)


def test_a_burst_of_batches_is_shown_once_and_every_epoch_is_plotted(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.trainingPlot.reset()
    panel._refresh_timer.start()
    flushes = panel.trainingPlot.flushes
    for step in range(1, 3 * BATCHES + 1):           # three epochs arrive faster than one refresh
        panel._on_batch(batch(step))
        if step % BATCHES == 0:
            panel._on_epoch(epoch(step // BATCHES))
    assert panel.trainingPlot.flushes - flushes == 3  # one redraw per epoch, none per batch
    assert panel.refreshes == 3
    panel._on_batch(batch(301, epochs=4))
    qtbot.wait(3 * REFRESH_MS)
    panel._refresh_timer.stop()
    assert panel.refreshes == 4                      # the timer showed the newest batch once, then idled
    assert panel.trainingProgress.format() == "Epoch 4/4 · batch 1/100"
    plot = panel.trainingPlot
    assert len(plot.data["batch_loss"][0]) == 301    # the curve keeps every batch
    assert plot.data["val_acc"][0] == [1.0, 2.0, 3.0] and plot.data["epoch_loss"][0] == [1.0, 2.0, 3.0]
    xs, _ = plot.curves["val_acc"].getData()
    assert list(xs) == [1.0, 2.0, 3.0]               # and every epoch is drawn


def test_status_text_is_set_only_when_it_changes(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.jobs.is_live = lambda: True                # as while a worker runs
    texts = []
    panel.trainingProgress.setFormat = lambda text, set_=panel.trainingProgress.setFormat: (texts.append(text),
                                                                                           set_(text))
    panel._on_batch(batch(5))
    panel.refresh()
    panel._on_batch(batch(5))                        # the same batch again: nothing to redo
    panel.refresh()
    assert texts == ["Epoch 1/3 · batch 5/100"] and "images/s" in panel.statusLabel.text()
