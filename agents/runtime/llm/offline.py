"""The offline provider: no network, no tokens; the specialist's own template builds the answer."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ValidationError

from agents.runtime.llm.base import OFFLINE, LLMError, LLMResult, SchemaT, estimate_tokens


class OfflineProvider:
    """Deterministic: the same facts give the same text. What it writes is labelled "offline draft"."""

    name = OFFLINE

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
        if offline is None:
            raise LLMError(
                f"The offline provider needs a template builder for {schema.__name__} ({purpose or 'no purpose'})."
            )
        built = offline()
        try:
            # Round-trip through the schema so that an offline template that drifted from its
            # schema fails here, in the run, exactly like an off-schema LLM answer would.
            parsed = schema.model_validate(built.model_dump() if isinstance(built, BaseModel) else built)
        except ValidationError as exc:
            raise LLMError(f"Offline template for {schema.__name__} does not fit its schema: {exc}") from exc
        text = parsed.model_dump_json()
        if max_tokens is not None and (size := estimate_tokens(text)) > max_tokens:
            # The same limit a model answers under: a template that outgrew the allowance fails here,
            # as a model's answer cut at max_tokens would, instead of passing offline and failing live.
            raise LLMError(
                f"The offline template for {schema.__name__} ({purpose or 'no purpose'}) takes ~{size} tokens, "
                f"more than the call's max_tokens={max_tokens} (ATLAS_LLM_MAX_OUTPUT_TOKENS).",
                model=OFFLINE,
                response=text,
                finish_reason="length",
            )
        return LLMResult(
            parsed=parsed, tokens_in=0, tokens_out=0, latency_ms=0, model=OFFLINE, text=text, finish_reason="stop"
        )
