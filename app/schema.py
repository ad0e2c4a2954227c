"""Every table of the database, for Alembic and the schema tests: the inventory and its domains
(:mod:`assets.schema`) and field service (:mod:`fieldservice.models`), which builds on them."""

from __future__ import annotations

from assets.schema import TABLE_MODULES, Base, metadata
from fieldservice import models as fieldservice_models
from fieldservice import planning_models
from fieldservice.contract import models as contract_models

ALL_TABLE_MODULES = (*TABLE_MODULES, fieldservice_models, planning_models, contract_models)

__all__ = ["ALL_TABLE_MODULES", "Base", "metadata"]
