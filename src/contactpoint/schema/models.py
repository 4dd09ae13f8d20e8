"""Every domain's tables, gathered so that Alembic sees the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData

from contactpoint.access import models as access_models
from contactpoint.audit import models as audit_models
from contactpoint.directory import models as directory_models
from contactpoint.feeds import models as feed_models
from contactpoint.linkage import models as linkage_models
from contactpoint.organisations import models as organisation_models
from contactpoint.provenance import models as provenance_models
from contactpoint.storage.models import Base

DOMAIN_MODELS = (
    access_models,
    audit_models,
    directory_models,
    feed_models,
    linkage_models,
    organisation_models,
    provenance_models,
)


def schema_metadata() -> MetaData:
    return Base.metadata
