"""core.inside.layer_activations: every layer's output for one drawing, in one traced call."""
from __future__ import annotations

import numpy as np
import pytest

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.layer_activations import MAPS, OUTPUT, VECTOR, LayerProbe, layer_outputs, member_networks
from hwr_desktop.resources import default_model_path
from tests.inside_nets import DESKEWING, VARIED, digit, randomized


@pytest.fixture(scope="module")
def bundled():
    from hwr_desktop.core.models.modelfile import load_model
    return load_model(default_model_path())


def _check_shapes_and_order(model, activations):
    assert len(activations) == len(model.layers)
    for layer, act in zip(model.layers, activations, strict=True):
        assert act.name == layer.name and act.type == type(layer).__name__
        assert act.values.shape == tuple(layer.output.shape[1:]), layer.name
        assert act.values.dtype == np.float32
        assert act.kind == (OUTPUT if act is activations[-1] else MAPS if act.values.ndim == 3 else VECTOR)
        assert sorted(act.order.tolist()) == list(range(act.count))
        assert np.all(np.diff(act.activity[act.order]) <= 0), "most active first"


def test_bundled_model_every_layer_has_the_reported_shape_and_calibrated_output(bundled, mnist):
    from hwr_desktop.core.models.inference import Predictor
    model, info = bundled
    networks = member_networks(model, info)
    assert len(networks) == 1 and networks[0].model is model and networks[0].temperature == info.temperature
    assert networks[0].calibrated and info.temperature != 1.0
    probe = LayerProbe.for_network(networks[0])
    image = digit(mnist, 0)
    activations = probe.probe(image)
    _check_shapes_and_order(model, activations)
    assert [a.kind for a in activations].count(MAPS) == 18 and activations[-2].kind == VECTOR
    expected = Predictor(model, info).probabilities(image)[0]
    np.testing.assert_allclose(activations[-1].probabilities, expected, atol=1e-6)
    assert activations[-1].order[0] == mnist.y_test[0]
    # The traced call gives what running the layers one by one gives.
    for eager, act in zip(layer_outputs(model, image), activations):
        np.testing.assert_allclose(act.values, eager, atol=1e-5)
    # Paging follows the order: the busiest maps first.
    conv = activations[14]
    assert conv.count == 128 and conv.page(1, 16).tolist() == conv.order[16:32].tolist()
    assert conv.activity[conv.page(0, 16)].min() >= conv.activity[conv.page(1, 16)].max()


@pytest.mark.parametrize("design", [VARIED, DESKEWING], ids=lambda d: d["name"])
def test_designed_networks_every_layer_has_the_reported_shape(design, mnist):
    from hwr_desktop.core.network.design import check_design
    model = randomized(design)
    activations = LayerProbe(model, temperature=2.0).probe(digit(mnist, 3))
    _check_shapes_and_order(model, activations)
    rows = check_design(design).rows
    assert [a.values.shape for a in activations] == [row.output_shape for row in rows]
    logits = activations[-1].values.astype(np.float64) / 2.0
    np.testing.assert_allclose(activations[-1].probabilities, np.exp(logits) / np.exp(logits).sum(), atol=1e-6)
    if design is DESKEWING:   # Deskew's output is the straightened digit: one 28x28 map
        assert activations[0].kind == MAPS and activations[0].values.shape == (28, 28, 1)


def test_one_member_of_an_ensemble_is_probed_on_its_own(mnist):
    from hwr_desktop.core.models.info import MemberInfo, Metrics, new_info
    from hwr_desktop.core.training.ensemble import build_ensemble
    members = [randomized(VARIED, seed=1), randomized(DESKEWING, seed=2)]
    ensemble = build_ensemble(members, tta=True)
    info = new_info("ensemble of 2", {}, members=[MemberInfo("a.keras", "varied", 1, Metrics()),
                                                  MemberInfo("b.keras", "deskewing", 2, Metrics())])
    networks = member_networks(ensemble, info)
    assert [n.name for n in networks] == ["member_1 (varied)", "member_2 (deskewing)"]
    assert all(n.model is m and n.temperature == 1.0 and not n.calibrated for n, m in zip(networks, members))
    image = digit(mnist, 5)
    logits = LayerProbe.for_network(networks[1]).probe(image)[-1].values
    np.testing.assert_allclose(logits, members[1](image[None, ..., None], training=False).numpy()[0], atol=1e-5)
    with pytest.raises(HwrError, match="members"):
        LayerProbe(ensemble)


def test_stroke_to_activations_bench_measures_drawn_digits():
    from hwr_desktop.devtools.inside_bench import STAGES, drawings, stroke_to_activations
    from hwr_desktop.devtools.strokes import SHAPES
    assert len(drawings()) == len(SHAPES) * len(STAGES) == 18 and drawings()[0].dtype == np.uint8
    figures = stroke_to_activations(repetitions=20)
    assert figures["layers"] == 21 and figures["repetitions"] == 20 and figures["cpu"]
    assert 0 < figures["median_ms"] <= figures["p95_ms"] <= 50.0   # the target, with room on a busy machine
