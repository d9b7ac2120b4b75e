"""`hwr-desktop export`: a model as ONNX, TensorFlow Lite or a SavedModel, checked before it is kept.

core/export/convert.py converts, loads the file back in its own runtime, runs the 10,000 MNIST test images
through both and compares; only a file that passes is moved into place, with a README (a runnable
snippet with the preprocessing) and a .check.json of the figures beside it. A failed check deletes
the file and exits 2 with one line.
"""
from __future__ import annotations

from hwr_desktop.cli.common import EXIT_OK, Progress, emit_json

EPILOG = ("The exported model takes float32 (N, 28, 28, 1) images in [0, 1], white ink on black, prepared "
          "like MNIST, and outputs 10 calibrated probabilities. The export tools are an optional extra: "
          "pip install -e '.[export]'.")


def register(sub) -> None:
    from hwr_desktop.core.export.convert import FORMATS
    export = sub.add_parser("export", help="export a model to ONNX, TFLite or SavedModel, verified on MNIST test",
                            description="Export a model for use elsewhere; every export is checked before it is kept.",
                            epilog=EPILOG)
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--out", required=True, help="file to write (.onnx, .tflite; a folder for savedmodel)")
    export.add_argument("--model", help="model file (default: the bundled model)")
    export.add_argument("--quantize", choices=["int8"], help="tflite only: 8-bit integers (about 4x smaller)")
    export.add_argument("--json", action="store_true", help="the check's figures as one JSON document")
    export.set_defaults(func=run_export)


def run_export(args) -> int:
    from hwr_desktop.core.export.convert import export_model
    from hwr_desktop.resources import default_model_path

    progress = Progress(quiet=args.json)

    def show(stage: str, done: int, total: int) -> None:
        progress.bar(stage, done, total, f"{done:,}/{total:,}")

    report = export_model(args.model or default_model_path(), args.format, args.out, args.quantize, show)
    progress.done()
    if args.json:
        emit_json(report.to_dict())
        return EXIT_OK
    print(f"exported {report.path} ({report.size_bytes:,} bytes, {report.format}"
          f"{', int8' if report.quantize else ''})")
    print(f"checked on {report.n:,} MNIST test images in its own runtime: answers agree on {report.agreement:.2%}, "
          f"largest probability difference {report.max_prob_diff:.2g}")
    print(f"accuracy {report.keras_accuracy:.2%} (Keras) -> {report.export_accuracy:.2%} (exported); "
          f"{report.ms_per_image:.2f} ms per image")
    print(f"how to use it: {report.readme_path}")
    return EXIT_OK
