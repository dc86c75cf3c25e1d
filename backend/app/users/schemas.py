import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    UrlConstraints,
    WithJsonSchema,
    model_validator,
)

from app.core.db import MONEY_MAX, column_length
from app.core.iso import COUNTRIES, CURRENCIES
from app.core.text import UserText
from app.users.models import Business, Role, User

# Every length comes from the column the value is stored in.
Email = Annotated[EmailStr, Field(max_length=column_length(User.email))]
UserName = Annotated[str, UserText(max_length=column_length(User.name))]
BusinessName = Annotated[str, UserText(max_length=column_length(Business.name))]
LegalEntity = Annotated[str, UserText(max_length=column_length(Business.legal_entity))]
Industry = Annotated[str, UserText(max_length=column_length(Business.industry))]
AVATAR_URL_LENGTH = column_length(User.avatar_url)
COUNTRY_LENGTH = column_length(Business.country)
CURRENCY_LENGTH = column_length(Business.currency)


def _currency(value: str) -> str:
    value = value.lower()
    if value not in CURRENCIES:
        raise ValueError("must be an ISO 4217 currency code, such as usd or eur")
    return value


def _country(value: str) -> str:
    value = value.upper()
    if value not in COUNTRIES:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, such as US")
    return value


def _not_future(value: date | None) -> date | None:
    if value is not None and value > date.today():
        raise ValueError("cannot be in the future")
    return value


def _fits_avatar_column(value: HttpUrl) -> HttpUrl:
    # The URL is stored encoded, and encoding lengthens it (each "é" becomes "%C3%A9").
    if len(str(value)) > AVATAR_URL_LENGTH:
        raise ValueError(f"must be at most {AVATAR_URL_LENGTH} characters once encoded")
    return value


def _code_schema(length: int) -> WithJsonSchema:
    # The code lists check the codes; the schema states their shape for clients.
    pattern = f"^[A-Za-z]{{{length}}}$"
    return WithJsonSchema(
        {"type": "string", "minLength": length, "maxLength": length, "pattern": pattern}
    )


Currency = Annotated[str, AfterValidator(_currency), _code_schema(CURRENCY_LENGTH)]
Country = Annotated[str, AfterValidator(_country), _code_schema(COUNTRY_LENGTH)]
FoundedAt = Annotated[date | None, AfterValidator(_not_future)]
AvatarUrl = Annotated[
    HttpUrl, UrlConstraints(max_length=AVATAR_URL_LENGTH), AfterValidator(_fits_avatar_column)
]
RevenueEstimate = Annotated[
    int | None,
    Field(
        ge=0, le=MONEY_MAX, description="Estimated annual revenue, in minor units of `currency`."
    ),
]


class BusinessSummary(BaseModel):
    id: uuid.UUID
    name: str
    role: Role


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    avatar_url: str | None
    created_at: datetime


class UserWithBusinesses(UserRead):
    businesses: list[BusinessSummary]


class PatchModel(BaseModel):
    """A partial update: omitted fields stay; `null` is refused for required fields."""

    model_config = ConfigDict(extra="forbid")
    required_fields: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in cls.required_fields:
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, mode="python")


class UserUpdate(PatchModel):
    required_fields = ("name",)

    name: UserName | None = None
    avatar_url: AvatarUrl | None = None


class BusinessCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: BusinessName
    legal_entity: LegalEntity | None = None
    industry: Industry | None = None
    revenue_estimate: RevenueEstimate = None
    founded_at: FoundedAt = None
    country: Country | None = None
    currency: Currency = "usd"


class BusinessUpdate(PatchModel):
    required_fields = ("name", "currency")

    name: BusinessName | None = None
    legal_entity: LegalEntity | None = None
    industry: Industry | None = None
    revenue_estimate: RevenueEstimate = None
    founded_at: FoundedAt = None
    country: Country | None = None
    currency: Currency | None = None


class BusinessRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    legal_entity: str | None
    industry: str | None
    revenue_estimate: int | None
    founded_at: date | None
    country: str | None
    currency: str
    created_at: datetime
    updated_at: datetime
    role: Role
