"""The course's autograder: checks that exercises use the V2 primitives and give honest, correct results."""

__version__ = "0.1.0"
