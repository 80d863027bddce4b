"""The agents in the console: configuration editable, runs read-only."""

from __future__ import annotations

from django.urls import reverse

from agents.models import Agent, AgentRun, RunTrigger
from agents.services import agent_run_start
from tests.agents.agents_for_tests import Writer


def test_owner_configures_an_agent_and_reads_its_runs(client, owner, agent_registry):
    agent_registry(Writer)
    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    client.force_login(owner)
    agent = Agent.objects.get(key=Writer.key)

    assert client.get(reverse("admin:agents_agentrun_changelist")).status_code == 200
    page = client.get(reverse("admin:agents_agentrun_change", args=[run.pk]))
    assert page.status_code == 200 and b"offline" in page.content
    assert client.get(reverse("admin:agents_cycle_changelist")).status_code == 200

    form = client.get(reverse("admin:agents_agent_change", args=[agent.pk])).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update({"enabled": "", "llm_model": "gpt-4.1-mini", "config": '{"calls": 2}', "schedule": "manual"})
    response = client.post(reverse("admin:agents_agent_change", args=[agent.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert (agent.enabled, agent.llm_model, agent.config, agent.name) == (
        False,
        "gpt-4.1-mini",
        {"calls": 2},
        "Test writer",
    )

    # Runs are records: no delete, no edit.
    assert client.post(reverse("admin:agents_agentrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403
    assert AgentRun.objects.filter(pk=run.pk).exists()
