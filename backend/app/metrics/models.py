"""Metrics tables: daily rollups, the incremental state behind them, snapshots and scores."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, Money, UUIDPrimaryKey, utcnow


class DailyRollup(Base):
    """One business's Stripe activity on one UTC day, in the business currency (minor units).

    Refunds and disputes count on the day they were created, not on their charge's day.
    """

    __tablename__ = "metric_daily_rollups"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    gross_volume: Mapped[int] = mapped_column(Money, default=0)
    net_volume: Mapped[int] = mapped_column(Money, default=0)
    charge_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_charge_count: Mapped[int] = mapped_column(Integer, default=0)
    # Successful charges left out of the money figures: no amount in the business currency.
    unconverted_charge_count: Mapped[int] = mapped_column(Integer, default=0)
    unique_customers: Mapped[int] = mapped_column(Integer, default=0)
    refund_amount: Mapped[int] = mapped_column(Money, default=0)
    refund_count: Mapped[int] = mapped_column(Integer, default=0)
    dispute_count: Mapped[int] = mapped_column(Integer, default=0)
    dispute_amount: Mapped[int] = mapped_column(Money, default=0)
    # Disputed money not (yet) won back: what net volume loses.
    dispute_loss_amount: Mapped[int] = mapped_column(Money, default=0)
    disputes_by_reason: Mapped[dict[str, Any]] = mapped_column(default=dict)
    payouts_paid_count: Mapped[int] = mapped_column(Integer, default=0)
    payouts_paid_amount: Mapped[int] = mapped_column(Money, default=0)
    payouts_failed_count: Mapped[int] = mapped_column(Integer, default=0)
    payouts_failed_amount: Mapped[int] = mapped_column(Money, default=0)
    # Sum of (arrival_date - created day) over paid payouts with an arrival date, and how many.
    payout_arrival_days: Mapped[int] = mapped_column(Integer, default=0)
    payout_arrival_count: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class RollupState(Base):
    """Where the incremental rollup of one business stands: per-table version watermarks."""

    __tablename__ = "metric_rollup_states"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    charges_seen_at: Mapped[datetime | None]
    refunds_seen_at: Mapped[datetime | None]
    disputes_seen_at: Mapped[datetime | None]
    payouts_seen_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime]
    last_full_run_at: Mapped[datetime]
    # Trailing-12-month customer figures and the window they cover, reused while unchanged.
    customer_cache: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MetricSnapshot(UUIDPrimaryKey, Base):
    """The metrics of one business as of one day; `metrics` maps name -> {value, window, unit}."""

    __tablename__ = "financial_metric_snapshots"
    __table_args__ = (
        Index("ix_financial_metric_snapshots_business_computed", "business_id", "computed_at"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    as_of: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    metrics: Mapped[dict[str, Any]]


class ReadinessScore(UUIDPrimaryKey, Base):
    __tablename__ = "readiness_scores"
    __table_args__ = (Index("ix_readiness_scores_business_computed", "business_id", "computed_at"),)

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    snapshot_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("financial_metric_snapshots.id", ondelete="SET NULL")
    )
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(30))
    model_version: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    # The weighted sum before any red-flag cap, and the component whose cap applied.
    weighted_score: Mapped[float]
    capped_by: Mapped[str | None] = mapped_column(String(40))
    components: Mapped[dict[str, Any]]
    funding_options: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    inputs: Mapped[dict[str, Any]]
