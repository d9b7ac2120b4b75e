"""The sequence reader: CTC decoding, strips whose width follows the number, training data made on
the fly, resumable training and its checkpoints. How well the bundled reader reads is the reading
bench's business (devtools/reading_bench.py); a few images here check that it reads at all."""
import itertools

import numpy as np
import pytest

from hwr_desktop.core.reading.ctc import align, beam_search, greedy
from hwr_desktop.core.reading.strips import (
    DIGIT_ROWS,
    LEFT,
    MAX_WIDTH,
    STRIP_HEIGHT,
    WIDTH_STEP,
    BatchMaker,
    encode_labels,
    fit_strip,
)


def log_probs(rows):
    p = np.asarray(rows, np.float64) + 1e-12
    return np.log(p / p.sum(axis=1, keepdims=True))


def brute_force(lp):
    """Every path's probability, summed per digit string: the exact CTC answer."""
    totals = {}
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        digits, previous = [], None
        for c in path:
            if c != 0 and c != previous:
                digits.append(c - 1)
            previous = c
        key = tuple(digits)
        totals[key] = np.logaddexp(totals.get(key, -np.inf), sum(lp[t, c] for t, c in enumerate(path)))
    return max(totals.items(), key=lambda kv: kv[1])


def test_beam_search_sums_alignments_where_greedy_takes_one_path():
    # Two frames, each 60 % blank: the best single path is "" (36 %), but "0" has three paths
    # (0-0, 0-blank, blank-0) worth 16 + 24 + 24 = 64 %.
    lp = log_probs([[0.6, 0.4, 0, 0], [0.6, 0.4, 0, 0]])
    assert greedy(lp) == ()
    best = beam_search(lp)[0]
    assert best.digits == (0,) and np.exp(best.log_probability) == pytest.approx(0.64)


def test_beam_search_matches_brute_force_on_random_frames():
    rng = np.random.default_rng(3)
    for _ in range(12):
        z = rng.normal(0, 2, (5, 4))
        lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        digits, total = brute_force(lp)
        best = beam_search(lp, width=10_000, prune=1e9)[0]
        assert best.digits == digits and best.log_probability == pytest.approx(total, abs=1e-9)


def test_a_digit_repeated_needs_a_blank_between():
    lp = log_probs([[0, 0, 1, 0], [0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 1, 0]])
    assert beam_search(lp)[0].digits == (1, 1)
    assert greedy(lp) == (1, 1)


def test_a_digit_in_the_last_frame_is_read():
    lp = log_probs([[1, 0, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert beam_search(lp)[0].digits == (2, 0)
    assert greedy(lp) == (2, 0)
    assert align(lp, (2, 0)) == [(1, 1), (3, 3)]


def test_alignment_gives_each_digit_its_frames():
    z = np.full((40, 11), -8.0)
    z[:, 0] = 0
    for d, t in [(3, 5), (1, 15), (3, 16), (9, 30)]:
        z[t, d + 1], z[t, 0] = 4, -4
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert beam_search(lp)[0].text == "3139"
    assert align(lp, (3, 1, 3, 9)) == [(5, 5), (15, 15), (16, 16), (30, 30)]
    with pytest.raises(ValueError):
        align(lp[:3], (1, 1, 1))       # three digits, two of them equal, need five frames


def _best_alignment_by_brute_force(lp: np.ndarray, digits: tuple[int, ...]):
    """Every labelling of the frames with blank and the string's digits that collapses to the string
    (repeats merged, blanks dropped): the likeliest one's frames per digit, or None if none does."""
    classes = [0] + sorted({d + 1 for d in digits})
    best, best_path = -np.inf, None
    for path in itertools.product(classes, repeat=len(lp)):
        collapsed = [c - 1 for k, c in enumerate(path) if c and (k == 0 or path[k - 1] != c)]
        if tuple(collapsed) != digits:
            continue
        score = lp[np.arange(len(lp)), path].sum()
        if score > best:
            best, best_path = score, path
    if best_path is None:
        return None
    spans, k = [], -1
    for t, c in enumerate(best_path):
        if c and (t == 0 or best_path[t - 1] != c):
            k += 1
            spans.append([t, t])
        elif c:
            spans[k][1] = t
    return [tuple(span) for span in spans]


def test_alignment_of_several_strings_in_one_pass_is_each_ones_likeliest():
    """align_many against every labelling of 7 random frames: repeated digits (a blank between them),
    a digit following another directly, strings of different lengths side by side, a string the
    frames are too few for, and the empty string."""
    from hwr_desktop.core.reading.ctc import align_many
    rng = np.random.default_rng(5)
    strings = [(4,), (1, 1), (2, 7), (3, 3, 3), (7, 2, 7), (5, 5, 5, 5), (), (6, 6, 6, 6, 6)]
    for _ in range(6):
        z = rng.normal(0, 2, (7, 11))
        lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        got = align_many(lp, strings)
        assert got[6] == [] and got[7] is None        # five 6s need nine frames: a blank between each two
        for digits, spans in zip(strings[:6], got[:6]):
            assert spans == _best_alignment_by_brute_force(lp, digits), digits
        assert got[5] == [(0, 0), (2, 2), (4, 4), (6, 6)]   # four 5s fill the seven frames exactly


def test_strip_width_follows_the_number():
    short, scale = fit_strip(np.ones((50, 30), np.float32))
    assert short.shape == (STRIP_HEIGHT, 64) and scale == pytest.approx(50 / DIGIT_ROWS)
    rows = np.flatnonzero(short.max(axis=1) > 0)
    assert len(rows) == DIGIT_ROWS and short[:, :LEFT].max() == 0
    long, _ = fit_strip(np.ones((50, 500), np.float32))           # ten digits' worth: wider, same height
    assert long.shape[1] % WIDTH_STEP == 0 and long.shape[1] >= 500 / scale + 2 * LEFT
    assert len(np.flatnonzero(long.max(axis=1) > 0)) == DIGIT_ROWS
    huge, _ = fit_strip(np.ones((50, 5000), np.float32))          # past MAX_WIDTH it shrinks instead
    assert huge.shape[1] == MAX_WIDTH


def test_batches_depend_only_on_seed_and_step(mnist):
    a, b = BatchMaker(4, 6, None), BatchMaker(4, 6, None)
    xa, ya = a(7)
    xb, yb = b(7)
    assert np.array_equal(xa, xb) and np.array_equal(ya, yb)
    assert not np.array_equal(a(8)[1], ya)
    assert xa.shape[0] == 6 and xa.shape[1] == STRIP_HEIGHT and xa.shape[2] % WIDTH_STEP == 0
    lengths = (ya > 0).sum(axis=1)
    assert lengths.min() >= 1 and lengths.max() <= 10 and (ya[:, :1] > 0).all()


def test_wide_batches_depend_only_on_seed_and_step_and_differ_from_standard(mnist):
    """The second stage's data (slant, pen, overlap, taller comb ticks) is as reproducible as the
    first's, so a resumed second stage sees the batches an uninterrupted one would."""
    a, b = BatchMaker(4, 6, None, True), BatchMaker(4, 6, None, True)
    xa, ya = a(7)
    xb, yb = b(7)
    assert np.array_equal(xa, xb) and np.array_equal(ya, yb)
    xs, _ = BatchMaker(4, 6, None)(7)
    assert xs.shape != xa.shape or not np.array_equal(xs, xa)


def test_one_pen_keeps_the_ink_of_a_faint_number():
    """The pen's level is relative to the number's darkest ink: a fixed level above a faint
    number's peak erased it, and the empty strip stopped a training run at its 158th batch."""
    from hwr_desktop.core.reading.strips import _pen
    canvas = np.zeros((40, 60), np.float32)
    canvas[8:32, 20:24] = 0.5                       # a faint "1"
    canvas[8:12, 16:24] = 0.5
    for seed in range(40):
        for touching in (False, True):
            out = _pen(canvas, 30.0, np.random.default_rng(seed), touching)
            assert out.max() > 0.4 and (out > 0.2).sum() >= 60


def test_labels_are_digit_plus_one_and_zero_padded():
    y = encode_labels(["907", "1"])
    assert y[0, :4].tolist() == [10, 1, 8, 0] and y[1, :2].tolist() == [2, 0] and y.shape[1] == 12


TINY = dict(steps=6, batch_size=4, real_pool=20, validation_real=10, validation_synthetic=10, validate_every=3,
            warmup_steps=2, checkpoint_minutes=1000.0, workers=1, context=16, init_from_digit_model=False)


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    """Optimizer state, the schedule (the step counter) and the data stream (batch k from
    (seed, k)) all come back from the checkpoint."""
    from hwr_desktop.core.reading.sequence_training import CHECKPOINT, ReaderTrainingConfig, read_checkpoint, train
    config = ReaderTrainingConfig(**TINY)
    straight = train(config, tmp_path / "straight")
    calls = {"n": 0}

    def stop_after_three():
        calls["n"] += 1
        return calls["n"] > 3
    stopped = train(config, tmp_path / "resumed", should_stop=stop_after_three)
    assert stopped["step"] == 3 and not (tmp_path / "resumed" / "reader.keras").exists()
    meta, _ = read_checkpoint(tmp_path / "resumed" / CHECKPOINT)
    assert meta["step"] == 3
    resumed = train(config, tmp_path / "resumed")
    assert resumed["step"] == straight["step"] == 6
    _, a = read_checkpoint(tmp_path / "straight" / CHECKPOINT)
    _, b = read_checkpoint(tmp_path / "resumed" / CHECKPOINT)
    assert a.keys() == b.keys() and len(a) > 50
    assert max(float(np.abs(a[k].astype(np.float64) - b[k]).max()) for k in a) <= 1e-5
    assert [h["step"] for h in resumed["history"]] == [3, 6]
    assert (tmp_path / "resumed" / "reader.keras").exists()


def test_the_learning_rate_warms_up_then_decays_to_its_floor():
    from hwr_desktop.core.reading.sequence_training import ReaderTrainingConfig, learning_rate
    config = ReaderTrainingConfig(steps=100, warmup_steps=10, peak_learning_rate=1e-3, final_learning_rate_fraction=0.1)
    rates = [learning_rate(config, k) for k in range(100)]
    assert rates[0] == pytest.approx(1e-4) and rates[9] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(rates[9:], rates[10:])) and rates[-1] == pytest.approx(1e-4, rel=0.01)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", None])
def test_a_bad_checkpoint_is_refused_in_one_line(tmp_path, content):
    from hwr_desktop.core.reading.sequence_training import CheckpointError, read_checkpoint
    path = tmp_path / "checkpoint.npz"
    if content is None:
        np.savez(path, meta=np.array('{"format": "something else", "step": 1, "config": {}}'))
    else:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a reader checkpoint") as caught:
        read_checkpoint(path)
    assert "\n" not in str(caught.value)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        read_checkpoint(tmp_path / "missing.npz")


def test_a_second_stage_starts_from_the_first_stages_moving_average_weights(tmp_path):
    """--init-from: a new run (its own schedule and data) whose step 0 is the given checkpoint's
    EMA network; a checkpoint of another size is refused before anything is made."""
    from hwr_desktop.core.reading.sequence_training import (
        CHECKPOINT,
        CheckpointError,
        ReaderTrainingConfig,
        model_from_checkpoint,
        train,
    )
    first = tmp_path / "first" / CHECKPOINT
    train(ReaderTrainingConfig(**TINY), first.parent)
    source, _ = model_from_checkpoint(first)
    second = ReaderTrainingConfig(**{**TINY, "steps": 2, "peak_learning_rate": 1e-12, "variation": "wide",
                                     "init_from": str(first)})
    train(second, tmp_path / "second")
    started, meta = model_from_checkpoint(tmp_path / "second" / CHECKPOINT)
    assert meta["step"] == 2 and meta["config"]["init_from"] == str(first)
    # trainable weights only: batch-norm statistics follow the new data whatever the learning rate
    pairs = [(a.numpy(), b.numpy()) for a, b in zip(source.trainable_weights, started.trainable_weights)]
    assert len(pairs) > 10 and max(float(np.abs(a - b).max()) for a, b in pairs) < 1e-4
    scratch = ReaderTrainingConfig(**{**TINY, "steps": 2, "peak_learning_rate": 1e-12, "seed": 5})
    train(scratch, tmp_path / "scratch")
    other, _ = model_from_checkpoint(tmp_path / "scratch" / CHECKPOINT)
    assert max(float(np.abs(a.numpy() - b.numpy()).max())
               for a, b in zip(source.trainable_weights, other.trainable_weights)) > 1e-2
    wrong_size = ReaderTrainingConfig(**{**TINY, "context": 32, "init_from": str(first)})
    with pytest.raises(CheckpointError, match="another size"):
        train(wrong_size, tmp_path / "wrong")
    assert not (tmp_path / "wrong" / CHECKPOINT).exists()
