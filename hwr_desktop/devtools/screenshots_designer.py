"""Regenerate the network designer screenshot (resources/screenshots/designer.png).

    QT_QPA_PLATFORM=offscreen python -m hwr_desktop.devtools.screenshots_designer [--out DIR]

The Training tab with "Design your own network" on, started from the quick preset, one layer
widened and one convolution given a window too large for its maps: the problem shows on its row.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from hwr_desktop.devtools.offscreen_window import SCREENSHOTS, open_main_window

WINDOW_SIZE = (1600, 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(SCREENSHOTS))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    app, window = open_main_window(WINDOW_SIZE)
    window.centralWidget().setSizes([WINDOW_SIZE[0] * 2 // 5, WINDOW_SIZE[0] * 3 // 5])   # room for the table
    panel = window.training_panel
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("quick"))
    panel.presetDesignButton.click()
    panel.designCheck.setChecked(True)
    designer = panel.designer
    designer.nameEdit.setText("wider-quick")
    designer.set_layer(3, arguments="filters=96, kernel_size=3, strides=2, padding=same, use_bias=false")
    designer.set_layer(6, arguments="filters=128, kernel_size=9, strides=2, use_bias=false")   # 7x7 maps < 9x9
    designer.table.scrollToTop()
    app.processEvents()
    window.grab().save(str(out / "designer.png"))
    print(out / "designer.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
