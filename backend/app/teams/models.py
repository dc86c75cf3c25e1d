import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UUIDPrimaryKey, utcnow
from app.users.models import Role


class Invitation(UUIDPrimaryKey, Base):
    """An invitation to join a business. Only the SHA-256 of its token is stored, so a copy of
    the table lets nobody join; the token itself exists only in the email."""

    __tablename__ = "business_invitations"
    __table_args__ = (Index("ix_business_invitations_business_email", "business_id", "email"),)

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    # Stored lower-cased: acceptance compares it with the user's (also lower-cased) email.
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, validate_strings=True)
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
