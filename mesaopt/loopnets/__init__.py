"""Chapter 2, the post's search loop as exact ReLU networks: the Python loop, the four networks built with
:mod:`mesaopt.circuits`, their sizes, the command line, the widgets and the exercise checkers."""
