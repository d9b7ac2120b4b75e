"""A photographed page with the desk around it (core/segmentation/marks.py, paint_over_desk): the
paper model takes the border for paper, so a dark desk there made the page the "ink" and its digits
vanished. Hand-made images: a light page, a dark desk, thin pen strokes."""
import numpy as np
from PIL import Image, ImageDraw

from hwr_desktop.core.segmentation.marks import find_marks, paint_over_desk


def page_on_desk(desk=0.2, page=0.9, pen=0.45, tilt=3.0, vignette=False):
    """A 600x800 photo: a page turned by `tilt` degrees on a desk, three thin vertical strokes on it.
    With `vignette`, no desk: the light falls off gently towards the corners instead."""
    h, w = 600, 800
    if vignette:
        yy, xx = np.mgrid[0:h, 0:w]
        r = np.hypot((yy - h / 2) / (h / 2), (xx - w / 2) / (w / 2))
        image = np.clip(page - 0.25 * r ** 2, 0, 1)
    else:
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).polygon([(90, 60), (720, 50), (730, 540), (80, 550)], fill=255)
        mask = mask.rotate(tilt, resample=Image.Resampling.BILINEAR)
        alpha = np.asarray(mask, np.float32) / 255
        image = desk + (page - desk) * alpha
    draw = Image.fromarray((image * 255).astype(np.uint8))
    pen_draw = ImageDraw.Draw(draw)
    for x in (380, 420, 460):
        pen_draw.line([(x, 270), (x + 6, 330)], fill=int(pen * 255), width=4)
    rng = np.random.default_rng(0)
    return np.clip(np.asarray(draw, np.float32) + rng.normal(0, 3, (h, w)), 0, 255).astype(np.uint8)


def test_the_strokes_on_a_page_on_a_dark_desk_are_found_and_nothing_of_the_desk():
    marks = find_marks(page_on_desk())
    centres = sorted(round(marks.image_box(p)[0] / 10) * 10 for p in marks.pieces)
    assert len(marks.pieces) == 3 and all(370 <= c <= 470 for c in centres), centres


def test_a_light_desk_under_a_grey_page_is_a_desk_too():
    _, desk = paint_over_desk(page_on_desk(desk=0.95, page=0.6, pen=0.1).astype(np.float32) / 255)
    assert desk


def test_light_falling_off_towards_the_corners_is_not_a_desk():
    work = page_on_desk(vignette=True).astype(np.float32) / 255
    out, desk = paint_over_desk(work)
    assert not desk and out is work


def test_a_plain_page_is_left_as_it_is():
    work = np.full((300, 400), 0.9, np.float32)
    out, desk = paint_over_desk(work)
    assert not desk and out is work
