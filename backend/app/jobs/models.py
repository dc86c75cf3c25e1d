"""One row per attempt of a job: what ran, with which arguments, and how it ended."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UUIDPrimaryKey, utcnow


class JobStatus(StrEnum):
    running = "running"
    succeeded = "succeeded"
    # This attempt failed and another one is scheduled.
    retrying = "retrying"
    failed = "failed"


class JobRun(UUIDPrimaryKey, Base):
    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_name_started_at", "name", "started_at"),)

    name: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]]
    job_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=20, validate_strings=True)
    )
    attempt: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]
    # Type and message only, truncated and with secrets redacted.
    error: Mapped[str | None] = mapped_column(Text)
