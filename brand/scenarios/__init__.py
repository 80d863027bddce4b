"""Generated shops for judging the agents on data they were not written for.

A `Scenario` (spec.py) describes a shop: its size, its ad channels, what it carries besides the
three export files (suppliers, budgets), its noise and seasonality, and the signals planted in it
(or none). `generate` (generate.py) makes its history with a seeded random generator; `write_exports`
(exports.py) writes it as the files Shopify and the ad platforms export; `load_shop` (load.py) loads
them through the importers and sets what exports never carry. `SCENARIOS` (library.py) is the set.
"""

from .generate import Shop, generate
from .library import SCENARIOS, fast_scenarios
from .load import load_shop
from .spec import Plant, PlantKind, Scenario

__all__ = ["SCENARIOS", "Plant", "PlantKind", "Scenario", "Shop", "fast_scenarios", "generate", "load_shop"]
