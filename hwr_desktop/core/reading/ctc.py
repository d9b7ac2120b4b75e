"""Decoding a CTC reader's frames into numbers: prefix beam search and forced alignment (numpy only).

Frames are (T, 11) log-probabilities: class 0 is the CTC blank, class d + 1 the digit d.

- `beam_search` keeps, frame by frame, the `width` most likely digit strings (prefixes), summing
  over every alignment that spells the same string (blank or repeated frames between digits), so
  a number is scored by its total probability, not by its single best path as greedy decoding
  does. Classes far below the best of their frame are skipped (they cannot change the top beams).
- `align` finds, for one digit string, its most likely alignment (Viterbi over the CTC states):
  which frames each digit occupies. The reader cuts each digit's crop for the digit model from
  these frames (core/sequence_reading.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NEG = -1e30
PRUNE = 10.0        # classes more than this below a frame's best log-probability are not extended


@dataclass(frozen=True)
class Beam:
    digits: tuple[int, ...]
    log_probability: float          # log P(string | frames), all alignments summed

    @property
    def text(self) -> str:
        return "".join(str(d) for d in self.digits)


def _add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) of two Python floats (math, not numpy: a numpy call on one number costs
    about a microsecond, and a read makes some two thousand of these)."""
    if a < b:
        a, b = b, a
    return a if b <= NEG else a + math.log1p(math.exp(b - a))


def beam_search(log_probs: np.ndarray, width: int = 10, prune: float = PRUNE, max_digits: int = 16) -> list[Beam]:
    """The most likely digit strings of one strip's frames, best first (at most `width`)."""
    log_probs = np.asarray(log_probs, np.float64)
    beams: dict[tuple[int, ...], list[float]] = {(): [0.0, NEG]}     # prefix -> [log P ending in blank, ... in its last digit]
    for frame in log_probs.tolist():                 # Python floats: indexing numpy per number is slow
        floor = max(frame) - prune
        candidates = [c for c in range(1, len(frame)) if frame[c] >= floor]
        blank = frame[0]
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (pb, pd) in beams.items():
            total = _add(pb, pd)
            entry = nxt.setdefault(prefix, [NEG, NEG])
            entry[0] = _add(entry[0], total + blank)
            if prefix:                                   # the last digit held for one more frame
                entry[1] = _add(entry[1], pd + frame[prefix[-1] + 1])
            if len(prefix) >= max_digits:
                continue
            for c in candidates:
                d = c - 1
                longer = prefix + (d,)
                target = nxt.setdefault(longer, [NEG, NEG])
                # the same digit twice needs a blank between them
                source = pb if prefix and prefix[-1] == d else total
                target[1] = _add(target[1], source + frame[c])
        ranked = sorted(nxt.items(), key=lambda kv: -_add(*kv[1]))
        beams = dict(ranked[:width])
    out = [Beam(prefix, _add(pb, pd)) for prefix, (pb, pd) in beams.items()]
    return sorted(out, key=lambda b: -b.log_probability)


def greedy(log_probs: np.ndarray) -> tuple[int, ...]:
    """Best class per frame, repeats merged, blanks dropped."""
    best = np.asarray(log_probs).argmax(axis=1)
    keep = (best != 0) & np.concatenate([[True], best[1:] != best[:-1]])
    return tuple(int(c) - 1 for c in best[keep])


def align(log_probs: np.ndarray, digits: tuple[int, ...]) -> list[tuple[int, int]]:
    """For each digit of `digits`, the first and last frame (inclusive) it occupies in the most
    likely alignment. Empty for an empty string; ValueError if the frames are too few."""
    spans = align_many(log_probs, [digits])[0]
    if spans is None:
        raise ValueError(f"{len(digits)} digits do not fit in {len(log_probs)} frames")
    return spans


def align_many(log_probs: np.ndarray, strings) -> list[list[tuple[int, int]] | None]:
    """`align` for several digit strings over the same frames, in one pass over the frames (a read
    aligns its six likeliest strings: one Viterbi of six rows costs about what one of one row did,
    2 ms over ~130 frames). None for a string its frames are too few for."""
    log_probs = np.asarray(log_probs, np.float64)
    T, B = len(log_probs), len(strings)
    S = 2 * max((len(d) for d in strings), default=0) + 1
    states = np.zeros((B, S), np.int64)          # blank, d1, blank, d2, ..., blank; padded with blanks
    real = np.zeros((B, S), bool)                # the padding is never entered (its emission is NEG)
    for b, digits in enumerate(strings):
        states[b, 1:2 * len(digits):2] = np.asarray(digits, np.int64) + 1
        real[b, :2 * len(digits) + 1] = True
    skip = np.zeros((B, S), bool)                # a digit may follow the previous digit directly
    skip[:, 3::2] = states[:, 3::2] != states[:, 1:-2:2]
    emit = np.where(real[None], log_probs[:, states], NEG)
    score = np.full((T, B, S), NEG)
    back = np.zeros((T, B, S), np.int64)
    score[0, :, :2] = emit[0, :, :2]
    index = np.arange(S)
    step, jump = np.full((B, S), NEG), np.full((B, S), NEG)
    for t in range(1, T):
        stay = score[t - 1]
        step[:, 1:] = stay[:, :-1]
        jump[:, 2:] = np.where(skip[:, 2:], stay[:, :-2], NEG)
        # the first of the three on a tie, as argmax over (stay, step, jump) would take
        arg = np.where((stay >= step) & (stay >= jump), 0, np.where(step >= jump, 1, 2))
        best = np.maximum(np.maximum(stay, step), jump)
        score[t] = np.where(best > NEG / 2, best + emit[t], NEG)
        back[t] = index - arg
    out: list[list[tuple[int, int]] | None] = []
    for b, digits in enumerate(strings):
        if not digits:
            out.append([])
            continue
        last = 2 * len(digits)
        end = last if score[T - 1, b, last] >= score[T - 1, b, last - 1] else last - 1
        if score[T - 1, b, end] <= NEG / 2:
            out.append(None)
            continue
        path = [end]
        for t in range(T - 1, 0, -1):
            path.append(back[t, b, path[-1]])
        spans: list[list[int]] = [[T, -1] for _ in digits]
        for t, s in enumerate(path[::-1]):
            if s % 2 == 1:
                k = s // 2
                spans[k][0], spans[k][1] = min(spans[k][0], t), max(spans[k][1], t)
        out.append([(first, final) for first, final in spans])
    return out
