"""The current model on MNIST test images: all 10,000 (Evaluation tab) or a few (Predictions tab)."""
from __future__ import annotations

from dataclasses import dataclass

from hwr_desktop.ui.jobs import Worker


class EvaluationWorker(Worker):
    """Evaluates a model on the MNIST test set with `progress`; result: core.models.evaluation.EvaluationReport,
    with the calibrated confidences (logits divided by the model's `temperature`, ModelInfo.temperature)."""

    def __init__(self, model, outputs_are_probabilities: bool = False, parent=None, temperature: float = 1.0):
        super().__init__(parent)
        self.model = model
        self.outputs_are_probabilities = outputs_are_probabilities
        self.temperature = temperature

    def work(self):
        from hwr_desktop.core.data.mnist import load_mnist
        from hwr_desktop.core.models.evaluation import evaluate
        data = load_mnist()
        return evaluate(self.model, data.x_test, data.y_test, self.outputs_are_probabilities,
                        progress=lambda done, total: self.progress.emit(done, total), stop=self.stop_flag,
                        temperature=self.temperature)


@dataclass
class Predictions:
    indices: object              # test-set indices (np.ndarray)
    report: object               # core.models.evaluation.EvaluationReport for those images, in that order


class PredictionsWorker(Worker):
    """Predicts a handful of MNIST test images: given indices, or `count` drawn at random.
    Result: Predictions, with calibrated confidences (`temperature`: ModelInfo.temperature)."""

    def __init__(self, model, outputs_are_probabilities: bool, indices=None, count: int = 30,
                 seed: int | None = None, parent=None, temperature: float = 1.0):
        super().__init__(parent)
        self.model, self.outputs_are_probabilities = model, outputs_are_probabilities
        self.temperature = temperature
        self.indices, self.count, self.seed = indices, count, seed

    def work(self) -> Predictions:
        import numpy as np

        from hwr_desktop.core.data.mnist import load_mnist
        from hwr_desktop.core.models.evaluation import evaluate
        data = load_mnist()
        idx = self.indices
        if idx is None:
            idx = np.sort(np.random.default_rng(self.seed).choice(len(data.y_test), self.count, replace=False))
        report = evaluate(self.model, data.x_test[idx], data.y_test[idx], self.outputs_are_probabilities,
                          stop=self.stop_flag, temperature=self.temperature)
        return Predictions(idx, report)
