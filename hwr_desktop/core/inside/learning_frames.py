"""Watch it learn: at each epoch, the first layer's kernels and the 2-D map of validation digits.

`LearningRecorder` is a `core.training.loop.TrainingCallbacks`: pass it (or forward to it) during
training and at every epoch it snapshots the first convolution's kernels and the classifier features
of a fixed set of VALIDATION images (never test images while training), projected with a PCA fitted
anew that epoch (core/inside/feature_projection.py; each axis turned to agree with the previous frame's, so
the animation does not mirror). A frame costs about 0.3 s with the default network and 1,000 images.
`on_frame` is called with each `LearningFrame` on the training thread: a GUI worker just emits it.

`save_gif(frames, path)` and `save_png_strip(frames, path)` draw the frames with Pillow (kernels as
a grid, the map as dots coloured by digit, the epoch and validation accuracy) and write atomically.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.feature_projection import FeatureExtractor, fit_pca
from hwr_desktop.core.inside.filter_patches import first_layer_kernels
from hwr_desktop.core.training.loop import EpochInfo, TrainingCallbacks

DEFAULT_COUNT = 1000
# One colour per digit (Tableau 10), so a digit keeps its colour in every frame.
DIGIT_COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


@dataclass(frozen=True)
class LearningFrame:
    epoch: int                    # 1-based
    epochs: int
    kernels: np.ndarray | None    # (n, kh, kw) in [0, 1], 0.5 = zero weight (None: no first convolution)
    points: np.ndarray            # (N, 2) float32: the validation images on the 2-D map
    labels: np.ndarray            # (N,)
    val_accuracy: float
    seconds: float                # what making this frame took


class LearningRecorder(TrainingCallbacks):
    """Records a LearningFrame per epoch of the training it is given to."""

    def __init__(self, images: np.ndarray | None = None, labels: np.ndarray | None = None,
                 count: int = DEFAULT_COUNT, seed: int = 0,
                 on_frame: Callable[[LearningFrame], None] | None = None):
        if images is None:
            from hwr_desktop.core.data.mnist import load_mnist
            data = load_mnist()
            images, labels = data.x_val[:count], data.y_val[:count]
        self.images, self.labels = images, np.asarray(labels)
        self.seed, self.on_frame = seed, on_frame
        self.frames: list[LearningFrame] = []
        self.model = self._extractor = None

    def on_start(self, model, config) -> None:
        self.model, self._extractor = model, FeatureExtractor(model)
        self.frames = []
        # Trace the extractor's tf.function now, as the run starts, not in the first epoch's frame: the
        # trace holds the GIL in long stretches, and after the last epoch of a 1-epoch run it was the
        # GUI thread's longest wait (issue 30: the last long stall while training).
        self._extractor(self.images[:1])

    def on_epoch(self, info: EpochInfo) -> None:
        import time
        start = time.perf_counter()
        try:
            kernels = first_layer_kernels(self.model)
        except HwrError:
            kernels = None
        features, _ = self._extractor(self.images)
        points = fit_pca(features, self.seed).project(features)
        if self.frames:   # PCA's sign rule can still flip an axis between epochs: follow the last frame
            previous = self.frames[-1].points
            points *= np.where(((points - points.mean(0)) * (previous - previous.mean(0))).sum(0) < 0, -1, 1)
        frame = LearningFrame(info.epoch, info.epochs, kernels, points.astype(np.float32), self.labels,
                              info.val_accuracy, time.perf_counter() - start)
        self.frames.append(frame)
        if self.on_frame is not None:
            self.on_frame(frame)


# ---- drawing ---------------------------------------------------------------------------------

def _kernel_grid(kernels: np.ndarray | None, side: int) -> Image.Image:
    grid = Image.new("RGB", (side, side), (255, 255, 255))
    if kernels is None or len(kernels) == 0:
        return grid
    columns = math.ceil(math.sqrt(len(kernels)))
    cell = side // columns
    for i, kernel in enumerate(kernels):
        tile = Image.fromarray(np.uint8(np.clip(kernel, 0, 1) * 255)).resize((cell - 2, cell - 2),
                                                                             Image.Resampling.NEAREST)
        grid.paste(tile.convert("RGB"), ((i % columns) * cell + 1, (i // columns) * cell + 1))
    return grid


def _scatter(points: np.ndarray, labels: np.ndarray, side: int) -> Image.Image:
    image = Image.new("RGB", (side, side), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    low, high = np.percentile(points, 1, axis=0), np.percentile(points, 99, axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    xy = 6 + (side - 12) * np.clip((points - low) / span, 0.0, 1.0)
    for (x, y), label in zip(xy, labels):
        draw.ellipse((x - 2, side - y - 2, x + 2, side - y + 2), fill=DIGIT_COLOURS[int(label) % 10])
    return image


def render_frame(frame: LearningFrame, side: int = 240) -> Image.Image:
    """One frame as an RGB image: the kernels on the left, the digit map on the right, a caption on top."""
    caption = 18
    image = Image.new("RGB", (2 * side + 12, side + caption + 8), (255, 255, 255))
    image.paste(_kernel_grid(frame.kernels, side), (4, caption + 4))
    image.paste(_scatter(frame.points, frame.labels, side), (side + 8, caption + 4))
    ImageDraw.Draw(image).text((6, 3), f"epoch {frame.epoch}/{frame.epochs}   validation accuracy "
                               f"{frame.val_accuracy:.1%}", fill=(0, 0, 0))
    return image


def _write_atomic(path: str | Path, save: Callable[[Path], None]) -> Path:
    """save(temporary path beside `path`), then rename it over `path`: never a half-written file."""
    from hwr_desktop.core.files import replacing
    path = Path(path)
    if not path.parent.is_dir():
        raise HwrError(f"cannot save {path}: folder {path.parent} does not exist")
    try:
        with replacing(path) as tmp:
            save(tmp)
    except OSError as exc:
        raise HwrError(f"cannot save {path}: {exc.strerror or exc}") from None
    return path


def save_gif(frames: list[LearningFrame], path: str | Path, milliseconds: int = 700, side: int = 240) -> Path:
    """An animated GIF, one image per frame, looping."""
    if not frames:
        raise HwrError("no frames to save: train at least one epoch")
    images = [render_frame(f, side) for f in frames]
    return _write_atomic(path, lambda tmp: images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                                                          duration=milliseconds, loop=0))


def save_png_strip(frames: list[LearningFrame], path: str | Path, columns: int | None = None,
                   side: int = 240) -> Path:
    """All frames in one PNG, left to right (wrapping after `columns` frames, if given)."""
    if not frames:
        raise HwrError("no frames to save: train at least one epoch")
    images = [render_frame(f, side) for f in frames]
    columns = min(columns or len(images), len(images))
    w, h = images[0].size
    strip = Image.new("RGB", (w * columns, h * math.ceil(len(images) / columns)), (255, 255, 255))
    for i, image in enumerate(images):
        strip.paste(image, ((i % columns) * w, (i // columns) * h))
    return _write_atomic(path, lambda tmp: strip.save(tmp, format="PNG"))
