"""Recommendations: one row per (business, rule), reopened when its rule fires again."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, Timestamps, UUIDPrimaryKey, utcnow


class Priority(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class Status(StrEnum):
    open = "open"
    accepted = "accepted"
    dismissed = "dismissed"
    resolved = "resolved"


class Recommendation(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "recommendations"
    # At most one recommendation per rule per business, whatever its status: a rule that
    # fires again reopens its row instead of adding one.
    __table_args__ = (
        UniqueConstraint("business_id", "rule_id"),
        Index("ix_recommendations_business_status", "business_id", "status"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(40))
    component: Mapped[str] = mapped_column(String(40))
    priority: Mapped[Priority] = mapped_column(
        Enum(Priority, native_enum=False, length=10, validate_strings=True)
    )
    status: Mapped[Status] = mapped_column(
        Enum(Status, native_enum=False, length=20, validate_strings=True), default=Status.open
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Expected score change (points) if the recommendation's target is reached.
    impact: Mapped[int] = mapped_column(Integer, default=0)
    overrides: Mapped[dict[str, Any]]
    # The rule's severity metric now, and when it was dismissed (higher is worse).
    severity: Mapped[float | None]
    dismissed_severity: Mapped[float | None]
    facts: Mapped[dict[str, Any]]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
