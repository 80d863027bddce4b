"""The agents' system checks: every model an agent may call has a price (`ATLAS_LLM_PRICES`).

Only the settings are checked here (a check must not read the database at start); a model set per
agent in the admin is checked by the Agent form.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from agents.runtime.llm import unpriced


@register(Tags.compatibility)
def check_llm_model_priced(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """An unpriced model's calls would cost 0 in the books and slip through the cost budgets."""
    problem = unpriced(settings.ATLAS_LLM_MODEL)
    if problem is None:
        return []
    return [
        Error(
            f"ATLAS_LLM_MODEL={settings.ATLAS_LLM_MODEL!r}: {problem}",
            hint="Give its price in ATLAS_LLM_PRICES, or choose a priced model.",
            id="agents.E001",
        )
    ]
