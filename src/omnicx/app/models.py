"""Imports every domain's models so `Base.metadata` is complete (for Alembic and the model/migration check)."""

from omnicx.analytics import models as analytics_models
from omnicx.attribution import models as attribution_models
from omnicx.auth import models as auth_models
from omnicx.channels import models as channels_models
from omnicx.commerce import models as commerce_models
from omnicx.feedback import models as feedback_models
from omnicx.identity import models as identity_models
from omnicx.inbox import models as inbox_models
from omnicx.journeys import models as journeys_models
from omnicx.kernel.jobs import models as jobs_models
from omnicx.overview import models as overview_models
from omnicx.ownership import models as ownership_models
from omnicx.tracking import models as tracking_models

DOMAIN_MODELS = (
    analytics_models,
    attribution_models,
    auth_models,
    ownership_models,
    feedback_models,
    jobs_models,
    tracking_models,
    identity_models,
    commerce_models,
    inbox_models,
    channels_models,
    journeys_models,
    overview_models,
)
