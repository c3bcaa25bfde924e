"""L-BFGS-B over a chain's parameters: J and dJ/dθ from our forward/backward.

J and dJ/dθ are sums over the chunks of the rows (in memory one slice, on
Dask the blocks), divided by N once. An L1 part is made smooth by splitting
``W = U - V`` with U, V ≥ 0.
"""

from __future__ import annotations

import warnings
from typing import Unpack

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array
from lingrad.core.penalties import Penalty, penalized
from lingrad.solvers.proximal import split_l1
from lingrad.solvers.result import LbfgsOptions, SolverResult, check_result
from lingrad.solvers.rows import ArrayRows, Rows
from lingrad.solvers.sums import chain_sums, sum_loss
from lingrad.training.history import History


class _Flat:
    """θ ↔ chain.params; penalised weights split as W = U - V (U, V ≥ 0) for L1."""

    def __init__(self, params: dict[str, Array], split: list[str]) -> None:
        self.params, self.split = params, set(split)
        self.slices: dict[str, slice] = {}
        start = 0
        for key, p in params.items():
            n = p.size * (2 if key in self.split else 1)
            self.slices[key] = slice(start, start + n)
            start += n
        self.size = start

    def pack(self) -> Array:
        theta = np.empty(self.size)
        for key, p in self.params.items():
            flat = p.ravel()
            if key in self.split:
                flat = np.concatenate([np.maximum(flat, 0), np.maximum(-flat, 0)])
            theta[self.slices[key]] = flat
        return theta

    def unpack(self, theta: Array) -> None:
        for key, p in self.params.items():
            part = theta[self.slices[key]]
            if key in self.split:
                part = part[: p.size] - part[p.size :]  # W = U - V
            np.copyto(p, part.reshape(p.shape))

    def bounds(self) -> list[tuple[float | None, float | None]] | None:
        if not self.split:
            return None
        out: list[tuple[float | None, float | None]] = [(None, None)] * self.size
        for key in self.split:
            s = self.slices[key]
            out[s] = [(0.0, None)] * (s.stop - s.start)
        return out


def lbfgs(
    chain: Chain,
    loss: Loss,
    X: Array,
    Y: Array,
    penalty: Penalty | None = None,
    sample_weight: Array | None = None,
    **kwargs: Unpack[LbfgsOptions],
) -> SolverResult:
    """:func:`lbfgs_rows` on arrays X (N, D), Y (N, K)."""
    rows = ArrayRows(X, np.asarray(Y).reshape(len(X), -1), sample_weight)
    return lbfgs_rows(chain, loss, rows, penalty, **kwargs)


def lbfgs_rows(
    chain: Chain,
    loss: Loss,
    rows: Rows,
    penalty: Penalty | None = None,
    *,
    max_iter: int = 100,
    tol: float = 1e-4,
    history: History | None = None,
    warn: bool = True,
) -> SolverResult:
    """Minimise ``J(θ) = loss(chain(X), Y) + Σ_W penalty(W)`` with L-BFGS-B.

    J and dJ/dθ come from ``chain.forward``, ``loss.forward/backward`` and
    ``chain.backward_params`` (our derivatives), summed over the chunks of
    ``rows``; scipy only chooses the steps. The chain's live parameters are
    the starting point and hold the result.
    An L1 part ``l1 ‖W‖₁`` is made smooth by splitting ``W = U - V`` with
    bounds U, V ≥ 0 and the linear term ``l1 Σ (U + V)``: L-BFGS-B's projection
    puts weights exactly at zero (no OWL-QN needed).

    Parameters
    ----------
    max_iter : int
        Iterations of L-BFGS-B.
    tol : float
        Stop when the largest projected gradient entry is below ``tol``.
    history : History or None
        Appended to, one epoch per iteration (step_loss: J before it,
        epoch_loss: J after it, lr NaN); snapshots every
        ``history.snapshot_every`` iterations.
    warn : bool
        Emit a ``ConvergenceWarning`` when L-BFGS-B stops unconverged.

    Raises :class:`~lingrad.solvers.result.SolverError` when the result is
    not finite or L-BFGS-B stopped without decreasing J (e.g. "ABNORMAL"
    after 0 iterations): never the starting point disguised as a fit.
    """
    params = chain.params
    l1, smooth = split_l1(penalty)
    weights = [k for k in params if penalized(k)] if penalty is not None else []
    flat = _Flat(params, weights if l1 > 0 else [])
    N = rows.n_samples
    loss_sum = sum_loss(loss)
    last_J: list[float] = []
    J0: list[float] = []

    def fun(theta: Array) -> tuple[float, Array]:
        flat.unpack(theta)
        J_sum, grads = rows.reduce(chain_sums, chain, loss_sum, params)
        J = J_sum / N
        grad = np.empty(flat.size)
        for key, dJ_dp_sum in grads.items():
            dJ_dp = dJ_dp_sum / N  # every dJ_dparam (no dJ_dX)
            s = flat.slices[key]
            if key in weights and smooth is not None:
                J += smooth.value(params[key])
                dJ_dp = dJ_dp + smooth.grad(params[key])
            if key in flat.split:  # J += l1 Σ(U + V); dJ/dU = g + l1, dJ/dV = -g + l1
                J += l1 * float(theta[s].sum())
                g = dJ_dp.ravel()
                grad[s] = np.concatenate([g + l1, l1 - g])
            else:
                grad[s] = dJ_dp.ravel()
        if not last_J:
            last_J.append(J)
            J0.append(J)
        return J, grad

    k_snap = history.snapshot_every if history is not None else None
    if history is not None and k_snap is not None:
        history.add_snapshot(0, params)

    def callback(intermediate_result: scipy.optimize.OptimizeResult) -> None:
        if history is None:
            return
        J = float(intermediate_result.fun)
        history.add_steps([last_J[0]], [np.nan], [N])
        history.add_epoch(J)
        last_J[0] = J
        t = history.n_epochs
        if k_snap is not None and t % k_snap == 0:
            flat.unpack(intermediate_result.x)
            history.add_snapshot(t, params)

    with np.errstate(over="ignore", invalid="ignore"):  # judged by check_result
        res = scipy.optimize.minimize(
            fun,
            flat.pack(),
            jac=True,
            method="L-BFGS-B",
            bounds=flat.bounds(),
            callback=callback,
            options={
                "maxiter": max_iter,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
                "maxls": 50,
            },
        )
    flat.unpack(res.x)  # the last evaluation need not be the result
    if history is not None:
        history.set_final(params)
    result = SolverResult(
        res.x, int(res.nit), float(res.fun), bool(res.success), str(res.message)
    )
    check_result(result, J0[0] if J0 else float("nan"), "L-BFGS-B")
    if warn and not res.success:
        warnings.warn(
            f"L-BFGS-B did not converge in {res.nit} iterations "
            f"(max_iter={max_iter}, tol={tol:g}): {res.message}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return result
