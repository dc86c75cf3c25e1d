"""The readiness-score doc must state exactly the model's weights and thresholds.

The doc's machine-checkable tables are recognised by their first header cell:
``component`` (weights), ``curve`` (breakpoints), ``tier``, ``constant`` and ``criterion``
(funding options). Values are parsed from human-formatted cells ("$10,000/month", "0.65%",
"270 days", "-20%"), so the doc stays readable while every number is checked.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

import pytest

from app.metrics import series
from app.metrics.readiness import model
from app.metrics.readiness.funding import FUNDING_CRITERIA
from app.metrics.readiness.model import COMPONENTS, TIER_MIN_ELIGIBLE, TIERS

DOC = Path(__file__).resolve().parents[3] / "docs" / "knowledge" / "readiness-score-explained.md"

_NUMBER = re.compile(r"(?P<sign>[-+])?\s*[$€£¥]?(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<pct>%)?")
_KEY = re.compile(r"^`([^`]+)`")


def parse_number(cell: str) -> float:
    """First number in ``cell``: ``"$10,000/month"`` -> 10000, ``"-20%"`` -> -0.2."""
    match = _NUMBER.search(cell)
    if match is None:
        raise ValueError(f"no number in {cell!r}")
    # Decimal keeps "0.65%" exactly 0.0065 rather than 0.006500000000000001.
    value = Decimal(match["num"].replace(",", ""))
    if match["pct"]:
        value /= 100
    return float(-value if match["sign"] == "-" else value)


def parse_breakpoints(cell: str) -> list[tuple[float, float]]:
    """``"0 days → 0; 90 days → 30"`` -> ``[(0, 0), (90, 30)]``."""
    pairs = []
    for part in cell.split(";"):
        left, right = part.split("→")
        pairs.append((parse_number(left), parse_number(right)))
    return pairs


def parse_tables(text: str) -> dict[str, dict[str, dict[str, str]]]:
    """Tables by first header cell; each maps a row's backticked key to its cells by header."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            tables.setdefault(header[0], {})
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        key = _KEY.match(cells[1] if header[0] == "component" else cells[0])
        assert key is not None, f"table row without a `key`: {line}"
        rows = tables[header[0]]
        assert key[1] not in rows, f"duplicate row for {key[1]}"
        rows[key[1]] = dict(zip(header, cells, strict=True))
    return tables


@pytest.fixture(scope="module")
def tables() -> dict[str, dict[str, dict[str, str]]]:
    return parse_tables(DOC.read_text(encoding="utf-8"))


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_parsers() -> None:
    assert parse_number("$10,000/month") == 10_000
    assert parse_number("0.65%") == 0.0065
    assert parse_number("-20%") == -0.2
    assert parse_number("+10% → 75") == 0.1
    assert parse_number("270 days") == 270
    assert parse_breakpoints("component 0 → overall 30; 15 → 45") == [(0, 30), (15, 45)]


def test_component_weights_match(tables: dict[str, dict[str, dict[str, str]]]) -> None:
    rows = tables["component"]
    assert set(rows) == set(COMPONENTS), "components differ between doc and code"
    for key, spec in COMPONENTS.items():
        assert _close(parse_number(rows[key]["weight"]), spec.weight), key
        assert rows[key]["component"] == spec.label, key


def _expected_curves() -> dict[str, tuple[float | None, tuple[tuple[float, float], ...]]]:
    expected: dict[str, tuple[float | None, tuple[tuple[float, float], ...]]] = {}
    for key, spec in COMPONENTS.items():
        for curve in spec.curves:
            expected[f"{key}.{curve.metric}"] = (curve.share, curve.points)
        if spec.confidence is not None:
            expected[f"{key}.{spec.confidence.metric}.confidence"] = (None, spec.confidence.points)
        if spec.score_cap is not None:
            expected[f"{key}.score_cap"] = (None, spec.score_cap)
        if spec.ceiling is not None:
            expected[f"{key}.{spec.ceiling.metric}.ceiling"] = (None, spec.ceiling.points)
    expected["overall.revenue_decline_cap"] = (None, model.DECLINE_CAP)
    return expected


def test_breakpoints_match(tables: dict[str, dict[str, dict[str, str]]]) -> None:
    rows = tables["curve"]
    expected = _expected_curves()
    assert set(rows) == set(expected), "curves differ between doc and code"
    for name, (share, points) in expected.items():
        row = rows[name]
        if share is not None:
            assert _close(parse_number(row["share"]), share), name
        documented = parse_breakpoints(row["breakpoints (value → points)"])
        assert len(documented) == len(points), name
        for (dx, dy), (cx, cy) in zip(documented, points, strict=True):
            assert _close(dx, cx), (name, dx, cx)
            assert _close(dy, cy), (name, dy, cy)


def test_tiers_match(tables: dict[str, dict[str, dict[str, str]]]) -> None:
    rows = tables["tier"]
    assert set(rows) == {name for name, _ in TIERS} | {"insufficient_data"}
    for name, minimum in TIERS:
        assert parse_number(rows[name]["score range"]) == minimum, name
        needed = parse_number(rows[name]["eligible products needed"])
        assert needed == TIER_MIN_ELIGIBLE.get(name, 0), name
    insufficient = rows["insufficient_data"]["score range"]
    assert parse_number(insufficient) == model.INSUFFICIENT_HISTORY_DAYS


def test_model_constants_match(tables: dict[str, dict[str, dict[str, str]]]) -> None:
    rows = tables["constant"]
    expected = {
        "INSUFFICIENT_HISTORY_DAYS",
        "MISSING_COMPONENT_WEIGHT",
        "CONSISTENCY_MIN_MONTHS",
        "GROWTH_MIN_MONTHS",
        "GROWTH_QOQ_MIN_MONTHS",
        "GROWTH_YOY_MIN_MONTHS",
        "SUSTAINED_DECLINE",
        "REVENUE_TREND_BAND",
        "SEASONAL_STRENGTH_MIN",
        "STATUS_HELPS_MIN",
        "STATUS_HURTS_BELOW",
    }
    assert set(rows) == expected
    for name in expected:
        value = getattr(model, name, None)
        value = getattr(series, name) if value is None else value
        assert _close(parse_number(rows[name]["value"]), value), name


def test_model_months_agree_with_the_series_figures() -> None:
    """The explanations promise year-over-year growth at GROWTH_YOY_MIN_MONTHS: it exists
    from exactly that many complete months."""
    months = model.GROWTH_YOY_MIN_MONTHS
    assert series.growth_yoy([100] * (months - 1)) is None
    assert series.growth_yoy([100] * months) == 0
    assert model.CONSISTENCY_MIN_MONTHS == series.TREND_MIN_MONTHS


def test_funding_criteria_match(tables: dict[str, dict[str, dict[str, str]]]) -> None:
    rows = tables["criterion"]
    expected = {
        f"{kind}.{name}": value
        for kind, spec in FUNDING_CRITERIA.items()
        for name, value in spec.thresholds.items()
    }
    assert set(rows) == set(expected), "funding criteria differ between doc and code"
    for name, value in expected.items():
        assert _close(parse_number(rows[name]["threshold"]), value), name


def test_doc_has_front_matter_sources_and_sections() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text.startswith("---\ndoc_id: readiness-score-explained\n")
    assert "## Sources" in text
    for spec in COMPONENTS.values():
        assert f"## Component: {spec.label}" in text
    for source in ("Stripe Capital eligibility", "VAMP", "VDMP", "Excessive Chargeback Program"):
        assert source in text
    for source in ("Lighter Capital", "SBA", "SOP 50 10"):
        assert source in text


_PRODUCT_WORDS = {
    "merchant_cash_advance": "merchant cash advance",
    "revenue_based_financing": "revenue-based",
    "bank_line_of_credit": "bank line",
    "sba_term_loan": "SBA 7(a)",
}


def test_sample_merchant_table_matches_the_golden_tests(
    tables: dict[str, dict[str, dict[str, str]]],
) -> None:
    from tests.metrics.test_sample_merchants_golden import GOLDEN

    rows = tables["merchant"]
    assert set(rows) == set(GOLDEN)
    for merchant, (tier, eligible, _capped_by) in GOLDEN.items():
        row = rows[merchant]
        assert row["tier"] == f"`{tier}`", merchant
        listed = [p for p, words in _PRODUCT_WORDS.items() if words in row["eligible products"]]
        assert listed == eligible, merchant
        assert (row["eligible products"] == "none") == (not eligible), merchant
        assert len(row["components"].split(",")) == 8, merchant
        assert len(row["what a lender would conclude, and why"]) > 200, merchant
    text = DOC.read_text(encoding="utf-8")
    for source in ("Stripe Capital", "Lighter Capital", "Clearco", "SBA 7(a)", "VAMP"):
        assert source in text
