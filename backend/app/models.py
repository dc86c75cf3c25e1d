"""Every module's tables, imported for Alembic and for test set-up."""

from app.agent import models as agent_models
from app.auth import models as auth_models
from app.core.db import Base
from app.jobs import models as jobs_models
from app.metrics import models as metrics_models
from app.notifications import models as notifications_models
from app.recommendations import models as recommendations_models
from app.reports import models as reports_models
from app.stripe import models as stripe_models
from app.teams import models as teams_models
from app.users import models as users_models

__all__ = [
    "Base",
    "agent_models",
    "auth_models",
    "jobs_models",
    "metrics_models",
    "notifications_models",
    "recommendations_models",
    "reports_models",
    "stripe_models",
    "teams_models",
    "users_models",
]
