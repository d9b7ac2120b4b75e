"""Train the line reader (core/reading/line_reader.py) with CTC on numbers made from MNIST training digits.

    examples (core/reading/line_reader_data.py) -> fit with CTC loss, keeping the weights with the best
    validation exact-match accuracy -> temperature fitted on validation digits -> model file

Plain callbacks (`progress(text)`) and a `should_stop()` flag, like core/training/loop.py, so the CLI
(and later a GUI worker) can drive it. MNIST test digits are never used here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.models.evaluation import softmax
from hwr_desktop.core.reading.line_reader import FRAMES, build_line_reader, decode
from hwr_desktop.core.reading.line_reader_data import Strips


@dataclass
class LineReaderConfig:
    examples: int = 50000
    validation_examples: int = 3000
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 2e-3
    seed: int = 0
    threshold_per_condition: int = 100    # validation numbers per condition for the rejection threshold
    resume: str | None = None             # a line reader file to go on training (fresh examples, lower rate)
    workers: int = 2                      # processes making examples

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def frame_logits(model, x_uint8: np.ndarray, batch_size: int = 256) -> np.ndarray:
    return np.asarray(model.predict(x_uint8[..., None].astype(np.float32) / 255.0, batch_size=batch_size, verbose=0))


def texts(logits: np.ndarray, temperature: float = 1.0) -> list[str]:
    return ["".join(str(d.digit) for d in decode(p)) for p in softmax(logits / temperature)]


def exact_accuracy(logits: np.ndarray, truth: list[str]) -> float:
    return float(np.mean([a == b for a, b in zip(texts(logits), truth)])) if truth else 0.0


def fit_line_reader_temperature(logits: np.ndarray, truth: list[str]) -> float:
    """The temperature under which decoded digits' confidences best predict their being right
    (negative log-likelihood of right / wrong), on lines whose length was read right. Not the digit
    model's calibration (core/models/calibration.fit_temperature, which fits labels per image): a
    strip's frames have no labels of their own, only the digits decoded from them."""
    grid = np.exp(np.linspace(np.log(0.3), np.log(3.0), 41))
    best, best_nll = 1.0, np.inf
    for t in grid:
        nll, count = 0.0, 0
        for p, text in zip(softmax(logits / t), truth):
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
    if config.resume:
        from hwr_desktop.core.models.modelfile import load_model
        model, _ = load_model(config.resume, shapes=reader_shapes())
    else:
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
    temperature = fit_line_reader_temperature(logits, validation.texts)
    return model, {"val_exact": best, "temperature": temperature, "history": history,
                   "train_seconds": round(time.perf_counter() - start, 1), "frames": FRAMES}


MAX_CONFIDENTLY_WRONG = 0.005    # on validation; the target is 1 % on test, so leave a margin
THRESHOLDS = (0.4, 0.6, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)


def reading_cases(predictor, line_reader, per_condition: int, seed: int, min_confidence: float) -> list:
    """Both readers' readings of validation numbers in the five conditions (MNIST *validation*
    digits, bench sizes, the full reading path): (truth, digit reader's result, line digits, line)."""
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.data.number_images import CONDITIONS, make_numbers
    from hwr_desktop.core.reading.digit_reader import read_marks
    from hwr_desktop.core.reading.line_reader import decode, line_input
    from hwr_desktop.core.segmentation.marks import find_marks
    data = load_mnist()
    cases = []
    for condition in CONDITIONS:
        for sample in make_numbers(data.x_val, data.y_val, condition, per_condition, seed=seed):
            marks = find_marks(sample.array())
            line = line_input(marks)
            by_line = decode(line_reader.frame_probabilities(line.strip)) if line is not None else None
            cases.append((sample.text, read_marks(predictor, marks, min_confidence), by_line, line))
    return cases


def choose_thresholds(predictor, line_reader, per_condition: int = 100, seed: int = 5,
                      min_confidence: float | None = None) -> tuple[float, float, dict]:
    """(agree_confidence, lone_confidence, figures): of the pairs whose confidently-wrong rate on
    validation numbers is at most MAX_CONFIDENTLY_WRONG, the one reading most numbers exactly."""
    from hwr_desktop.core.reading.digit_reader import DEFAULT_MIN_CONFIDENCE
    from hwr_desktop.core.reading.number_reading import combine
    min_confidence = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    cases = reading_cases(predictor, line_reader, per_condition, seed, min_confidence)
    table = {}
    for agree in THRESHOLDS:
        for lone in THRESHOLDS:
            right = confidently_wrong = 0
            for truth, by_digits, by_line, line in cases:
                text = by_digits.text if by_line is None else \
                    combine(by_digits, by_line, line, min_confidence, lone, agree).text
                right += text == truth
                confidently_wrong += text != truth and "?" not in text
            table[(agree, lone)] = (right / len(cases), confidently_wrong / len(cases))
    fine = [pair for pair, (_, wrong) in table.items() if wrong <= MAX_CONFIDENTLY_WRONG]
    best = max(fine, key=lambda pair: (table[pair][0], pair)) if fine else (THRESHOLDS[-1], THRESHOLDS[-1])
    figures = {"validation_numbers": len(cases), "accuracy": table[best][0], "confidently_wrong": table[best][1],
               "table": [{"agree": a, "lone": lo, "accuracy": acc, "confidently_wrong": w}
                         for (a, lo), (acc, w) in table.items()]}
    return best[0], best[1], figures


def train_and_save(config: LineReaderConfig, out, progress=None, should_stop=None) -> dict:
    """The whole recipe behind `hwr-desktop train-reader`: examples, training, calibration,
    rejection threshold, model file. Returns the figures stored in the file."""
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.models.info import Calibration, Metrics, new_info
    from hwr_desktop.core.models.modelfile import save_model
    from hwr_desktop.core.reading.line_reader import LineReader
    from hwr_desktop.core.reading.line_reader_data import make_strips
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
    say("choosing the rejection thresholds on validation numbers")
    reader = LineReader(model, figures["temperature"])
    agree, lone, choice = choose_thresholds(Predictor.from_file(default_model_path()), reader,
                                            config.threshold_per_condition)
    say(f"agree {agree}, lone {lone}: validation numbers read exactly {choice['accuracy']:.1%}, "
        f"confidently wrong {choice['confidently_wrong']:.1%}")
    figures.update(agree_confidence=agree, lone_confidence=lone, threshold_choice=choice,
                   data_seconds=round(data_seconds, 1),
                   total_seconds=round(time.perf_counter() - start, 1))
    info = new_info("line-reader", config.to_dict(),
                    Metrics(val_accuracy=figures["val_exact"], train_seconds=figures["train_seconds"]),
                    history=figures["history"],
                    calibration=Calibration(temperature=figures["temperature"], fitted_on="validation"),
                    extra={"line_reader": {"agree_confidence": agree, "lone_confidence": lone,
                                           "trained_on": "MNIST training digits",
                                           "threshold_choice": choice, "data_seconds": figures["data_seconds"],
                                           "total_seconds": figures["total_seconds"]}})
    save_model(model, out, info)
    return figures


def rethreshold(path, out, progress=None) -> dict:
    """Choose a line reader's rejection thresholds again (after the combining rule changed) and
    write it to `out`, keeping everything else its file says."""
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.models.modelfile import read_info, save_model
    from hwr_desktop.core.reading.line_reader import LineReader
    from hwr_desktop.core.tfload import import_tensorflow
    from hwr_desktop.resources import default_model_path
    import_tensorflow()
    start = time.perf_counter()
    reader = LineReader.from_file(path)
    info = read_info(path)   # the description only: the network is already loaded above
    if progress:
        progress("choosing the rejection thresholds on validation numbers")
    agree, lone, choice = choose_thresholds(Predictor.from_file(default_model_path()), reader)
    extra = dict(info.extra)
    extra["line_reader"] = {**extra.get("line_reader", {}), "agree_confidence": agree, "lone_confidence": lone,
                            "threshold_choice": choice}
    save_model(reader.model, out, info.replace(extra=extra))
    return {"val_exact": info.metrics.val_accuracy or 0.0, "temperature": reader.temperature,
            "agree_confidence": agree, "lone_confidence": lone, "threshold_choice": choice,
            "total_seconds": round(time.perf_counter() - start, 1)}


def reader_shapes():
    from hwr_desktop.core.reading.line_reader import LINE_HEIGHT, LINE_WIDTH
    return (LINE_HEIGHT, LINE_WIDTH, 1), (FRAMES, 11)
