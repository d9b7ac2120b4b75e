"""Regenerate the Runs tab screenshot (resources/screenshots/runs-tab.png).

    QT_QPA_PLATFORM=offscreen python -m hwr_desktop.devtools.screenshots_runs [--out DIR]

Trains three short real runs (quick preset, 3 epochs on 3,000 images, different learning rates
and seeds; ~30 s on 2 cores) into a throw-away run history, then shows them overlaid in the
Runs tab with the first two's config diff and grabs the tab.
"""
from __future__ import annotations

import sys

from PySide6.QtTest import QTest

from hwr_desktop.devtools.offscreen_window import open_main_window, output_folder, use_private_samples

WINDOW_SIZE = (1600, 1000)
RUNS = ((0.008, 0, "quick, lr 0.008"), (0.003, 1, "quick, lr 0.003"), (0.02, 2, "quick, lr 0.02"))


def record_runs() -> list[int]:
    from hwr_desktop.core.store.runs import RunStore
    from hwr_desktop.core.training.loop import TrainingConfig
    from hwr_desktop.core.training.pipeline import train_model
    ids = []
    for lr, seed, name in RUNS:
        trained = train_model(TrainingConfig(preset="quick", epochs=3, learning_rate=lr, seed=seed,
                                             train_limit=3000, val_limit=1000))
        with RunStore() as store:
            store.rename(trained.run_id, name)
        ids.append(trained.run_id)
        print(f"run {trained.run_id}: {name}, test {trained.report.accuracy:.2%}")
    with RunStore() as store:
        store.set_notes(ids[2], "the highest learning rate of the three")
    return ids


def main() -> int:
    out = output_folder(__doc__.splitlines()[0])
    use_private_samples()             # a throw-away data folder: the runs go there, not to the user's
    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    ids = record_runs()

    app, window = open_main_window(WINDOW_SIZE)
    window.centralWidget().setSizes([WINDOW_SIZE[0] * 3 // 10, WINDOW_SIZE[0] * 7 // 10])
    panel = window.runs_panel
    window.show_view(panel)
    panel.select_runs(ids)
    QTest.qWait(300)
    path = out / "runs-tab.png"
    window.tabs.grab().save(str(path))
    print(path)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
