import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, Money, Timestamps, UUIDPrimaryKey, utcnow


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"


MANAGER_ROLES = frozenset({Role.owner, Role.admin})


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"

    # Stored lower-cased, so uniqueness ignores case on every dialect.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    google_sub: Mapped[str | None] = mapped_column(String(255), unique=True)


class Business(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "businesses"

    name: Mapped[str] = mapped_column(String(200))
    legal_entity: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100))
    # Minor units of `currency`.
    revenue_estimate: Mapped[int | None] = mapped_column(Money)
    founded_at: Mapped[date | None]
    country: Mapped[str | None] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3), default="usd")


class Membership(Base):
    __tablename__ = "user_business_memberships"
    __table_args__ = (UniqueConstraint("user_id", "business_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, validate_strings=True)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
