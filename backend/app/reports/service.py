"""Share links, the frozen report payload, views and verification. Services flush, never commit.

A share freezes the report when it is created: the payload (canonical JSON) and its Ed25519
signature are stored with it, so the lender sees what the founder shared, and a printed copy
can be checked later, even offline against the published key. Only the token's SHA-256 is
stored; the link is shown once.
"""

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import security
from app.core.config import Settings
from app.core.db import after_commit, utcnow
from app.metrics import service as metrics_service
from app.metrics.exceptions import ReadinessNotComputed
from app.metrics.schemas import Granularity
from app.reports import pdf
from app.reports.exceptions import ReportNotReady, ShareGone, ShareNotFound
from app.reports.models import ReportAudit, ReportShare
from app.reports.schemas import Section, ShareCreate, ShareRead, ShareStatus
from app.reports.signing import ReportSigner, canonical_json, normalize_code, verification_code
from app.stripe import service as stripe_service
from app.users.models import Business

PAYLOAD_VERSION = 1
# 32 random bytes: 256 bits, twice the 128 the link needs to be unguessable.
TOKEN_BYTES = 32
# A view from the same client address within this long is a refresh: counted once.
VIEW_DEDUP = timedelta(minutes=1)
# The revenue chart: up to 24 complete months (12 is what lenders usually ask for).
REVENUE_MONTHS = 24
# Card-network dispute thresholds the report compares against (ratio of disputes to sales).
# Same figures as the readiness model's (backend/docs/knowledge/readiness-score-explained.md).
DISPUTE_THRESHOLDS = (
    {"network": "Visa", "program": "VDMP early warning", "ratio": 0.0065},
    {"network": "Visa", "program": "VDMP standard", "ratio": 0.009},
    {"network": "Mastercard", "program": "ECP monitored", "ratio": 0.010},
    {"network": "Visa / Mastercard", "program": "VAMP excessive / ECM", "ratio": 0.015},
)
SUMMARY_METRICS = (
    "revenue_30d",
    "revenue_90d",
    "revenue_365d",
    "avg_monthly_revenue_3m",
    "growth_mom",
    "growth_3m",
    # Readiness model 2.0: the season-free figures a lender reads next to the sequential ones.
    "growth_yoy",
    "revenue_trend_12m",
    "volatility_monthly_cv",
    "volatility_detrended_cv",
    "months_of_history",
    "history_start",
    "payout_failure_rate_90d",
    "payout_avg_arrival_delay_days",
    "payouts_count_90d",
    "top_customer_share",
    "top5_customer_share",
)
DISPUTE_METRICS = (
    "dispute_ratio_visa_month",
    "dispute_ratio_visa_3m",
    "dispute_ratio_mc_month",
    "dispute_ratio_mc_3m",
    "disputes_count_month",
    "disputes_count_3m",
    "fraud_dispute_share_90d",
    "refund_rate_amount",
    "refund_rate_count",
)

# The report's clock: tests set it to move past an expiry (`set_clock`).
_clock: Callable[[], datetime] = utcnow


def now() -> datetime:
    return _clock()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    global _clock
    _clock = clock or utcnow


def hash_token(token: str) -> str:
    return security.sha256_hex(token)


def client_hash(settings: Settings, address: str) -> str:
    """A keyed hash of the client address: tells a refresh from a new visitor, and reveals
    nothing to whoever reads the audit table without the key."""
    key = settings.resolved_jwt_secret().encode()
    return hmac.new(key, f"report-client:{address}".encode(), hashlib.sha256).hexdigest()


def share_status(share: ReportShare, at: datetime | None = None) -> ShareStatus:
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at <= (at or now()):
        return "expired"
    return "active"


def share_read(share: ReportShare) -> ShareRead:
    return ShareRead(
        id=share.id,
        business_id=share.business_id,
        label=share.label,
        sections=[Section(name) for name in share.sections],
        live=share.live,
        code=share.code,
        created_at=share.created_at,
        expires_at=share.expires_at,
        revoked_at=share.revoked_at,
        status=share_status(share),
        view_count=share.view_count,
        last_viewed_at=share.last_viewed_at,
    )


# --- The payload -----------------------------------------------------------------------


def third_person(text: str) -> str:
    """The readiness explanations speak to the founder ("Your largest customer brought 0.4%");
    the report is read by a lender. The five such phrases are all the possessive "your"."""
    return re.sub(
        r"\b([Yy])our\b", lambda m: "The business's" if m[1] == "Y" else "the business's", text
    )


def _value(metrics: dict[str, Any], name: str) -> Any:
    entry = metrics.get(name)
    return entry.get("value") if isinstance(entry, dict) else None


async def build_payload(
    session: AsyncSession, business: Business, sections: list[Section], *, at: datetime
) -> dict[str, Any]:
    """The report's figures: only what the chosen sections show, and never a customer's name,
    email, card or Stripe id, nor the founder's email (none of them is read here)."""
    snapshot = await metrics_service.latest_snapshot(session, business.id)
    if snapshot is None:
        raise ReportNotReady()
    try:
        readiness = await metrics_service.get_readiness(session, business)
    except ReadinessNotComputed as exc:
        raise ReportNotReady() from exc
    account = await stripe_service.get_account(session, business.id)
    metrics: dict[str, Any] = snapshot.metrics
    payload: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "business": business.name,
        "currency": snapshot.currency.lower(),
        "generated_at": at.isoformat(),
        "data_as_of": snapshot.computed_at.isoformat(),
        "connected_on": account.connected_at.date().isoformat() if account else None,
        "sections": [section.value for section in sections],
        "score": {
            "score": readiness.score,
            "tier": readiness.tier,
            "model_version": readiness.model_version,
        },
    }
    if Section.score in sections:
        payload["score"]["capped_by"] = readiness.capped_by
        payload["score"]["components"] = [
            {
                "key": key,
                "label": c.label,
                "score": c.score,
                "weight": c.weight,
                "display": c.display,
                "status": c.status,
                "explanation": third_person(c.explanation),
            }
            for key, c in readiness.components.items()
        ]
    if Section.metrics in sections:
        payload["metrics"] = {name: _value(metrics, name) for name in SUMMARY_METRICS}
    if Section.revenue in sections:
        payload["revenue"] = await _monthly_revenue(session, business, snapshot.as_of)
    if Section.disputes in sections:
        payload["disputes"] = {
            "ratios": {name: _value(metrics, name) for name in DISPUTE_METRICS},
            "thresholds": list(DISPUTE_THRESHOLDS),
        }
    if Section.funding in sections:
        payload["funding"] = [
            {
                "name": option.name,
                "type": option.type,
                "eligible": option.eligible,
                "unmet": [third_person(unmet.message) for unmet in option.unmet],
            }
            for option in readiness.funding_options
        ]
    return payload


async def _monthly_revenue(
    session: AsyncSession, business: Business, as_of: date
) -> list[dict[str, Any]]:
    """Complete months before `as_of`'s month, the latest 24 at most, oldest first."""
    this_month = as_of.replace(day=1)
    start = _add_months(this_month, -REVENUE_MONTHS)
    history = await metrics_service.get_metric_history(
        session,
        business,
        start_date=start,
        end_date=this_month - timedelta(days=1),
        granularity=Granularity.month,
    )
    return [
        {
            "month": point.period_start.strftime("%Y-%m"),
            "gross": point.gross_volume,
            "net": point.net_volume,
            "refunds": point.refund_amount,
            "disputes": point.dispute_count,
            "charges": point.charge_count,
        }
        for point in history.metrics
        if point.period_end < this_month
    ]


def _add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# --- Shares ----------------------------------------------------------------------------


async def create_share(
    session: AsyncSession,
    signer: ReportSigner,
    business: Business,
    user_id: uuid.UUID,
    body: ShareCreate,
    client: str,
    *,
    verify_url: str,
) -> tuple[ReportShare, str]:
    """The share and its token (the only time the token exists outside the link)."""
    at = now()
    payload = await build_payload(session, business, body.sections, at=at)
    share_id = uuid.uuid4()
    payload["share_id"] = str(share_id)
    payload["expires_at"] = (at + timedelta(days=body.expires_in_days)).isoformat()
    payload["key_id"] = signer.key_id
    payload["verify_url"] = verify_url
    canonical = canonical_json(payload)
    signature = signer.sign(canonical)
    token = security.random_token(TOKEN_BYTES)
    share = ReportShare(
        id=share_id,
        business_id=business.id,
        created_by=user_id,
        label=body.label,
        token_hash=hash_token(token),
        code=verification_code(signature),
        sections=[section.value for section in body.sections],
        live=body.live,
        payload=canonical,
        signature=signature,
        created_at=at,
        expires_at=at + timedelta(days=body.expires_in_days),
    )
    session.add(share)
    await session.flush()
    session.add(ReportAudit(share_id=share.id, at=at, action="create", client_hash=client))
    await session.flush()
    return share, token


async def list_shares(session: AsyncSession, business_id: uuid.UUID) -> list[ReportShare]:
    result = await session.execute(
        select(ReportShare)
        .where(ReportShare.business_id == business_id)
        .order_by(ReportShare.created_at.desc(), ReportShare.id)
    )
    return list(result.scalars())


async def get_business_share(
    session: AsyncSession, business_id: uuid.UUID, share_id: uuid.UUID
) -> ReportShare:
    share = await session.get(ReportShare, share_id)
    if share is None or share.business_id != business_id:
        raise ShareNotFound()
    return share


async def get_share(session: AsyncSession, share_id: uuid.UUID) -> ReportShare | None:
    return await session.get(ReportShare, share_id)


async def revoke_share(session: AsyncSession, share: ReportShare, client: str) -> ReportShare:
    """Idempotent: revoking twice keeps the first time."""
    if share.revoked_at is None:
        at = now()
        share.revoked_at = at
        session.add(ReportAudit(share_id=share.id, at=at, action="revoke", client_hash=client))
        await session.flush()
        _forget_pdfs_after_commit(session, [share.id])
    return share


async def open_share(session: AsyncSession, token: str) -> ReportShare:
    """The share a lender's link names; 404 for no such token, 410 once expired or revoked."""
    if not token or len(token) > 128:
        raise ShareNotFound()
    result = await session.execute(
        select(ReportShare).where(ReportShare.token_hash == hash_token(token))
    )
    share = result.scalar_one_or_none()
    if share is None:
        raise ShareNotFound()
    status = share_status(share)
    if status != "active":
        raise ShareGone(status)
    return share


async def record_access(
    session: AsyncSession, share: ReportShare, client: str, action: str
) -> bool:
    """Audit a view or a download; True when it counted. The same client within a minute is
    a refresh: neither counted nor recorded again."""
    at = now()
    recent = await session.execute(
        select(func.count())
        .select_from(ReportAudit)
        .where(
            ReportAudit.share_id == share.id,
            ReportAudit.action == action,
            ReportAudit.client_hash == client,
            ReportAudit.at > at - VIEW_DEDUP,
        )
    )
    if recent.scalar_one():
        return False
    session.add(ReportAudit(share_id=share.id, at=at, action=action, client_hash=client))
    if action == "view":
        # In SQL, so two first views at once both count.
        await session.execute(
            update(ReportShare)
            .where(ReportShare.id == share.id)
            .values(view_count=ReportShare.view_count + 1, last_viewed_at=at)
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    return True


async def audit_trail(session: AsyncSession, share_id: uuid.UUID) -> list[ReportAudit]:
    result = await session.execute(
        select(ReportAudit).where(ReportAudit.share_id == share_id).order_by(ReportAudit.at)
    )
    return list(result.scalars())


def frozen_payload(share: ReportShare) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(share.payload)
    return payload


async def live_payload(session: AsyncSession, share: ReportShare) -> dict[str, Any]:
    """The latest figures, for a share offered live; unsigned (the frozen one stays signed)."""
    business = await session.get(Business, share.business_id)
    assert business is not None  # the share cascades with its business
    payload = await build_payload(
        session, business, [Section(name) for name in share.sections], at=now()
    )
    frozen = frozen_payload(share)
    payload.update({key: frozen.get(key) for key in ("share_id", "expires_at", "verify_url")})
    return payload


# --- Verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What /verify says: genuine (with the figures), or why not."""

    ok: bool
    reason: str  # "genuine", "revoked", "expired", "unknown_code", "bad_signature", ...
    message: str
    payload: dict[str, Any] | None = None
    code: str | None = None


async def verify_code(session: AsyncSession, signer: ReportSigner, text: str) -> Verification:
    code = normalize_code(text)
    if not code or len(code) > 16:
        return Verification(False, "unknown_code", "That is not a verification code.")
    result = await session.execute(select(ReportShare).where(ReportShare.code == code))
    share = result.scalar_one_or_none()
    if share is None:
        return Verification(False, "unknown_code", "No report has this verification code.")
    return _verdict(share, signer, share.payload, share.signature, code)


async def verify_signed(
    session: AsyncSession, signer: ReportSigner, canonical: str, signature: str
) -> Verification:
    """A payload and signature taken from a PDF: genuine only if the signature holds and the
    share it names was not revoked since."""
    if not signer.verify(canonical, signature):
        return Verification(
            False,
            "bad_signature",
            "The report's signed data does not match its signature: it was altered, or not "
            "made by Vaultra.",
        )
    code = verification_code(signature)
    result = await session.execute(select(ReportShare).where(ReportShare.code == code))
    share = result.scalar_one_or_none()
    if share is None:
        # Signed by this key but unknown here (e.g. its business was deleted).
        return Verification(
            True, "genuine", "Signed by Vaultra.", payload=json.loads(canonical), code=code
        )
    return _verdict(share, signer, canonical, signature, code)


def _verdict(
    share: ReportShare, signer: ReportSigner, canonical: str, signature: str, code: str
) -> Verification:
    if not signer.verify(canonical, signature) or canonical != share.payload:
        return Verification(False, "bad_signature", "The signature does not hold.", code=code)
    payload = json.loads(canonical)
    if share.revoked_at is not None:
        return Verification(
            False,
            "revoked",
            f"The founder revoked this report on {share.revoked_at:%Y-%m-%d %H:%M} UTC; "
            "its figures are no longer vouched for.",
            payload=None,
            code=code,
        )
    return Verification(
        True,
        "genuine",
        "Genuine: these are the figures Vaultra computed, signed when the report was made.",
        payload=payload,
        code=code,
    )


def _forget_pdfs_after_commit(session: AsyncSession, share_ids: list[uuid.UUID]) -> None:
    async def forget() -> None:
        pdf.forget(str(share_id) for share_id in share_ids)

    after_commit(session, forget)


async def delete_business_data(session: AsyncSession, business_id: uuid.UUID) -> None:
    """Every share of a business and its audit trail (teams' business deletion): the links
    then answer as unknown, and their cached PDFs are dropped (`pdf.forget`: at once in this
    process, within its cache lifetime in the others)."""
    shares = select(ReportShare.id).where(ReportShare.business_id == business_id)
    share_ids = list(await session.scalars(shares))
    await session.execute(delete(ReportAudit).where(ReportAudit.share_id.in_(shares)))
    await session.execute(delete(ReportShare).where(ReportShare.business_id == business_id))
    _forget_pdfs_after_commit(session, share_ids)


async def delete_user_data(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Shares the user created stay with their business, without the creator (account deletion)."""
    await session.execute(
        update(ReportShare).where(ReportShare.created_by == user_id).values(created_by=None)
    )
