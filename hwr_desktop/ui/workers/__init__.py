"""The concrete background jobs, one module per kind, all subclasses of ui.jobs.Worker.

Each returns its result from work(), so every one delivers it on `resultReady`:
model_load (a warmed-up Predictor), training (TrainingOutcome), finetune (FinetuneOutcome),
evaluation (an EvaluationReport; Predictions for a few test images), dataset (MnistSplits),
inspector (an Inspector), read_image (a ReadResult).
"""
