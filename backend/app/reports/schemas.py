import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.db import column_length
from app.core.text import UserText
from app.reports.models import ReportShare

MAX_EXPIRY_DAYS = 90
DEFAULT_EXPIRY_DAYS = 14


class Section(StrEnum):
    """What a report can show. Recommendations are never shared: they are the founder's to-do
    list, not evidence."""

    score = "score"  # the readiness score, tier and components with their explanations
    metrics = "metrics"  # revenue, growth, payout reliability, customer concentration (shares)
    revenue = "revenue"  # 12 to 24 months of monthly revenue, chart and table
    disputes = "disputes"  # dispute and refund ratios against the card networks' thresholds
    funding = "funding"  # funding-option eligibility


ALL_SECTIONS = tuple(Section)
ShareStatus = Literal["active", "expired", "revoked"]


class ShareCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_id: uuid.UUID | None = Field(
        default=None, description="The business; optional when you belong to exactly one."
    )
    label: Annotated[str, UserText(max_length=column_length(ReportShare.label))] = Field(
        description="Who the link is for, e.g. the lender's name; only you see it."
    )
    expires_in_days: int = Field(default=DEFAULT_EXPIRY_DAYS, ge=1, le=MAX_EXPIRY_DAYS)
    sections: list[Section] = Field(
        default_factory=lambda: list(ALL_SECTIONS),
        min_length=1,
        max_length=len(ALL_SECTIONS),
        description="What the lender sees; each at most once.",
    )
    live: bool = Field(
        default=False,
        description="Show the latest figures instead of the frozen snapshot (the PDF and the "
        "verification code stay the signed snapshot's).",
    )

    @field_validator("sections")
    @classmethod
    def _unique(cls, value: list[Section]) -> list[Section]:
        if len(set(value)) != len(value):
            raise ValueError("each section at most once")
        # Stored in the report's own order, whatever the order chosen.
        return [section for section in ALL_SECTIONS if section in value]


class ShareRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    business_id: uuid.UUID
    label: str
    sections: list[Section]
    live: bool
    code: str = Field(description="The verification code printed on the report.")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: ShareStatus
    view_count: int = Field(description="Page views; a refresh within a minute counts once.")
    last_viewed_at: datetime | None


class ShareCreated(ShareRead):
    url: str = Field(description="The link for the lender; shown only in this response.")


class ShareList(BaseModel):
    business_id: uuid.UUID
    shares: list[ShareRead]


class ReportKey(BaseModel):
    """The public key that verifies report signatures, as a JWK (RFC 8037)."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str
    kid: str
    use: Literal["sig"]
    alg: Literal["EdDSA"]
