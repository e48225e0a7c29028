"""Chapter 3, detecting search from behaviour: min-of-k statistics and tests, a population of labelled models,
detectors with one decision rule each, the held-out evaluation protocol, figures, the widget and the exercise
checkers."""
