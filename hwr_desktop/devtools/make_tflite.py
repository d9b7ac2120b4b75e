"""Make the bundled models' LiteRT twins: `python -m hwr_desktop.devtools.make_tflite`.

For each bundled digit model (resources/models/default.keras, ensemble.keras) this runs the checked
TFLite export (core/export/convert.py: float32, calibration temperature and softmax inside, compared
with Keras on the 10,000 MNIST test images; nothing is written unless the check passes) and writes
NAME.tflite beside NAME.keras with NAME.tflite.json: the check's figures and the SHA-256 of the .keras
it came from. The sequence reader (number_reader.keras: a strip 32 px high and as wide as the number ->
frame logits) is converted with a width left open and checked the same way on strips made through the
real reading path from MNIST *validation* digits: the same likeliest string on every strip and frame
probabilities within 1e-5. The app and the CLI use a twin only while that SHA-256 matches
(core/models/litert_model.py), and tests/test_litert_backend.py fails when a .keras changed without
its twin being remade. Run it after changing a bundled model, and commit the files.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from hwr_desktop.core import files
from hwr_desktop.core.export.litert_cache import MAX_PROB_DIFF
from hwr_desktop.core.models.litert_model import sha256_of, twin_paths
from hwr_desktop.resources import default_model_path, ensemble_model_path, number_reader_path

READER_STRIPS = 500    # validation strips the reader's twin is checked on


def make_twin(keras_path: Path) -> dict:
    """A digit model's twin, checked as the app checks the twins it makes of the user's models."""
    from hwr_desktop.core.export.convert import export_model
    from hwr_desktop.core.export.litert_cache import twin_accepted, twin_record
    tflite, record = twin_paths(keras_path)
    with tempfile.TemporaryDirectory() as folder:
        report = export_model(keras_path, "tflite", Path(folder) / tflite.name)
        why = twin_accepted(report)
        if why:
            raise SystemExit(f"{keras_path.name}: {why}; nothing written")
        sidecar = twin_record(report, keras_path, sha256_of(keras_path))
        with files.replacing(tflite) as tmp:
            tmp.write_bytes(report.path.read_bytes())
        files.write_text(record, json.dumps(sidecar, indent=2) + "\n")
    return sidecar


def check_reader_twin(model, tflite: Path, n: int) -> dict:
    """The reader's twin against Keras on `n` validation strips: the likeliest string (prefix beam
    search, as reading does) and every frame's probabilities."""
    from hwr_desktop.core.models.litert_model import LiteRTModel
    from hwr_desktop.core.reading.ctc import beam_search
    from hwr_desktop.core.reading.number_reader import BEAM_WIDTH
    from hwr_desktop.core.reading.sequence_network import log_softmax
    from hwr_desktop.core.reading.strips import real_strips
    strips = real_strips("validation", n, seed=0, workers=1)
    lite = LiteRTModel(tflite)
    same, prob_diff, logit_diff = 0, 0.0, 0.0
    for i in range(len(strips.texts)):
        x = strips.strip(i)[None, :, :, None]
        keras_logits = np.asarray(model(x, training=False), np.float64)[0]
        lite_logits = np.asarray(lite(x), np.float64)[0]
        logit_diff = max(logit_diff, float(np.abs(keras_logits - lite_logits).max()))
        a, b = log_softmax(keras_logits), log_softmax(lite_logits)
        prob_diff = max(prob_diff, float(np.abs(np.exp(a) - np.exp(b)).max()))
        same += beam_search(a, BEAM_WIDTH)[0].digits == beam_search(b, BEAM_WIDTH)[0].digits
    count = len(strips.texts)
    return {"format": "tflite", "n": count, "checked_on": "strips of MNIST validation digits (real reading path)",
            "agreement": same / count, "max_prob_diff": prob_diff, "max_logit_diff": logit_diff,
            "check_rule": "the same likeliest string on every strip; frame probabilities within 1e-5"}


def make_reader_twin(keras_path: Path, n: int = READER_STRIPS) -> dict:
    from hwr_desktop.core.export.check import quiet
    from hwr_desktop.core.models.info import versions
    from hwr_desktop.core.reading.number_reader import SequenceReader
    tflite, record = twin_paths(keras_path)
    model = SequenceReader.from_file(keras_path, backend="keras").model
    with tempfile.TemporaryDirectory() as folder:
        converted = Path(folder) / tflite.name
        with quiet():
            model.export(str(converted), format="litert", verbose=False)   # batch and width left open
        sidecar = check_reader_twin(model, converted, n)
        if sidecar["agreement"] < 1.0 or sidecar["max_prob_diff"] > MAX_PROB_DIFF:
            raise SystemExit(f"{keras_path.name}: LiteRT twin differs from Keras (same string on "
                             f"{sidecar['agreement']:.2%} of strips, largest probability difference "
                             f"{sidecar['max_prob_diff']:.1e}); nothing written")
        sidecar.update(size_bytes=converted.stat().st_size, file=tflite.name, source=keras_path.name,
                       created_at=datetime.now(UTC).isoformat(timespec="seconds"), versions=versions(),
                       source_sha256=sha256_of(keras_path))
        with files.replacing(tflite) as tmp:
            tmp.write_bytes(converted.read_bytes())
        files.write_text(record, json.dumps(sidecar, indent=2) + "\n")
    return sidecar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader-only", action="store_true", help="only the sequence reader's twin")
    args = parser.parse_args(argv)
    for path in () if args.reader_only else (default_model_path(), ensemble_model_path()):
        sidecar = make_twin(path)
        print(f"{path.name} -> {path.with_suffix('.tflite').name}: agreement {sidecar['agreement']:.2%} on "
              f"{sidecar['n']:,} MNIST test images, largest probability difference {sidecar['max_prob_diff']:.1e}")
    path = number_reader_path()
    sidecar = make_reader_twin(path)
    print(f"{path.name} -> {path.with_suffix('.tflite').name}: the same likeliest string on {sidecar['agreement']:.2%} "
          f"of {sidecar['n']:,} validation strips, largest frame probability difference {sidecar['max_prob_diff']:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
