"""Typed SQLAlchemy 2 + GeoAlchemy2 models of the inventory; importing this package registers every asset kind.

Only the inventory (asset kinds, people, accounts): the domains that build on it (live data, tiles,
alarms, commands) import it, not the other way round. :mod:`assets.schema` gathers every table for Alembic.

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

__all__ = [
    "INVENTORY_STATUSES", "ROLES", "ApiToken", "Asset", "AssetHistory", "Base", "Building", "Cabinet", "Camera",
    "Circuit", "Commune", "CommunePart", "Credential", "EnergyMeter", "FibreNode", "FibreSegment", "LoginAttempt",
    "Luminaire", "Pole", "Sensor", "SignalController", "SignalHead", "Street", "User", "Vehicle",
]
