"""LLM providers behind one small interface with structured output.

`provider.generate(Schema, system=..., prompt=..., model=..., purpose=...)` returns an `LLMResult`
whose `parsed` is an instance of `Schema`, or raises `LLMError`. Two providers: `offline`
(deterministic, no network, the default without an API key) and `openai` (the official client,
any OpenAI-compatible endpoint).
"""

from __future__ import annotations

from agents.runtime.llm.base import (
    OFFLINE,
    BudgetExceeded,
    LLMError,
    LLMProvider,
    LLMResult,
    answer_allowance,
    cost_of,
    drafted_by_label,
    estimate_tokens,
    unpriced,
)
from agents.runtime.llm.offline import OfflineProvider

__all__ = [
    "OFFLINE",
    "BudgetExceeded",
    "LLMError",
    "LLMProvider",
    "LLMResult",
    "OfflineProvider",
    "answer_allowance",
    "cost_of",
    "drafted_by_label",
    "estimate_tokens",
    "get_provider",
    "unpriced",
]


def get_provider(name: str | None = None) -> LLMProvider:
    """The configured provider (`settings.ATLAS_LLM_PROVIDER`), or the one named."""
    from django.conf import settings

    name = name or settings.ATLAS_LLM_PROVIDER
    if name == "offline":
        return OfflineProvider()
    if name == "openai":
        from agents.runtime.llm.openai_provider import OpenAIProvider

        return OpenAIProvider.from_settings()
    raise LLMError(f"Unknown LLM provider {name!r}: expected 'openai' or 'offline'.")
