"""The OpenAI provider: the official client against any OpenAI-compatible endpoint.

Structured output through `response_format={"type": "json_schema", ...}` (strict when the schema
allows it), parsed and validated here so that every way an answer can be unusable (a refusal, a
cut-off, a content filter, malformed or off-schema JSON, an HTTP error after retries) becomes one
`LLMError` with what happened in words.

Retries are ours, not the client's (`max_retries=0` on the client): the client would honour a
server's `Retry-After` of up to two minutes, which could make one call outlive the django-q2 task
timeout. Here one call, with all its attempts and back-off, ends within
`ATLAS_LLM_TIMEOUT x (ATLAS_LLM_MAX_RETRIES + 1)` seconds, the quantity system check atlas.W001
keeps below Q_TIMEOUT.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import openai
from pydantic import BaseModel, ValidationError

from agents.runtime.llm.base import LLMError, LLMResult, SchemaT

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
    from openai.types.shared_params import ResponseFormatJSONSchema

RETRYABLE_STATUS = {408, 409, 429}
_clients: dict[tuple[Any, ...], openai.OpenAI] = {}
_clients_lock = threading.Lock()
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def response_format_for(schema: type[BaseModel]) -> ResponseFormatJSONSchema:
    """The json_schema response format; strict when the schema can be made strict (OpenAI's rules)."""
    try:
        from openai.lib._pydantic import to_strict_json_schema

        return {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": to_strict_json_schema(schema), "strict": True},
        }
    except Exception:
        # Free-form dicts and the like cannot be strict; servers still steer to the schema, and we validate.
        return {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": False},
        }


class OpenAIProvider:
    name = "openai"

    def __init__(self, *, api_key: str, base_url: str | None, timeout: float, max_retries: int):
        self.timeout = float(timeout)
        self.max_retries = max(0, int(max_retries))
        key = (api_key, base_url, self.timeout)
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                # One client per configuration and process: it is thread-safe and keeps its connections.
                client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=self.timeout, max_retries=0)
                _clients[key] = client
        self.client = client

    @classmethod
    def from_settings(cls) -> OpenAIProvider:
        from django.conf import settings

        if not settings.OPENAI_API_KEY:
            raise LLMError("The openai provider needs OPENAI_API_KEY.")
        return cls(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL or None,
            timeout=settings.ATLAS_LLM_TIMEOUT,
            max_retries=settings.ATLAS_LLM_MAX_RETRIES,
        )

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
        started = time.monotonic()
        deadline = started + self.timeout * (self.max_retries + 1)
        completion = self._create_with_retries(
            schema, system=system, prompt=prompt, model=model, deadline=deadline, max_tokens=max_tokens
        )
        latency_ms = int((time.monotonic() - started) * 1000)
        usage = completion.usage
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)

        answer = ""
        finish_reason = ""

        def fail(message: str) -> LLMError:
            return LLMError(
                message,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                latency_ms=latency_ms,
                model=model,
                response=answer,
                finish_reason=finish_reason,
            )

        if not completion.choices:
            raise fail(f"{model} returned no choices.")
        choice = completion.choices[0]
        message = choice.message
        answer = message.content or ""
        # Typed as always set; some OpenAI-compatible servers send null.
        finish_reason = str(getattr(choice, "finish_reason", None) or "")
        refusal = getattr(message, "refusal", None)
        if refusal:
            raise fail(f"{model} refused: {refusal}")
        if choice.finish_reason == "length":
            limit = f"max_tokens={max_tokens}" if max_tokens is not None else "the model's limit"
            raise fail(
                f"{model} was cut off at the length limit ({tokens_out} tokens out, {limit}); the answer is incomplete."
            )
        if choice.finish_reason == "content_filter":
            raise fail(f"{model}'s answer was withheld by the content filter.")
        content = (message.content or "").strip()
        if not content:
            raise fail(f"{model} returned an empty answer (finish_reason={choice.finish_reason}).")
        fenced = _FENCE.match(content)
        if fenced:
            content = fenced.group(1)
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise fail(
                f"{model} answered with malformed JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}): "
                f"{content[:200]!r}"
            ) from exc
        except RecursionError as exc:
            # A hostile or broken answer nested thousands deep: the decoder gives up before the schema does.
            raise fail(f"{model} answered with JSON nested too deeply to read: {content[:200]!r}") from exc
        try:
            parsed = schema.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors())
            raise fail(f"{model}'s answer does not fit {schema.__name__}: {problems}") from exc
        return LLMResult(
            parsed=parsed,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_ms=latency_ms,
            model=model,
            text=answer,
            finish_reason=finish_reason,
        )

    def _create_with_retries(
        self,
        schema: type[BaseModel],
        *,
        system: str,
        prompt: str,
        model: str,
        deadline: float,
        max_tokens: int | None = None,
    ) -> ChatCompletion:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": prompt},
        ]
        response_format = response_format_for(schema)
        # `max_tokens`, not `max_completion_tokens`: the name every OpenAI-compatible server knows
        # (vLLM, llama.cpp, Ollama). The budgets reserved exactly this much for the answer.
        limit = max_tokens if max_tokens is not None else openai.omit
        attempt = 0
        error = ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                raise LLMError(
                    f"{model}: no answer within {self.timeout * (self.max_retries + 1):g}s "
                    f"({attempt} attempt(s)); last: {error or 'none'}",
                    model=model,
                )
            attempt += 1
            try:
                return self.client.chat.completions.create(
                    model=model,
                    messages=messages,
                    response_format=response_format,
                    timeout=min(self.timeout, remaining),
                    max_tokens=limit,
                )
            except openai.APIStatusError as exc:
                retryable = exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
                error = f"{model}: HTTP {exc.status_code} from the LLM endpoint: {_short(exc)}"
                delay = _retry_after(exc.response) if retryable else None
            except openai.APITimeoutError:
                retryable, delay = True, None
                error = f"{model}: the LLM endpoint did not answer within {min(self.timeout, remaining):g}s"
            except openai.APIConnectionError as exc:
                retryable, delay = True, None
                error = f"{model}: could not reach the LLM endpoint: {exc}"
            except openai.OpenAIError as exc:
                raise LLMError(f"{model}: {exc}", model=model) from exc
            if not retryable or attempt > self.max_retries:
                raise LLMError(f"{error} (after {attempt} attempt(s))", model=model)
            if delay is None:
                delay = min(0.5 * 2 ** (attempt - 1), 8.0) * (1 - 0.25 * random.random())
            if time.monotonic() + delay >= deadline:
                raise LLMError(f"{error}; no time left to retry within the call's deadline", model=model)
            time.sleep(delay)


def _retry_after(response: Any) -> float | None:
    raw = getattr(response, "headers", {}).get("retry-after") if response is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def _short(exc: openai.APIStatusError) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
    return str(exc)[:300]
