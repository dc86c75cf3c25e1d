import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    model_validator,
)

from app.core.iso import COUNTRIES, CURRENCIES
from app.users.models import Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


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


Currency = Annotated[str, AfterValidator(_currency)]
Country = Annotated[str, AfterValidator(_country)]
FoundedAt = Annotated[date | None, AfterValidator(_not_future)]
OptionalText = Annotated[
    str | None, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
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

    name: Name | None = None
    avatar_url: HttpUrl | None = None


class BusinessCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    legal_entity: OptionalText = None
    industry: OptionalText = None
    revenue_estimate: int | None = Field(
        default=None, ge=0, description="Estimated annual revenue, in minor units of `currency`."
    )
    founded_at: FoundedAt = None
    country: Country | None = None
    currency: Currency = "usd"


class BusinessUpdate(PatchModel):
    required_fields = ("name", "currency")

    name: Name | None = None
    legal_entity: OptionalText = None
    industry: OptionalText = None
    revenue_estimate: int | None = Field(default=None, ge=0)
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
