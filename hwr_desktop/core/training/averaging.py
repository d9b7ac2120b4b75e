"""Exponential moving average of a model's weights, kept beside the weights being trained.

The average of the last few hundred steps' weights sits in a flatter part of the loss surface
than the last step's weights and usually generalises a little better. Training updates the
average after every step (one compiled call); validation and saving swap it in.
"""
from __future__ import annotations

from contextlib import contextmanager


class WeightAverage:
    def __init__(self, model, decay: float):
        import tensorflow as tf

        self.variables = list(model.trainable_variables)
        self.averages = [tf.Variable(v.numpy(), trainable=False) for v in self.variables]
        self.steps = tf.Variable(0.0, trainable=False)

        @tf.function
        def update():
            self.steps.assign_add(1.0)
            # Early on the average would be dominated by the random initial weights: ramp the decay
            # up (as TensorFlow's ExponentialMovingAverage does with num_updates).
            d = tf.minimum(decay, (1.0 + self.steps) / (10.0 + self.steps))
            for average, variable in zip(self.averages, self.variables):
                average.assign(d * average + (1.0 - d) * variable.value)

        self.update = update

    @contextmanager
    def swapped_in(self):
        """Within the block the model holds the averaged weights; its own come back afterwards."""
        own = [v.numpy() for v in self.variables]
        for variable, average in zip(self.variables, self.averages):
            variable.assign(average.numpy())
        try:
            yield
        finally:
            for variable, value in zip(self.variables, own):
                variable.assign(value)
