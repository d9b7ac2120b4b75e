'''The README written beside an exported model: how to run it, and the figures it was checked with.

The snippet is standalone (numpy + Pillow + the format's runtime): its `prepare` function is a
short version of core/data/preprocess.py, so a digit photographed or drawn elsewhere reaches the model
as the MNIST-style 28x28 image it was trained on.
'''
from __future__ import annotations

PREPARE = '''import numpy as np
from PIL import Image


def prepare(path):
    """An image file of one digit -> float32 (1, 28, 28, 1) in [0, 1], white ink on black, like MNIST."""
    gray = np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255.0
    ring = max(1, min(gray.shape) // 20)                  # the outer 5 %: where the paper is
    border = np.concatenate([gray[:ring].ravel(), gray[-ring:].ravel(), gray[:, :ring].ravel(), gray[:, -ring:].ravel()])
    background = float(np.median(border))
    if background > 0.5:                                  # dark ink on light paper: invert
        gray, background = 1.0 - gray, 1.0 - background
    ink = np.clip(gray - background, 0.0, None)
    if ink.max() < 0.12:
        raise ValueError("no digit in the image")
    ink /= ink.max()
    rows, cols = np.flatnonzero((ink > 0.25).any(axis=1)), np.flatnonzero((ink > 0.25).any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]   # crop to the ink
    h, w = crop.shape
    new_w, new_h = max(1, round(w * 20 / max(h, w))), max(1, round(h * 20 / max(h, w)))
    small = np.asarray(Image.fromarray(crop, mode="F").resize((new_w, new_h), Image.Resampling.LANCZOS))
    small = np.minimum(np.clip(small, 0.0, None) / max(float(small.max()), 1e-6), 1.0)
    canvas = np.zeros((28, 28), np.float32)               # longer side 20 px, pasted into 28x28
    top, left = (28 - new_h) // 2, (28 - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = small
    total = canvas.sum()                                  # move the centre of mass to (14, 14)
    cy = (canvas.sum(axis=1) @ np.arange(28)) / total
    cx = (canvas.sum(axis=0) @ np.arange(28)) / total
    dy, dx = int(round(14 - cy)), int(round(14 - cx))
    shifted = np.zeros_like(canvas)                       # zeros shifted in, nothing wraps around
    src_y, dst_y = slice(max(0, -dy), 28 - max(0, dy)), slice(max(0, dy), 28 - max(0, -dy))
    src_x, dst_x = slice(max(0, -dx), 28 - max(0, dx)), slice(max(0, dx), 28 - max(0, -dx))
    shifted[dst_y, dst_x] = canvas[src_y, src_x]
    return shifted[None, :, :, None]
'''

RUN = {
    "onnx": '''import onnxruntime as ort

session = ort.InferenceSession("{file}", providers=["CPUExecutionProvider"])
images = prepare("digit.png")                 # or a batch: np.concatenate of several
probabilities = session.run(None, {{session.get_inputs()[0].name: images}})[0]
print("digit", int(probabilities[0].argmax()), "confidence", float(probabilities[0].max()))
''',
    "tflite": '''from ai_edge_litert.interpreter import Interpreter   # pip install ai-edge-litert

interpreter = Interpreter(model_path="{file}")
images = prepare("digit.png")
inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
interpreter.resize_tensor_input(inp["index"], images.shape)   # {batch_note}
interpreter.allocate_tensors()
interpreter.set_tensor(inp["index"], images)
interpreter.invoke()
probabilities = interpreter.get_tensor(out["index"])
print("digit", int(probabilities[0].argmax()), "confidence", float(probabilities[0].max()))
''',
    "savedmodel": '''import tensorflow as tf

model = tf.saved_model.load("{file}")
images = prepare("digit.png")
probabilities = model.serve(tf.constant(images)).numpy()   # also: model.signatures["serving_default"]
print("digit", int(probabilities[0].argmax()), "confidence", float(probabilities[0].max()))
''',
}

RUNTIME = {"onnx": "ONNX Runtime (`pip install onnxruntime numpy pillow`)",
           "tflite": "the LiteRT interpreter (`pip install ai-edge-litert numpy pillow`)",
           "savedmodel": "TensorFlow (`pip install tensorflow numpy pillow`)"}


def readme_text(report: dict) -> str:
    """Markdown for the README beside the export; `report` is ExportReport.to_dict()."""
    fmt, name = report["format"], report["file"]
    batch_note = "any batch size" if report["dynamic_batch"] else "this file takes one image at a time"
    code = PREPARE + "\n\n" + RUN[fmt].format(file=name, batch_note=batch_note)
    temperature = report["temperature"]
    output = ("softmax probabilities" + (f" of the logits divided by the calibration temperature {temperature:g}"
                                         if temperature != 1.0 else ""))
    if report["source_outputs"] == "probabilities":
        output = "the model's own probabilities"
    how = (f"full integer: weights and activations, calibrated on {report['calibration_images']} MNIST training images"
           if report["quantize_mode"] == "full-integer" else "dynamic range: int8 weights, float activations")
    quant = (f"\nQuantized to int8 ({how}; float input and output): {report['size_bytes']:,} bytes, "
             f"{report['size_ratio']:.0%} of the float TFLite file ({report['float_size_bytes']:,} bytes).\n"
             if report["quantize"] else "")
    rows = [("test images (MNIST test set)", f"{report['n']:,}"),
            ("same answer as the Keras model", f"{report['agreement']:.4%}"),
            ("largest probability difference", f"{report['max_prob_diff']:.2e}"),
            ("accuracy, Keras model", f"{report['keras_accuracy']:.2%}"),
            ("accuracy, this file", f"{report['export_accuracy']:.2%}"),
            ("file size", f"{report['size_bytes']:,} bytes"),
            ("time per image (batches of 500)", f"{report['ms_per_image']:.3f} ms"),
            ("check", report["check_rule"])]
    versions = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"""# {name}

A handwritten-digit classifier exported from HWR Desktop (model: {report['source']}, preset {report['preset']})
as {fmt}, to run with {RUNTIME[fmt]}.

- Input: float32 `(N, 28, 28, 1)` in [0, 1], white ink on black, prepared like MNIST
  (the `prepare` function below does that for an image file). Batch size: {batch_note}.
- Output: float32 `(N, 10)`: {output}; the answer is the argmax.
  These ten cover digits only: a dot, a letter or two digits side by side still get one. HWR
  Desktop asks a separate not-a-digit gate (`resources/models/not_digit.npz` in its source, a
  60k-parameter numpy network with its threshold in the file) before it shows a digit; it is not
  part of this export.
{quant}
## Run it

```python
{code}```

## How it was checked

Before it was written here, the file was loaded back in its runtime and run on the whole MNIST
test set; its answers were compared with the Keras model it came from
({report['created_at']}; {versions}).

| figure | value |
| --- | --- |
{table}

The same figures are in `{report['check_file']}`.
"""
