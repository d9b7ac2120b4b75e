"""Make the bundled digit models' LiteRT twins: `python -m hwr_desktop.devtools.make_tflite`.

For each bundled digit model (resources/models/default.keras, ensemble.keras) this runs the checked
TFLite export (core/export/convert.py: float32, calibration temperature and softmax inside, compared
with Keras on the 10,000 MNIST test images; nothing is written unless the check passes) and writes
NAME.tflite beside NAME.keras with NAME.tflite.json: the check's figures and the SHA-256 of the .keras
it came from. The app and the CLI use a twin only while that SHA-256 matches (core/models/litert_model.py),
and tests/test_litert_backend.py fails when a .keras changed without its twin being remade.
Run it after changing a bundled model, and commit the three files.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from hwr_desktop.core import files
from hwr_desktop.core.models.litert_model import sha256_of, twin_paths
from hwr_desktop.resources import default_model_path, ensemble_model_path

MAX_PROB_DIFF = 1e-5   # the twin's calibrated probabilities must equal Keras' within this


def make_twin(keras_path: Path) -> dict:
    from hwr_desktop.core.export.convert import export_model
    tflite, record = twin_paths(keras_path)
    with tempfile.TemporaryDirectory() as folder:
        report = export_model(keras_path, "tflite", Path(folder) / tflite.name)
        if report.agreement < 1.0 or report.max_prob_diff > MAX_PROB_DIFF:
            raise SystemExit(f"{keras_path.name}: LiteRT twin differs from Keras (agreement {report.agreement:.4%}, "
                             f"largest probability difference {report.max_prob_diff:.1e}); nothing written")
        sidecar = json.loads(report.check_path.read_text())
        sidecar.update(source=keras_path.name, source_sha256=sha256_of(keras_path))
        with files.replacing(tflite) as tmp:
            tmp.write_bytes(report.path.read_bytes())
        files.write_text(record, json.dumps(sidecar, indent=2) + "\n")
    return sidecar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    for path in (default_model_path(), ensemble_model_path()):
        sidecar = make_twin(path)
        print(f"{path.name} -> {path.with_suffix('.tflite').name}: agreement {sidecar['agreement']:.2%} on "
              f"{sidecar['n']:,} MNIST test images, largest probability difference {sidecar['max_prob_diff']:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
