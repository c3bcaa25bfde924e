"""The compiled engine: the single-layer chains as fused numba kernels.

For ``Chain([Affine])`` and ``Chain([Affine, Sigmoid | BipolarSigmoid])`` with
their losses (squared error, fused binary and multi-class cross-entropy, the
two perceptron criteria), one kernel runs a whole run of steps: for each
batch ``z = x·W + b``, the loss's fused ``dJ_dz``, ``dJ_dW = xᵀ·dJ_dz``, the
penalty and the optimizer's update, writing the History's per-step arrays as
it goes. The node chain is the specification; ``tests/test_engine_identity.py``
proves both give the same numbers.

- :mod:`lingrad.training.compiled.plan` decides whether a Trainer's chain, loss,
  penalty and optimizer have a kernel (pure Python: numba is not imported);
- :mod:`lingrad.training.compiled.engine` drives the kernels epoch by epoch;
- ``_rows``, ``_update`` and ``_loop`` are the numba functions (compiled on
  first use and cached on disk, ``cache=True``); ``_loop_csr`` runs sparse
  (CSR) rows at a cost proportional to their nonzeros, imported and compiled
  only when a sparse fit runs; :mod:`lingrad.training.compiled.prefetch` holds
  the CPU prefetch intrinsics they use (and the bench's SGD floor).
"""
