"""core/segmentation's small tools against values worked out by hand (issue 33; numpy only)."""
from __future__ import annotations

import numpy as np

from hwr_desktop.core.segmentation.components import box_mean, label
from hwr_desktop.core.segmentation.cuts import _end_costs, _trace, cut_piece, stroke_width
from hwr_desktop.core.segmentation.pieces import Piece, union


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


def test_stroke_width_is_the_median_horizontal_run():
    mask = np.zeros((3, 10), bool)
    mask[0, 1:3] = True                          # runs of 2, 3 and 3 (one touching the right edge)
    mask[1, 4:7] = True
    mask[2, 7:10] = True
    assert stroke_width(mask) == 3.0
    assert stroke_width(np.zeros((2, 2), bool)) == 1.0


def test_the_cheapest_path_by_hand():
    # Row 0 costs its ink; each next row adds its ink to the cheapest of up-left, up and up-right,
    # a sideways step costing 0.3 more. Worked by hand:
    #   row 1: [min(1, 0 + 0.3), min(1.3, 0, 1.3), min(0.3, 1)] + ink = [1.3, 1, 0.3]
    #   row 2: [min(1.3, 1 + 0.3) (a tie: straight wins), min(1.6, 1, 0.3 + 0.3), min(1.3, 0.3)] + ink
    ink = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]], np.float32)
    cost, steps = _end_costs(ink)
    np.testing.assert_allclose(cost, [1.3, 1.6, 1.3])
    assert steps.tolist() == [[0, 0, 0], [1, 0, -1], [0, 1, 0]]
    # traced back from column 2: 2 (row 2, straight), 2 (row 1, came from the left), 1 (row 0)
    assert _trace(steps, np.array([2, 0])).tolist() == [[1, 2, 2], [1, 0, 0]]


def test_cut_piece_gives_pixels_on_the_path_to_the_right():
    piece = Piece(5, 10, np.ones((2, 4), bool))
    left, right = cut_piece(piece, [np.array([2, 1])])
    assert (left.y0, left.x0, left.mask.tolist()) == (5, 10, [[True, True], [True, False]])
    assert (right.y0, right.x0, right.mask.tolist()) == (5, 11, [[False, True, True], [True, True, True]])
    assert cut_piece(piece, []) == [piece]
    # a path beyond the ink leaves one part
    assert [p.area for p in cut_piece(piece, [np.array([4, 4])])] == [8]
    joined = union(left, right)
    assert (joined.y0, joined.x0, joined.area) == (5, 10, 8)


def test_line_height_is_the_median_height_of_marks_with_at_least_15_percent_of_the_largest_ink():
    def piece(height, area):
        mask = np.zeros((height, 10), bool)
        mask.ravel()[:area] = True
        return Piece(0, 0, mask)

    from hwr_desktop.core.segmentation.pieces import line_height
    # areas 100, 15 (exactly 15 %: counted) and 14 (a speck: not); heights 20 and 30 -> 25
    assert line_height([piece(20, 100), piece(30, 15), piece(90, 14)]) == 25.0
    assert line_height([]) == 0.0


def test_near_is_the_chessboard_distance_between_two_pieces():
    from hwr_desktop.core.segmentation.marks import _near
    a = Piece(0, 0, np.ones((2, 2), bool))              # rows 0-1, columns 0-1
    b = Piece(4, 5, np.ones((1, 1), bool))              # (4, 5): 3 rows and 4 columns from a's corner (1, 1)
    assert not _near(a, b, 3) and _near(a, b, 4) and _near(b, a, 4) and not _near(b, a, 3)


def test_pieces_keep_marks_reaching_the_high_threshold_and_not_dust_largest_first():
    from hwr_desktop.core.segmentation.marks import _pieces
    labels = np.zeros((6, 12), np.int32)
    labels[0:5, 0:2] = 1            # 5 tall, 10 px, peak 0.9
    labels[1:3, 4:10] = 2           # 6 wide, 12 px, peak 0.5 (exactly the threshold)
    labels[5, 11] = 3               # 1 px: dust
    labels[0:4, 11] = 4             # 4 tall, peak 0.4: never strong enough
    strength = np.where(labels > 0, 0.3, 0.0).astype(np.float32)
    strength[2, 1], strength[1, 6], strength[5, 11], strength[0, 11] = 0.9, 0.5, 1.0, 0.4
    pieces = _pieces(labels, 4, strength, 0.5, 4)
    assert [(p.y0, p.x0, p.height, p.width, p.area) for p in pieces] == [(1, 4, 2, 6, 12), (0, 0, 5, 2, 10)]
    assert [p.area for p in _pieces(labels, 4, strength, 0.5, 6)] == [12]       # 5 tall is below 6
