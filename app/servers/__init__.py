"""The project's own PostgreSQL + PostGIS cluster and Mosquitto broker, private to a data folder.

``PrivatePostgres`` and ``PrivateBroker`` run one server each in a folder (the test suite starts
throwaway ones); ``app.servers.services`` runs both under ``CITYPILOT_HOME`` for the CLI.
"""

from app.servers.broker import AclRule, PrivateBroker
from app.servers.postgres import PrivatePostgres
from app.servers.system import ServerError

__all__ = ["AclRule", "PrivateBroker", "PrivatePostgres", "ServerError"]
