"""Ensembles: several trained models combined into one model file.

Independently trained networks make partly different mistakes, so the average of their logits is
right more often than any one of them. The ensemble is an ordinary Keras functional model
(image -> each member -> Average), so it saves, loads in safe mode, evaluates and predicts like any
single model; it costs one member's time per member. With test-time augmentation (`tta`), every
member also reads the image shifted by one pixel up, down, left and right, and all those logits are
averaged too: five times the work for a model that no longer hinges on exact centring (members
that deskew, and so centre, their input read it once).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.models.info import MemberInfo, Metrics, ModelInfo, new_info

SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))   # (down, right) in pixels, for test-time augmentation


def _shifted(image, down: int, right: int):
    """The image moved by whole pixels, zeros shifted in: plain layers, so safe mode loads it."""
    from keras import layers
    pad = ((max(down, 0), max(-down, 0)), (max(right, 0), max(-right, 0)))
    crop = ((pad[0][1], pad[0][0]), (pad[1][1], pad[1][0]))
    name = f"shift_{down}_{right}".replace("-", "m")
    return layers.Cropping2D(crop, name=f"{name}_crop")(layers.ZeroPadding2D(pad, name=f"{name}_pad")(image))


def build_ensemble(members: list, tta: bool = False):
    """One model whose output is the mean of the members' logits (each member's averaged over its
    shifted views first, with tta, so every member weighs the same)."""
    import keras

    from hwr_desktop.core.network.deskew import deskew_layer
    if len(members) < 2:
        raise HwrError("an ensemble needs at least two models")
    image = keras.Input((28, 28, 1), name="image")
    shifted = [_shifted(image, *shift) for shift in SHIFTS] if tta else []
    outputs = []
    for i, member in enumerate(members):
        member.name = f"member_{i + 1}"   # loaded models share names; a functional model needs them unique
        # A member that deskews its input also centres it, so shifted copies would give it the same
        # image five times: it reads the image once (a third fewer member calls for our 3 + 3 ensemble).
        views = [image] + ([] if deskew_layer(member) is not None else shifted)
        logits = [member(view) for view in views]
        outputs.append(logits[0] if len(logits) == 1 else keras.layers.Average(name=f"{member.name}_views")(logits))
    return keras.Model(image, keras.layers.Average(name="mean_logits")(outputs), name="ensemble")


def make_ensemble(paths: list[str | Path], out: str | Path, tta: bool = False) -> ModelInfo:
    """Load the member files, combine them, measure validation accuracy, fit the calibration
    temperature on validation, report test accuracy and calibration error, save to `out`.

    Members must output logits (our presets do): averaging logits with probabilities would
    weigh the models unequally. Returns the saved file's description.
    """
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.models.calibration import calibrate
    from hwr_desktop.core.models.evaluation import evaluate, predict_logits, softmax_cross_entropy
    from hwr_desktop.core.models.modelfile import load_model, save_model

    if len(paths) < 2:
        raise HwrError("an ensemble needs at least two model files")
    models, members, configs = [], [], []
    for path in paths:
        model, info = load_model(path)
        if info.outputs_probabilities:
            raise HwrError(f"{Path(path).name}: outputs probabilities; ensemble members must output logits")
        models.append(model)
        configs.append(info.config)
        members.append(MemberInfo(Path(path).name, info.preset, info.seed, info.metrics))
    ensemble = build_ensemble(models, tta)
    data = load_mnist()
    val_logits = predict_logits(ensemble, data.x_val)
    val_loss = softmax_cross_entropy(val_logits, data.y_val)
    val_accuracy = float(np.mean(val_logits.argmax(axis=1) == data.y_val))
    name = f"ensemble of {len(models)}" + (" with shifted views" if tta else "")
    train_seconds = sum(m.metrics.train_seconds or 0 for m in members) or None
    info = new_info(name, configs[0], members=members, test_time_augmentation=tta)
    # The members' average is a new model with its own confidence: its temperature is fitted on
    # validation; the test figures (loss and calibration error with it) are only reported.
    info = calibrate(ensemble, info, data, val_outputs=val_logits)
    report = evaluate(ensemble, data.x_test, data.y_test, temperature=info.temperature)
    info.metrics = Metrics(val_accuracy=val_accuracy, val_loss=val_loss, test_accuracy=report.accuracy,
                           test_loss=report.loss, test_ece=round(report.ece, 6), train_seconds=train_seconds)
    save_model(ensemble, out, info)
    return info
