"""Damped Newton with an Armijo line search; the logistic Hessian for it.

:func:`newton` minimises J given ``fg(θ) -> (J, g)`` and ``hess(θ) -> H``
(the Hessian is formed where a step is taken or the Newton decrement
checked); :class:`AffineObjective` supplies J and g of ``loss(X W + b)`` from
chunked sums of our forward / backward passes, and
:func:`newton_logistic_rows` the logistic Hessian ``Xᵀ diag(s ŷ(1 - ŷ)/N) X``
(one block per column of Y). The multinomial one is in ``newton_softmax``.

On many rows (at least ``SUBSAMPLE_MIN_ROWS``, and ``HESSIAN_STRIDE`` ×
``ROWS_PER_PARAM`` rows per parameter of a Hessian block) the Hessian is summed
over the rows whose index in the whole data is a multiple of ``HESSIAN_STRIDE``
and divided by their number: a subsampled Newton step (Byrd et al. 2011;
Roosta-Khorasani & Mahoney 2016) at 1/16 of the O(N D²) cost. The rows are
the same however the data are chunked (in memory or Dask blocks), so every
engine takes the same steps. J, the gradient, the line search and the
stopping rule stay exact, so the minimiser and the tolerance it is reached to
are those of exact Newton; only the direction is approximate (linear
convergence at a rate of about √(parameters / rows kept), instead of
quadratic).

A sparse X: the same steps by sparse products; past ``DENSE_HESSIAN_MAX``
parameters a block, H is ``v ↦ H v`` on the same rows, solved by CG.

Newton stops when no gradient entry exceeds ``tol`` and the Newton decrement
``½ gᵀ H⁻¹ g`` (J's predicted excess over its minimum) is at most
``DECREMENT_RTOL`` × |J|: J then has its minimum's digits, whatever the
gradient's scale.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TypeAlias, Unpack, cast

import numpy as np
import scipy.linalg
from sklearn.exceptions import ConvergenceWarning

from lingrad.core.chain import Chain
from lingrad.core.losses import BinaryCrossEntropy, Loss
from lingrad.core.nodes import Affine, Array
from lingrad.core.penalties import L2
from lingrad.solvers.gram import symmetric
from lingrad.solvers.result import NewtonOptions, SolverResult, check_result
from lingrad.solvers.rows import ArrayRows, Chunk, Rows, kept_rows
from lingrad.solvers.sparse_hessian import (
    HessianOperator,
    logistic_product,
    newton_cg_step,
)
from lingrad.solvers.sums import FG, both, chain_sums, logistic_hessian_sums, sum_loss
from lingrad.training.history import History

HESSIAN_STRIDE = 16  # a subsampled Hessian: every 16th row
ROWS_PER_PARAM = 64  # ... when it keeps at least this many rows per parameter
SUBSAMPLE_MIN_ROWS = 20_000  # ... and N is at least this (else a Hessian is cheap)
DENSE_HESSIAN_MAX = 4096  # sparse X: a Hessian block beyond this is an operator
DECREMENT_RTOL = 1e-11  # converged: ½ gᵀH⁻¹g <= this × |J| (and max |g| <= tol)
Hessian: TypeAlias = "Array | HessianOperator | list[HessianOperator]"  # or v ↦ H v


def hessian_stride(N: int, n_params: int) -> int:
    """The row stride of Newton's Hessian: HESSIAN_STRIDE for large N, else 1."""
    big = N >= max(SUBSAMPLE_MIN_ROWS, HESSIAN_STRIDE * ROWS_PER_PARAM * n_params)
    return HESSIAN_STRIDE if big else 1


def hessian_operator(
    block_params: int, sparse: bool, dense_max: int | None = None
) -> bool:
    """Newton's Hessian is an operator (Newton-CG, no (P, P) matrix): sparse X
    and more than ``DENSE_HESSIAN_MAX`` parameters in a Hessian block."""
    limit = DENSE_HESSIAN_MAX if dense_max is None else dense_max
    return sparse and block_params > limit


def strided_hessian_sums(
    chunk: Chunk, sums: Callable[..., Array], W: Array, b: Array | None, stride: int
) -> Array:
    """``sums`` (a per-chunk Hessian sum) over the chunk's :func:`kept_rows`."""
    return sums(kept_rows(chunk, stride), W, b)


def _solve_pd(H: Hessian, g: Array) -> Array:
    """The Newton step ``-H⁻¹ g`` (Cholesky; least squares if H is singular).

    A non-finite H (overflowing data) gives the steepest descent ``-g``: the
    line search and the result check then say what happened.
    """
    assert isinstance(H, np.ndarray), "an operator is solved by newton_cg_step"
    if not np.isfinite(H).all():
        return -g
    try:
        factor = scipy.linalg.cho_factor(H, check_finite=False)
        return -np.asarray(scipy.linalg.cho_solve(factor, g, check_finite=False))
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        return -np.asarray(scipy.linalg.lstsq(H, g, check_finite=False)[0])


class AffineObjective:
    """J and g of ``loss(X @ W + b, Y) + l2 ‖W‖²`` over θ (K, D1), row k = [w_k, b_k].

    J and g are sums over the chunks of ``rows`` of the chain ``[Affine]``'s
    forward and backward passes (:func:`~lingrad.solvers.sums.chain_sums`),
    divided by N once; a subclass adds its Hessian in this layout.
    """

    hessian_sums: Callable[..., Array]  # per-chunk Σ of the loss's Hessian

    def __init__(
        self, chain: Chain, loss: Loss, rows: Rows, l2: float,
        dense_max: int | None = None,
    ) -> None:  # fmt: skip
        self.chain, self.rows, self.loss = chain, rows, sum_loss(loss)
        self.node = cast(Affine, chain.nodes[0])  # the chain is [Affine]
        self.l2, self.penalty = l2, L2(l2)
        self.N = rows.n_samples
        self.K, self.D = rows.n_outputs, rows.n_features
        self.fit_b = self.node.b is not None
        self.D1 = self.D + int(self.fit_b)
        self.stride = hessian_stride(self.N, self.block_params())
        self.n_kept = -(-self.N // self.stride)  # rows of the Hessian's sum
        sparse = bool(getattr(rows, "sparse", False))
        self.operator = hessian_operator(self.block_params(), sparse, dense_max)

    def block_params(self) -> int:
        """Parameters of one independent Hessian block (all of θ by default)."""
        return self.K * self.D1

    def pack(self) -> Array:
        W, b = self.node.W, self.node.b
        theta = W.T if b is None else np.hstack([W.T, b[:, None]])
        return np.asarray(theta, dtype=np.float64).ravel()

    def unpack(self, theta: Array) -> None:
        T = theta.reshape(self.K, self.D1)
        self.node.W[...] = T[:, : self.D].T
        if self.node.b is not None:  # fit_b
            self.node.b[...] = T[:, self.D]

    def _sums_call(self) -> tuple[Callable[..., FG], tuple[object, ...]]:
        return chain_sums, (self.chain, self.loss, self.chain.params)

    def _hess_call(self) -> tuple[Callable[..., Array], tuple[object, ...]]:
        sums = type(self).hessian_sums
        return strided_hessian_sums, (sums, self.node.W, self.node.b, self.stride)

    def _fg(self, J_sum: float, grads: dict[str, Array]) -> tuple[float, Array]:
        """(J, g) from the chunk sums: /N, plus the penalty, in θ's layout."""
        W = self.node.W
        J = J_sum / self.N + self.penalty.value(W)
        g = np.empty((self.K, self.D1))
        g[:, : self.D] = (grads["affine.W"] / self.N + self.penalty.grad(W)).T
        if self.fit_b:
            g[:, self.D] = grads["affine.b"] / self.N
        return J, g.ravel()

    def _hessian(self, H_sum: Array) -> Array:
        raise NotImplementedError

    def _operator(self) -> Hessian:
        """H at the current θ as ``v ↦ H v`` (``sparse_hessian``): no pass yet."""
        raise NotImplementedError

    def fg(self, theta: Array) -> tuple[float, Array]:
        """J(θ) and dJ/dθ: one pass over the rows."""
        self.unpack(theta)
        fn, args = self._sums_call()
        return self._fg(*self.rows.reduce(fn, *args))

    def hess(self, theta: Array) -> Hessian:
        """The Hessian at θ: one pass over the rows (an operator: none yet)."""
        self.unpack(theta)
        if self.operator:
            return self._operator()
        fn, args = self._hess_call()
        return self._hessian(self.rows.reduce(fn, *args))

    def fgh(self, theta: Array) -> tuple[float, Array, Hessian]:
        """J, g and H in one pass (for data whose every pass is costly)."""
        if self.operator:  # H v costs a pass per product: nothing to fuse
            return (*self.fg(theta), self.hess(theta))
        self.unpack(theta)
        sums = self.rows.reduce(both, self._sums_call(), self._hess_call())
        (J_sum, grads), H_sum = sums
        return (*self._fg(J_sum, grads), self._hessian(H_sum))


class LogisticObjective(AffineObjective):
    """Binary cross-entropy per column; H is block-diagonal (K, D1, D1)."""

    hessian_sums = staticmethod(logistic_hessian_sums)

    def block_params(self) -> int:
        return self.D1  # one block per column

    def _hessian(self, H_sum: Array) -> Array:
        H = np.stack([symmetric(Hk) for Hk in H_sum]) / self.n_kept  # upper triangles
        for k in range(self.K):
            H[k, : self.D, : self.D] += 2 * self.l2 * np.eye(self.D)
        return H

    def _operator(self) -> list[HessianOperator]:
        W, b = self.node.W, self.node.b
        args = (self.stride, self.n_kept, self.l2)
        return [
            HessianOperator(self.rows, logistic_product, W, b, *args, column=k)
            for k in range(self.K)
        ]

    def solve(self, H: Hessian, g: Array) -> Array:
        """One Newton step per column: the columns share no parameter."""
        G = g.reshape(self.K, self.D1)
        step = newton_cg_step if self.operator else _solve_pd
        return np.concatenate([step(H[k], G[k]) for k in range(self.K)])


def newton(
    fg: Callable[[Array], tuple[float, Array]],
    hess: Callable[[Array], Hessian],
    theta0: Array,
    *,
    solve: Callable[[Hessian, Array], Array] = _solve_pd,
    fgh: Callable[[Array], tuple[float, Array, Hessian]] | None = None,
    lazy: bool = True,
    max_iter: int = 100,
    tol: float = 1e-8,
    history: History | None = None,
    n_samples: int = 0,
    warn: bool = True,
    eps: float = float(np.finfo(np.float64).eps),
) -> SolverResult:
    """Damped Newton ``θ ← θ + a·d``, ``H d = -g``, a halved until Armijo holds.

    Near the optimum a step's decrease can fall below J's rounding error
    (16 eps |J|): there a step is taken when J stays within that rounding and
    ``max |g|`` shrinks, so a tolerance on g the step reaches is reached.

    ``SolverResult.n_hessians`` counts the Hessians formed.

    Parameters
    ----------
    fg : callable ``θ -> (J, g)``
        Objective and gradient; every trial point is evaluated with it, so an
        accepted step already has the next gradient.
    hess : callable ``θ -> H``
        The Hessian (in any form ``solve`` accepts), formed only at points a
        step is taken from, or the Newton decrement checked at.
    solve : callable ``(H, g) -> d``
        The Newton direction; default Cholesky of a dense H.
    fgh : callable ``θ -> (J, g, H)`` or None
        J, g and H in one pass, for data where a pass costs more than a
        Hessian (Dask): then each iteration reads the data once.
    lazy : bool
        Keep the last Hessian while full steps shrink ``max |g|`` at least
        100-fold (Shamanskii's modified Newton: the same minimiser, one
        O(N D²) Hessian fewer per reused step), with ``fgh`` too (the same
        iterates on every engine); a step that fails with an older Hessian
        is retried with the current one.
    tol : float
        Converged when ``max |g| <= tol`` and the Newton decrement
        ``½ gᵀH⁻¹g <= DECREMENT_RTOL · |J|`` (J at its minimum's digits).
    history : History or None
        One epoch per iteration (step_loss: J before, epoch_loss: J after,
        step_lr: the accepted step length a).
    warn : bool
        Emit a ``ConvergenceWarning`` when stopping unconverged.
    eps : float
        The data's machine epsilon (float32 data: J and g carry its digits).

    Raises :class:`~lingrad.solvers.result.SolverError` when the result is
    not finite or the iterations never decreased J.
    """
    theta = np.array(theta0, dtype=np.float64)
    reuse = False

    def evaluate(th: Array) -> tuple[float, Array, Hessian | None]:
        return fgh(th) if fgh is not None else (*fg(th), None)

    def gmax(g: Array) -> float:
        return float(np.max(np.abs(g), initial=0.0))

    def accept(
        J: float, g: Array, J_new: float, g_new: Array, a: float, slope: float
    ) -> bool:
        """Armijo; or, where J's rounding (16 eps |J|) hides the step's decrease,
        a J within that rounding and a smaller gradient (scikit-learn's rule)."""
        if J_new <= J + 1e-4 * a * slope:
            return True
        flat = abs(J_new - J) <= 16 * np.finfo(float).eps * abs(J)
        return bool(flat and gmax(g_new) < gmax(g))

    with np.errstate(over="ignore", invalid="ignore"):  # judged by check_result
        J, g, H = evaluate(theta)  # H: at θ, from a fused pass (else None)
        J0, H_in_use, fresh = J, None, False
        message, converged, it, n_hess = "max_iter reached", False, 0, 0
        for it in range(max_iter + 1):  # noqa: B007
            small = gmax(g) <= tol
            if (it == max_iter and not small) or not np.isfinite(J):
                break
            if reuse and H_in_use is not None:  # the same rule, fused or not
                fresh = False
            elif H is not None:  # formed in the pass that evaluated θ
                H_in_use, fresh, n_hess = H, True, n_hess + 1
            else:
                H_in_use, fresh, n_hess = hess(theta), True, n_hess + 1
            d = solve(H_in_use, g)
            slope = float(g @ d)  # -gᵀH⁻¹g: minus twice the Newton decrement
            if small and slope <= 0 and -0.5 * slope <= DECREMENT_RTOL * abs(J):
                converged, message = True, "gradient and Newton decrement below tol"
                break
            if it == max_iter:
                break
            if not slope < 0:  # not a descent direction: fall back to -g
                d, slope = -g, -float(g @ g)
            a = 1.0
            J_new, g_new, H_new = evaluate(theta + d)
            while not accept(J, g, J_new, g_new, a, slope) and a > 1e-12:
                a *= 0.5
                J_new, g_new, H_new = evaluate(theta + a * d)
            taken = J_new <= J or accept(J, g, J_new, g_new, a, slope)
            if not taken and not fresh:  # an older H failed: take θ's own
                reuse, H = False, None
                continue
            if not taken:
                message = "line search found no decrease (precision limit)"
                # converged if the gradient is within tol already, or the step
                # is rounding in the data's precision (eps: float32 data's)
                converged = small or bool(abs(slope) <= 1e3 * eps * max(abs(J), 1))
                break
            theta += a * d
            if history is not None:
                history.add_steps([J], [a], [n_samples])
                history.add_epoch(J_new)
            # keep H while full steps shrink the gradient 100-fold (Shamanskii)
            reuse = lazy and a == 1.0 and gmax(g_new) <= 0.01 * gmax(g)
            J, g, H, fresh = J_new, g_new, H_new, False
    result = SolverResult(theta, it, float(J), converged, message, n_hess)
    check_result(result, J0, "Newton")
    if warn and not converged:
        warnings.warn(
            f"Newton did not converge in {it} iterations (tol={tol:g}): {message}.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return result


def newton_logistic_rows(
    rows: Rows,
    l2: float = 0.0,
    fit_intercept: bool = True,
    *,
    W0: Array | None = None,
    b0: Array | None = None,
    max_iter: int = 100,
    tol: float = 1e-8,
    history: History | None = None,
    warn: bool = True,
    lazy: bool = True,
) -> tuple[Array, Array, SolverResult]:
    """Newton for ``J = (1/N) Σ s_i BCE(y_i, σ(x_iᵀw + b)) + l2 ‖w‖²`` per column.

    J and g from our chain ``[Affine]`` with ``BinaryCrossEntropy(from_logits)``;
    the Hessian of column k is ``Xᵀ diag(s ŷ_k (1 - ŷ_k) / N) X + 2 l2 I`` (with
    a row and column for b). Columns of Y (one-vs-rest) are independent:
    H is block-diagonal and each block is solved alone.

    Returns W (D, K), b (K,) (zeros without intercept) and the result.
    """
    D, K, dtype = rows.n_features, rows.n_outputs, rows.dtype
    W = np.zeros((D, K), dtype) if W0 is None else np.array(W0, dtype=dtype)
    b = np.zeros(K, dtype) if b0 is None else np.array(b0, dtype=dtype)
    chain = Chain([Affine(W, b if fit_intercept else None)])  # live W, b
    objective = LogisticObjective(chain, BinaryCrossEntropy(from_logits=True), rows, l2)
    result = newton(
        objective.fg, objective.hess, objective.pack(), solve=objective.solve,
        fgh=objective.fgh if rows.fused else None, lazy=lazy, max_iter=max_iter,
        tol=tol, history=history, n_samples=rows.n_samples, warn=warn,
        eps=float(np.finfo(dtype).eps),
    )  # fmt: skip
    objective.unpack(result.theta)
    if history is not None:
        history.set_final(chain.params)
    return W.copy(), b.copy(), result


def newton_logistic(
    X: Array,
    Y: Array,
    sample_weight: Array | None = None,
    l2: float = 0.0,
    fit_intercept: bool = True,
    **kwargs: Unpack[NewtonOptions],
) -> tuple[Array, Array, SolverResult]:
    """:func:`newton_logistic_rows` on arrays X (N, D), Y (N,) or (N, K)."""
    rows = ArrayRows(X, np.asarray(Y).reshape(len(X), -1), sample_weight)
    return newton_logistic_rows(rows, l2, fit_intercept, **kwargs)
