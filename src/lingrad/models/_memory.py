"""Memory a fit needs, estimated before anything is allocated; a fit that cannot
fit is refused with the numbers (:class:`NotEnoughMemoryError`).

The estimate counts what must exist at once, in ``X``'s float size:

- the targets ``Y`` (N, K) of a classifier, not yet built when it is checked;
- the parameters, P = Σ (n_in + 1) n_out over the layers (widths D, hidden..., K):
  4 copies (the parameters, their gradient, the step or optimizer state, the
  fitted copy), plus 2 m of them for L-BFGS's m = 10 pairs, plus 4 P² for
  Newton's Hessian (its sums, the matrix, its symmetric completion, the factor);
  on a sparse X, 4 b² per Hessian block of b parameters (one block, or one per
  column for the one-vs-rest logistic model), and where a block exceeds
  ``solvers.newton.DENSE_HESSIAN_MAX`` the Hessian is an operator (Newton-CG):
  6 vectors of P;
- the activations of one batch, 3 per unit of every layer (the forward value,
  the backward delta, a temporary): B rows, B = 1 (sgd), ``batch_size``
  (minibatch), N (batch), a chunk of rows (the exact solvers);
- for a sparse X (``nnz`` nonzeros): the copy of one batch's rows, its share
  ``B / N`` of the nonzeros (a value and a column index each) and B + 1 row
  pointers. A sparse X costs its nonzeros, never N·D: X itself, dense or
  sparse, already exists and is not counted.

What is free: ``MemAvailable`` of ``/proc/meminfo`` (else the free pages of
``os.sysconf``), less where an address-space limit (``ulimit -v``, RLIMIT_AS) or
a data limit (RLIMIT_DATA) leaves less.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from lingrad.errors import LingradError
from lingrad.solvers.newton import DENSE_HESSIAN_MAX

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator

LBFGS_PAIRS = 10
COPIES = 4  # parameters, gradient, step / optimizer state, fitted copy
HESSIAN_COPIES = 4  # the sums, H, its symmetric completion, the Cholesky factor
PER_UNIT = 3  # forward value, backward delta, temporary
CHUNK_ROWS = 4096  # the exact solvers' chunks are at most about this many rows
CG_VECTORS = 6  # Newton-CG: the step, residual, direction, H v, gradient, θ
INDEX_BYTES = 8  # a sparse row's column index or row pointer (int64 at most)


class NotEnoughMemoryError(LingradError, MemoryError):
    """A fit whose estimated memory exceeds what this machine (or the process's
    limit) has free; the message gives both numbers and what to change."""


def gigabytes(n: float) -> str:
    """``6.4 GB`` (``512 MB`` under 1 GB): decimal units, as ``free -h`` shows."""
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def available() -> tuple[int | None, str]:
    """(bytes free, where) : the machine's available memory, or what a process
    limit leaves if that is less; None when neither can be read."""
    free, where = _meminfo(), "this machine"
    for limit, used, name in (
        ("RLIMIT_AS", "VmSize", "the memory limit (ulimit -v)"),
        ("RLIMIT_DATA", "VmData", "the data-size limit (ulimit -d)"),
    ):
        left = _limit_left(limit, used)
        if left is not None and (free is None or left < free):
            free, where = left, name
    return free, where


def _meminfo() -> int | None:
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return None


def _limit_left(limit: str, used: str) -> int | None:
    """The soft limit ``limit`` less the process's ``used`` (/proc/self/status)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    soft, _ = resource.getrlimit(getattr(resource, limit))
    if soft == resource.RLIM_INFINITY:
        return None
    taken = 0
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(f"{used}:"):
                    taken = int(line.split()[1]) * 1024
    return max(soft - taken, 0)


def layer_widths(
    estimator: GradientEstimator, n_features: int, n_outputs: int
) -> list[int]:
    """The widths D, hidden..., K of the estimator's layers."""
    hidden = getattr(estimator, "n_hidden", None)
    if not isinstance(hidden, int):
        return [n_features, n_outputs]
    if type(estimator).__name__ == "ResidualNetwork":  # x + σ(σ(x W0) W1), then w2
        return [n_features, hidden, n_features, n_outputs]
    return [n_features, hidden, n_outputs]


def fit_bytes(
    estimator: GradientEstimator,
    n_rows: int,
    n_features: int,
    n_outputs: int,
    itemsize: int,
    targets: bool,
    nnz: int | None = None,
) -> tuple[int, dict[str, int]]:
    """(bytes, {part: bytes}) a fit needs at once; see the module docstring.
    ``targets``: count the classifier's Y (N, K), not built yet; ``nnz``: X is
    sparse with that many nonzeros (None: dense)."""
    widths = layer_widths(estimator, n_features, n_outputs)
    P = sum((a + 1) * b for a, b in zip(widths, widths[1:], strict=False))
    solver = getattr(estimator, "solver", "batch")
    copies = COPIES + (2 * LBFGS_PAIRS if solver == "lbfgs" else 0)
    batch = {
        "sgd": 1,
        "batch": n_rows,
        "minibatch": getattr(estimator, "batch_size", 1),
    }
    rows = min(n_rows, batch.get(solver, CHUNK_ROWS))
    parts = {
        "parameters": copies * P * itemsize,
        "activations": PER_UNIT * rows * sum(widths[1:]) * itemsize,
    }
    if nnz is not None and n_rows > 0:
        share = -(-rows * nnz // n_rows)  # the batch's nonzeros, rounded up
        parts["rows"] = share * (itemsize + INDEX_BYTES) + (rows + 1) * INDEX_BYTES
    if solver == "newton":
        parts["Hessian"] = hessian_bytes(estimator, P, n_features, n_outputs, nnz)
        parts["Hessian"] *= itemsize
    if targets:
        parts["targets"] = n_rows * n_outputs * itemsize
    return sum(parts.values()), parts


def hessian_bytes(
    estimator: GradientEstimator,
    P: int,
    n_features: int,
    n_outputs: int,
    nnz: int | None,
) -> int:
    """Entries (times the float size: bytes) of Newton's Hessian: 4 P² on a
    dense X; on a sparse X by blocks, or CG's vectors beyond the dense limit."""
    if nnz is None:
        return HESSIAN_COPIES * P * P
    per_column = bool(getattr(estimator, "_newton_per_column", False))
    block, blocks = (n_features + 1, n_outputs) if per_column else (P, 1)
    if block > DENSE_HESSIAN_MAX:  # an operator v -> H v, solved by CG
        return CG_VECTORS * P
    return HESSIAN_COPIES * blocks * block * block


def check_fit_memory(
    estimator: GradientEstimator,
    n_rows: int,
    n_features: int,
    n_outputs: int,
    itemsize: int = 8,
    *,
    targets: bool = False,
    nnz: int | None = None,
) -> None:
    """Raise :class:`NotEnoughMemoryError` when the fit needs more than is free
    (``nnz``: the nonzeros of a sparse X; None for a dense one)."""
    need, parts = fit_bytes(
        estimator, n_rows, n_features, n_outputs, itemsize, targets, nnz
    )
    free, where = available()
    if free is None or need <= free:
        return
    big = max(parts, key=lambda k: parts[k])
    hidden = getattr(estimator, "n_hidden", None)
    units = f"fewer hidden units (n_hidden={hidden})" if isinstance(hidden, int) else ""
    fix = {
        "parameters": units or "fewer features or classes",
        "activations": f"{units or 'fewer classes'} or a smaller batch_size "
        "(solver='minibatch')",
        "Hessian": "solver='lbfgs' (no Hessian)",
        "targets": "fewer classes or rows",
        "rows": "a smaller batch_size (solver='minibatch')",
    }[big]
    shown = ", ".join(f"{k} {gigabytes(v)}" for k, v in parts.items())
    raise NotEnoughMemoryError(
        f"{type(estimator).__name__}: training on {n_rows} rows, {n_features} "
        f"features and {n_outputs} {'classes' if targets else 'outputs'} needs about "
        f"{gigabytes(need)} ({shown}), but {where} has {gigabytes(free)} free; "
        f"use {fix}, or a machine with more memory"
    )
