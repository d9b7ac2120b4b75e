"""The LiteRT back end: the bundled models' .tflite twins (the digit models' and the sequence
reader's) are fresh, trusted only where shipped, agree with Keras, and predicting and reading
through them never import TensorFlow."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from hwr_desktop.core.models.inference import Predictor
from hwr_desktop.core.models.litert_model import fresh_twin, read_description, sha256_of, twin_paths
from hwr_desktop.resources import default_model_path, ensemble_model_path, number_reader_path, resource_path

MODELS = resource_path("models")
AGREEMENT_IMAGES = 2000   # a slice here; the twins' build (devtools/make_tflite.py) checks all 10,000


@pytest.mark.parametrize("keras_path", [default_model_path(), ensemble_model_path()], ids=["default", "ensemble"])
def test_bundled_twin_was_made_from_this_very_keras_file(keras_path):
    tflite, record = twin_paths(keras_path)
    recorded = json.loads(record.read_text())
    assert recorded["source_sha256"] == sha256_of(keras_path), (
        f"{keras_path.name} changed without its LiteRT twin: run python -m hwr_desktop.devtools.make_tflite")
    assert recorded["agreement"] == 1.0 and recorded["max_prob_diff"] <= 1e-5 and recorded["n"] == 10_000
    assert fresh_twin(keras_path, MODELS) == tflite


def test_a_twin_outside_the_installed_models_folder_is_never_used(tmp_path):
    for path in (default_model_path(), *twin_paths(default_model_path())):
        shutil.copy(path, tmp_path / path.name)
    copied = tmp_path / default_model_path().name
    assert fresh_twin(copied, tmp_path) is not None          # the same files, trusted folder: used
    assert fresh_twin(copied, MODELS) is None                 # anywhere else: Keras serves
    assert Predictor.litert_twin(copied) is None


def test_a_stale_twin_is_not_used(tmp_path):
    for path in (default_model_path(), *twin_paths(default_model_path())):
        shutil.copy(path, tmp_path / path.name)
    copied = tmp_path / default_model_path().name
    copied.write_bytes(copied.read_bytes() + b"\0")           # the .keras changed, its twin did not
    assert fresh_twin(copied, tmp_path) is None


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError):
        Predictor.from_file(default_model_path(), backend="onnx")


def test_description_read_without_tensorflow_matches_keras_load():
    from hwr_desktop.core.models.modelfile import load_model
    _, info = load_model(default_model_path())
    light = read_description(default_model_path())
    assert light.temperature == info.temperature != 1.0
    assert light.preset == info.preset and light.to_dict()["config"] == info.to_dict()["config"]


def test_both_backends_give_the_same_digits_and_probabilities_within_1e_5():
    from hwr_desktop.core.data.mnist import load_mnist
    images = np.asarray(load_mnist().x_test[:AGREEMENT_IMAGES], np.float32) / 255.0
    keras = Predictor.from_file(default_model_path(), backend="keras")
    lite = Predictor.from_file(default_model_path(), backend="litert")
    assert (keras.backend, lite.backend, lite.has_keras_model) == ("keras", "litert", False)
    assert lite.info.temperature == keras.info.temperature
    assert lite.info.outputs == keras.info.outputs        # the digit reader undoes the temperature by it
    p_keras, p_lite = keras.probabilities(images), lite.probabilities(images)
    assert p_lite.shape == (AGREEMENT_IMAGES, 10)
    assert np.array_equal(p_keras.argmax(axis=1), p_lite.argmax(axis=1))
    assert np.abs(p_keras - p_lite).max() <= 1e-5
    one = lite.predict_image(images[0] * 255)               # the canvas path: one image, shared preprocessing
    assert one.digit == keras.predict_image(images[0] * 255).digit
    assert lite.model.count_params() == keras.model.count_params() and lite.has_keras_model   # loaded when asked


def _run_fresh(code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter, which ends by printing whether TensorFlow or Keras got imported."""
    code += "import sys\nprint('TF', 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_predict_command_never_imports_tensorflow():
    result = _run_fresh("from hwr_desktop.cli import main\n"
                        f"rc = main(['predict', '--json', {str(resource_path('samples', '7-test0075.png'))!r}])\n"
                        "assert rc == 0, rc\n")
    assert '"digit": 7' in result.stdout
    assert result.stdout.strip().endswith("TF False False"), result.stdout


def test_the_apps_model_load_never_imports_tensorflow_for_the_bundled_model():
    result = _run_fresh("from hwr_desktop.ui.workers.model_load import ModelLoadWorker\n"
                        "from hwr_desktop.resources import default_model_path\n"
                        "predictor = ModelLoadWorker(default_model_path()).work()\n"
                        "from hwr_desktop.core.data.images import load_image\n"
                        f"image = load_image({str(resource_path('samples', '7-test0075.png'))!r})\n"
                        "print(predictor.backend, predictor.predict_image(image).digit)\n")
    assert "litert 7" in result.stdout
    assert result.stdout.strip().endswith("TF False False"), result.stdout


def test_the_readers_twin_was_made_from_this_very_keras_file():
    tflite, record = twin_paths(number_reader_path())
    recorded = json.loads(record.read_text())
    assert recorded["source_sha256"] == sha256_of(number_reader_path()), (
        "number_reader.keras changed without its LiteRT twin: run python -m hwr_desktop.devtools.make_tflite")
    assert recorded["agreement"] == 1.0 and recorded["max_prob_diff"] <= 1e-5 and recorded["n"] >= 500
    assert "validation" in recorded["checked_on"]
    assert fresh_twin(number_reader_path(), MODELS) == tflite


def _numbers(mnist):
    """Numbers of MNIST validation digits in the five conditions, and the bundled sample images."""
    from hwr_desktop.core.data.images import load_image
    from hwr_desktop.core.data.number_images import CONDITIONS, number_image
    images = [load_image(path) for path in sorted(resource_path("samples").glob("*.png"))]
    for k, condition in enumerate(CONDITIONS * 2):
        rng = np.random.default_rng([30, k])
        picks = rng.choice(len(mnist.x_val), 3 + k % 5, replace=False)
        images.append(number_image(mnist.x_val[picks], mnist.y_val[picks], condition, rng).array())
    return images


def test_both_reader_backends_read_the_same_numbers_with_the_same_confidences(mnist):
    from hwr_desktop.core.reading.number_reader import SequenceReader, read_number
    keras = (Predictor.from_file(default_model_path(), backend="keras"),
             SequenceReader.from_file(number_reader_path(), backend="keras"))
    lite = (Predictor.from_file(default_model_path(), backend="litert"),
            SequenceReader.from_file(number_reader_path(), backend="litert"))
    assert (keras[1].backend, lite[1].backend) == ("keras", "litert")
    assert lite[1].settings == keras[1].settings               # read from the .keras zip without TensorFlow
    texts = []
    for image in _numbers(mnist):
        a, b = read_number(keras[0], image, keras[1]), read_number(lite[0], image, lite[1])
        assert b.text == a.text and [r[0] for r in b.readings] == [r[0] for r in a.readings]
        assert b.confidence == pytest.approx(a.confidence, abs=1e-5)
        assert np.allclose([r[1] for r in b.readings], [r[1] for r in a.readings], atol=1e-5, rtol=0)
        assert [d.digit for d in b.digits] == [d.digit for d in a.digits]
        for x, y in zip(a.digits, b.digits):
            assert np.abs(x.probabilities - y.probabilities).max() <= 1e-5 and x.box == y.box
        texts.append(a.text)
    assert texts[:10] == [str(d) for d in range(10)]              # the samples are named by their digit
    assert sum(len(t) > 2 for t in texts) >= 8                    # whole numbers were read, not just marks


def test_read_command_never_imports_tensorflow():
    samples = sorted(str(p) for p in resource_path("samples").glob("*.png"))
    result = _run_fresh("from hwr_desktop.cli import main\n"
                        f"rc = main(['read', '--json', *{samples!r}])\n"
                        "assert rc == 0, rc\n")
    found = json.loads(result.stdout[:result.stdout.rindex("TF")])
    assert [r["text"] for r in found] == [str(d) for d in range(10)]
    assert result.stdout.strip().endswith("TF False False"), result.stdout


def test_one_litert_model_called_from_several_threads_gives_each_its_own_answer():
    """The GUI thread predicts strokes while a worker reads a number with the same Predictor: the
    interpreter's input is resized per call, so unguarded calls would mix up each other's tensors."""
    import threading

    from hwr_desktop.core.models.litert_model import LiteRTModel
    model = LiteRTModel(twin_paths(default_model_path())[0])
    rng = np.random.default_rng(0)
    batches = [rng.random((n, 28, 28, 1), dtype=np.float32) for n in (1, 7, 2, 5)]
    expected = [model(b) for b in batches]
    wrong = []

    def hammer(k):
        for i in range(60):
            j = (i + k) % len(batches)
            try:
                out = model(batches[j])
            except RuntimeError as exc:     # unguarded: "There is at least 1 reference to internal data..."
                wrong.append(str(exc)[:60])
                continue
            if out.shape != expected[j].shape or not np.array_equal(out, expected[j]):
                wrong.append(j)
    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
