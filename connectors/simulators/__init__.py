"""Device simulators: the demo city's lamp controllers, sensors and vehicles over the real broker.

``Simulator(fleet, graph, mqtt_url, accounts, SimOptions(...)).run()`` plays them (``citypilot
simulate``); faults are injected through the control topic (``citypilot simulate inject``); the
ingest benchmark reuses the message shapes through :func:`city_burst_messages` and
:func:`backlog_messages`.
"""

from connectors.simulators import modbus_servers  # noqa: F401  (registers meter-offline/online, trip hooks)
from connectors.simulators.accounts import accounts_path, device_usernames, load_accounts, provision
from connectors.simulators.control import CONTROL_TOPIC
from connectors.simulators.faults import FAULTS, fault, inject
from connectors.simulators.fleet_model import Fleet, SimulationError, load_fleet
from connectors.simulators.messages import (
    CityMessages,
    backlog_messages,
    burst_messages,
    city_burst_messages,
    iter_backlog,
)
from connectors.simulators.runner import SimOptions, Simulator
from connectors.simulators.street_graph import StreetGraph

__all__ = [
    "CONTROL_TOPIC", "FAULTS", "CityMessages", "Fleet", "SimOptions", "SimulationError", "Simulator", "StreetGraph",
    "accounts_path", "backlog_messages", "burst_messages", "city_burst_messages", "device_usernames", "fault",
    "inject", "iter_backlog", "load_accounts", "load_fleet", "provision",
]
