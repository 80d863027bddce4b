"""Helpers shared by the importer tests: the hand-written export files and a snapshot of the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brand import models as bm

FILES = Path(__file__).parent / "files"

SNAPSHOT_MODELS = [bm.Product, bm.Variant, bm.Customer, bm.Order, bm.OrderLine, bm.AdCampaign, bm.AdMetric]


def snapshot() -> dict[str, Any]:
    """Every row of the importable models, and how many history rows the historied ones have."""
    state: dict[str, Any] = {}
    for model in SNAPSHOT_MODELS:
        state[model._meta.model_name] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
        )
        history = getattr(model, "history", None)
        if history is not None:
            state[f"{model._meta.model_name}.history"] = history.count()
    return state
