import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.recommendations.models import Priority, Status


class RecommendationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    business_id: uuid.UUID
    rule_id: str
    category: str
    component: str = Field(description="The readiness score component it improves.")
    priority: Priority
    status: Status
    title: str
    body: str
    impact: int = Field(description="Expected score change, in points, if the target is reached.")
    overrides: dict[str, Any] = Field(description="The what-if target behind `impact`.")
    facts: dict[str, Any] = Field(description="The business's numbers the body quotes.")
    created_at: datetime
    updated_at: datetime
    opened_at: datetime
    accepted_at: datetime | None
    dismissed_at: datetime | None
    resolved_at: datetime | None


class RecommendationList(BaseModel):
    recommendations: list[RecommendationRead]


class RecommendationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "accepted", "dismissed"] = Field(
        description='"open" undoes an accept or a dismiss.'
    )
