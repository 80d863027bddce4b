"""A worker to kill mid-call (test_abandoned_calls): it reserves an LLM call for a run, prints the
call's id, and makes the call against the test's server, which never answers.

    python -m tests.agents.reserve_and_hang DB_NAME RUN_ID BASE_URL

DB_NAME is the test database (a file on SQLite, a name on PostgreSQL), which the settings alone
would not name: the test runner created it.
"""

from __future__ import annotations

import os
import sys


def main(db_name: str, run_id: int, base_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = db_name
    import django

    django.setup()
    from django.utils import timezone

    from agents.models import AgentRun
    from agents.runtime.llm.openai_provider import OpenAIProvider
    from agents.runtime.llm.usage import CallRequest, call_reserve
    from brand.clock import brand_today
    from tests.agents.agents_for_tests import Note

    run = AgentRun.objects.select_related("agent").get(pk=run_id)
    request = CallRequest(
        run=run,
        agent=run.agent,
        today=brand_today(),
        provider="openai",
        model="gpt-4o-mini",
        purpose="killed mid-call",
        system="You write notes.",
        prompt="Write a note [mode:timeout] " + "x" * 400,
        max_output_tokens=1000,
    )
    call = call_reserve(request=request, started=timezone.now())
    print(f"reserved {call.pk}", flush=True)
    provider = OpenAIProvider(api_key="sk-test-not-a-real-key", base_url=base_url, timeout=600, max_retries=0)
    provider.generate(Note, system=request.system, prompt=request.prompt, model=request.model, purpose="x")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
