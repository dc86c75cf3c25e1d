"""What-if simulation: recompute the readiness score with some metrics overridden."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from app.metrics.readiness.inputs import ReadinessInputs, validate_overrides
from app.metrics.readiness.results import ReadinessResult
from app.metrics.readiness.scoring import compute_readiness


def simulate(
    base: ReadinessInputs, overrides: Mapping[str, object], currency: str = "usd"
) -> ReadinessResult:
    """Readiness of ``base`` with ``overrides`` applied; ``base`` itself is never changed.

    Raises ``InvalidOverridesError`` (a ``ValueError``) for unknown keys or bad values.
    """
    # Values are checked against each field's type and range at run time, hence Any.
    changes: dict[str, Any] = validate_overrides(overrides)
    return compute_readiness(dataclasses.replace(base, **changes), currency)


def impact_of(
    base: ReadinessInputs,
    overrides: Mapping[str, object],
    currency: str = "usd",
    *,
    base_score: int | None = None,
) -> int:
    """Score change (may be negative) if ``overrides`` came true. Pass ``base_score`` when the
    base is already scored (a refresh scores it once, not once per rule)."""
    if base_score is None:
        base_score = compute_readiness(base, currency).score
    return simulate(base, overrides, currency).score - base_score
