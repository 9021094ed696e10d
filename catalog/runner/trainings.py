"""Aggregating a training round: participants' NumPy weight arrays into one model.

FedAvg (McMahan et al.) is a weighted mean of the participants' weights, each weighted by
the number of samples behind it (equal weights when a count is missing). FedProx and FedDC
change what participants do locally and need state this runner does not keep, so they are
refused with a clear error.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from catalog.errors import CatalogError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

SUPPORTED = ("FedAvg",)


class AggregationError(CatalogError):
    """Updates that cannot be aggregated, or a method this runner does not support."""


def _np() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy comes with the test extra
        raise AggregationError(
            "aggregating training rounds needs NumPy: pip install numpy"
        ) from None
    return numpy


def load_weights(name: str, data: bytes) -> npt.NDArray[np.float64]:
    """A participant's weights from the bytes of a .npy file (no pickled objects)."""
    lib = _np()
    try:
        array = lib.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise AggregationError(f"the update from '{name}' is not a .npy array: {exc}") from None
    if not isinstance(array, lib.ndarray) or not lib.issubdtype(array.dtype, lib.number):
        raise AggregationError(f"the update from '{name}' is not a numeric array")
    weights: npt.NDArray[np.float64] = array.astype(lib.float64)
    return weights


def aggregate(
    method: str,
    updates: Sequence[tuple[str, npt.NDArray[np.float64], int | None]],
) -> npt.NDArray[np.float64]:
    """Combine (participant, weights, num_samples) updates with ``method``."""
    lib = _np()

    if method not in SUPPORTED:
        raise AggregationError(
            f"aggregation method {method} is not supported by this runner "
            f"(supported: {', '.join(SUPPORTED)}); aggregate this training elsewhere"
        )
    if not updates:
        raise AggregationError("a round needs at least one update to aggregate")
    shape = updates[0][1].shape
    for name, weights, _ in updates:
        if weights.shape != shape:
            raise AggregationError(
                f"the update from '{name}' has shape {weights.shape}; "
                f"'{updates[0][0]}' sent {shape}"
            )
    counts = [n for _, _, n in updates]
    if any(n is None for n in counts) or sum(n or 0 for n in counts) == 0:
        factors = [1.0] * len(updates)  # no sample counts: a plain mean
    else:
        factors = [float(n or 0) for n in counts]
    total = sum(factors)
    out: npt.NDArray[np.float64] = lib.zeros(shape, dtype=lib.float64)
    for (_, weights, _), f in zip(updates, factors, strict=True):
        out += weights * (f / total)
    return out


def to_npy(array: npt.NDArray[np.float64]) -> bytes:
    """The bytes of ``array`` saved as .npy."""
    lib = _np()

    buf = io.BytesIO()
    lib.save(buf, array, allow_pickle=False)
    return buf.getvalue()
