import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.auth.models import PersonalAccessToken
from app.core.db import column_length
from app.core.text import UserText
from app.users.schemas import Email, UserName, UserWithBusinesses

# Not UserText: a password is only hashed, never stored or shown, and normalising it would
# stop existing passwords from matching their hashes.
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]


class SignupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    name: UserName


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class AuthResponse(BaseModel):
    user: UserWithBusinesses
    token: str
    token_type: str = "bearer"
    expires_at: str


class AuthProviders(BaseModel):
    """Sign-in methods besides email and password, so the app shows only working buttons."""

    google: bool


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, UserText(max_length=column_length(PersonalAccessToken.name))]
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="Omit for a token that does not expire."
    )


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    token_prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret; shown only in this response.")


class TokenList(BaseModel):
    tokens: list[TokenRead]
