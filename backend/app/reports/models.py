import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, UUIDPrimaryKey, utcnow


class ReportShare(UUIDPrimaryKey, Base):
    """A link a founder gave a lender. Only the token's SHA-256 is kept: the link is shown once.

    `payload` is the report frozen at creation (canonical JSON, signed: `signature`), so the
    lender sees what the founder shared even after the numbers move.
    """

    __tablename__ = "report_shares"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The short code printed on the page and every PDF page; looked up on /verify.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    sections: Mapped[list[str]] = mapped_column(JSONType)
    live: Mapped[bool] = mapped_column(default=False)
    # The canonical JSON text itself, byte for byte what was signed.
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    view_count: Mapped[int] = mapped_column(default=0)
    last_viewed_at: Mapped[datetime | None]


class ReportAudit(UUIDPrimaryKey, Base):
    """Who did what to a share, when: created, viewed, downloaded, revoked. The client address
    is kept only as a keyed hash, enough to tell a refresh from a new visitor."""

    __tablename__ = "report_audit"
    __table_args__ = (Index("ix_report_audit_share_id_at", "share_id", "at"),)

    share_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report_shares.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(16))
    client_hash: Mapped[str] = mapped_column(String(64))
