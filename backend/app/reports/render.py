"""The report as HTML, for the page and for the PDF (the same template, `print=True`).

Every figure is formatted here from the payload, so the text a PDF carries can be predicted
from its signed payload alone: that is how /verify tells an edited PDF from a genuine one.
Charts are inline SVG (vector in the PDF, no script on the page); numbers appear only in the
table beside them, never as SVG text.
"""

import base64
import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.core.iso import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES

TEMPLATES = Path(__file__).parent / "templates"
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$", "jpy": "¥"}
TIER_LABELS = {
    "insufficient_data": "Insufficient data",
    "not_ready": "Not ready",
    "emerging": "Emerging",
    "ready": "Ready",
    "strong": "Strong",
}
SECTION_TITLES = {
    "score": "Readiness score",
    "metrics": "Metrics summary",
    "revenue": "Monthly revenue",
    "disputes": "Disputes and refunds",
    "funding": "Funding eligibility",
}
METRIC_LABELS = {
    "revenue_30d": ("Revenue, last 30 days", "money"),
    "revenue_90d": ("Revenue, last 90 days", "money"),
    "revenue_365d": ("Revenue, last 365 days", "money"),
    "avg_monthly_revenue_3m": ("Average monthly revenue (3 months)", "money"),
    "growth_mom": ("Growth, month over month", "signed"),
    "growth_3m": ("Growth, last 3 months", "signed"),
    "growth_yoy": ("Growth, last 3 months year over year", "signed"),
    "revenue_trend_12m": ("Revenue trend over a year", "signed"),
    "volatility_monthly_cv": ("Monthly volatility (coefficient of variation)", "decimal"),
    "volatility_detrended_cv": ("Monthly volatility around the trend and season", "decimal"),
    "months_of_history": ("Months of history", "count"),
    "history_start": ("First sale", "date"),
    "payout_failure_rate_90d": ("Failed payouts (90 days)", "percent"),
    "payout_avg_arrival_delay_days": ("Average payout delay, days", "decimal"),
    "payouts_count_90d": ("Payouts (90 days)", "count"),
    "top_customer_share": ("Largest customer's share of revenue", "percent"),
    "top5_customer_share": ("Five largest customers' share", "percent"),
    "dispute_ratio_visa_month": ("Visa dispute ratio, last month", "percent"),
    "dispute_ratio_visa_3m": ("Visa dispute ratio, 3 months", "percent"),
    "dispute_ratio_mc_month": ("Mastercard dispute ratio, last month", "percent"),
    "dispute_ratio_mc_3m": ("Mastercard dispute ratio, 3 months", "percent"),
    "disputes_count_month": ("Disputes, last month", "count"),
    "disputes_count_3m": ("Disputes, 3 months", "count"),
    "fraud_dispute_share_90d": ("Fraud share of disputes (90 days)", "percent"),
    "refund_rate_amount": ("Refunds, share of volume", "percent"),
    "refund_rate_count": ("Refunds, share of charges", "percent"),
}


def exponent(currency: str) -> int:
    code = currency.lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    return 3 if code in THREE_DECIMAL_CURRENCIES else 2


def money(minor: int | float | None, currency: str) -> str:
    """Whole major units: `$12,346`. Lenders read monthly revenue, not cents."""
    if minor is None:
        return "n/a"
    major = round(minor / 10 ** exponent(currency))
    sign = "-" if major < 0 else ""
    symbol = _SYMBOLS.get(currency.lower())
    if symbol:
        return f"{sign}{symbol}{abs(major):,}"
    return f"{sign}{abs(major):,} {currency.upper()}"


def percent(ratio: float | None, signed: bool = False) -> str:
    if ratio is None:
        return "n/a"
    pct = ratio * 100
    text = f"{pct:.0f}" if abs(pct) >= 10 else f"{pct:.2f}".rstrip("0").rstrip(".")
    text = "0" if text in ("-0", "") else text
    if signed and pct > 0:
        text = "+" + text
    return text + "%"


def figure(value: Any, kind: str, currency: str) -> str:
    if value is None:
        return "n/a"
    if kind == "money":
        return money(value, currency)
    if kind == "percent":
        return percent(value)
    if kind == "signed":
        return percent(value, signed=True)
    if kind == "decimal":
        return f"{value:,.2f}"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "date":
        return date.fromisoformat(str(value)[:10]).strftime("%d %b %Y")
    return str(value)


def month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%b %Y")


def when(iso: str | None) -> str:
    if not iso:
        return "n/a"
    return datetime.fromisoformat(iso).strftime("%d %b %Y, %H:%M UTC")


def day(iso: str | None) -> str:
    if not iso:
        return "n/a"
    return date.fromisoformat(iso[:10]).strftime("%d %b %Y")


def revenue_chart(months: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """Bars of gross and net revenue per month, in a 720 x 240 viewBox (scaled by CSS)."""
    width, height, left, bottom, top = 720, 240, 8, 24, 8
    peak = max([m["gross"] for m in months] + [1])
    slot = (width - left * 2) / max(len(months), 1)
    bars = []
    for i, m in enumerate(months):
        x = left + i * slot
        gross_h = (height - bottom - top) * max(m["gross"], 0) / peak
        net_h = (height - bottom - top) * max(m["net"], 0) / peak
        bars.append(
            {
                "x": round(x + slot * 0.1, 2),
                "w": round(slot * 0.8, 2),
                "gross_y": round(height - bottom - gross_h, 2),
                "gross_h": round(gross_h, 2),
                "net_x": round(x + slot * 0.3, 2),
                "net_w": round(slot * 0.4, 2),
                "net_y": round(height - bottom - net_h, 2),
                "net_h": round(net_h, 2),
                "title": f"{month_label(m['month'])}: gross {money(m['gross'], currency)}, "
                f"net {money(m['net'], currency)}",
            }
        )
    return {
        "width": width,
        "height": height,
        "baseline": height - bottom,
        "bars": bars,
        "peak": money(peak, currency),
    }


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(money=money, percent=percent, month=month_label, when=when, day=day)
_env.globals.update(
    figure=figure,
    TIER_LABELS=TIER_LABELS,
    SECTION_TITLES=SECTION_TITLES,
    METRIC_LABELS=METRIC_LABELS,
    revenue_chart=revenue_chart,
)

STYLE = (TEMPLATES / "report.css").read_text()
PRINT_STYLE = (TEMPLATES / "print.css").read_text()
# The pages' one inline <style>, allowed by its hash in their Content-Security-Policy.
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_CSP = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def render(template: str, **context: Any) -> str:
    return _env.get_template(template).render(style=STYLE, **context)


def report_html(
    payload: dict[str, Any],
    *,
    code: str,
    print_mode: bool = False,
    live: bool = False,
    pdf_links: dict[str, str] | None = None,
    verify_url: str = "/verify",
    page_size: str = "A4",
    signed_at: str | None = None,
) -> str:
    # Signed with the report, so the printed URL (and its digits) never changes with the
    # deployment's address: /verify compares every number printed.
    verify_url = str(payload.get("verify_url") or verify_url)
    return render(
        "report.html",
        p=payload,
        code=code,
        print_mode=print_mode,
        print_style=PRINT_STYLE.replace("{{size}}", page_size)
        .replace("{{as_of}}", when(payload.get("data_as_of")))
        .replace("{{code}}", code)
        if print_mode
        else "",
        live=live,
        signed_at=signed_at,
        pdf_links=pdf_links or {},
        verify_url=verify_url,
    )
