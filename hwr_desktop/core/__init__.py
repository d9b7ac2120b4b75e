"""The engine: data, networks, models, the stores, training, the Inside views, export and reading.

One subpackage per topic (data, network, models, store, training, inside, export, segmentation,
reading) over a ground floor of small modules (errors, paths, tfload, files); the directions they
may import each other in are in docs/ARCHITECTURE.md and tests/test_architecture.py. Nothing here
imports Qt, so the CLI and tests run without a display. Modules that need TensorFlow import it
themselves and the subpackages' __init__ files are empty: importing a package alone stays cheap.
"""
