"""A tiny OpenAI-compatible server on 127.0.0.1 for the provider tests and the cycle benchmark.

It answers POST /v1/chat/completions with JSON built from the request's own json_schema (so any
schema gets a schema-valid answer) and a `usage` block. Modes, set on the server or per request by
putting `[mode:<name>]` in the prompt: ok, refusal, length, malformed, offschema, http500, http429
(429 `fail_first` times, then ok), timeout (sleeps `hang` seconds). `latency` delays every answer;
`gather` holds the first requests until that many are in flight at once (or `hang` seconds passed;
later requests pass straight through), so a test sees how many calls a client really has open at
once without depending on timing.
`script(number, schema, prompt) -> Reply | None` answers a request itself when it returns a Reply
(the hostile-answer corpus: any status, content, finish reason or delay). Every request is recorded
with its start and end time (for the concurrency test).

Like a real server it honours the request's `max_tokens`: an answer of `tokens_out` tokens (its
natural length) that does not fit is cut there, reported with `finish_reason: "length"` and
`max_tokens` completion tokens. `tokens_in=None` counts the prompt as a server would, about four
characters a token.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_MODE = re.compile(r"\[mode:([a-z0-9]+)\]")


def example_for(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A value that fits the JSON schema (the subset pydantic emits)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return example_for(defs[schema["$ref"].split("/")[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return example_for(options[0], defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {name: example_for(sub, defs) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_for(schema.get("items", {"type": "string"}), defs)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "Canned answer from the fake endpoint."


@dataclass
class Reply:
    """A scripted answer: an HTTP status, the message content (None: a schema-valid example), and more."""

    status: int = 200
    content: str | None = None
    finish: str = "stop"
    refusal: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    error_body: dict[str, Any] | None = None


@dataclass
class Call:
    start: float
    end: float
    model: str
    prompt: str
    mode: str
    max_tokens: int | None = None
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass
class FakeOpenAI:
    mode: str = "ok"
    latency: float = 0.0
    hang: float = 5.0
    fail_first: int = 1
    gather: int = 0
    tokens_in: int | None = 120
    tokens_out: int = 45
    calls: list[Call] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    gathered: bool = False
    arrived: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None
    script: Callable[[int, dict[str, Any], str], Reply | None] | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def max_overlap(self) -> int:
        """The most calls that were in flight at the same moment."""
        events = sorted(
            [(c.start, 1) for c in self.calls] + [(c.end, -1) for c in self.calls], key=lambda e: (e[0], e[1])
        )
        best = current = 0
        for _, delta in events:
            current += delta
            best = max(best, current)
        return best

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                started = time.monotonic()
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
                found = _MODE.search(prompt)
                mode = found.group(1) if found else fake.mode
                with fake.lock:
                    fake.requests += 1
                    number = fake.requests
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                if fake.gather:
                    with fake.arrived:
                        fake.in_flight += 1
                        if fake.in_flight >= fake.gather:
                            fake.gathered = True
                            fake.arrived.notify_all()
                        fake.arrived.wait_for(lambda: fake.gathered, timeout=fake.hang)
                if fake.latency:
                    time.sleep(fake.latency)
                if fake.gather:
                    with fake.arrived:
                        fake.in_flight -= 1
                if mode == "timeout":
                    time.sleep(fake.hang)
                if mode == "http500":
                    return self._send(500, {"error": {"message": "upstream exploded", "type": "server_error"}})
                if mode == "http429" and number <= fake.fail_first:
                    return self._send(429, {"error": {"message": "slow down"}}, headers={"retry-after": "0"})
                schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or {}
                answer = example_for(schema) if schema else {}
                content: str | None = json.dumps(answer)
                finish, refusal = "stop", None
                reply = fake.script(number, schema, prompt) if fake.script is not None else None
                if reply is not None:
                    if reply.delay:
                        time.sleep(reply.delay)
                    if reply.status != 200:
                        return self._send(
                            reply.status, reply.error_body or {"error": {"message": "scripted"}}, reply.headers
                        )
                    content = reply.content if reply.content is not None else content
                    finish, refusal = reply.finish, reply.refusal
                    if refusal is not None:
                        content = None
                    mode = "scripted"
                if mode == "scripted":
                    pass
                elif mode == "malformed":
                    content = '{"headline": "unterminated'
                elif mode == "offschema":
                    content = json.dumps({"unexpected": True})
                elif mode == "refusal":
                    content, refusal = None, "I can't help with that."
                elif mode == "length":
                    text = content or ""
                    content, finish = text[: len(text) // 2], "length"
                tokens_in = fake.tokens_in if fake.tokens_in is not None else len(prompt) // 4
                tokens_out = fake.tokens_out
                max_tokens = body.get("max_tokens")
                if max_tokens is not None and tokens_out > max_tokens:
                    # Generation stops at the limit: the text so far, and the tokens it took.
                    cut = len(content or "") * max_tokens // tokens_out
                    content, finish, tokens_out = (content or "")[:cut], "length", max_tokens
                with fake.lock:
                    fake.calls.append(
                        Call(
                            started,
                            time.monotonic(),
                            body.get("model", ""),
                            prompt,
                            mode,
                            max_tokens=max_tokens,
                            tokens_in=tokens_in,
                            tokens_out=tokens_out,
                        )
                    )
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{number}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "gpt-4o-mini"),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": finish,
                                "message": {"role": "assistant", "content": content, "refusal": refusal},
                            }
                        ],
                        "usage": {
                            "prompt_tokens": tokens_in,
                            "completion_tokens": tokens_out,
                            "total_tokens": tokens_in + tokens_out,
                        },
                    },
                )

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up (the timeout mode): nothing to answer to.
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
