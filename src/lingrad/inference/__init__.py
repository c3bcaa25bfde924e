"""Inference for the unpenalised linear models: se, tests, intervals, fit statistics.

:func:`summary` (also ``model.summary(X, y)`` and ``lingrad.summary``) returns a
:class:`Summary`, matched to statsmodels' OLS, Logit and MNLogit:

- ``covariance``: inverse Fisher information of the Gaussian, Bernoulli and
  multinomial likelihoods, the HC0-HC3 sandwiches and the L2 sandwich, with
  frequency weights (``sample_weight``);
- ``identify``: rank deficiency, the model without the non-identified columns;
- ``result``: the Summary (t / z tests, intervals, AIC, BIC);
- ``format``: its text table, HTML and JSON;
- ``plot``: the coefficients with their confidence intervals (the report).
"""

from __future__ import annotations

from lingrad.inference.api import InferenceError, summary
from lingrad.inference.result import Summary

__all__ = ["InferenceError", "Summary", "summary"]
