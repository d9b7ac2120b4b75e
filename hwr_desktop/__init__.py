"""HWR Desktop: handwritten digit recognition with a CNN trained on MNIST."""
import os

__version__ = "0.1.0"

# TensorFlow prints C++ start-up chatter on stderr; the CLI promises one clear line per error,
# so we quieten it before anything imports TensorFlow. Users can still override both.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
