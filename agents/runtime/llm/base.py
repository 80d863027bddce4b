"""The provider interface, its result and its errors, and the price table lookup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

# What `drafted_by` holds when no model wrote the text; shown to people as "offline draft".
OFFLINE = "offline"

SchemaT = TypeVar("SchemaT", bound=BaseModel)


class LLMError(Exception):
    """A call that gave no usable answer: refusal, cut-off, off-schema JSON, HTTP error after retries.

    Recorded on the run (an `LLMCall` with ok=False); the run fails, the cycle carries on.
    """

    def __init__(
        self,
        message: str,
        *,
        tokens_in: int = 0,
        tokens_out: int = 0,
        latency_ms: int = 0,
        model: str = "",
        response: str = "",
        finish_reason: str = "",
    ):
        super().__init__(message)
        # Why the answer ended ("length": cut at the call's max_tokens), kept on the call.
        self.finish_reason = finish_reason
        # The unusable answer's text, kept on the call for the people auditing it.
        self.response = response
        # A refused or truncated answer was still billed: its usage is recorded with the error.
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out
        self.latency_ms = latency_ms
        self.model = model


class BudgetExceeded(LLMError):
    """The call would take the agent or the day over its token or cost budget; it was not made."""


@dataclass(frozen=True)
class LLMResult:
    parsed: Any
    tokens_in: int
    tokens_out: int
    latency_ms: int
    model: str
    # The answer as the provider gave it (the JSON text), kept on the call.
    text: str = ""
    finish_reason: str = ""


class LLMProvider(Protocol):
    name: str

    def generate(
        self,
        schema: type[SchemaT],
        *,
        system: str,
        prompt: str,
        model: str,
        purpose: str,
        offline: Callable[[], BaseModel] | None = None,
        max_tokens: int | None = None,
    ) -> LLMResult:
        """`max_tokens` caps the answer (the allowance reserved for it); an answer cut there is an `LLMError`."""
        ...


def estimate_tokens(*texts: str) -> int:
    """A cheap upper-ish estimate (4 characters a token) used only to check budgets before a call."""
    return sum(len(t) for t in texts) // 4 + 1


def answer_allowance(agent_kind: str) -> int:
    """The most tokens one answer of an agent of this kind may take: its call's max_tokens, and what
    the budgets reserve for the answer before the call (ATLAS_LLM_MAX_OUTPUT_TOKENS[_BY_KIND])."""
    from django.conf import settings

    return int(settings.ATLAS_LLM_MAX_OUTPUT_TOKENS_BY_KIND.get(agent_kind, settings.ATLAS_LLM_MAX_OUTPUT_TOKENS))


def unpriced(model: str) -> str | None:
    """Why `model` cannot be accounted for (no price in ATLAS_LLM_PRICES), or None when it can."""
    from django.conf import settings

    if model in settings.ATLAS_LLM_PRICES:
        return None
    known = ", ".join(sorted(settings.ATLAS_LLM_PRICES)) or "none"
    return (
        f"LLM model {model!r} has no price in ATLAS_LLM_PRICES (priced: {known}); its calls could not be "
        f'counted against the cost budgets. Add it, e.g. ATLAS_LLM_PRICES=\'{{"{model}": '
        f'{{"input": 0.15, "output": 0.60}}}}\' (USD per million tokens).'
    )


def cost_of(model: str, tokens_in: int, tokens_out: int) -> Decimal:
    """USD for the tokens at `settings.ATLAS_LLM_PRICES` (per million); a model missing there costs 0."""
    from django.conf import settings

    price = settings.ATLAS_LLM_PRICES.get(model)
    if not price:
        return Decimal("0")
    per_million = Decimal(str(price.get("input", 0))) * tokens_in + Decimal(str(price.get("output", 0))) * tokens_out
    return (per_million / Decimal(1_000_000)).quantize(Decimal("0.000001"))


def drafted_by_label(drafted_by: str) -> str:
    """How a person sees who drafted a text: 'offline draft' or 'drafted by <model>'."""
    if not drafted_by or drafted_by == OFFLINE:
        return "offline draft"
    return f"drafted by {drafted_by}"
