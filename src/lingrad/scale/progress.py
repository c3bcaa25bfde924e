"""Who hears that a block is done: the command line's bar, or a test's hook.

``with on_progress(callback):`` makes every Dask pass started inside call
``callback(n_done)`` as blocks complete (and ``pass_start(n_blocks)`` where
the callback has it), without threading a parameter through the solvers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_HOOKS: list[Callable[[int], object]] = []


@contextmanager
def on_progress(callback: Callable[[int], object]) -> Iterator[None]:
    """Call ``callback(n)`` whenever n more blocks of a pass are done."""
    _HOOKS.append(callback)
    try:
        yield
    finally:
        _HOOKS.remove(callback)


def current_progress() -> Callable[[int], None] | None:
    """The callback to give a new pass (all hooks in force now), or None."""
    if not _HOOKS:
        return None
    hooks = list(_HOOKS)

    def report(n: int) -> None:
        for hook in hooks:
            hook(n)

    return report
