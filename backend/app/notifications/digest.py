"""The digest: weekly by default, daily for those who opt in, per member and business.

It reports the score and tier with their change since that member's previous digest, the
recommendations opened and resolved since then, and the funding options that became eligible or
stopped being so. `DigestState` keeps what the previous digest said; it is updated in the same
unit of work that writes the email to the outbox, so a failed run neither loses nor repeats one.
The job runs daily (13:00 UTC); a digest is due a day (daily) or a week (weekly) after the
previous one, less an hour of slack so a run a few seconds early still sends it.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import utcnow
from app.metrics import service as metrics_service
from app.notifications import service
from app.notifications.alerts import TIER_LABELS
from app.notifications.models import DigestFrequency, DigestState
from app.notifications.templates import Content, Section, render_html, render_text
from app.recommendations import service as recommendations_service
from app.users import service as users_service
from app.users.models import Business

PERIODS = {DigestFrequency.daily: timedelta(days=1), DigestFrequency.weekly: timedelta(days=7)}
SLACK = timedelta(hours=1)


@dataclass
class Snapshot:
    score: int | None
    tier: str | None
    open_ids: list[str]
    titles: dict[str, str]
    resolved_ids: set[str]
    eligible: dict[str, str]  # funding option type -> name
    names: dict[str, str] = field(default_factory=dict)  # every option type -> name


async def _snapshot(session: AsyncSession, business_id: uuid.UUID) -> Snapshot:
    score = await metrics_service.latest_score(session, business_id)
    recommendations = await recommendations_service.list_recommendations(session, business_id)
    options: list[dict[str, Any]] = list(score.funding_options) if score is not None else []
    return Snapshot(
        score=score.score if score is not None else None,
        tier=score.tier if score is not None else None,
        open_ids=[str(rec.id) for rec in recommendations if rec.status == "open"],
        titles={str(rec.id): rec.title for rec in recommendations},
        resolved_ids={str(rec.id) for rec in recommendations if rec.status == "resolved"},
        eligible={o["type"]: o["name"] for o in options if o.get("eligible")},
        names={o["type"]: o["name"] for o in options},
    )


def is_due(frequency: DigestFrequency, last: datetime | None, now: datetime) -> bool:
    if frequency == DigestFrequency.off:
        return False
    return last is None or now - last >= PERIODS[frequency] - SLACK


async def send_business_digests(
    session: AsyncSession, business: Business, settings: Settings, *, now: datetime | None = None
) -> int:
    """Write the due digests of the business's members to the outbox; returns how many."""
    now = now or utcnow()
    contacts = await users_service.member_contacts(session, business.id)
    if not contacts:
        return 0
    preferences = await service.preferences_for_business(
        session, business.id, [contact.user_id for contact in contacts]
    )
    states = {
        state.user_id: state
        for state in await session.scalars(
            select(DigestState).where(DigestState.business_id == business.id)
        )
    }
    snapshot: Snapshot | None = None
    written = 0
    for contact in contacts:
        frequency = preferences[contact.user_id].digest
        state = states.get(contact.user_id)
        if not is_due(frequency, state.sent_at if state else None, now):
            continue
        snapshot = snapshot or await _snapshot(session, business.id)
        if snapshot.score is None and not snapshot.open_ids:
            continue  # nothing to report yet (e.g. Stripe not connected)
        content, subject = _render(business, contact.name, frequency, snapshot, state, settings)
        links = service.unsubscribe_links(settings, contact.user_id, business.id, "digest")
        content.unsubscribe_url = links.page
        await service.enqueue_email(
            session,
            to=contact.email,
            subject=subject,
            text=render_text(content),
            html=render_html(content),
            kind="digest",
            business_id=business.id,
            user_id=contact.user_id,
            headers=links.headers(),
        )
        if state is None:
            state = DigestState(user_id=contact.user_id, business_id=business.id, sent_at=now)
            session.add(state)
        state.sent_at = now
        state.score = snapshot.score
        state.tier = snapshot.tier
        state.recommendation_ids = snapshot.open_ids
        state.eligible_options = sorted(snapshot.eligible)
        written += 1
    await session.flush()
    return written


def _render(
    business: Business,
    name: str,
    frequency: DigestFrequency,
    now: Snapshot,
    before: DigestState | None,
    settings: Settings,
) -> tuple[Content, str]:
    base = settings.frontend_url.rstrip("/")
    sections: list[Section] = []
    headline = ""
    if now.score is not None:
        tier = TIER_LABELS.get(now.tier or "", now.tier or "")
        change = ""
        if before is not None and before.score is not None:
            delta = now.score - before.score
            change = f" ({delta:+d} since your last digest)" if delta else " (unchanged)"
        lines = [f"Score {now.score}/100{change}", f"Tier: {tier}"]
        if before is not None and before.tier and before.tier != now.tier:
            lines[-1] += f" (was {TIER_LABELS.get(before.tier, before.tier)})"
        sections.append(Section("Readiness", lines))
        headline = f"score {now.score}" + (
            f" ({now.score - before.score:+d})"
            if before is not None and before.score is not None and now.score != before.score
            else ""
        )
    previous_open = set(before.recommendation_ids) if before else set()
    new = [now.titles[i] for i in now.open_ids if i not in previous_open]
    resolved = [now.titles[i] for i in sorted(previous_open & now.resolved_ids)]
    if new:
        sections.append(Section("New recommendations", new))
    if resolved:
        sections.append(Section("Resolved recommendations", resolved))
    previous_eligible = set(before.eligible_options) if before else set()
    gained = [now.eligible[t] for t in sorted(now.eligible) if t not in previous_eligible]
    lost = [now.names.get(t, t) for t in sorted(previous_eligible - set(now.eligible))]
    if gained:
        sections.append(Section("Funding options newly in reach", gained))
    if lost:
        sections.append(Section("Funding options no longer in reach", lost))
    if not (new or resolved or gained or lost) and before is not None:
        sections.append(Section("Since your last digest", ["No new recommendations or changes."]))
    period = "daily" if frequency == DigestFrequency.daily else "weekly"
    content = Content(
        greeting=f"Hi {name},",
        intro=[f"Here is {business.name}'s {period} funding readiness digest."],
        sections=sections,
        action=("Open your dashboard", f"{base}/dashboard?business_id={business.id}"),
        footer=f"You get the {period} digest as a member of {business.name}.",
        settings_url=f"{base}/settings#notifications-heading",
    )
    subject = f"Vaultra {period} digest for {business.name}" + (f": {headline}" if headline else "")
    return content, subject
