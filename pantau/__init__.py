"""Pantau: monitor political parties' compliance with an AI code of conduct.

Importing the package does no work: no file, environment variable or model is read.
"""

__version__ = "0.1.0"
