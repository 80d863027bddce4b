"""The webhook connector: POST an execution as JSON to ATLAS_WEBHOOK_URL, signed, with retries.

Headers: `X-Atlas-Signature: sha256=<hex HMAC-SHA256 of the body with ATLAS_WEBHOOK_SECRET>` and
`Idempotency-Key` (the proposal's key: the receiver drops repeats). 5xx, timeouts and connection
errors are retried a few times here, then raised as TransientActionError so the executor retries
later with backoff; a 4xx is the receiver refusing the call and fails the execution.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from approvals.errors import TransientActionError

SIGNATURE_HEADER = "X-Atlas-Signature"
# Pauses between the in-process tries; the executor's own backoff handles longer outages.
RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5)


class WebhookRefused(Exception):
    """The receiver answered 4xx: retrying the same request cannot help."""


def sign(body: bytes, secret: str | None = None) -> str:
    secret = settings.ATLAS_WEBHOOK_SECRET if secret is None else secret
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature: str, secret: str) -> bool:
    return hmac.compare_digest(sign(body, secret), signature)


def deliver(*, action_type: str, idempotency_key: str, payload: dict) -> int:
    """POST once (with in-process retries). Returns the HTTP status of the accepted delivery."""
    body = json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Atlas-Webhook/1",
        SIGNATURE_HEADER: sign(body),
        "Idempotency-Key": idempotency_key,
        "X-Atlas-Action": action_type,
    }
    last_error = ""
    for delay in (0.0, *RETRY_DELAYS):
        if delay:
            time.sleep(delay)
        request = urllib.request.Request(settings.ATLAS_WEBHOOK_URL, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=settings.ATLAS_WEBHOOK_TIMEOUT) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                raise WebhookRefused(
                    f"webhook {settings.ATLAS_WEBHOOK_URL} refused {action_type} ({idempotency_key}): HTTP {exc.code}"
                ) from exc
            last_error = f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            last_error = str(getattr(exc, "reason", exc)) or type(exc).__name__
    raise TransientActionError(
        f"webhook {settings.ATLAS_WEBHOOK_URL} did not accept {action_type} ({idempotency_key}) "
        f"after {1 + len(RETRY_DELAYS)} tries: {last_error}"
    )
