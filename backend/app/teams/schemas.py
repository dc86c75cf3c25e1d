import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.text import UserText
from app.users.models import Role
from app.users.schemas import Email

# An invitation token: 32 random bytes and a signature, URL-safe base64 (about 90 characters).
InvitationToken = Annotated[str, Field(min_length=1, max_length=200)]


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    role: Role = Role.member


class InvitationRead(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    invited_by: str | None = Field(description="The inviter's name, if still a user.")
    created_at: datetime
    expires_at: datetime


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: InvitationToken


class InvitationPreview(BaseModel):
    """What the invitation page shows before the invitee signs in."""

    business_name: str
    email: str
    role: Role
    invited_by: str | None
    expires_at: datetime


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    joined_at: datetime


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class BusinessDelete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: Annotated[str, UserText(max_length=200)] = Field(
        description="The business's name, exactly as shown: a guard against deleting by mistake."
    )
