"""`hwr-desktop calibrate`: fit a model file's temperature on the validation split and store it.

For files made before calibration existed (or by other tools): the weights are not touched, so
predictions and accuracy stay the same; only the confidences change. The temperature is fitted on
the 5,000 validation images; the MNIST test set is then read once to *report* the calibration
error before and after (and to record it in the file's metrics), never to choose anything.
"""
from __future__ import annotations

from pathlib import Path

from hwr_desktop.cli.common import (
    EXIT_OK,
    Progress,
    checked_out_path,
    emit_json,
    image_progress,
    refuse_installed_resource,
)


def register(sub) -> None:
    calibrate = sub.add_parser("calibrate", help="fit a model's confidence calibration (on validation) and save it")
    calibrate.add_argument("--model", help="model file (default: the bundled model)")
    calibrate.add_argument("--out", help="model file to write (default: the --model file, replaced atomically; "
                                         "required for the bundled models, which are never rewritten)")
    calibrate.add_argument("--json", action="store_true")
    calibrate.set_defaults(func=run_calibrate)


def run_calibrate(args) -> int:
    from hwr_desktop.core.errors import HwrError
    from hwr_desktop.resources import default_model_path

    source = Path(args.model) if args.model else default_model_path()
    if not source.is_file():
        raise HwrError(f"{source}: no such model file")
    out = checked_out_path(args.out) if args.out else source
    refuse_installed_resource(out, "--out")
    if out.suffix != ".keras":
        raise HwrError(f"{out.name}: model files must end in .keras (give --out)")

    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.models.calibration import calibrate
    from hwr_desktop.core.models.evaluation import predict_logits, report_from_logits
    from hwr_desktop.core.models.modelfile import load_model, save_model

    model, info = load_model(source)
    data = load_mnist()
    progress = Progress(quiet=args.json)   # an ensemble reads 15,000 images several times over
    val_outputs = predict_logits(model, data.x_val, progress=image_progress(progress, "validation"))
    calibrated = calibrate(model, info, data, val_outputs=val_outputs)
    # "Before" is the file as it was, at its own temperature (1 when it had none): the fit is
    # deterministic, so an already calibrated file must read "unchanged", not "ECE 5 % -> 0.3 %".
    old_t, new_t = info.temperature, calibrated.temperature
    val_before = report_from_logits(val_outputs, data.y_val, info.outputs_probabilities, old_t)
    val_after = report_from_logits(val_outputs, data.y_val, info.outputs_probabilities, new_t)
    # Reporting only: the test set is read after the temperature is fixed.
    test_outputs = predict_logits(model, data.x_test, progress=image_progress(progress, "MNIST test"))
    progress.done()
    before = report_from_logits(test_outputs, data.y_test, info.outputs_probabilities, old_t)
    after = report_from_logits(test_outputs, data.y_test, info.outputs_probabilities, new_t)
    if (after.predictions != before.predictions).any():   # cannot happen for T > 0; a guard, not a hope
        raise HwrError(f"{source.name}: calibration changed predictions; file left unchanged")
    calibrated.metrics.test_accuracy = after.accuracy
    calibrated.metrics.test_loss = round(after.loss, 6)
    calibrated.metrics.test_ece = round(after.ece, 6)
    save_model(model, out, calibrated)

    calibration = calibrated.calibration
    unchanged = round(new_t, 6) == round(old_t, 6)
    summary = {"model": str(source), "out": str(out), "temperature": new_t, "previous_temperature": old_t,
               "unchanged": unchanged, "fitted_on": calibration.fitted_on, **calibration.extra,
               # at the file's previous temperature (the fit's own record from T = 1 stays in the file)
               "val_ece_before": round(val_before.ece, 6), "val_ece_after": round(val_after.ece, 6),
               "test_accuracy": after.accuracy, "test_ece_before": round(before.ece, 6),
               "test_ece_after": round(after.ece, 6), "test_loss_before": round(before.loss, 6),
               "test_loss_after": round(after.loss, 6)}
    if args.json:
        emit_json(summary)
        return EXIT_OK
    if "skipped" in calibration.extra:
        print(f"{source.name}: not calibrated: {calibration.extra['skipped']}")
    elif unchanged:
        print(f"{source.name}: temperature {new_t:.4g}, unchanged: the file was already calibrated on "
              f"{calibration.fitted_on}")
        print(f"  calibration error (ECE, 15 bins): validation {val_after.ece:.2%}; test {after.ece:.2%} "
              f"(reported only)")
    else:
        print(f"{source.name}: temperature {new_t:.4g} (was {old_t:.4g}), fitted on {calibration.fitted_on}")
        print(f"  calibration error (ECE, 15 bins): validation {val_before.ece:.2%} -> {val_after.ece:.2%}; "
              f"test {before.ece:.2%} -> {after.ece:.2%} (reported only)")
    print(f"  test accuracy {after.accuracy:.4%} (unchanged), test loss {before.loss:.4f} -> {after.loss:.4f}")
    print(f"saved {out}")
    return EXIT_OK
