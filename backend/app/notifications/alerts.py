"""Alerts, evaluated on every refresh of a business's figures (the `refresh_business` job, a
few seconds after the webhook or sync that changed them) and hourly for what no refresh shows
(a sync failing, a disconnection).

Each alert fires once per change, not once per event or recompute: `AlertState` keeps what the
last evaluation saw, and the alert's outbox rows are written in the same unit of work that
updates it.

- Tier change: the stored score's tier differs from the last one seen (the first evaluation only
  records it).
- Dispute ratio: the worst of the Visa-style and Mastercard-style ratios of the last month, the
  ratios the score uses, crossing 0.65% (Visa's early warning), 0.9% (VDMP standard) or 1.5%
  (VAMP excessive). One alert per upward crossing; the level comes down only once the ratio is
  10% under a threshold (0.585% for 0.65%), so a ratio hovering at a threshold does not alert
  on every recompute.
- Sync failing: the latest sync failed and none succeeded for 24 hours; once per failing streak.
- Stripe access revoked from Stripe's side (`account.application.deauthorized`); once per
  revocation.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import utcnow
from app.core.text import format_percent
from app.metrics import service as metrics_service
from app.metrics.readiness.model import (
    TIERS,
    VAMP_EXCESSIVE_RATIO,
    VDMP_EARLY_WARNING_RATIO,
    VDMP_STANDARD_RATIO,
)
from app.notifications import service
from app.notifications.models import AlertState
from app.notifications.templates import Content, render_html, render_text
from app.stripe import service as stripe_service
from app.users import service as users_service
from app.users.models import Business

DISPUTE_THRESHOLDS: tuple[float, ...] = (
    VDMP_EARLY_WARNING_RATIO,
    VDMP_STANDARD_RATIO,
    VAMP_EXCESSIVE_RATIO,
)
# A level is left only below this share of its threshold.
DISPUTE_HYSTERESIS = 0.9
SYNC_FAILING_FOR = timedelta(hours=24)
TIER_LABELS: dict[str, str] = {
    "insufficient_data": "Insufficient data",
    "not_ready": "Not ready",
    "emerging": "Emerging",
    "ready": "Ready",
    "strong": "Strong",
}
_TIER_RANK: dict[str, int] = {name: rank for rank, (name, _) in enumerate(reversed(TIERS))}


@dataclass(frozen=True)
class Alert:
    kind: service.Kind
    subject: str
    intro: list[str]
    action: tuple[str, str]


def month_dispute_ratio(inputs: dict[str, Any]) -> float | None:
    """The worst of last month's Visa-style and Mastercard-style dispute ratios."""
    ratios = [
        float(value)
        for value in (inputs.get("dispute_ratio_visa_month"), inputs.get("dispute_ratio_mc_month"))
        if value is not None
    ]
    return max(ratios) if ratios else None


def dispute_level(ratio: float | None, previous: int) -> int:
    """How many thresholds `ratio` is over, keeping `previous` while it stays within 10%."""
    if ratio is None:
        return 0
    level = sum(1 for threshold in DISPUTE_THRESHOLDS if ratio > threshold)
    while level < previous and ratio > DISPUTE_THRESHOLDS[previous - 1] * DISPUTE_HYSTERESIS:
        level += 1
    return level


async def _state(session: AsyncSession, business_id: uuid.UUID) -> tuple[AlertState, bool]:
    state = await session.get(AlertState, business_id)
    if state is not None:
        return state, False
    state = AlertState(business_id=business_id, dispute_level=0, sync_failure_alerted=False)
    session.add(state)
    return state, True


async def evaluate_business(
    session: AsyncSession, business: Business, settings: Settings, *, now: datetime | None = None
) -> list[Alert]:
    """Compare the business's figures with the last evaluation; write an email per alert and
    member who wants it; update the state. Returns the alerts that fired."""
    now = now or utcnow()
    state, new = await _state(session, business.id)
    base = settings.frontend_url.rstrip("/")
    dashboard = f"{base}/dashboard?business_id={business.id}"
    alerts: list[Alert] = []

    score = await metrics_service.latest_score(session, business.id)
    if score is not None:
        if not new and state.tier is not None and state.tier != score.tier:
            previous = await metrics_service.previous_score(session, score)
            model_change = previous is not None and previous.model_version != score.model_version
            alerts.append(
                _tier_alert(
                    business,
                    state.tier,
                    score.tier,
                    score.score,
                    dashboard,
                    model_version=score.model_version if model_change else None,
                )
            )
        state.tier = score.tier
        ratio = month_dispute_ratio(score.inputs or {})
        level = dispute_level(ratio, state.dispute_level)
        if ratio is not None and level > state.dispute_level:
            alerts.append(_dispute_alert(business, ratio, level, dashboard))
        state.dispute_level = level

    failing_since = await stripe_service.sync_failing_since(session, business.id)
    if failing_since is None:
        state.sync_failure_alerted = False
    elif now - failing_since >= SYNC_FAILING_FOR and not state.sync_failure_alerted:
        state.sync_failure_alerted = True
        alerts.append(_sync_alert(business, failing_since, now, base))

    revoked_at = await stripe_service.revoked_by_stripe_at(session, business.id)
    if revoked_at is not None and (
        state.stripe_revoked_at is None or state.stripe_revoked_at < revoked_at
    ):
        state.stripe_revoked_at = revoked_at
        alerts.append(_revoked_alert(business, base))

    state.updated_at = now
    await session.flush()
    if alerts:
        await _send(session, business, alerts, settings)
    return alerts


async def _send(
    session: AsyncSession, business: Business, alerts: list[Alert], settings: Settings
) -> None:
    contacts = await users_service.member_contacts(session, business.id)
    preferences = await service.preferences_for_business(
        session, business.id, [contact.user_id for contact in contacts]
    )
    settings_url = f"{settings.frontend_url.rstrip('/')}/settings#notifications-heading"
    for alert in alerts:
        for contact in contacts:
            if not preferences[contact.user_id].allows(alert.kind):
                continue
            links = service.unsubscribe_links(settings, contact.user_id, business.id, alert.kind)
            content = Content(
                greeting=f"Hi {contact.name},",
                intro=alert.intro,
                action=alert.action,
                footer=(
                    f"You get this email as a member of {business.name}: "
                    f"{service.KIND_LABELS[alert.kind]} are on."
                ),
                unsubscribe_url=links.page,
                settings_url=settings_url,
            )
            await service.enqueue_email(
                session,
                to=contact.email,
                subject=alert.subject,
                text=render_text(content),
                html=render_html(content),
                kind=alert.kind,
                business_id=business.id,
                user_id=contact.user_id,
                headers=links.headers(),
            )


def _tier_alert(
    business: Business,
    before: str,
    after: str,
    score: int,
    url: str,
    *,
    model_version: str | None = None,
) -> Alert:
    up = _TIER_RANK.get(after, -1) > _TIER_RANK.get(before, -1)
    old, new = TIER_LABELS.get(before, before), TIER_LABELS.get(after, after)
    verb = "rose" if up else "fell"
    intro = [
        f"{business.name}'s funding readiness tier {verb} from {old} to {new} (score {score}/100).",
    ]
    if model_version is not None:
        # A recalibration is not news about the business: say so, or a founder reads it as one.
        intro.append(
            f"This change comes from an update of Vaultra's readiness model (version "
            f"{model_version}), which now reads your figures the way a lender would, not from "
            "a change in your business."
        )
    return Alert(
        kind="alert_tier",
        subject=f"Vaultra: {business.name}'s readiness tier {verb} to {new}",
        intro=intro,
        action=("See what changed", url),
    )


def _dispute_alert(business: Business, ratio: float, level: int, url: str) -> Alert:
    threshold = format_percent(DISPUTE_THRESHOLDS[level - 1])
    meaning = {
        1: "That is Visa's early-warning level, and lenders read it as a risk signal.",
        2: "That is the level of Visa's dispute monitoring program.",
        3: "That is the excessive level of Visa's and Mastercard's programs, where fines and "
        "losing card processing become possible.",
    }[level]
    return Alert(
        kind="alert_dispute",
        subject=f"Vaultra: {business.name}'s dispute ratio is over {threshold}",
        intro=[
            f"{business.name}'s dispute ratio for the last month is {format_percent(ratio)}, "
            f"over {threshold}. {meaning}",
            "Disputes weigh on the readiness score: answering them, and preventing the next "
            "ones, helps.",
        ],
        action=("See your dispute health", url),
    )


def _sync_alert(business: Business, since: datetime, now: datetime, base: str) -> Alert:
    hours = int((now - since).total_seconds() // 3600)
    return Alert(
        kind="alert_sync",
        subject=f"Vaultra: {business.name}'s Stripe sync has been failing for {hours} hours",
        intro=[
            f"Vaultra has not been able to sync {business.name}'s Stripe data since "
            f"{since:%Y-%m-%d %H:%M} UTC, so its figures and score are getting out of date.",
        ],
        action=("Check the Stripe connection", f"{base}/settings#stripe-heading"),
    )


def _revoked_alert(business: Business, base: str) -> Alert:
    return Alert(
        kind="alert_stripe_revoked",
        subject=f"Vaultra: Stripe access for {business.name} was revoked",
        intro=[
            f"Vaultra's access to {business.name}'s Stripe account was revoked from Stripe's "
            "side, so its figures no longer update. The data already synced is kept.",
            "If that was not intended, connect Stripe again.",
        ],
        action=("Reconnect Stripe", f"{base}/settings#stripe-heading"),
    )


async def businesses_to_watch(session: AsyncSession) -> list[uuid.UUID]:
    return await users_service.all_business_ids(session)
