"""Chapter 1, learning to maximize a polynomial: the task, baselines, trained models, probes, figures,
the training widget and the exercise checkers."""
