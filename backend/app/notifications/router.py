"""Notification preferences, one-click unsubscribe, and the development mailbox.

Unsubscribing needs no login: the signed token in the link names the user, business and kind.
`POST /notifications/unsubscribe?token=` is the RFC 8058 one-click target of the
`List-Unsubscribe` header (mail clients POST `List-Unsubscribe=One-Click` to it, which is
ignored); `GET` with the same token says what it would turn off, for the /unsubscribe page.
"""

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from app.auth.access import CurrentBusiness
from app.auth.dependencies import CurrentUser
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import error_responses
from app.notifications import sender, service
from app.notifications.schemas import (
    Mailbox,
    NotificationPreferencesRead,
    NotificationPreferencesUpdate,
    OutboxEmailRead,
    UnsubscribeRead,
    UnsubscribeToken,
)
from app.users import service as users_service

router = APIRouter(prefix="/notifications", tags=["notifications"])
dev_router = APIRouter(prefix="/dev", tags=["development"])
# The /dev/mailbox page when there is no web build (an API-only `vaultra serve`).
dev_page_router = APIRouter(include_in_schema=False)


def _read(business_id: object, preferences: service.Preferences) -> NotificationPreferencesRead:
    return NotificationPreferencesRead.model_validate(
        {"business_id": business_id, **preferences.__dict__}
    )


@router.get("/preferences", response_model=NotificationPreferencesRead)
async def read_notification_preferences(
    session: SessionDep, user: CurrentUser, access: CurrentBusiness
) -> NotificationPreferencesRead:
    """Your email preferences for the business (any member; the defaults until changed:
    weekly digest, every alert on)."""
    preferences = await service.get_preferences(session, user.id, access.id)
    return _read(access.id, preferences)


@router.patch("/preferences", response_model=NotificationPreferencesRead)
async def update_notification_preferences(
    session: SessionDep,
    user: CurrentUser,
    access: CurrentBusiness,
    body: NotificationPreferencesUpdate,
) -> NotificationPreferencesRead:
    """Change any of your email preferences for the business."""
    changes = body.model_dump(exclude_unset=True, exclude={"business_id"})
    preferences = await service.update_preferences(session, user.id, access.id, changes)
    return _read(access.id, preferences)


async def _describe(
    session: SessionDep, target: service.Unsubscribe, *, unsubscribed: bool
) -> UnsubscribeRead:
    business = await users_service.get_business(session, target.business_id)
    return UnsubscribeRead(
        kind=target.kind,
        label=service.KIND_LABELS[target.kind],
        business_name=business.name if business is not None else None,
        unsubscribed=unsubscribed,
    )


@router.get("/unsubscribe", response_model=UnsubscribeRead, responses=error_responses(400))
async def read_unsubscribe(
    session: SessionDep, settings: SettingsDep, token: Annotated[UnsubscribeToken, Query()]
) -> UnsubscribeRead:
    """What the link turns off, and whether it already is (no login: the token is signed)."""
    target = service.read_unsubscribe_token(settings, token)
    preferences = await service.get_preferences(session, target.user_id, target.business_id)
    return await _describe(session, target, unsubscribed=not preferences.allows(target.kind))


@router.post("/unsubscribe", response_model=UnsubscribeRead, responses=error_responses(400))
async def unsubscribe(
    session: SessionDep, settings: SettingsDep, token: Annotated[UnsubscribeToken, Query()]
) -> UnsubscribeRead:
    """Turn the link's kind of email off (one click, RFC 8058; no login). Idempotent."""
    target = service.read_unsubscribe_token(settings, token)
    if await users_service.is_member(session, target.user_id, target.business_id):
        await service.unsubscribe(session, target)
    return await _describe(session, target, unsubscribed=True)


@dev_router.get("/mailbox", response_model=Mailbox)
async def read_mailbox(
    session: SessionDep,
    settings: SettingsDep,
    to: Annotated[
        str | None,
        Query(max_length=320, pattern=r"^[^\s@]+@[^\s@]+$", description="Only mail to this."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Mailbox:
    """Development only (absent in production): the outbox, newest first, so flows that
    email (invitations, alerts) can be tried without a mail server. No login."""
    emails = await service.list_outbox(session, to=to, limit=limit)
    return Mailbox(
        emails=[
            OutboxEmailRead(
                id=email.id,
                to=email.to,
                subject=email.subject,
                kind=email.kind,
                status=email.status,
                message_id=sender.message_id(email, settings),
                text=email.body,
                html=email.html,
                headers=email.headers or {},
                attempts=email.attempts,
                created_at=email.created_at,
                sent_at=email.sent_at,
                last_error=email.last_error,
            )
            for email in emails
        ],
        smtp_configured=settings.smtp_enabled,
    )


_MAILBOX_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Development mailbox · Vaultra</title></head><body>
<h1>Development mailbox</h1><p>{note}</p>{items}</body></html>"""


@dev_page_router.get("/dev/mailbox", response_class=HTMLResponse)
async def mailbox_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The outbox as a plain page, newest first (the web app has its own when built)."""
    emails = await service.list_outbox(session, limit=50)
    items = "".join(
        f"<article><h2>{escape(email.subject)}</h2><p>To {escape(email.to)} · "
        f"{email.created_at:%Y-%m-%d %H:%M} UTC · {escape(email.status)}</p>"
        f"<pre>{escape(email.body)}</pre></article>"
        for email in emails
    )
    note = (
        "SMTP is configured: these emails are also sent."
        if settings.smtp_enabled
        else "No SMTP server is configured: emails stay here and are never sent."
    )
    return HTMLResponse(_MAILBOX_PAGE.format(note=note, items=items or "<p>No email yet.</p>"))
