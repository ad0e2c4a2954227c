"""Every table CityPilot stores, gathered on one metadata (what Alembic compares and migrations build).

The inventory (:mod:`assets.models`: asset kinds, people, accounts) and each domain's own tables —
live data, tiles, alarms, commands, citizen reports — declare themselves on the same ``Base.metadata``; importing this
module imports them all. Only Alembic's environment and the schema tests need it: the domain modules
import the models they use, so :mod:`assets.models` does not import the domains that build on it.
"""

from __future__ import annotations

from assets import models as inventory_models
from assets.alarms import models as alarm_models
from assets.commands import models as command_models
from assets.live import models as live_models
from assets.models.base import Base
from assets.reports import models as report_models
from assets.tiles import models as tile_models

#: The modules whose tables make up the schema.
TABLE_MODULES = (inventory_models, live_models, tile_models, alarm_models, command_models, report_models)
metadata = Base.metadata

__all__ = ["TABLE_MODULES", "Base", "metadata"]
