"""Reading digits in photos and scans with the bundled model: core/reading/digit_reader.py and `hwr-desktop read`."""
import json
import re
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hwr_desktop.cli import main
from hwr_desktop.core.data.preprocess import preprocess
from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.reading.digit_reader import ReadResult, check_min_confidence, read_image
from hwr_desktop.resources import default_model_path

# No skip when the bundled model is missing: it ships in every checkout, and a skip would hide its loss.

SINGLE_TARGET, STRING_TARGET = 0.98, 0.90   # acceptance figures of the issue


@pytest.fixture(scope="module")
def predictor():
    from hwr_desktop.core.models.inference import Predictor
    return Predictor.from_file(default_model_path())


def mnist_line(mnist, indices, scale=6, gap=40):
    """MNIST test digits side by side, dark ink on white, and each digit's ink box."""
    pieces, boxes, x = [], [], gap
    for i in indices:
        big = np.kron(mnist.x_test[i], np.ones((scale, scale), np.uint8))
        cols = np.flatnonzero(big.max(axis=0) > 0)
        rows = np.flatnonzero(big.max(axis=1) > 0)
        big = big[:, cols[0]:cols[-1] + 1]
        boxes.append((x, gap + rows[0], x + big.shape[1], gap + rows[-1] + 1))
        pieces += [big, np.zeros((big.shape[0], gap), np.uint8)]
        x += big.shape[1] + gap
    line = np.pad(np.concatenate(pieces, axis=1), ((gap, gap), (gap, 0)))
    return 255 - line, boxes


def test_reads_a_number_left_to_right_with_boxes_in_image_pixels(predictor, mnist):
    indices = [3, 2, 1, 18, 4]                 # test digits 0, 1, 2, 3, 4
    image, boxes = mnist_line(mnist, indices)
    result = read_image(predictor, image)
    assert result.text == "".join(str(mnist.y_test[i]) for i in indices)
    for read, (x0, y0, x1, y1) in zip(result.digits, boxes):
        assert np.allclose(read.box, (x0, y0, x1, y1), atol=8), (read.box, (x0, y0, x1, y1))
        assert read.confidence >= 0.5 and read.probabilities.shape == (10,)
    doc = result.to_dict()
    assert doc["text"] == result.text and set(doc["digits"][0]) == {"digit", "confidence", "box", "alternatives", "why"}


def test_number_confidence_is_the_product_of_the_digits_when_not_given(predictor, mnist):
    image = mnist_line(mnist, [0, 1, 2])[0]
    read = read_image(predictor, image, min_confidence=0.0)
    by_product = ReadResult(read.digits)                    # number_confidence None: the product
    confidences = [d.confidence for d in read.digits]
    assert by_product.confidence == pytest.approx(float(np.prod(confidences)))
    assert 0.0 <= by_product.confidence <= min(confidences)
    assert ReadResult(read.digits, number_confidence=0.25).confidence == 0.25
    assert ReadResult([]).confidence == 0.0


def test_all_crops_go_to_the_model_in_one_call(predictor, mnist):
    calls = []
    original = predictor.probabilities
    predictor.probabilities = lambda images: calls.append(len(images)) or original(images)
    try:
        read_image(predictor, mnist_line(mnist, [0, 1, 2, 3, 4, 5, 6, 7])[0])
    finally:
        del predictor.probabilities
    assert len(calls) == 1 and calls[0] >= 8


def test_a_clean_digit_is_prepared_like_the_canvas(predictor, mnist):
    """Both go through preprocess(); the reader's crop only lacks faint specks around the digit."""
    from hwr_desktop.core.segmentation.marks import segment
    image = 255 - np.pad(np.kron(mnist.x_test[7], np.ones((9, 9), np.uint8)), 30)
    (crop,) = segment(image)
    from_reader, from_canvas = preprocess(crop.crop), preprocess(image)
    assert np.abs(from_reader.image - from_canvas.image).mean() < 0.01
    assert read_image(predictor, image).text == str(predictor.predict_image(image).digit)


def shape_image(draw_shape):
    image = Image.new("L", (240, 200), 255)
    draw_shape(ImageDraw.Draw(image))
    return np.asarray(image)


@pytest.mark.parametrize("name, draw_shape", [
    ("filled disc", lambda d: d.ellipse([60, 40, 180, 160], fill=0)),
    ("filled square", lambda d: d.rectangle([60, 40, 180, 160], fill=0)),
    ("dash", lambda d: d.rectangle([30, 90, 210, 110], fill=0)),
])
def test_blobs_and_dashes_are_not_digits(predictor, name, draw_shape):
    result = read_image(predictor, shape_image(draw_shape))
    assert len(result.digits) == 1, name
    assert result.digits[0].digit is None and result.text == "?", name


def test_noise_and_blank_paper_have_no_digits(predictor):
    rng = np.random.default_rng(0)
    for image in (rng.integers(0, 256, (200, 300), dtype=np.uint8),
                  np.clip(rng.normal(128, 30, (200, 300, 3)), 0, 255).astype(np.uint8),
                  np.full((100, 100), 230, np.uint8)):
        assert all(d.digit is None for d in read_image(predictor, image).digits)


def test_the_confidence_threshold_rejects_and_accepts(predictor, mnist):
    image = mnist_line(mnist, [0, 1, 2])[0]
    assert read_image(predictor, image, min_confidence=1.0).text == "???"
    lenient = read_image(predictor, image, min_confidence=0.0)
    assert "?" not in lenient.text and len(lenient.text) == 3
    with pytest.raises(HwrError, match="between 0 and 1"):
        check_min_confidence(1.5)


# --- the `read` command ---------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def png_header_only(width, height):
    """A PNG that claims a size but holds no pixel data: refusing it must not need decoding."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)   # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def png_bomb(side=8000):
    """A real, valid 64-megapixel all-black PNG that compresses to a few dozen kilobytes."""
    compressor, row = zlib.compressobj(9), b"\x00" * (side + 1)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    head = png_header_only(side, side)
    idat = struct.pack(">I", len(data)) + b"IDAT" + data + struct.pack(">I", zlib.crc32(b"IDAT" + data))
    return head[:-12] + idat + head[-12:]   # IDAT goes before the 12-byte IEND chunk


@pytest.fixture(scope="module")
def files(tmp_path_factory, mnist):
    folder = tmp_path_factory.mktemp("read")
    number = folder / "number.png"
    Image.fromarray(mnist_line(mnist, [3, 2, 1])[0]).save(number)
    photo = folder / "photo.jpg"
    from hwr_desktop.devtools.synthetic import digit_string
    photo.write_bytes(digit_string(mnist.x_test[[4, 5, 6]], mnist.y_test[[4, 5, 6]], np.random.default_rng(5)).data)
    truncated = folder / "truncated.png"
    truncated.write_bytes(number.read_bytes()[: number.stat().st_size // 2])
    (folder / "empty.png").write_bytes(b"")
    (folder / "claims-huge.png").write_bytes(png_header_only(100_000, 100_000))
    (folder / "bomb.png").write_bytes(png_bomb())
    (folder / "a-folder.png").mkdir()
    return folder


def test_read_json_reports_every_file_in_order_and_exits_2_on_bad_ones(capsys, files, mnist):
    names = ["number.png", "missing.png", "a-folder.png", "empty.png", "truncated.png", "claims-huge.png",
             "bomb.png", "photo.jpg"]
    code, out, err = run(capsys, "read", *[str(files / n) for n in names], "--json")
    assert code == 2
    doc = json.loads(out)   # exactly one JSON document
    assert [r["file"] for r in doc] == [str(files / n) for n in names]
    number, missing, folder, empty, truncated, huge, bomb, photo = doc
    assert number["text"] == "012" and [d["digit"] for d in number["digits"]] == [0, 1, 2]
    assert all(len(d["box"]) == 4 and 0 <= d["confidence"] <= 1 for d in number["digits"])
    assert photo["text"] == "".join(str(d) for d in mnist.y_test[[4, 5, 6]])
    assert "no such file" in missing["error"]
    assert "folder" in folder["error"]
    assert "empty" in empty["error"]
    assert "truncated" in truncated["error"]
    assert "decompression bomb" in huge["error"] or "too large" in huge["error"]
    assert "too large" in bomb["error"] or "decompression bomb" in bomb["error"]
    for r in (missing, folder, empty, truncated, huge, bomb):
        assert set(r) == {"file", "error"} and "\n" not in r["error"]


def check_alternatives(digit: dict) -> None:
    """A digit's alternatives: at most 3, best first, the best being its digit when it was read."""
    alternatives = digit["alternatives"]
    assert 1 <= len(alternatives) <= 3 and all(set(a) == {"digit", "confidence"} for a in alternatives)
    confidences = [a["confidence"] for a in alternatives]
    assert confidences == sorted(confidences, reverse=True) and all(0 <= c <= 1 for c in confidences)
    assert len({a["digit"] for a in alternatives}) == len(alternatives)
    assert alternatives[0]["confidence"] == digit["confidence"]
    if digit["digit"] is not None:
        assert alternatives[0]["digit"] == digit["digit"]


@pytest.mark.parametrize("threshold, text", [("0.4", "012"), ("1.0", "???")])
def test_read_json_gives_alternatives_and_the_number_confidence(capsys, files, threshold, text):
    code, out, _ = run(capsys, "read", str(files / "number.png"), "--json", "--min-confidence", threshold)
    assert code == 0
    (image,) = json.loads(out)
    assert set(image) == {"file", "text", "confidence", "digits", "readings"} and image["text"] == text
    for digit in image["digits"]:
        assert set(digit) == {"digit", "confidence", "box", "alternatives", "why", "not_digit"}
        assert 0 <= digit["not_digit"] < 0.5          # MNIST digits standing apart: the gate lets them through
        assert (digit["why"] is None) == (digit["digit"] is not None)
        check_alternatives(digit)
    confidences = [d["confidence"] for d in image["digits"]]
    # The number's probability is its best reading's; no digit of it is less likely than the whole.
    assert image["readings"][0]["text"] == "012" and image["confidence"] == image["readings"][0]["probability"]
    assert 0 <= image["confidence"] <= min(confidences) + 1e-6


def test_read_plain_text(capsys, files):
    code, out, err = run(capsys, "read", str(files / "number.png"), str(files / "empty.png"))
    assert code == 2
    assert re.fullmatch(rf"{re.escape(str(files / 'number.png'))}: 012  \(number \d+% sure; 0 \d+%, 1 \d+%, 2 \d+%\)\n",
                        out), out
    assert err.strip().splitlines() == [f"hwr-desktop: error: {files / 'empty.png'}: the file is empty"]


def test_read_plain_text_shows_why_a_mark_was_rejected(capsys, files):
    code, out, _ = run(capsys, "read", str(files / "number.png"), "--min-confidence", "1.0")
    assert code == 0 and out.count("\n") == 1
    # Every '?' shows its best guess with a question mark (the digit read at 0.4), its confidence,
    # why it was not read, and the next likeliest digit: never "? 99%", which reads as sure of a '?'.
    marks = re.findall(r"(\d)\? (\d+)% \(less sure than the minimum confidence 100%; else (\d) (\d+)%\)", out)
    assert [m[0] for m in marks] == ["0", "1", "2"], out
    assert all(int(m[1]) >= int(m[3]) for m in marks), out
    assert re.search(r": \?\?\?  \(number \d+% sure; ", out) and "; ? " not in out, out


@pytest.mark.parametrize("value", ["1.5", "-0.1", "lots"])
def test_read_rejects_a_bad_threshold_in_one_line(capsys, files, value):
    with pytest.raises(SystemExit) as exit_info:   # argparse usage errors exit directly
        main(["read", "--min-confidence", value, str(files / "number.png")])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--min-confidence" in err


def test_accuracy_on_synthetic_photos_and_scans(predictor):
    """The issue's acceptance, on a moderate sample: `python -m hwr_desktop.devtools.reading_bench` measures more."""
    from hwr_desktop.core.reading.digit_reader import DEFAULT_MIN_CONFIDENCE
    from hwr_desktop.devtools.reading_bench import SINGLE_GROUPS, STRING_GROUPS, run_set
    from hwr_desktop.devtools.synthetic import make_singles, make_strings
    singles = run_set(predictor, make_singles(200, seed=0), SINGLE_GROUPS, DEFAULT_MIN_CONFIDENCE)
    strings = run_set(predictor, make_strings(100, seed=1), STRING_GROUPS, DEFAULT_MIN_CONFIDENCE)
    print(f"single digits {singles['accuracy']:.1%}, strings {strings['accuracy']:.1%}")
    assert singles["accuracy"] >= SINGLE_TARGET, singles["examples"]
    assert strings["accuracy"] >= STRING_TARGET, strings["examples"]
