"""The not-a-digit gate (core/models/not_digit.py): its file, its arithmetic, and what it says."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from hwr_desktop.core.data.non_digits import KINDS, make_non_digits
from hwr_desktop.core.data.preprocess import preprocess
from hwr_desktop.core.errors import ModelFileError
from hwr_desktop.core.models.not_digit import SHAPES, NotDigitGate, bundled_gate
from hwr_desktop.core.training.not_digit_training import _threshold, write_gate


def _random_weights(seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(0, 0.3, shape).astype(np.float32) for name, shape in SHAPES.items()}


def _brute_force_logit(w, image28):
    """The same network written as plain loops over pixels: no strides, no reshapes to get wrong."""
    x = image28.reshape(28, 28, 1).astype(np.float64)
    for layer in ("conv1", "conv2", "conv3"):
        k, b = w[f"{layer}_k"].astype(np.float64), w[f"{layer}_b"].astype(np.float64)
        h, wd, _ = x.shape
        padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
        y = np.zeros((h, wd, k.shape[3]))
        for i in range(h):
            for j in range(wd):
                y[i, j] = np.einsum("abc,abcf->f", padded[i:i + 3, j:j + 3], k) + b
        y = np.maximum(y, 0)
        x = np.array([[y[2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(0, 1)) for j in range(wd // 2)]
                      for i in range(h // 2)])
    hidden = np.maximum(x.reshape(-1) @ w["dense1_k"] + w["dense1_b"], 0)
    return float(hidden @ w["dense2_k"][:, 0] + w["dense2_b"][0])


def test_the_numpy_gate_computes_what_the_network_says(mnist):
    w = _random_weights()
    gate = NotDigitGate(w)
    images = mnist.x_val[:3].astype(np.float32) / 255.0
    expected = [_brute_force_logit(w, im) for im in images]
    np.testing.assert_allclose(gate.logits(images), expected, rtol=1e-4, atol=1e-4)
    gate.temperature = 2.0
    np.testing.assert_allclose(gate.probability(images), 1 / (1 + np.exp(-np.array(expected) / 2)), atol=1e-5)


def test_a_gate_file_round_trips_and_bad_files_are_refused(tmp_path):
    path = write_gate(tmp_path / "gate.npz", _random_weights(), {"temperature": 1.5, "threshold": 0.7})
    gate = NotDigitGate.from_file(path)
    assert gate.temperature == 1.5 and gate.threshold == 0.7 and gate.refuses(0.7) and not gate.refuses(0.69)
    (tmp_path / "text.npz").write_text("not a zip")
    wrong = _random_weights()
    wrong["conv1_k"] = wrong["conv1_k"][..., :8]
    write_gate(tmp_path / "shape.npz", wrong, {})
    write_gate(tmp_path / "range.npz", _random_weights(), {"threshold": 1.5})
    with open(tmp_path / "pickled.npz", "wb") as handle:        # an object array would need pickle: never loaded
        np.savez(handle, meta=np.array("{}"), **{**_random_weights(), "conv1_b": np.array([object()] * 16)})
    for name, says in [("missing.npz", "no such file"), ("text.npz", "not a not-a-digit gate file"),
                       ("shape.npz", "not a not-a-digit gate file"), ("range.npz", "out of range"),
                       ("pickled.npz", "cannot read")]:
        with pytest.raises(ModelFileError, match=says):
            NotDigitGate.from_file(tmp_path / name)


def test_the_threshold_refuses_at_most_the_allowed_share_and_never_goes_below_one_half():
    probs = np.array([0.01] * 990 + [0.2, 0.3, 0.4, 0.45, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95])
    t = _threshold(probs, 0.003)                 # 3 of 1,000 may be refused: 0.95, 0.9, 0.8
    assert (probs >= t).sum() == 3 and 0.7 < t <= 0.8
    assert _threshold(np.full(100, 0.01), 0.01) == 0.5


@pytest.fixture(scope="module")
def gate():
    g = bundled_gate()
    assert g is not None, "resources/models/not_digit.npz is missing"
    return g


def test_the_bundled_gate_passes_validation_digits_and_refuses_unseen_non_digits(gate, mnist):
    digits = mnist.x_val[:2000].astype(np.float32) / 255.0
    assert np.mean(gate.probability(digits) >= gate.threshold) <= 0.003
    others, kinds = make_non_digits(450, seed=77, style="bench", digits=mnist.x_val)
    refused = gate.probability(others) >= gate.threshold
    kinds = np.array(kinds)
    assert refused.mean() >= 0.9, {k: refused[kinds == k].mean() for k in KINDS}


def test_the_gate_file_says_how_it_was_made(gate):
    meta = gate.info
    assert meta["command"].startswith("hwr-desktop train-gate") and meta["seconds"] > 0 and meta["cpu"]
    assert meta["validation"]["digits_refused"] <= 0.001 + 1e-9 and meta["validation"]["keras_numpy_max_logit_gap"] < 1e-3


def _page_with(draw) -> np.ndarray:
    from PIL import ImageDraw
    page = Image.new("L", (200, 200), 255)
    draw(ImageDraw.Draw(page))
    return np.asarray(page)


DOT = _page_with(lambda d: d.ellipse((95, 95, 105, 105), fill=0))
DASH = _page_with(lambda d: d.line((40, 100, 160, 104), fill=0, width=12))


def test_a_prediction_of_a_non_digit_has_no_digit_and_says_how_sure(good_model_file, mnist):
    from hwr_desktop.core.models.inference import Predictor
    predictor = Predictor.from_file(good_model_file)
    for image in (DOT, DASH):
        result = predictor.predict_image(image)
        assert result.digit is None and result.refused and result.confidence == result.not_digit >= 0.5
        assert result.to_dict()["digit"] is None and result.to_dict()["not_digit"] == pytest.approx(result.not_digit, abs=1e-6)
    digit = predictor.predict_prepared(preprocess(mnist.x_val[0]))
    assert digit.digit == mnist.y_val[0] and not digit.refused and digit.not_digit < 0.5
    # eleven outcomes: the digit keeps (1 - g) of its probability
    assert digit.confidence == pytest.approx(digit.probabilities[digit.digit] * (1 - digit.not_digit))
    predictor.use_gate = False
    assert predictor.predict_image(DOT).digit is not None        # without the gate a dot is some digit


def test_predict_json_gives_null_and_the_not_digit_probability(tmp_path, mnist):
    Image.fromarray(DOT).save(tmp_path / "dot.png")
    Image.fromarray(255 - mnist.x_val[0]).resize((140, 140)).save(tmp_path / "digit.png")
    out = subprocess.run([sys.executable, "-m", "hwr_desktop", "predict", "--json", str(tmp_path / "dot.png"),
                          str(tmp_path / "digit.png")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    dot, digit = json.loads(out.stdout)
    assert dot["digit"] is None and dot["not_digit"] >= 0.5
    assert digit["digit"] == int(mnist.y_val[0]) and digit["not_digit"] < 0.5
    text = subprocess.run([sys.executable, "-m", "hwr_desktop", "predict", str(tmp_path / "dot.png")],
                          capture_output=True, text=True, timeout=120)
    assert "dot.png: not a digit (" in text.stdout


def test_samples_add_refuses_a_number_and_adds_the_digit_beside_it(tmp_path, mnist, monkeypatch):
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", str(tmp_path / "data"))     # a store of its own: only what this test adds
    threes = np.flatnonzero(mnist.y_val == 3)
    number = np.concatenate([np.pad(mnist.x_val[i], ((4, 4), (6, 6))) for i in np.flatnonzero(mnist.y_val != 3)[:4]], axis=1)
    Image.fromarray(255 - number).resize((number.shape[1] * 4, number.shape[0] * 4)).save(tmp_path / "number_4072.png")
    Image.fromarray(255 - mnist.x_val[threes[0]]).resize((140, 140)).save(tmp_path / "three.png")
    run = lambda *a: subprocess.run([sys.executable, "-m", "hwr_desktop", "samples", *a],   # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    out = run("add", "--label", "3", str(tmp_path / "number_4072.png"), str(tmp_path / "three.png"))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "number_4072.png" in lines[0] and "not one digit" in lines[0]
    assert "three.png" in out.stdout and "added sample" in out.stdout
    listed = json.loads(run("list", "--json").stdout)
    assert [s["label"] for s in listed] == [3]


def test_the_reader_marks_a_star_between_two_digits_and_says_why(good_model_file, mnist):
    from PIL import ImageDraw

    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.reading.number_reader import bundled_reader, read_number
    star = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(star).line([(14 + 10 * np.sin(a), 14 - 10 * np.cos(a)) for a in np.linspace(0, 4 * np.pi, 6)],
                              fill=255, width=2)
    pad = ((6, 6), (8, 8))
    row = np.concatenate([np.pad(mnist.x_val[0], pad), np.pad(np.asarray(star), pad), np.pad(mnist.x_val[1], pad)], axis=1)
    result = read_number(Predictor.from_file(good_model_file), 255 - np.kron(row, np.ones((4, 4), np.uint8)),
                         bundled_reader())
    first, middle, last = result.digits                 # the star is marked, not dropped
    assert (first.digit, last.digit) == (mnist.y_val[0], mnist.y_val[1]) and middle.digit is None
    assert middle.why.startswith("not a digit") and middle.not_digit >= 0.99 and first.not_digit < 0.5


def test_thinning_leaves_the_centre_line_of_a_thick_stroke():
    from hwr_desktop.core.data.non_digits import thin
    bar = np.zeros((1, 12, 20), bool)
    bar[0, 4:9, 3:17] = True                              # a bar 5 px thick: its centre line is row 6
    line = thin(bar)[0]
    assert line[6, 5:14].all() and line.sum() == line[6].sum() <= 14     # ends shortened, never thickened
    ring = np.zeros((1, 20, 20), bool)
    yy, xx = np.mgrid[:20, :20]
    ring[0] = (np.hypot(yy - 9.5, xx - 9.5) <= 8) & (np.hypot(yy - 9.5, xx - 9.5) >= 5)
    skeleton = thin(ring)[0]                              # a ring stays a thin ring all round
    ys, xs = np.nonzero(skeleton)
    radius, angle = np.hypot(ys - 9.5, xs - 9.5), np.arctan2(ys - 9.5, xs - 9.5)
    assert ((radius >= 5) & (radius <= 8)).all() and len(ys) < 0.5 * ring.sum()
    assert len(np.unique(np.floor((angle + np.pi) / (2 * np.pi) * 24))) == 24


def test_train_gate_refuses_bad_options_in_one_line_before_any_work(tmp_path):
    for args, says in [(["--out", str(tmp_path / "gate.keras")], "must name a .npz file"),
                       (["--out", str(tmp_path / "gate.npz"), "--epochs", "0"], "must be above 0"),
                       (["--out", str(tmp_path / "gate.npz"), "--max-refused", "0.7"], "--max-refused")]:
        out = subprocess.run([sys.executable, "-m", "hwr_desktop", "train-gate", *args], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 2 and says in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not list(tmp_path.iterdir())
