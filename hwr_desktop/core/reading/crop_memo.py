"""What the digit model and the not-a-digit gate said of crops already read, kept between reads.

Number mode reads the strip again at every pen lift, and a new stroke changes one digit: the other
crops come out of the image the same, pixel for pixel (two thirds of the crops of a last read had
been read by the read before it, on 40 numbers written on the strip, 2026-12-07). The memo keeps,
per crop's pixels, what `preprocess` made of it and what the digit model and the gate said, so those
crops cost a hash instead of a preprocessing and two networks. The answers are the very ones a read
without the memo gives (the same arrays, computed once); the memo only skips computing them again.

A memo serves one predictor: given another (a model opened, trained or fine-tuned is a new
Predictor), it forgets what it holds. Reads may come from worker threads, one after another or not:
a lock guards it.
"""
from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

SIZE = 512      # crops kept: a strip of ten digits has some 15 distinct crops a read


@dataclass(frozen=True)
class CropAnswer:
    prepared: object                 # core.data.preprocess.Preprocessed, or None (no ink in the crop)
    probabilities: np.ndarray        # the digit model's ten (zeros when there is no ink)
    not_digit: float | None          # the gate's probability (None: the predictor asks no gate)


def crop_key(crop: np.ndarray) -> bytes:
    """The crop's identity: its shape, type and every pixel."""
    a = np.ascontiguousarray(crop)
    return hashlib.blake2b(f"{a.shape}{a.dtype.str}".encode() + a.tobytes(), digest_size=20).digest()


class CropMemo:
    def __init__(self, size: int = SIZE):
        self.size = size
        self._answers: OrderedDict[bytes, CropAnswer] = OrderedDict()
        self._owner = None                  # weak reference to the predictor the answers came from
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._answers)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._owner = None

    def _serve(self, predictor) -> None:
        if self._owner is None or self._owner() is not predictor:
            self._answers.clear()
            self._owner = weakref.ref(predictor)

    def get(self, predictor, key: bytes) -> CropAnswer | None:
        with self._lock:
            self._serve(predictor)
            answer = self._answers.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, predictor, key: bytes, answer: CropAnswer) -> None:
        with self._lock:
            self._serve(predictor)
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
