"""The demo brand, Hearth & Pine: generated history, real-format exports, planted signals.

See docs/demo-signals.md for what is planted; `build_demo` is the service `atlas_demo` calls and
that other apps' tests use to build the demo brand in a fixture.
"""

from .build import DemoNotPlanted, build_demo, default_end_date, demo_dataset

__all__ = ["DemoNotPlanted", "build_demo", "default_end_date", "demo_dataset"]
