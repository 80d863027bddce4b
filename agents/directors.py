"""One director per division, registered even before the division's specialists exist.

Each is the generic `Director` (consolidate the division's proposals of the cycle); a division
that needs its own rules subclasses `Director` in `divisions/specialists/<slug>.py` with the same
key, which replaces the generic one.
"""

from __future__ import annotations

from agents.base import Director
from agents.registry import register
from divisions.catalog import DIVISIONS


def _director(slug: str, title: str) -> type[Director]:
    cls = type(
        f"{title}Director",
        (Director,),
        {
            "__module__": __name__,
            "key": f"{slug}.director",
            "division": slug,
            "name": f"{title} director",
            "description": (
                f"Consolidates the {title} division's proposals: drops duplicates, ranks, keeps the best few."
            ),
        },
    )
    return register(cls)


DIRECTORS: dict[str, type[Director]] = {slug: _director(slug, title) for slug, title, _mandate in DIVISIONS}
