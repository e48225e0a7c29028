"""Chapter 3, detecting search from behaviour: min-of-k statistics, the tests, the real models' verdicts,
figures, the widget and the exercise checkers."""
