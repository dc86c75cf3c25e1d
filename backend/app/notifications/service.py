"""The digest: each user's new open recommendations, across their businesses."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.notifications.email import EmailMessage, EmailSender
from app.recommendations import service as recommendations_service
from app.recommendations.schemas import RecommendationRead
from app.users.models import Business, Membership, User


@dataclass
class Digest:
    email: str
    name: str
    # (business name, its new recommendations as lines)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(lines) for _, lines in self.sections)


async def send_digests(
    session: AsyncSession,
    sender: EmailSender,
    *,
    since: datetime,
    until: datetime,
    app_url: str,
) -> int:
    """Email every member whose businesses have recommendations opened in [since, until).

    A recommendation counts when it was opened (or reopened) in the window and is still open.
    Returns how many emails were sent; users with nothing new get none.
    """
    rows = await session.execute(
        select(User.id, User.email, User.name, Business.id, Business.name)
        .join(Membership, Membership.user_id == User.id)
        .join(Business, Business.id == Membership.business_id)
        .order_by(User.email, Business.name, Business.id)
    )
    new: dict[uuid.UUID, list[str]] = {}
    digests: dict[uuid.UUID, Digest] = {}
    for user_id, email, name, business_id, business_name in rows.all():
        if business_id not in new:
            recommendations = await recommendations_service.list_recommendations(
                session, business_id, status="open"
            )
            new[business_id] = _opened_between(recommendations, since, until)
        if new[business_id]:
            digest = digests.setdefault(user_id, Digest(email=email, name=name))
            digest.sections.append((business_name, new[business_id]))
    for digest in digests.values():
        await sender.send(render_digest(digest, app_url))
    return len(digests)


def _opened_between(
    recommendations: Sequence[RecommendationRead], since: datetime, until: datetime
) -> list[str]:
    return [
        f"[{rec.priority}] {rec.title}" for rec in recommendations if since <= rec.opened_at < until
    ]


def render_digest(digest: Digest, app_url: str) -> EmailMessage:
    plural = "s" if digest.count != 1 else ""
    lines = [f"Hi {digest.name},", "", "New recommendations since your last digest:"]
    for business_name, items in digest.sections:
        lines += ["", business_name, *(f"  - {item}" for item in items)]
    lines += [
        "",
        f"Review them: {app_url.rstrip('/')}/dashboard/recommendations",
        "",
        "You get this email when your businesses have new recommendations.",
    ]
    return EmailMessage(
        to=digest.email,
        subject=f"Vaultra: {digest.count} new recommendation{plural}",
        body="\n".join(lines),
    )
