"""Train the line reader (core/line_reader.py) with CTC on numbers made from MNIST training digits.

    examples (core/line_reader_data.py) -> fit with CTC loss, keeping the weights with the best
    validation exact-match accuracy -> temperature fitted on validation digits -> model file

Plain callbacks (`progress(text)`) and a `should_stop()` flag, like core/training.py, so the CLI
(and later a GUI worker) can drive it. MNIST test digits are never used here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.line_reader import FRAMES, build_line_reader, decode, softmax
from hwr_desktop.core.line_reader_data import Strips


@dataclass
class LineReaderConfig:
    examples: int = 50000
    validation_examples: int = 3000
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 2e-3
    seed: int = 0
    threshold_per_condition: int = 100    # validation numbers per condition for the rejection threshold
    workers: int = 2                      # processes making examples

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def frame_logits(model, x_uint8: np.ndarray, batch_size: int = 256) -> np.ndarray:
    return np.asarray(model.predict(x_uint8[..., None].astype(np.float32) / 255.0, batch_size=batch_size, verbose=0))


def texts(logits: np.ndarray, temperature: float = 1.0) -> list[str]:
    return ["".join(str(d.digit) for d in decode(p)) for p in softmax(logits, temperature)]


def exact_accuracy(logits: np.ndarray, truth: list[str]) -> float:
    return float(np.mean([a == b for a, b in zip(texts(logits), truth)])) if truth else 0.0


def fit_temperature(logits: np.ndarray, truth: list[str]) -> float:
    """The temperature under which decoded digits' confidences best predict their being right
    (negative log-likelihood of right / wrong), on lines whose length was read right."""
    grid = np.exp(np.linspace(np.log(0.3), np.log(3.0), 41))
    best, best_nll = 1.0, np.inf
    for t in grid:
        nll, count = 0.0, 0
        for p, text in zip(softmax(logits, t), truth):
            digits = decode(p)
            if len(digits) != len(text):
                continue
            for d, c in zip(digits, text):
                q = min(max(d.confidence, 1e-6), 1 - 1e-6)
                nll -= np.log(q) if str(d.digit) == c else np.log(1 - q)
                count += 1
        if count and nll / count < best_nll:
            best, best_nll = float(t), nll / count
    return best


def train_line_reader(train: Strips, validation: Strips, config: LineReaderConfig,
                      progress=None, should_stop=None):
    """(model, figures): the weights with the best validation exact-match accuracy."""
    import keras
    keras.utils.set_random_seed(config.seed)
    model = build_line_reader()
    steps = config.epochs * int(np.ceil(len(train.x) / config.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, steps, alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=keras.losses.CTC())
    x = train.x[..., None].astype(np.float32) / 255.0
    best, best_weights, history = -1.0, None, []
    start = time.perf_counter()
    for epoch in range(config.epochs):
        if should_stop and should_stop():
            break
        fit = model.fit(x, train.y, batch_size=config.batch_size, epochs=1, verbose=0, shuffle=True)
        accuracy = exact_accuracy(frame_logits(model, validation.x), validation.texts)
        history.append({"epoch": epoch + 1, "loss": float(fit.history["loss"][-1]), "val_exact": accuracy,
                        "seconds": round(time.perf_counter() - start, 1)})
        if accuracy > best:
            best, best_weights = accuracy, model.get_weights()
        if progress:
            progress(f"epoch {epoch + 1}/{config.epochs}: loss {history[-1]['loss']:.3f}, "
                     f"validation exact {accuracy:.2%}, {history[-1]['seconds']:.0f} s")
    if best_weights is not None:
        model.set_weights(best_weights)
    logits = frame_logits(model, validation.x)
    temperature = fit_temperature(logits, validation.texts)
    return model, {"val_exact": best, "temperature": temperature, "history": history,
                   "train_seconds": round(time.perf_counter() - start, 1), "frames": FRAMES}


MAX_CONFIDENTLY_WRONG = 0.005    # on validation; the target is 1 % on test, so leave a margin
LONE_GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)


def choose_lone_confidence(predictor, line_reader, per_condition: int = 100, seed: int = 5,
                           min_confidence: float | None = None) -> tuple[float, dict]:
    """The lowest `lone_confidence` whose confidently-wrong rate on validation numbers (the five
    conditions, MNIST *validation* digits, the full reading path) is at most MAX_CONFIDENTLY_WRONG;
    (threshold, figures)."""
    from hwr_desktop.core.line_reader import decode, line_input
    from hwr_desktop.core.mnist import load_mnist
    from hwr_desktop.core.number_images import CONDITIONS, make_numbers
    from hwr_desktop.core.number_reading import combine
    from hwr_desktop.core.reading import DEFAULT_MIN_CONFIDENCE, read_marks
    from hwr_desktop.core.segment import find_marks
    min_confidence = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    data = load_mnist()
    cases = []
    for condition in CONDITIONS:
        for sample in make_numbers(data.x_val, data.y_val, condition, per_condition, seed=seed):
            marks = find_marks(sample.array())
            by_digits = read_marks(predictor, marks, min_confidence)
            line = line_input(marks)
            by_line = decode(line_reader.frame_probabilities(line.strip)) if line is not None else None
            cases.append((sample.text, by_digits, by_line, line))
    table = {}
    for lone in LONE_GRID:
        right = confidently_wrong = 0
        for truth, by_digits, by_line, line in cases:
            text = by_digits.text if by_line is None else combine(by_digits, by_line, line, min_confidence, lone).text
            right += text == truth
            confidently_wrong += text != truth and "?" not in text
        table[lone] = {"accuracy": right / len(cases), "confidently_wrong": confidently_wrong / len(cases)}
    fine = [t for t in LONE_GRID if table[t]["confidently_wrong"] <= MAX_CONFIDENTLY_WRONG]
    chosen = fine[0] if fine else LONE_GRID[-1]
    return chosen, {"validation_numbers": len(cases), "table": {str(k): v for k, v in table.items()}}


def train_and_save(config: LineReaderConfig, out, progress=None, should_stop=None) -> dict:
    """The whole recipe behind `hwr-desktop train-reader`: examples, training, calibration,
    rejection threshold, model file. Returns the figures stored in the file."""
    from hwr_desktop.core.inference import Predictor
    from hwr_desktop.core.line_reader_data import make_strips
    from hwr_desktop.core.model_info import Calibration, Metrics, new_info
    from hwr_desktop.core.modelfile import save_model
    from hwr_desktop.core.number_reading import LineReader
    from hwr_desktop.core.tfload import import_tensorflow
    from hwr_desktop.resources import default_model_path
    say = progress or (lambda text: None)
    start = time.perf_counter()
    say(f"making {config.examples} training and {config.validation_examples} validation numbers")
    train = make_strips("train", config.examples, seed=config.seed * 2 + 1, workers=config.workers)
    validation = make_strips("validation", config.validation_examples, seed=config.seed * 2 + 2,
                             workers=config.workers)
    data_seconds = time.perf_counter() - start
    import_tensorflow()
    model, figures = train_line_reader(train, validation, config, say, should_stop)
    say("choosing the rejection threshold on validation numbers")
    reader = LineReader(model, figures["temperature"])
    lone, choice = choose_lone_confidence(Predictor.from_file(default_model_path()), reader,
                                          config.threshold_per_condition)
    figures.update(lone_confidence=lone, threshold_choice=choice, data_seconds=round(data_seconds, 1),
                   total_seconds=round(time.perf_counter() - start, 1))
    info = new_info("line-reader", config.to_dict(),
                    Metrics(val_accuracy=figures["val_exact"], train_seconds=figures["train_seconds"]),
                    history=figures["history"],
                    calibration=Calibration(temperature=figures["temperature"], fitted_on="validation"),
                    extra={"line_reader": {"lone_confidence": lone, "trained_on": "MNIST training digits",
                                           "threshold_choice": choice, "data_seconds": figures["data_seconds"],
                                           "total_seconds": figures["total_seconds"]}})
    save_model(model, out, info)
    return figures
