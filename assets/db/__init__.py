"""Database access: engines, units of work carrying the acting user, migrations."""

from assets.db.session import make_engine, unit_of_work

__all__ = ["make_engine", "unit_of_work"]
