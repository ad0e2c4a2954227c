"""Typed SQLAlchemy 2 + GeoAlchemy2 models; importing this package registers every asset kind.

The import order below is the kinds' canonical order (CLI, stats, exports) and the table's column order.
"""
# ruff: noqa: I001

from assets.models.base import INVENTORY_STATUSES, Asset, Base
from assets.models.people import ROLES, User
from assets.models.lighting import Cabinet, Circuit, Pole, Luminaire
from assets.models.traffic import SignalController, SignalHead
from assets.models.video import Camera
from assets.models.fleet import Vehicle
from assets.models.fibre import FibreNode, FibreSegment
from assets.models.environment import Sensor
from assets.models.energy import EnergyMeter, Building
from assets.models.history import AssetHistory
from assets.models.reference import Commune, CommunePart, Street
from assets.models.accounts import ApiToken, Credential, LoginAttempt
from assets.live import models as live_models  # noqa: F401  (live data tables share the metadata)
from assets.tiles import models as tile_models  # noqa: F401  (tile tables share the metadata)
from assets.alarms import models as alarm_models  # noqa: F401  (alarm tables share the metadata)
from assets.commands import models as command_models  # noqa: F401  (command tables share the metadata)
from fieldservice import models as fieldservice_models  # noqa: F401  (field service tables share the metadata)

__all__ = [
    "INVENTORY_STATUSES", "ROLES", "ApiToken", "Asset", "AssetHistory", "Base", "Building", "Cabinet", "Camera",
    "Circuit", "Commune", "CommunePart", "Credential", "EnergyMeter", "FibreNode", "FibreSegment", "LoginAttempt",
    "Luminaire", "Pole", "Sensor", "SignalController", "SignalHead", "Street", "User", "Vehicle",
]
