from app.reports.pdf import figures, html_text
from app.reports.render import money, percent, report_html


def test_money_in_whole_major_units_per_currency_exponent() -> None:
    assert money(1_234_567, "usd") == "$12,346"
    assert money(1_234_567, "jpy") == "¥1,234,567"  # zero-decimal
    assert money(1_234_567, "kwd") == "1,235 KWD"  # three-decimal
    assert money(-5_000, "eur") == "-€50"
    assert money(None, "usd") == "n/a"


def test_percent() -> None:
    assert percent(0.0065) == "0.65%"
    assert percent(0.12) == "12%"
    assert percent(0.0) == "0%"
    assert percent(0.05, signed=True) == "+5%"
    assert percent(None) == "n/a"


def test_a_business_name_is_escaped_and_the_figures_are_counted_once() -> None:
    payload = {
        "business": "<script>alert(1)</script> & Co",
        "currency": "usd",
        "data_as_of": "2026-12-01T09:00:00+00:00",
        "generated_at": "2026-12-01T09:00:00+00:00",
        "connected_on": None,
        "sections": ["score"],
        "score": {"score": 61, "tier": "emerging", "model_version": "1.0"},
    }
    html = report_html(payload, code="ABCDE-FGHJK", verify_url="https://v.example/verify")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "connected on n/a" in html
    counted = figures(html_text(html))
    assert counted["61"] == 1
    assert counted["100"] == 1  # "out of 100"
