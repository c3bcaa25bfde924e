"""``CountCorrect``: the History's counter of correct predictions, as data.

The Trainer calls ``n_correct(out, Y) -> int`` after every step's forward
pass. Being a small object with its rule in attributes (not a closure), the
counter can also be run inside the compiled engine (``lingrad.training.compiled``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lingrad.core.nodes import Array


class CountCorrect:
    """Correct predictions of a chain output ``out`` (N, K) against targets Y.

    One column: the prediction is ``out > threshold`` (``>=`` if
    ``inclusive``) and the truth ``Y == high``; K columns: ``argmax out``
    against ``argmax Y`` (ties to the lowest index).
    """

    def __init__(
        self, threshold: float = 0.0, high: float = 1.0, inclusive: bool = False
    ) -> None:
        self.threshold, self.high, self.inclusive = threshold, high, inclusive

    def __call__(self, out: Array, Y: ArrayLike) -> int:
        Y = np.asarray(Y).reshape(len(out), -1)
        if out.shape[1] == 1:
            o = out[:, 0]
            pred = o >= self.threshold if self.inclusive else o > self.threshold
            return int(np.sum(pred == (Y[:, 0] == self.high)))
        return int(np.sum(np.argmax(out, axis=1) == np.argmax(Y, axis=1)))

    def __repr__(self) -> str:
        return (
            f"CountCorrect(threshold={self.threshold!r}, high={self.high!r}, "
            f"inclusive={self.inclusive!r})"
        )
