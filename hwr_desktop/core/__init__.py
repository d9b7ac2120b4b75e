"""The engine: data, preprocessing, models, training, evaluation, model files, inference.

Nothing in this package imports Qt, so the CLI and tests run without a display. Modules that need
TensorFlow import it themselves; importing this package alone stays cheap.
"""
