"""core/segmentation's small tools against values worked out by hand (issue 33; numpy only)."""
from __future__ import annotations

import numpy as np

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
    labels[0:4, 11] = 4             # 4 tall, peak 0.4: never strong enough
    strength = np.where(labels > 0, 0.3, 0.0).astype(np.float32)
    strength[2, 1], strength[1, 6], strength[5, 11], strength[0, 11] = 0.9, 0.5, 1.0, 0.4
    pieces = _pieces(labels, 4, strength, 0.5, 4)
    assert [(p.y0, p.x0, p.height, p.width, p.area) for p in pieces] == [(1, 4, 2, 6, 12), (0, 0, 5, 2, 10)]
    assert [p.area for p in _pieces(labels, 4, strength, 0.5, 6)] == [12]       # 5 tall is below 6


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
