"""core/segmentation's small tools against values worked out by hand (issue 33; numpy only)."""
from __future__ import annotations

import numpy as np
import pytest

from hwr_desktop.core.segmentation.components import box_mean, label
from hwr_desktop.core.segmentation.cuts import _end_costs, _trace, cut_paths, cut_piece, stroke_width
from hwr_desktop.core.segmentation.pieces import Piece, union


def mark(*rows: str, y0: int = 0, x0: int = 0) -> Piece:
    """A piece drawn in text: '#' is ink, '.' paper."""
    return Piece(y0, x0, np.array([[c == "#" for c in row] for row in rows], bool))


def found(cuts):
    """cut_paths' answer as plain lists: (column per row, ink crossed) per cut."""
    return [(path.tolist(), round(cost, 9)) for path, cost in cuts]


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
    # every pixel: 1..12 rise evenly along rows and columns, so each (shrunk) window's mean is its centre's
    # value, e.g. [2, 2] is (6+7+8+10+11+12) / 6 = 9; the bottom-right windows need the integral's + top-left
    np.testing.assert_array_equal(out, [[3.5, 4.0, 5.0, 5.5], [5.5, 6.0, 7.0, 7.5], [7.5, 8.0, 9.0, 9.5]])
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


def test_box_mean_of_radius_0_is_the_image_itself_exactly():
    # an integral image would lose the 1 beside 1e20 (1e20 + 1 == 1e20 in float64)
    a = np.array([[1e20, 1.0]])
    assert box_mean(a, 0).tolist() == [[np.float32(1e20), 1.0]]
    assert box_mean(a, -1).tolist() == [[np.float32(1e20), 1.0]]


@pytest.mark.parametrize("radius", [1, 2, 3, 4])
def test_box_mean_is_the_windows_mean_on_both_sides_of_the_sliced_radius(radius):
    rng = np.random.default_rng(radius)
    a = (rng.random((9, 13)) * 2 - 1).astype(np.float32) * (rng.random((9, 13)) > 0.5)
    exact = np.array([[a[max(y - radius, 0):y + radius + 1, max(x - radius, 0):x + radius + 1].astype(np.float64).mean()
                       for x in range(13)] for y in range(9)], np.float32)
    np.testing.assert_allclose(box_mean(a, radius), exact, rtol=0, atol=1e-7)
    assert box_mean(a, radius).shape == a.shape and box_mean(a[:1], radius).shape == (1, 13)


def test_a_run_touching_several_runs_below_joins_them_all():
    # a comb: the back (row 0) touches three teeth below it, which touch nothing else
    comb = np.array([[1, 1, 1, 1, 1, 1, 1],
                     [1, 0, 0, 1, 0, 0, 1]], bool)
    labels, count = label(comb)
    assert count == 1 and labels.tolist() == comb.astype(int).tolist()
    # and upside down: three runs above all reach the one below
    labels, count = label(comb[::-1])
    assert count == 1 and labels.tolist() == comb[::-1].astype(int).tolist()
    # runs one column apart diagonally touch (8-connected): (1, 2) joins row 0, (2, 6) joins (1, 5);
    # two columns apart they do not: (2, 0) stays alone
    labels, count = label(np.array([[1, 1, 0, 0, 0, 0, 0],
                                    [0, 0, 1, 0, 1, 1, 0],
                                    [1, 0, 0, 0, 0, 0, 1]], bool))
    assert count == 3 and labels.tolist() == [[1, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 2, 2, 0],
                                              [3, 0, 0, 0, 0, 0, 2]]


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
    labels[0:4, 11] = 4             # 4 tall, peak 0.25: below even the row's bar for lighter marks
    strength = np.where(labels > 0, 0.2, 0.0).astype(np.float32)
    strength[2, 1], strength[1, 6], strength[5, 11], strength[0, 11] = 0.9, 0.5, 1.0, 0.25
    pieces = _pieces(labels, 4, strength, 0.5, 4)
    assert [(p.y0, p.x0, p.height, p.width, p.area) for p in pieces] == [(1, 4, 2, 6, 12), (0, 0, 5, 2, 10)]
    assert [p.area for p in _pieces(labels, 4, strength, 0.5, 6)] == [12]       # 5 tall is below 6


def test_a_lighter_mark_counts_in_the_row_of_the_strong_ones_down_to_the_floor():
    from hwr_desktop.core.segmentation.marks import PEER_SHARE, _pieces
    labels = np.zeros((20, 30), np.int32)
    labels[10:16, 0:2] = 1          # rows 10-15: the strong marks' row; peaks 0.9 and 0.5
    labels[10:16, 4:6] = 2
    labels[11:15, 8:10] = 3         # in the row, peak 0.3: at least 0.4 x the median 0.7 (0.28)
    labels[0:4, 12:14] = 4          # the same, but above the row
    labels[10:16, 26:28] = 5        # in the row, 20 columns past the last strong mark (a row is 6 tall)
    labels[10:15, 16:18] = 6        # in the row, peak 0.27: below 0.28
    strength = np.where(labels > 0, 0.1, 0.0).astype(np.float32)
    for component, peak in ((1, 0.9), (2, 0.5), (3, 0.3), (4, 0.3), (5, 0.3), (6, 0.27)):
        strength[np.argwhere(labels == component)[0][0], np.argwhere(labels == component)[0][1]] = peak
    assert PEER_SHARE * 0.7 == pytest.approx(0.28)
    kept = sorted(p.x0 for p in _pieces(labels, 6, strength, 0.5, 3))
    assert kept == [0, 4, 8]
    assert sorted(p.x0 for p in _pieces(labels, 6, strength, 0.5, 3, floor=0.35)) == [0, 4]   # not below the noise floor


def test_union_boxes_both_pieces_and_places_each_mask_at_its_offset():
    a = Piece(2, 3, np.ones((2, 2), bool))                       # rows 2-3, columns 3-4
    b = mark("#.#", y0=5, x0=1)                                  # row 5, columns 1-3
    joined = union(a, b)
    # box: rows 2-5, columns 1-4
    assert (joined.y0, joined.x0, joined.y1, joined.x1) == (2, 1, 6, 5)
    assert joined.mask.astype(int).tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0], [1, 0, 1, 0]]
    assert union(b, a).mask.tolist() == joined.mask.tolist()


def test_cut_piece_boxes_each_part_tightly_in_image_coordinates():
    piece = mark("#...",
                 "#.#.",
                 "..#.",
                 "...#", y0=5, x0=10)
    left, right = cut_piece(piece, [np.array([2, 2, 2, 2])])
    # left: column 0 of rows 0-1 (not down to the last row); right: rows 1-3, columns 2-3
    assert (left.y0, left.x0, left.mask.astype(int).tolist()) == (5, 10, [[1], [1]])
    assert (right.y0, right.x0, right.mask.astype(int).tolist()) == (6, 12, [[1, 0], [1, 0], [0, 1]])


# A comb: one-pixel teeth (full columns) at even columns, gaps at odd ones; gaps 1 and 5 have one ink
# pixel at the top, gaps 3, 7 and 9 none. Line height 2: margin 1, at most 1 pixel of ink crossed
# (a path bending into a tooth crosses 1 + 0.3: too much), cuts at least 0.5 apart.
COMB = mark("###.###.#.#",
            "#.#.#.#.#.#",
            "#.#.#.#.#.#",
            "#.#.#.#.#.#")


def test_cut_paths_takes_the_cheapest_gaps_first_and_returns_them_left_to_right():
    # free gaps 3, 7, 9 cost 0, gaps 1 and 5 one pixel (stroke width 1: most runs are single teeth)
    assert found(cut_paths(COMB, 2)) == [([1] * 4, 1.0), ([3] * 4, 0.0), ([7] * 4, 0.0), ([9] * 4, 0.0)]
    assert found(cut_paths(COMB, 2, max_cuts=5)) == [([c] * 4, float(c in (1, 5))) for c in (1, 3, 5, 7, 9)]
    assert found(cut_paths(COMB, 2, max_cuts=2)) == [([3] * 4, 0.0), ([7] * 4, 0.0)]
    assert found(cut_paths(COMB, 2, max_cuts=1)) == [([3] * 4, 0.0)]
    assert cut_paths(COMB, 2, max_cuts=0) == []


def test_cut_paths_needs_a_part_of_margin_width_on_each_side():
    # 3 columns, margin 1: the middle column can be cut; 2 columns cannot
    assert found(cut_paths(mark("#.#", "#.#"), 2)) == [([1, 1], 0.0)]
    assert cut_paths(mark("##", "##"), 2) == []
    # line height 14: margin int(2.1) = 2. The free gap at column 2 (= margin) is cut; the gap at
    # column 7 (= width - margin, one ink pixel) is not, though the part right of it would be 2 wide:
    # the cheapest path ending left of it bends into column 6 in its last row (1 + 1.3 pixels;
    # stroke width 2, the median of the runs 2, 6, then 2, 4, 1 on each row)
    piece = mark("##.######",
                 "##.####.#",
                 "##.####.#",
                 "##.####.#",
                 "##.####.#")
    assert found(cut_paths(piece, 14)) == [([2] * 5, 0.0), ([7, 7, 7, 7, 6], 1.15)]


def test_two_free_columns_side_by_side_give_one_cut_not_an_empty_part():
    assert found(cut_paths(mark("#..#", "#..#", "#..#"), 2)) == [([1] * 3, 0.0)]


def test_a_part_with_exactly_a_tenth_of_the_ink_is_kept_and_one_with_less_is_not():
    # one pixel left of the gap against 9 right of it: 1 >= 0.1 x 10; against 10: 1 < 0.1 x 11
    assert found(cut_paths(mark(*(["..#"] * 8 + ["#.#"])), 2)) == [([1] * 9, 0.0)]
    assert cut_paths(mark(*(["..#"] * 9 + ["#.#"])), 2) == []


def bars(widths: list[int], inked: dict[int, int], height: int = 30) -> Piece:
    """Full-height bars of these widths with one-column gaps between them; gap k (0-based) has
    inked[k] ink pixels at its top."""
    columns = []
    for k, width in enumerate(widths):
        columns += [np.ones(height, bool)] * width
        if k < len(widths) - 1:
            columns.append(np.arange(height) < inked.get(k, 0))
    return Piece(0, 0, np.stack(columns, axis=1))


def test_cut_paths_crosses_at_most_3_stroke_widths_of_ink():
    # bars 3, 12, 3 wide (stroke width 3), gaps at columns 3 and 16; line height 20 (margin 3, at most
    # 10 pixels): 9 pixels are exactly 3 stroke widths (kept), 10 are 3.33 (not). The middle bar is
    # wide so that no path from the free gap can slant across it more cheaply.
    assert found(cut_paths(bars([3, 12, 3], {0: 9}), 20)) == [([3] * 30, 3.0), ([16] * 30, 0.0)]
    assert found(cut_paths(bars([3, 12, 3], {0: 10}), 20)) == [([16] * 30, 0.0)]


def test_cut_paths_crosses_at_most_half_a_line_height_of_ink():
    # bars 5, 12, 5 wide (stroke width 5), gaps at columns 5 and 18; line height 20: 10 pixels are
    # exactly half of it (kept, 2 stroke widths), 11 are more (not)
    assert found(cut_paths(bars([5, 12, 5], {0: 10}), 20)) == [([5] * 30, 2.0), ([18] * 30, 0.0)]
    assert found(cut_paths(bars([5, 12, 5], {0: 11}), 20)) == [([18] * 30, 0.0)]


def test_cuts_at_least_a_quarter_line_height_apart():
    # free gaps at columns 3 and 9, 6 apart: a quarter of 24 (kept), less than a quarter of 25 (the
    # second, and every path bending out of its gap, is too close); both heights give margin 3
    assert found(cut_paths(bars([3, 5, 3], {}), 24)) == [([3] * 30, 0.0), ([9] * 30, 0.0)]
    assert found(cut_paths(bars([3, 5, 3], {}), 25)) == [([3] * 30, 0.0)]


def test_tall_marks_are_searched_at_half_resolution_from_161_rows():
    # bars at columns 0-4 and 7-11 joined by a bridge on row 0 (columns 5-6); stroke width 5.
    # 160 rows: full resolution, the free column 5 (one bridge pixel: 1 / 5).
    # 161 rows: every 2nd row and column; the gap is small column 3 = column 6, whose one bridge
    # pixel counts twice (2 / 5)
    def piece(height):
        mask = np.zeros((height, 12), bool)
        mask[:, :5] = mask[:, 7:] = True
        mask[0, 5:7] = True
        return Piece(0, 0, mask)

    assert found(cut_paths(piece(160), 20)) == [([5] * 160, 0.2)]
    assert found(cut_paths(piece(161), 20)) == [([6] * 161, 0.4)]


def test_at_half_resolution_the_last_cut_still_stays_left_of_width_minus_margin():
    # 161 rows, 12 columns, margin 3: small columns 0-5 are columns 0, 2, .. 10; the free column 8
    # is small column 4 = (12 - 3) // 2, excluded; the path ending at small column 3 bends out of it
    # in the last small row (1.3 small pixels, twice: 2.6; stroke width median of 8 and 3 = 5.5)
    mask = np.ones((161, 12), bool)
    mask[:, 8] = False
    assert found(cut_paths(Piece(0, 0, mask), 20)) == [([8] * 160 + [6], round(2.6 / 5.5, 9))]


def test_a_path_may_bend_along_the_borders_and_in_its_last_row():
    # the paper runs from (0, 3) down to column 2: the path ends at 2 but starts on the right border
    # (0.3 pixels; stroke width median of 3, 2, 1, 2, 1 = 2)
    assert found(cut_paths(mark("###.", "##.#", "##.#"), 2)) == [([3, 2, 2], 0.15)]
    # mirrored: it starts on the left border
    assert found(cut_paths(mark(".###", "#.##", "#.##"), 2)) == [([0, 1, 1], 0.15)]
    # bending only in the last row; the straight column 1 (1 pixel) is too close to it (stroke width 1.5)
    assert found(cut_paths(mark("#.##", "#.##", "##.#"), 2)) == [([1, 1, 2], 0.2)]


# Two paths down one stem of paper that forks: they share the stem's rows. Line height 4 (margin 1,
# at most 2 pixels, cuts 1 apart); the right branch has one sideways step (0.3 pixels), the left two.
FORK = mark("####.####",
            "####.####",
            "###.#.###",
            "##.##.###",
            "##.##.###",
            "##.##.###")


def test_paths_sharing_rows_do_not_cross_and_are_both_taken():
    # stroke width 3 (median of the runs 4, 4, 4, 4, 3, 1, 3, 2, 2, 3 ...); the cheaper right one first
    assert found(cut_paths(FORK, 4)) == [([4, 4, 3, 2, 2, 2], 0.2), ([4, 4, 5, 5, 5, 5], 0.1)]
    mirrored = Piece(0, 0, FORK.mask[:, ::-1])                   # now the left one is cheaper
    assert found(cut_paths(mirrored, 4)) == [([4, 4, 3, 3, 3, 3], 0.1), ([4, 4, 5, 6, 6, 6], 0.2)]


# --- marks.py: merging, specks, crops and the whole find_marks on drawn images -------------------------

def rect(y0: int, x0: int, height: int, width: int) -> Piece:
    return Piece(y0, x0, np.ones((height, width), bool))


def boxes(pieces):
    return [(p.y0, p.x0, p.height, p.width, p.area) for p in pieces]


def test_near_measures_from_where_the_pieces_are_not_from_the_origin():
    from hwr_desktop.core.segmentation.marks import _near
    a = rect(100, 200, 2, 2)                              # as in the test above, 100 rows and 200 columns on
    b = rect(104, 205, 1, 1)
    assert not _near(a, b, 3) and _near(a, b, 4) and _near(b, a, 4) and not _near(b, a, 3)


def test_pieces_keep_the_last_label_too():
    from hwr_desktop.core.segmentation.marks import _pieces
    labels = np.array([[1, 0, 2, 0, 3]], np.int32)
    strength = np.array([[0.2, 0, 0.2, 0, 0.9]], np.float32)
    assert boxes(_pieces(labels, 3, strength, 0.5, 1)) == [(0, 4, 1, 1, 1)]   # only label 3 is strong


def test_pieces_keep_the_400_largest_marks_only():
    from hwr_desktop.core.segmentation.marks import _pieces
    labels = np.zeros((2, 2 * 401), np.int32)
    labels[:, 0::2] = np.arange(1, 402)                    # 401 marks of 2 pixels, one column each ...
    labels[1, 0] = 0                                       # ... but the first has only 1: the one left out
    pieces = _pieces(labels, 401, np.ones(labels.shape, np.float32), 0.5, 1)
    assert len(pieces) == 400 and min(p.x0 for p in pieces) == 2


def should_merge(a, b, height=20):
    from hwr_desktop.core.segmentation.marks import _should_merge
    return _should_merge(a, b, height)


# Line height 20 below: pieces merge within round(0.1 x 20) = 2 pixels (chessboard), a quarter of the smaller
# one's rows may overlap for "one above the other", and half the narrower one's columns for "overlapping".
# Everything sits 100 rows down and 200 columns right: positions must not count, only distances.
def test_pieces_one_above_the_other_merge_within_2_pixels():
    top = rect(100, 200, 10, 10)
    assert should_merge(top, rect(111, 200, 10, 10))          # one free row: 2 pixels apart
    assert should_merge(rect(111, 200, 10, 10), top)
    assert not should_merge(top, rect(112, 200, 10, 10))      # two free rows: 3 apart
    # beside it, one free column, but one row lower: 2 pixels apart diagonally (columns 209 -> 211)
    assert should_merge(top, rect(110, 211, 8, 10))


def test_a_quarter_of_the_smaller_ones_rows_may_overlap_for_one_above_the_other():
    top = rect(100, 200, 10, 10)
    # 8 rows tall, sharing 1 column: 2 rows shared (= 0.25 x 8) is one above the other; 3 rows is not
    assert should_merge(top, rect(108, 209, 8, 10))
    assert not should_merge(top, rect(107, 209, 8, 10))


def test_pieces_sharing_half_the_narrower_ones_columns_merge():
    left = rect(100, 200, 10, 10)
    assert should_merge(left, rect(100, 208, 10, 4))          # columns 208-209 of 208-211: half
    assert not should_merge(left, rect(100, 209, 10, 4))      # one of four (and side by side, not stacked)


def test_low_lines_merge_only_touching_pieces():
    # line height 5: reach max(1, round(0.5)) = 1, so one free row between them is too far
    assert should_merge(rect(100, 200, 5, 5), rect(105, 200, 5, 5), height=5)
    assert not should_merge(rect(100, 200, 5, 5), rect(106, 200, 5, 5), height=5)


def test_merge_broken_joins_parts_and_keeps_the_largest_first():
    from hwr_desktop.core.segmentation.marks import merge_broken
    big, bar = rect(0, 0, 10, 10), rect(10, 0, 4, 10)      # the bar touches the big part's bottom
    middle, small = rect(0, 30, 10, 8), rect(0, 50, 10, 5)
    # largest first: (big + bar) 140, middle 80, small 50
    assert boxes(merge_broken([bar, small, middle, big])) == [(0, 0, 14, 10, 140), (0, 30, 10, 8, 80),
                                                               (0, 50, 10, 5, 50)]
    assert boxes(merge_broken([bar, big])) == [(0, 0, 14, 10, 140)]           # the first pair tried
    assert merge_broken([]) == []


def test_merge_fragments_gives_each_short_piece_to_the_nearest_full_mark_within_reach():
    from hwr_desktop.core.segmentation.marks import merge_fragments
    # two full marks 10 tall (the line height: the fragments have under 15 % of their ink): full from
    # 0.6 x 10 = 6 rows, fragments join within 0.3 x 10 = 3 pixels, if the two together are at most
    # 1.6 x 10 = 16 rows tall. All 20 rows down: positions must not count.
    f1, f2 = rect(20, 0, 10, 10), rect(20, 30, 10, 10)
    g1 = rect(22, 13, 3, 4)      # 3 columns right of f1: joins (exactly 3)
    g2 = rect(31, 43, 2, 2)      # 3 right of and 1 below f2: 3.16, stays alone
    g3 = rect(20, 60, 6, 2)      # 6 rows: a full mark itself ...
    g4 = rect(20, 63, 2, 2)      # ... which this one joins (1 column away)
    g7 = rect(33, 0, 3, 4)       # 3 rows under f1: 16 rows together, joins
    g8 = rect(33, 30, 4, 3)      # 3 rows under f2, but 17 rows together: stays alone
    merged = merge_fragments([f1, f2, g1, g2, g3, g4, g7, g8])
    # full marks in their order, then the fragments left alone, larger first (g8: 12 px, g2: 4)
    assert boxes(merged) == [(20, 0, 16, 17, 124), (20, 30, 10, 10, 100), (20, 60, 6, 5, 16),
                             (33, 30, 4, 3, 12), (31, 43, 2, 2, 4)]


def test_a_mark_of_exactly_0_6_line_heights_is_full_and_joins_no_other():
    from hwr_desktop.core.segmentation.marks import merge_fragments
    f1, f2 = rect(0, 0, 10, 10), rect(0, 30, 10, 10)        # line height 10
    touching = rect(0, 10, 6, 2)                             # right against f1 (distance 0), 6 rows: full
    assert boxes(merge_fragments([f1, f2, touching])) == boxes([f1, f2, touching])
    shorter = rect(0, 10, 5, 2)                              # 5 rows: a fragment, which joins f1
    assert boxes(merge_fragments([f1, f2, shorter])) == [(0, 0, 10, 12, 110), (0, 30, 10, 10, 100)]


def test_drop_specks_by_size_and_by_ink():
    from hwr_desktop.core.segmentation.marks import drop_specks
    d1, d2 = rect(0, 0, 10, 10), rect(0, 20, 10, 10)        # line height 10: specks below 3 pixels
    # the typical area is the median of the marks at least 5 tall: 100, 100, 5 (5 tall), 10 -> 55,
    # and specks have under 0.04 x 55 = 2.2 pixels
    d3, d4 = rect(0, 40, 5, 1), rect(0, 50, 10, 1)
    d5 = rect(0, 60, 1, 3)                                  # 3 long (kept), 3 pixels (kept)
    d6 = rect(0, 70, 2, 2)                                  # 4 pixels, but only 2 long: a speck
    assert boxes(drop_specks([d1, d2, d3, d4, d5, d6])) == boxes([d1, d2, d3, d4, d5])
    # without the short ones the typical area is 100: 4 pixels are exactly 0.04 of it, 3 are less
    e1, e2 = rect(0, 40, 1, 4), rect(0, 50, 1, 3)
    assert boxes(drop_specks([d1, d2, e1, e2])) == boxes([d1, d2, e1])
    assert drop_specks([]) == []


def paper_marks(gray, work_shape, lines=None):
    from hwr_desktop.core.data.preprocess import Paper
    from hwr_desktop.core.segmentation.marks import Marks
    # white paper (1.0 everywhere, no noise): the ink is 1 - gray
    return Marks(np.asarray(gray, np.float32), Paper((1.0,), True, 0.0), work_shape, [], 0.0, lines)


def test_image_box_scales_working_pixels_to_the_image_outwards():
    marks = paper_marks(np.ones((20, 30)), (8, 10))          # 2.5 image pixels a working row, 3 a column
    # x: 5 x 3 = 15 .. 8 x 3 = 24; y: floor(3 x 2.5) = 7 .. ceil(5 x 2.5) = 13
    assert marks.image_box(rect(3, 5, 2, 3)) == (15, 7, 24, 13)
    assert marks.image_box(rect(0, 0, 8, 10)) == (0, 0, 30, 20)


def test_cut_out_keeps_the_mask_and_one_working_pixel_around_it_at_full_resolution():
    gray = np.zeros((20, 24), np.float32)        # all ink, but for one paper pixel
    gray[7, 9] = 1.0
    marks = paper_marks(gray, (10, 12))          # 2 image pixels per working pixel
    piece = Piece(4, 5, np.array([[1, 0], [0, 1]], bool))
    # the mask, padded and grown by one working pixel, all but two corners of its 4x4 box:
    grown = np.array([[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 1, 1], [0, 1, 1, 1]], np.float32)
    expected = np.kron(grown, np.ones((2, 2), np.float32))   # each working pixel is 2x2 image pixels
    expected[7 - 6, 9 - 8] = 0.0                             # the paper pixel (the box starts at 8, 6)
    crop = marks.cut_out(piece)
    assert crop.box == (8, 6, 16, 14) and crop.origin == (6, 4)     # padded by max(2, 8 // 8) = 2
    np.testing.assert_array_equal(crop.crop, np.pad(expected, 2))

    # a printed line on working row 5 (the mask's row 1): the slack near it (rows 1-3 of the grown box)
    # is dropped, the mask's own pixels stay
    lines = np.zeros((10, 12), bool)
    lines[5] = True
    grown = np.array([[1, 1, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]], np.float32)
    expected = np.kron(grown, np.ones((2, 2), np.float32))
    expected[7 - 6, 9 - 8] = 0.0
    crop = paper_marks(gray, (10, 12), lines).cut_out(piece)
    assert crop.box == (8, 6, 16, 14)
    np.testing.assert_array_equal(crop.crop, np.pad(expected, 2))


def test_cut_out_at_the_image_corner_with_a_line_along_the_top():
    lines = np.zeros((6, 6), bool)
    lines[0] = True
    crop = paper_marks(np.zeros((6, 6)), (6, 6), lines).cut_out(Piece(0, 0, np.ones((1, 1), bool)))
    # the grown box starts outside the image (at -1, -1); the line, one row above the slack, takes the
    # slack: only the pixel itself is left, in a box of the image's first 2x2 pixels
    assert crop.box == (0, 0, 2, 2) and crop.origin == (-2, -2)
    np.testing.assert_array_equal(crop.crop, np.pad(np.array([[1, 0], [0, 0]], np.float32), 2))


def test_cut_out_of_a_tall_piece_beside_a_vertical_line_on_the_image_border():
    lines = np.zeros((6, 6), bool)
    lines[:, 0] = True
    piece = Piece(0, 1, np.ones((3, 1), bool))               # rows 0-2 of column 1
    crop = paper_marks(np.zeros((6, 6)), (6, 6), lines).cut_out(piece)
    # grown box: rows -1..3, columns 0-2; the line (column 0) and its neighbour (column 1) keep only the
    # mask's own pixels; the box is cut to the image's rows 0-3
    assert crop.box == (0, 0, 3, 4) and crop.origin == (-2, -2)
    np.testing.assert_array_equal(crop.crop, np.pad(np.array([[0, 1, 1], [0, 1, 1], [0, 1, 1], [0, 0, 1]],
                                                             np.float32), 2))


def drawn(height: int, width: int, *rects: tuple[int, int, int, int], gray: int = 0, paper: int = 255) -> np.ndarray:
    """A uint8 image of paper (white by default) with filled rectangles (row, column, height, width) of this gray."""
    image = np.full((height, width), paper, np.uint8)
    for y, x, h, w in rects:
        image[y:y + h, x:x + w] = gray
    return image


def test_find_marks_on_clean_paper():
    from hwr_desktop.core.segmentation.marks import find_marks
    # On noiseless white paper the ink mask is the 3x3 mean of the ink above a quarter of its peak (1):
    # each rectangle grows by one pixel beside its sides (3 of 9 inked), but not beside its end pixels
    # (2 of 9) nor at its corners (1 of 9): an h x w block gains 2 (w - 2) + 2 (h - 2) pixels.
    # the 3x3 block at (30, 70) grows to 5x5 (longer side below MIN_MARK_PX = 6): dust
    image = drawn(40, 80, (12, 10, 14, 5), (12, 30, 14, 10), (14, 55, 3, 4), (30, 70, 3, 3))
    marks = find_marks(image)
    # the 3x4 mark grows to 5x6: not dust (longer side 6 >= MIN_MARK_PX), not a speck, too short to be
    # more than a fragment (5 < 0.6 x 16) and too far from the others to join them
    assert boxes(marks.pieces) == [(11, 9, 16, 7, 70 + 6 + 24), (11, 29, 16, 12, 140 + 16 + 24),
                                   (13, 54, 5, 6, 12 + 4 + 2)]
    assert marks.height == 16.0 and marks.lines is None and marks.work_shape == (40, 80)
    # grey ink (0.4: peak 0.6, thresholds 0.15 and 0.3) gives the same marks
    assert boxes(find_marks(drawn(40, 80, (12, 10, 14, 5), (12, 30, 14, 10), (14, 55, 3, 4),
                                  gray=102)).pieces) == boxes(marks.pieces)


def test_find_marks_on_paper_it_is_told_models_no_paper(monkeypatch):
    from hwr_desktop.core.data.preprocess import Paper, blank_paper
    from hwr_desktop.core.segmentation import marks as marks_module
    image = drawn(40, 80, (12, 10, 14, 5), (12, 30, 14, 10), (14, 55, 3, 4), (30, 70, 3, 3))
    estimated = marks_module.find_marks(image)

    def not_called(*_):
        raise AssertionError("the paper was given: nothing to estimate")
    for name in ("estimate_paper", "with_shading", "paint_over_desk"):
        monkeypatch.setattr(marks_module, name, not_called)
    told = marks_module.find_marks(image, blank_paper())
    assert told.paper == blank_paper() and boxes(told.pieces) == boxes(estimated.pieces) and told.height == 16.0
    # grey paper (0.8) the caller knows: its own value is the paper (taken for 1.0, all of it were ink)
    grey = drawn(40, 80, (12, 10, 14, 5), gray=51, paper=204)
    assert boxes(marks_module.find_marks(grey, Paper((0.8,), True, 0.0)).pieces) == boxes(estimated.pieces[:1])


def test_find_marks_labels_ink_without_lines_once_and_finds_the_same_marks(monkeypatch):
    """Cells, the digits' height and the marks are all found on the same labels of the ink when no
    line is found: one labelling, not three; with a line, the ink left once it is gone is labelled.
    The marks are those found when the search for lines labels the ink itself."""
    from hwr_desktop.core.segmentation import boxes as boxes_module
    from hwr_desktop.core.segmentation import components, printed_lines
    from hwr_desktop.core.segmentation import marks as marks_module
    plain = drawn(40, 80, (12, 10, 14, 5), (12, 30, 14, 10), (14, 55, 3, 4), (30, 70, 3, 3))
    ruled = drawn(60, 200, (10, 20, 30, 6), (10, 60, 30, 12), (10, 110, 30, 6), (42, 0, 2, 200))
    with monkeypatch.context() as own_labels:
        own_labels.setattr(marks_module, "find_lines", lambda ink, height=None, labelled=None:
                           printed_lines.find_lines(ink, height))
        before = {name: marks_module.find_marks(image) for name, image in (("plain", plain), ("ruled", ruled))}
    assert boxes(before["plain"].pieces)[:2] == [(11, 9, 16, 7, 70 + 6 + 24), (11, 29, 16, 12, 140 + 16 + 24)]
    calls = []

    def counted(mask):
        calls.append(mask.shape)
        return components.label(mask)
    for module in (marks_module, printed_lines, boxes_module):
        monkeypatch.setattr(module, "label", counted)
    for name, image in (("plain", plain), ("ruled", ruled)):
        calls.clear()
        marks = marks_module.find_marks(image)
        assert boxes(marks.pieces) == boxes(before[name].pieces) and marks.height == before[name].height
        if name == "plain":
            assert marks.lines is None and len(calls) == 1
        else:
            assert marks.lines is not None and len(calls) > 1 and len(marks.pieces) == 3


def test_find_marks_finds_nothing_on_blank_or_faint_paper():
    from hwr_desktop.core.segmentation.marks import find_marks
    for image in (drawn(40, 80), drawn(40, 80, (12, 10, 14, 5), gray=242)):   # 0.05 below the paper
        marks = find_marks(image)
        assert marks.pieces == [] and marks.height == 0.0 and marks.lines is None


def test_find_marks_works_on_large_images_at_reduced_size():
    from hwr_desktop.core.segmentation.marks import find_marks
    # 30 x 2400: halved to 15 x 1200; the 16x10 block at (6, 100) is working rows 3-10, columns 50-54
    marks = find_marks(drawn(30, 2400, (6, 100, 16, 10)))
    assert marks.work_shape == (15, 1200) and boxes(marks.pieces) == [(2, 49, 10, 7, 40 + 6 + 12)]
    assert marks.image_box(marks.pieces[0]) == (98, 4, 112, 24)
    # the crop: one working pixel more on each side (rows 1-12 -> 2-26, the image ending at 30), padded
    # by 24 // 8 = 3
    crop = marks.cut_out(marks.pieces[0])
    assert crop.box == (96, 2, 114, 26) and crop.origin == (93, -1) and crop.crop.shape == (24 + 6, 18 + 6)
    # up to 1200 pixels the image is used as it is; a side of 1 stays 1
    assert find_marks(drawn(20, 800)).work_shape == (20, 800)
    assert find_marks(drawn(20, 1200)).work_shape == (20, 1200)
    assert find_marks(drawn(1, 2400)).work_shape == (1, 1200)
    assert find_marks(drawn(2400, 1)).work_shape == (1200, 1)


def test_segment_cuts_a_mark_too_wide_for_one_digit_at_its_thin_join():
    from hwr_desktop.core.segmentation.marks import segment
    # a digit and, right of it, two blocks joined by a 2-row bridge: 21 wide after growing, more than
    # 1.3 x 16; the cheapest cut crosses the bridge's 4 pixels in the free column 39
    image = drawn(40, 100, (12, 10, 14, 5), (12, 30, 14, 8), (12, 41, 14, 8), (18, 38, 2, 3))
    crops = segment(image)
    assert [c.box for c in crops] == [(8, 10, 17, 28), (28, 10, 40, 28), (38, 10, 51, 28)]
    assert [c.origin for c in crops] == [(6, 8), (26, 8), (36, 8)]


def test_segment_cuts_as_many_digits_as_the_width_holds_cheapest_joins_first():
    from hwr_desktop.core.segmentation.marks import segment
    # line height 16 (14-row blocks, grown by a row each way). Three blocks 6 wide joined across 3-column
    # gaps, grown to 26 columns: round(26 / (0.8 x 16)) - 1 = 1 cut, at the cheaper join (a 1-row
    # bridge: 3 pixels in the gap's middle column, against 4 for the 2-row one).
    # Blocks 9, 8, 9 wide, grown to 34 columns: round(2.66) - 1 = 2 cuts, at both joins.
    image = drawn(40, 160, (12, 10, 14, 5),
                  (12, 30, 14, 6), (12, 39, 14, 6), (12, 48, 14, 6), (18, 36, 2, 3), (18, 45, 1, 3),
                  (12, 70, 14, 9), (12, 82, 14, 8), (12, 93, 14, 9), (18, 79, 2, 3), (18, 90, 1, 3))
    # each crop: the part's box and a pixel more each way; a cut column's pixels go to the right part
    assert [c.box for c in segment(image)] == [(8, 10, 17, 28), (28, 10, 47, 28), (45, 10, 56, 28),
                                               (68, 10, 81, 28), (79, 10, 92, 28), (90, 10, 104, 28)]


def test_segment_leaves_a_mark_exactly_1_3_line_heights_wide_whole():
    from hwr_desktop.core.segmentation.marks import segment
    # line height 20 (18-row blocks); two 10-wide blocks 4 columns apart joined by a bridge: 26 columns
    # grown, exactly 1.3 x 20, so not cut
    image = drawn(40, 80, (10, 10, 18, 5), (10, 30, 18, 10), (10, 44, 18, 10), (18, 40, 2, 4))
    assert [c.box for c in segment(image)] == [(8, 8, 17, 30), (28, 8, 56, 30)]


# --- printed_lines.py ---------------------------------------------------------------------------------

def grid(*rows: str) -> np.ndarray:
    """A bool image drawn in text: '#' is ink."""
    return np.array([[c == "#" for c in row] for row in rows], bool)


def test_dilate_ors_each_row_with_its_neighbours_within_the_radius():
    from hwr_desktop.core.segmentation.printed_lines import _dilate
    mask = grid("..", "..", "#.", "..", "..", "..", ".#")
    assert _dilate(mask, 1).astype(int).tolist() == [[0, 0], [1, 0], [1, 0], [1, 0], [0, 0], [0, 1], [0, 1]]
    assert _dilate(mask, 2)[:, 0].astype(int).tolist() == [1, 1, 1, 1, 1, 0, 0]
    assert _dilate(mask, 0).tolist() == mask.tolist()


def test_spread_labels_grows_labels_up_and_down_and_the_larger_wins():
    from hwr_desktop.core.segmentation.printed_lines import _spread_labels
    labels = np.array([[0], [1], [0], [0], [2], [0], [0], [0]])
    # row 2 is next to label 1 only, row 3 to label 2 only (not to the 1 grown into row 2)
    assert _spread_labels(labels, 1)[:, 0].tolist() == [1, 1, 1, 2, 2, 2, 0, 0]
    # radius 2: rows 2 and 3 are within reach of both: 2 wins
    assert _spread_labels(labels, 2)[:, 0].tolist() == [1, 1, 2, 2, 2, 2, 2, 0]


def test_runs_and_fill_are_each_others_inverse():
    from hwr_desktop.core.segmentation.printed_lines import _fill, _runs, long_runs
    mask = grid(".##.#", ".....", "#####", "###.#")
    rows, starts, ends = _runs(mask)
    assert (rows.tolist(), starts.tolist(), ends.tolist()) == ([0, 0, 2, 3, 3], [1, 4, 0, 0, 4], [3, 5, 5, 3, 5])
    assert _fill(mask.shape, rows, starts, ends).tolist() == mask.tolist()
    rows, starts, ends = _runs(mask, np.array([3]))
    assert (rows.tolist(), starts.tolist(), ends.tolist()) == ([3, 3], [0, 4], [3, 5])
    # along columns: (column, top, bottom) -> the transposed mask
    assert _fill((5, 4), *_runs(mask), along_columns=True).tolist() == mask.T.tolist()
    assert not _fill((2, 2), np.array([0]), np.array([1]), np.array([1])).any()
    # runs at least 3 long: the 3 of row 3 counts, its 1 does not; row 0 holds 3 pixels but no run of 3
    rows, starts, ends = long_runs(mask, 3)
    assert (rows.tolist(), starts.tolist(), ends.tolist()) == ([2, 3], [0, 0], [5, 3])


def test_boxes_of_labels():
    from hwr_desktop.core.segmentation.components import bounding_boxes as _boxes
    labels = np.array([[0, 1, 1, 0], [2, 0, 1, 0], [2, 0, 0, 0]])
    y0, x0, y1, x1, area = _boxes(labels, 2)
    assert (y0[1:].tolist(), x0[1:].tolist(), y1[1:].tolist(), x1[1:].tolist()) == ([0, 1], [1, 0], [2, 3], [3, 1])
    assert area.tolist() == [0, 3, 2]                       # paper (0) is not counted


def test_regular_finds_the_evenly_spaced_positions():
    from hwr_desktop.core.segmentation.printed_lines import _regular
    # pairwise gaps 10, 20, 35, 10, 25, 15: 10 is the spacing most pairs share; 45 has no neighbour 10 away
    assert _regular(np.array([10, 20, 30, 45])).tolist() == [True, True, True, False]
    # spacing 25: 27 is within 0.08 x 25 = 2 of it, 28 is not
    assert _regular(np.array([0, 25, 50, 77])).tolist() == [True, True, True, True]
    assert _regular(np.array([0, 25, 50, 78])).tolist() == [True, True, True, False]
    assert _regular(np.array([7])).tolist() == [False]
    assert _regular(np.array([5, 5])).tolist() == [False, False]            # no spacing at all


def test_strip_is_the_columns_around_the_fullest_with_at_least_half_as_many():
    from hwr_desktop.core.segmentation.printed_lines import _strip
    assert _strip(np.array([0, 2, 5, 10, 5, 4, 6])) == (2, 5)                # 5 is half of 10: in
    assert _strip(np.array([10, 6])) == (0, 2)
    assert _strip(np.array([4, 3, 8])) == (2, 3)                             # 3 < 4 stops the way left
    assert _strip(np.array([4, 5, 8])) == (0, 3)


def test_tick_ends_counts_the_ends_on_a_horizontal_line():
    from hwr_desktop.core.segmentation.printed_lines import _tick_ends
    horizontal = np.zeros((20, 10), bool)
    horizontal[2] = horizontal[15] = True
    bar = np.zeros((10, 3), bool)                      # image rows 4-13, image column 5 (left0 4 + 1)
    bar[:, 1] = True
    # reach 2: row 2 is 2 above the top (4), row 15 2 below the bottom (13)
    assert _tick_ends(bar, horizontal, 4, 4, 20, 2) == (2, 5)
    assert _tick_ends(bar, horizontal, 4, 4, 20, 1) == (0, 5)
    assert _tick_ends(bar, horizontal, 5, 4, 20, 2) == (1, 5)                # one row lower: the top is 3 away
    # long enough from 0.25 x 20 = 5 rows
    assert _tick_ends(bar[:5], horizontal, 4, 4, 20, 2) == (1, 5)
    assert _tick_ends(bar[:4], horizontal, 4, 4, 20, 2) == (0, 0)
    # a line only beside the column (2 away) does not count: ends are looked for in columns cx - 1 .. cx + 1
    beside = np.zeros((20, 10), bool)
    beside[2, 7:] = True
    assert _tick_ends(bar, beside, 4, 4, 20, 2) == (0, 5)
    beside[2, 6] = True
    assert _tick_ends(bar, beside, 4, 4, 20, 2) == (1, 5)
    # slanted (1 column per row: slope 1) or bent (one row 3 columns off: 2.6 from the fitted line)
    slanted = np.eye(8, dtype=bool)
    assert _tick_ends(slanted, horizontal, 4, 0, 20, 2) == (0, 0)
    bent = np.zeros((7, 4), bool)
    bent[:, 0] = True
    bent[3] = [False, False, False, True]
    assert _tick_ends(bent, horizontal, 4, 0, 20, 2) == (0, 0)


def test_restore_crossings_gives_back_the_line_where_ink_lies_on_both_sides_within_2_pixels():
    from hwr_desktop.core.segmentation.printed_lines import restore_crossings
    ink = grid(".......",
               "..#..##",
               "#.#..#.",
               "..#..#.",
               "#######",         # the line
               "..#....",
               "#.#...#",
               "..#....",
               ".......")
    line = np.zeros(ink.shape, bool)
    line[4] = True
    # column 0: ink 2 above and 2 below; column 2: a stroke through; column 5 ink above only; column 6
    # ink 3 above
    expected = line.copy()
    expected[4, [0, 2]] = False
    assert restore_crossings(ink, line, np.zeros(ink.shape, bool)).tolist() == expected.tolist()
    # the same turned on its side, as a vertical line
    assert restore_crossings(ink.T, np.zeros(ink.T.shape, bool), line.T).tolist() == expected.T.tolist()
    assert not restore_crossings(ink, np.zeros(ink.shape, bool), np.zeros(ink.shape, bool)).any()


def test_typical_height_is_the_median_height_of_marks_with_15_percent_of_the_largest_ink():
    from hwr_desktop.core.segmentation.printed_lines import typical_height
    ink = np.zeros((20, 30), bool)
    ink[2:12, 2:6] = True                 # 10 tall, 40 px (the largest)
    ink[2:14, 10:13] = True               # 12 tall, 36 px
    ink[2:8, 20] = True                   # 6 tall, 6 px: exactly 15 % of 40, counted -> median(10, 12, 6)
    assert typical_height(ink) == 10.0
    ink[7, 20] = False                    # 5 px: not counted -> median(10, 12)
    assert typical_height(ink) == 11.0
    assert typical_height(np.zeros((5, 5), bool)) == 0.0


def test_typical_height_leaves_lines_across_the_image_out_and_crossing_digits_whole():
    from hwr_desktop.core.segmentation.printed_lines import typical_height
    ink = np.zeros((20, 40), bool)
    ink[15] = True                        # a line across (runs over 0.9 x 40 = 36)
    ink[5:15, 5:9] = True                 # resting on it: loses the 2 rows next to the line (rows 5-12: 8 tall)
    ink[5:19, 20:24] = True               # crossing it (ink 2 rows on both sides): stays whole, 14 tall
    assert typical_height(ink) == 11.0


def ruled(height: int, width: int, row: int, x0: int = 0, x1: int | None = None) -> np.ndarray:
    """An ink mask with a 2-row horizontal line at `row`, from x0 to x1 (exclusive)."""
    ink = np.zeros((height, width), bool)
    ink[row:row + 2, x0:x1] = True
    return ink


# find_lines with the digit height given (10): lines are runs from 2.5 x 10 = 25 long, measured on the
# mask grown by ceil(0.045 x 10) = 1 row; ticks from 0.25 x 10 = 2.5 rows, touching a line within 3.
def test_a_line_alone_is_all_line_from_25_pixels_long():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    ink = ruled(30, 60, 20)
    assert find_lines(ink, 10).tolist() == ink.tolist()
    ink = ruled(30, 60, 20, 10, 35)                          # 25 long
    assert find_lines(ink, 10).tolist() == ink.tolist()
    assert not find_lines(ruled(30, 60, 20, 10, 34), 10).any()       # 24 long
    # on its side: a vertical line
    assert find_lines(np.ascontiguousarray(ink.T), 10).tolist() == ink.T.tolist()
    # digits smaller than 8 pixels: nothing is taken for a line
    assert not find_lines(ruled(30, 60, 20), 7.9).any() and find_lines(ruled(30, 60, 20), 8).any()
    assert not find_lines(np.zeros((30, 60), bool)).any()


def test_a_stroke_crossing_a_line_keeps_its_pixels_on_the_line():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    ink = ruled(30, 60, 20)
    ink[5:29, 30:32] = True               # 24 rows: too short for a vertical line
    expected = ruled(30, 60, 20)
    expected[20:22, 30:32] = False
    assert find_lines(ink, 10).tolist() == expected.tolist()
    assert find_lines(np.ascontiguousarray(ink.T), 10).tolist() == expected.T.tolist()


def test_a_comb_of_evenly_spaced_ticks_on_a_line_is_all_line_but_a_single_tick_is_a_digit():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    comb = ruled(30, 80, 20)
    for x in (10, 30, 50, 70):
        comb[14:20, x:x + 2] = True       # 6 rows standing on the line, 20 apart
    assert find_lines(comb, 10).tolist() == comb.tolist()
    one = ruled(30, 80, 20)
    one[14:20, 30:32] = True
    # the line keeps the tick's bottom row: within half the line's thickness + 1 of its centre (20.5)
    expected = ruled(30, 80, 20)
    expected[19, 30:32] = True
    assert find_lines(one, 10).tolist() == expected.tolist()


def test_a_box_side_touching_lines_at_both_ends_is_line():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    box = ruled(40, 80, 5) | ruled(40, 80, 25)
    box[7:25, 40:42] = True               # 18 rows between the two lines: too short for a line by itself
    assert find_lines(box, 10).tolist() == box.tolist()


def test_lines_are_at_most_6_rows_thick():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    band = np.zeros((30, 60), bool)
    band[10:16] = True                    # 6 rows: a thick printed line
    assert find_lines(band, 10).tolist() == band.tolist()
    band[16] = True                       # 7 rows: a marker stroke, never seen as a thin line
    assert not find_lines(band, 10).any()


def test_a_line_must_be_seen_alone_in_30_percent_of_its_columns():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    # a 40-column line with a block standing on it: 12 free columns are exactly 0.3 x 40
    ink = ruled(30, 40, 20)
    ink[5:20, :28] = True
    expected = ruled(30, 40, 20)
    expected[19, :28] = True              # the centre (20.5) comes from the free columns: +-1.5 rows
    assert find_lines(ink, 10).tolist() == expected.tolist()
    ink[5:20, 28] = True                  # 11 free columns: a blob on a stroke, not a line
    assert not find_lines(ink, 10).any()


def test_restore_crossings_at_the_image_borders():
    from hwr_desktop.core.segmentation.printed_lines import restore_crossings
    none = np.zeros((7, 4), bool)
    # a one-row line in row 2: column 0 has ink in row 0 (2 above, the image's first row) and row 4 (2
    # below); column 1 in row 0 only; column 2 in rows 3-6 only
    ink = grid("##..",
               "....",
               "####",
               "..#.",
               "#.#.",
               "..#.",
               "..#.")
    line = np.zeros(ink.shape, bool)
    line[2] = True
    expected = line.copy()
    expected[2, 0] = False
    assert restore_crossings(ink, line, none).tolist() == expected.tolist()
    # the same upside down: the line in row 4, ink 2 below it in the image's last row
    assert restore_crossings(ink[::-1].copy(), line[::-1].copy(), none).tolist() == expected[::-1].tolist()
    # a line in the first row has nothing above it: never a crossing
    top = np.zeros((5, 3), bool)
    top[0] = True
    ink = top | grid("...", "###", "###", "...", "...")
    assert restore_crossings(ink, top, np.zeros((5, 3), bool)).tolist() == top.tolist()


def test_lines_along_the_image_borders_are_found_whole():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    for rows in ((0, 2), (1, 3), (27, 29), (28, 30)):
        ink = np.zeros((30, 60), bool)
        ink[rows[0]:rows[1]] = True
        assert find_lines(ink, 10).tolist() == ink.tolist(), rows
        assert find_lines(np.ascontiguousarray(ink.T), 10).tolist() == ink.T.tolist(), rows



def strokes_on_a_line(line_row: int, stroke_top: int) -> np.ndarray:
    """A 2-row line at `line_row` across 60 columns, with 3-column strokes standing on it from
    `stroke_top` in 45 of the columns (a gap of one column after each): 15 columns left free."""
    ink = ruled(30, 60, line_row)
    for x in range(0, 60, 4):
        ink[stroke_top:line_row, x:x + 3] = True
    return ink


def test_ink_above_the_lines_reach_touches_it_even_next_to_the_image_top():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    # Height 10: the line's band reaches 1 row above it, its candidates 1 more. Strokes going on above
    # that touch the line: it is seen alone in 15 of 60 columns (< 0.3 x 60) and is not a line.
    assert not find_lines(strokes_on_a_line(3, 0), 10).any()     # the stroke runs on into row 0
    assert not find_lines(strokes_on_a_line(4, 1), 10).any()     # one row above the reach, not two
    # Strokes ending within the reach are part of a thick line, seen alone everywhere: all line.
    assert find_lines(strokes_on_a_line(4, 2), 10).tolist() == strokes_on_a_line(4, 2).tolist()


def test_a_line_with_bumps_under_most_of_it_is_all_line():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    # A 1-row line (row 10) with 2-row bumps under 8 of every 10 columns (runs of 8: not lines themselves),
    # as a printed line of uneven thickness: 3 rows seen alone in most columns, 1 in the rest.
    ink = np.zeros((30, 60), bool)
    ink[10] = True
    for x in range(0, 60, 10):
        ink[11:13, x:x + 8] = True
    assert find_lines(ink, 10).tolist() == ink.tolist()


def test_fill_paints_a_single_pixel_run_and_boxes_of_a_tall_image():
    from hwr_desktop.core.segmentation.components import bounding_boxes as _boxes
    from hwr_desktop.core.segmentation.printed_lines import _fill
    assert _fill((2, 2), np.array([1]), np.array([0]), np.array([1])).astype(int).tolist() == [[0, 0], [1, 0]]
    labels = np.zeros((10, 2), int)       # taller than twice its width: the boxes' start values must exceed 9
    labels[6:10, 1] = 1
    y0, x0, y1, x1, area = _boxes(labels, 1)
    assert (y0[1], x0[1], y1[1], x1[1], area[1]) == (6, 1, 10, 2, 4)


def test_regular_takes_the_spacing_most_gaps_share_within_8_percent():
    from hwr_desktop.core.segmentation.printed_lines import _regular
    assert _regular(np.array([10, 30])).tolist() == [True, True]              # two ticks make a row
    # gaps 10, 30, 30, 30, 40, 60, 60, 70, 90, 100: 30 is shared by three; 0 has no neighbour 30 away
    assert _regular(np.array([0, 10, 40, 70, 100])).tolist() == [False, True, True, True, True]


def test_tick_ends_refuses_a_tick_whose_centre_wanders_over_1_5_pixels():
    from hwr_desktop.core.segmentation.printed_lines import _tick_ends
    horizontal = np.zeros((20, 10), bool)
    horizontal[2] = horizontal[15] = True
    bent = np.zeros((7, 4), bool)         # one row 2 columns off: 2 - 2/7 = 1.71 from the fitted line
    bent[:, 0] = True
    bent[3] = [False, False, True, False]
    assert _tick_ends(bent, horizontal, 4, 0, 20, 2) == (0, 0)
    bent[3] = [False, True, False, False]  # 1 column off: 0.86, straight enough; its top row 4 is 2 below row 2
    assert _tick_ends(bent, horizontal, 4, 0, 20, 2) == (1, 0)


def test_a_box_side_with_a_digit_beside_it_is_line_only_if_0_8_digit_heights_tall():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    # Digits 12 high. A 4-row digit touches the side: its columns join the side's band, which is then not
    # straight; the side alone (the columns holding at least half the fullest one's pixels) is judged.
    for bottom_line, is_side in ((20, True), (18, False)):
        lines = ruled(40, 80, 5) | ruled(40, 80, bottom_line)
        side = np.zeros((40, 80), bool)
        side[7:bottom_line, 40:42] = True    # off the lines' rows: 11 rows (>= 0.8 x 12) or 9 rows
        digit = np.zeros((40, 80), bool)
        digit[9:13, 42:47] = True
        ink = lines | side | digit
        if is_side:
            # with the digit's column next to it, within the side's half thickness + 1 of its centre
            expected = lines | side
            expected[9:13, 42] = True
        else:
            # a digit's stroke: it keeps all but its rows next to the lines (within 1.5 + 1 of their centres)
            expected = lines.copy()
            expected[[7, bottom_line - 1], 40:42] = True
        assert find_lines(ink, 12).tolist() == expected.tolist(), bottom_line


def test_a_line_must_be_seen_alone_in_30_percent_of_its_columns_counted_from_its_first_to_its_last():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    ink = ruled(30, 42, 20)
    ink[5:20, :30] = True                 # 12 free columns of 42: under 0.3 x 42 = 12.6
    assert not find_lines(ink, 10).any()


def test_a_3_row_line_keeps_2_rows_either_side_of_its_centre_where_a_digit_touches_it():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    ink = np.zeros((30, 60), bool)
    ink[10:13] = True                     # centre row 11, half its thickness + 1 = 2
    ink[13:21, 30:35] = True              # a digit hanging from it
    expected = np.zeros((30, 60), bool)
    expected[10:13] = True
    expected[13, 30:35] = True            # row 13 is within 2 of the centre: line
    assert find_lines(ink, 10).tolist() == expected.tolist()


def test_large_digits_allow_lines_to_step_by_more_rows():
    from hwr_desktop.core.segmentation.printed_lines import find_lines
    # Digits 30 high: lines from 75 long, the mask grown by ceil(0.045 x 30) = 2 rows: a line stepping
    # down 4 rows halfway is still one line, though each half (40) is too short to be one.
    ink = np.zeros((60, 80), bool)
    ink[20:22, :40] = True
    ink[24:26, 40:] = True
    assert find_lines(ink, 30).tolist() == ink.tolist()
    ink[24:26, 40:] = False
    ink[25:27, 40:] = True                # 5 rows down: the grown halves no longer share a row
    assert not find_lines(ink, 30).any()


def test_only_digit_sized_strong_marks_set_the_rows_lighter_bar():
    from hwr_desktop.core.segmentation.marks import _pieces
    labels = np.zeros((20, 40), np.int32)
    labels[2:14, 20:22] = 1         # light, peak 0.35: over 0.4 x 0.8
    labels[0:16, 0:2] = 2           # the tallest strong mark: 16 tall, peak 0.6
    labels[0:4, 4:6] = 3            # a strong blot, 4 tall (under half the tallest): peak 1.0, not a peer
    labels[0:8, 8:10] = 4           # strong, exactly half the tallest: a peer, peak 1.0
    labels[2:14, 12:14] = 5         # light, peak 0.25: under 0.4 x 0.8
    strength = np.where(labels > 0, 0.1, 0.0).astype(np.float32)
    for component, peak in ((1, 0.35), (2, 0.6), (3, 1.0), (4, 1.0), (5, 0.25)):
        y, x = np.argwhere(labels == component)[0]
        strength[y, x] = peak
    # the peers' median is 0.8 (0.6 and 1.0); with the blot it would be 1.0 and the 0.35 mark lost,
    # without the mark of exactly half the height 0.6 and the 0.25 mark kept
    assert sorted(p.x0 for p in _pieces(labels, 5, strength, 0.5, 3)) == [0, 4, 8, 20]
