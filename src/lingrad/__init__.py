"""lingrad: linear models and shallow networks trained by hand-derived backprop."""

__version__ = "0.1.0"
