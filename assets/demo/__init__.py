"""The demo city: a deterministic, generated Dijon Métropole at the real scale.

``generate_city`` builds it in memory (streets and every asset kind), ``load_demo`` loads it in one
transaction through the inventory's write path (``citypilot demo load``).
"""

from assets.demo.city import DEFAULT_SEED, KIND_ORDER, DemoCity, communes_from_db, generate_city
from assets.demo.loader import LoadResult, demo_present, load_demo, reset_inventory

__all__ = [
    "DEFAULT_SEED", "KIND_ORDER", "DemoCity", "LoadResult", "communes_from_db", "demo_present", "generate_city",
    "load_demo", "reset_inventory",
]
