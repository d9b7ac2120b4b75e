"""Training the sequence reader (core/strip_reader.py) for hours, resumably.

    data made on the fly (core/strip_data.BatchMaker: batch k from (seed, k), in a worker process)
    -> CTC loss -> AdamW with linear warm-up and cosine decay, gradient clipping, an exponential
    moving average (EMA) of the weights, bfloat16 arithmetic where the CPU has it
    -> a checkpoint every `checkpoint_minutes` (weights, optimizer state incl. the EMA and the step
    counter; the schedule and the data stream follow from the step), validation exact-match on
    validation numbers every `validate_every` steps, with the EMA weights.

`train(config, run_dir)` starts or resumes: if `run_dir/checkpoint.npz` exists it continues from
it exactly (an interrupted and resumed run ends with the weights of an uninterrupted one). The
run folder also keeps the real-pipeline pool and the validation strips, made once.
Plain callbacks (`progress(text)`) and a `should_stop()` flag, like core/training.py.
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.reading.strips import (
    MAX_LABEL,
    STRIP_HEIGHT,
    BatchMaker,
    StripSet,
    pad_batch,
    real_strips,
    synthetic_strips,
)

CHECKPOINT = "checkpoint.npz"
FORMAT = "hwr-desktop reader checkpoint 1"


@dataclass
class ReaderTrainingConfig:
    steps: int = 12000
    batch_size: int = 48
    peak_learning_rate: float = 2e-3
    warmup_steps: int = 400
    final_learning_rate_fraction: float = 0.02
    weight_decay: float = 1e-4
    ema: float = 0.999
    clip_norm: float = 5.0
    seed: int = 0
    real_pool: int = 20000            # strips made through the real reading pipeline (training digits)
    validation_synthetic: int = 1000
    validation_real: int = 1000       # real-pipeline strips of validation digits, the five conditions
    validate_every: int = 500
    checkpoint_minutes: float = 8.0
    precision: str = "mixed_bfloat16"
    init_from_digit_model: bool = True
    context: int = 128
    variation: str = "standard"       # "wide": the second stage's data (strips.synthetic_strip's `wide`)
    init_from: str = ""               # a reader checkpoint whose EMA weights start a new run (a new schedule)
    workers: int = 2                  # processes making the pool and validation strips

    @classmethod
    def from_dict(cls, document: dict) -> ReaderTrainingConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in document.items() if k in known})


class CheckpointError(HwrError):
    pass


def learning_rate(config: ReaderTrainingConfig, step: int) -> float:
    """Linear warm-up to the peak, then cosine decay to final_learning_rate_fraction of it."""
    peak = config.peak_learning_rate
    if step < config.warmup_steps:
        return peak * (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps))
    low = config.final_learning_rate_fraction
    return peak * (low + (1 - low) * 0.5 * (1 + math.cos(math.pi * progress)))


# --- the data worker ---------------------------------------------------------------------------

_MAKER = None


def _worker_init(seed: int, batch_size: int, pool_path: str | None, wide: bool):
    global _MAKER
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    pool = StripSet.load(pool_path) if pool_path else None
    _MAKER = BatchMaker(seed, batch_size, pool, wide)


def _make(k: int):
    return _MAKER(k)


class Batches:
    """Batches first..last-1 in order, made `ahead` at a time in one spawned process."""

    def __init__(self, config: ReaderTrainingConfig, pool_path: Path | None, first: int, ahead: int = 6):
        self.pool = multiprocessing.get_context("spawn").Pool(
            1, _worker_init, (config.seed, config.batch_size, str(pool_path) if pool_path else None, _wide(config)))
        self.next, self.last = first, config.steps
        self.waiting: deque = deque()
        for _ in range(ahead):
            self._submit()

    def _submit(self):
        if self.next < self.last:
            self.waiting.append(self.pool.apply_async(_make, (self.next,)))
            self.next += 1

    def get(self):
        batch = self.waiting.popleft().get()
        self._submit()
        return batch

    def close(self):
        self.pool.terminate()
        self.pool.join()


VARIATIONS = ("standard", "wide")    # the training data's kinds: strips.synthetic_strip's `wide`


def _wide(config: ReaderTrainingConfig) -> bool:
    if config.variation not in VARIATIONS:
        raise HwrError(f"variation is 'standard' or 'wide', not {config.variation!r}")
    return config.variation == "wide"


# --- checkpoints ---------------------------------------------------------------------------------

def save_checkpoint(path: Path, model, optimizer, step: int, config: ReaderTrainingConfig, history: list,
                    seconds: float) -> None:
    from hwr_desktop.core.files import replacing
    arrays = {f"model/{i}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer/{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)})
    meta = {"format": FORMAT, "step": step, "config": asdict(config), "history": history, "seconds": seconds}
    with replacing(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)


def read_checkpoint(path: Path) -> tuple[dict, dict]:
    """(meta, arrays) of a checkpoint, or CheckpointError in one line saying what is wrong."""
    import zipfile
    try:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            arrays = {k: f[k] for k in f.files if k != "meta"}
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, EOFError) as exc:
        raise CheckpointError(f"{path}: not a reader checkpoint ({type(exc).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("step"), int) \
            or not isinstance(meta.get("config"), dict):
        raise CheckpointError(f"{path}: not a reader checkpoint (unknown format)")
    return meta, arrays


def _restore(arrays: dict, prefix: str, variables, path: Path) -> None:
    keys = sorted((k for k in arrays if k.startswith(prefix + "/")), key=lambda k: int(k.split("/")[1]))
    if len(keys) != len(variables):
        raise CheckpointError(f"{path}: {len(keys)} {prefix} values for {len(variables)} variables (another network?)")
    for k, v in zip(keys, variables):
        if tuple(arrays[k].shape) != tuple(v.shape):
            raise CheckpointError(f"{path}: {prefix} value {k} has shape {arrays[k].shape}, expected {tuple(v.shape)}")
    for k, v in zip(keys, variables):
        v.assign(arrays[k])


# --- training ---------------------------------------------------------------------------------

def _prepare_data(config: ReaderTrainingConfig, run_dir: Path, say) -> tuple[Path | None, StripSet, StripSet]:
    pool_path = run_dir / "pool.npz"
    if config.real_pool and not pool_path.exists():
        say(f"making {config.real_pool} training strips through the reading pipeline")
        real_strips("train", config.real_pool, config.seed * 2 + 1, config.workers).save(pool_path)
    val_real, val_synthetic = run_dir / "validation_real.npz", run_dir / "validation_synthetic.npz"
    if not val_real.exists():
        say(f"making {config.validation_real} + {config.validation_synthetic} validation strips")
        real_strips("validation", config.validation_real, 1000 + config.seed, config.workers).save(val_real)
        synthetic_strips("validation", config.validation_synthetic, 2000 + config.seed, _wide(config)).save(val_synthetic)
    return (pool_path if config.real_pool else None), StripSet.load(val_real), StripSet.load(val_synthetic)


def greedy_texts(logits: np.ndarray, widths) -> list[str]:
    """Best class per frame, repeats merged, blanks dropped; frames past a strip's end ignored."""
    out = []
    for row, width in zip(logits.argmax(axis=-1), widths):
        row = row[:width // 2]
        keep = (row != 0) & np.concatenate([[True], row[1:] != row[:-1]])
        out.append("".join(str(c - 1) for c in row[keep]))
    return out


def predict_logits(predict, strips: StripSet, batch: int = 64) -> list[np.ndarray]:
    """Each strip's frame logits, batched by similar width."""
    order = np.argsort(strips.widths, kind="stable")
    out: list = [None] * len(order)
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        x = pad_batch([strips.strip(i) for i in idx])
        logits = np.asarray(predict(x), np.float32)
        for k, i in enumerate(idx):
            out[i] = logits[k, :strips.widths[i] // 2]
    return out


def exact(predict, strips: StripSet) -> float:
    logits = predict_logits(predict, strips)
    texts = [greedy_texts(lg[None], [lg.shape[0] * 2])[0] for lg in logits]
    return float(np.mean([a == b for a, b in zip(texts, strips.texts)]))


def build(config: ReaderTrainingConfig, precision: str):
    from hwr_desktop.core.precision import dtype_policy
    from hwr_desktop.core.reading.sequence_network import build_strip_reader
    with dtype_policy(precision):
        return build_strip_reader(config.context)


def train(config: ReaderTrainingConfig, run_dir, progress=None, should_stop=None) -> dict:
    """Train (or resume) in `run_dir`; returns the figures of the run so far. The model with the
    EMA weights is written to run_dir/reader.keras when all steps are done."""
    import tensorflow as tf

    from hwr_desktop.core.precision import effective_precision
    say = progress or (lambda text: None)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = run_dir / CHECKPOINT
    meta, arrays = read_checkpoint(checkpoint) if checkpoint.exists() else (None, None)
    if meta is not None:
        saved = ReaderTrainingConfig.from_dict(meta["config"])
        if asdict(saved) != asdict(config):
            say("resuming with the checkpoint's own settings")
        config = saved
    _wide(config)                                # an unknown variation fails before any data is made
    start_weights = _start_weights(config) if meta is None and config.init_from else None
    pool_path, val_real, val_synthetic = _prepare_data(config, run_dir, say)
    precision = effective_precision(config.precision)
    import keras
    keras.utils.set_random_seed(config.seed)     # the initial weights of what the digit model does not give
    model = build(config, precision)
    optimizer = _optimizer(config)
    optimizer.build(model.trainable_variables)
    step, history, seconds = 0, [], 0.0
    if meta is not None:
        _restore(arrays, "model", model.variables, checkpoint)
        _restore(arrays, "optimizer", optimizer.variables, checkpoint)
        step, history, seconds = meta["step"], meta["history"], float(meta["seconds"])
        say(f"resumed at step {step} of {config.steps}")
    elif start_weights is not None:
        model.set_weights(start_weights)
        say(f"started from {config.init_from} (its moving-average weights)")
    elif config.init_from_digit_model:
        from hwr_desktop.core.models.modelfile import load_model
        from hwr_desktop.core.reading.sequence_network import init_trunk_from_digit_model
        from hwr_desktop.resources import default_model_path
        digit_model, _ = load_model(default_model_path())
        say(f"trunk: {init_trunk_from_digit_model(model, digit_model)} conv blocks from the digit model")
    train_step, predict = _functions(tf, model, optimizer, config)
    batches = Batches(config, pool_path, step) if step < config.steps else None
    losses: deque = deque(maxlen=100)
    last_save = started = time.perf_counter()
    base_seconds = seconds
    interrupted = False
    try:
        while step < config.steps:
            if should_stop and should_stop():
                break
            x, y = batches.get()
            optimizer.learning_rate.assign(learning_rate(config, step))
            losses.append(float(train_step(tf.constant(x), tf.constant(y))))
            step += 1
            seconds = base_seconds + time.perf_counter() - started
            if step % 50 == 0:
                say(f"step {step}/{config.steps}: loss {np.mean(losses):.3f}, lr {learning_rate(config, step - 1):.2e}, "
                    f"{seconds / 60:.1f} min")
            if step % config.validate_every == 0 or step == config.steps:
                figures = _validate(model, optimizer, predict, val_real, val_synthetic)
                history.append({"step": step, "loss": round(float(np.mean(losses)), 4), "minutes": round(seconds / 60, 1),
                                **figures})
                say(f"validation at step {step}: real {figures['val_real_exact']:.2%}, "
                    f"synthetic {figures['val_synthetic_exact']:.2%}")
            if time.perf_counter() - last_save >= config.checkpoint_minutes * 60 or step == config.steps:
                save_checkpoint(checkpoint, model, optimizer, step, config, history, seconds)
                last_save = time.perf_counter()
                say(f"checkpoint at step {step}")
    except KeyboardInterrupt:          # Ctrl-C: keep the steps done (the step in flight is not counted)
        interrupted = True
    finally:
        if batches is not None:
            batches.close()
        if sys.exc_info()[0] is not None and step > 0:   # any other failure: the steps done are kept too
            save_checkpoint(checkpoint, model, optimizer, step, config, history, seconds)
    if step < config.steps:
        save_checkpoint(checkpoint, model, optimizer, step, config, history, seconds)
    else:
        _write_final(config, model, optimizer, run_dir, history, seconds)
    if interrupted:
        raise KeyboardInterrupt
    return {"step": step, "steps": config.steps, "history": history, "seconds": round(seconds, 1),
            "precision": precision}


def _start_weights(config: ReaderTrainingConfig) -> list:
    """The EMA weights of `config.init_from`, checked to fit this configuration's network (a new
    run's step 0; its own checkpoints carry them on after that)."""
    network, meta = model_from_checkpoint(config.init_from)
    if ReaderTrainingConfig.from_dict(meta["config"]).context != config.context:
        raise CheckpointError(f"{config.init_from}: a network of another size (context "
                              f"{meta['config'].get('context')}, not {config.context})")
    return network.get_weights()


def _optimizer(config: ReaderTrainingConfig):
    import keras
    return keras.optimizers.AdamW(learning_rate=config.peak_learning_rate, weight_decay=config.weight_decay,
                                  global_clipnorm=config.clip_norm, use_ema=config.ema > 0,
                                  ema_momentum=config.ema or 0.99)


def ctc_loss(tf, labels, logits):
    label_length = tf.reduce_sum(tf.cast(labels > 0, tf.int32), axis=1)
    logit_length = tf.fill([tf.shape(logits)[0]], tf.shape(logits)[1])
    loss = tf.nn.ctc_loss(labels=labels, logits=tf.cast(logits, tf.float32), label_length=label_length,
                          logit_length=logit_length, logits_time_major=False, blank_index=0)
    return tf.reduce_mean(loss)


def _functions(tf, model, optimizer, config):
    x_spec = tf.TensorSpec((None, STRIP_HEIGHT, None, 1), tf.float32)

    @tf.function(input_signature=[x_spec, tf.TensorSpec((None, MAX_LABEL), tf.int32)])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = ctc_loss(tf, y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function(input_signature=[x_spec])
    def predict(x):
        return tf.cast(model(x, training=False), tf.float32)

    return train_step, predict


def _with_ema(model, optimizer):
    """Context: the model's trainable weights replaced by their moving average, then put back."""
    import contextlib

    @contextlib.contextmanager
    def swapped():
        if not optimizer.use_ema:
            yield
            return
        backup = [v.numpy() for v in model.trainable_variables]
        optimizer.finalize_variable_values(model.trainable_variables)
        try:
            yield
        finally:
            for v, b in zip(model.trainable_variables, backup):
                v.assign(b)
    return swapped()


def _validate(model, optimizer, predict, val_real, val_synthetic) -> dict:
    with _with_ema(model, optimizer):
        return {"val_real_exact": round(exact(predict, val_real), 4),
                "val_synthetic_exact": round(exact(predict, val_synthetic), 4)}


def _final_network(config, model, optimizer, ema: bool = True):
    """A float32 network with the EMA weights (predicting never depends on bfloat16); `ema=False`:
    the weights as trained (early in a run the average still holds much of the starting weights)."""
    if ema:
        with _with_ema(model, optimizer):
            weights = model.get_weights()
    else:
        weights = model.get_weights()
    final = build(config, "float32")
    final.set_weights(weights)
    return final


def _write_final(config, model, optimizer, run_dir: Path, history: list, seconds: float) -> None:
    """reader.keras (the plain network, no reading settings yet) and training.json."""
    import keras

    from hwr_desktop.core.files import replacing, write_text
    final = _final_network(config, model, optimizer)
    with replacing(run_dir / "reader.keras") as tmp:
        final.save(tmp)
    write_text(run_dir / "training.json", json.dumps({"config": asdict(config), "history": history,
                                                      "seconds": round(seconds, 1), "keras": keras.__version__}, indent=2))


def model_from_checkpoint(path, ema: bool = True) -> tuple[object, dict]:
    """(float32 network with the checkpoint's EMA weights, the checkpoint's meta: step, config, history)."""
    from hwr_desktop.core.precision import effective_precision
    path = Path(path)
    meta, arrays = read_checkpoint(path)
    config = ReaderTrainingConfig.from_dict(meta["config"])
    model = build(config, effective_precision(config.precision))
    optimizer = _optimizer(config)
    optimizer.build(model.trainable_variables)
    _restore(arrays, "model", model.variables, path)
    _restore(arrays, "optimizer", optimizer.variables, path)
    return _final_network(config, model, optimizer, ema), meta


def main(argv=None) -> int:
    import argparse
    parser = argparse.ArgumentParser(description="train the sequence reader (resumes from RUN_DIR/checkpoint.npz)")
    parser.add_argument("run_dir")
    for f in fields(ReaderTrainingConfig):
        kind = {"int": int, "float": float, "str": str, "bool": lambda s: s.lower() in ("1", "true", "yes")}[f.type]
        parser.add_argument("--" + f.name.replace("_", "-"), type=kind, default=f.default)
    args = parser.parse_args(argv)
    config = ReaderTrainingConfig(**{f.name: getattr(args, f.name) for f in fields(ReaderTrainingConfig)})
    figures = train(config, args.run_dir, progress=lambda text: print(time.strftime("%H:%M:%S"), text, flush=True))
    print(json.dumps({k: v for k, v in figures.items() if k != "history"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
