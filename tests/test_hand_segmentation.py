"""core/segmentation's small tools against values worked out by hand (issue 33; numpy only)."""
from __future__ import annotations

import numpy as np

from hwr_desktop.core.segmentation.components import box_mean, label


def test_box_mean_shrinks_its_window_at_every_border():
    a = np.array([[1.0, 2.0, 3.0, 4.0],
                  [5.0, 6.0, 7.0, 8.0],
                  [9.0, 10.0, 11.0, 12.0]])
    out = box_mean(a, 1)
    assert out[0, 0] == (1 + 2 + 5 + 6) / 4                   # corner: 2x2 window
    assert out[0, 3] == (3 + 4 + 7 + 8) / 4
    assert out[2, 0] == (5 + 6 + 9 + 10) / 4
    assert out[1, 1] == (1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9
    assert out[1, 3] == (3 + 4 + 7 + 8 + 11 + 12) / 6           # right edge: 3x2
    assert out.dtype == np.float32
    np.testing.assert_array_equal(box_mean(a, 0), a)
    np.testing.assert_allclose(box_mean(a, 5), np.full(a.shape, a.mean()))   # wider than the image: the mean


def test_labels_are_8_connected_and_numbered_left_to_right_in_reading_order():
    mask = np.array([[1, 0, 0, 1],
                     [0, 1, 0, 1],
                     [0, 0, 0, 0],
                     [1, 1, 0, 1]], bool)
    labels, count = label(mask)
    assert count == 4
    assert labels.tolist() == [[1, 0, 0, 2], [0, 1, 0, 2], [0, 0, 0, 0], [3, 3, 0, 4]]
    assert label(np.zeros((2, 3), bool))[1] == 0
