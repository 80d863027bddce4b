"""The agents in the console: configuration editable, runs read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agents.models import Agent, AgentRun, Briefing, BriefingItem, Intent, ItemKind, RunTrigger
from agents.runtime.services import agent_run_start
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


# --- briefings and intents (read-only, scoped) ----------------------------------------------------


@pytest.fixture
def briefing():
    from brand.clock import brand_today
    from tests.agents.orchestrator.factories import ProposalFactory
    from tests.factories import division

    growth = ProposalFactory(title="Cut Spring Sale budget to 80", division=division("growth"))
    finance = ProposalFactory(
        title="Hold PO-77 for the cash runway", division=division("finance"), agent_key="finance.po_desk"
    )
    day = Briefing.objects.create(
        brand_date=brand_today(),
        persona="Alexia",
        narrative="Good morning. Spring Sale ROAS fell.",
        drafted_by="offline",
    )
    items = {
        "risk": BriefingItem.objects.create(
            briefing=day,
            kind=ItemKind.RISK,
            division=division("growth"),
            title="Spring Sale ROAS fell to 0.9",
            text="Seven days under target.",
            numbers={"roas": 0.9},
            ranking={"money": 280},
        ),
        "win": BriefingItem.objects.create(
            briefing=day,
            kind=ItemKind.WIN,
            division=division("finance"),
            title="Runway up to eleven months",
            text="Cash in.",
            numbers={"months": 11},
        ),
        "opportunity": BriefingItem.objects.create(
            briefing=day, kind=ItemKind.OPPORTUNITY, title="Brand-wide: Mothers Day in three weeks", text="Plan."
        ),
    }
    items["risk"].proposals.set([growth])
    items["win"].proposals.set([finance])
    return {"briefing": day, "items": items, "growth": growth, "finance": finance}


def test_the_owner_reads_the_briefing_with_its_items_and_links(client, owner, briefing):
    client.force_login(owner)
    day = briefing["briefing"]
    listing = client.get(reverse("admin:agents_briefing_changelist")).content.decode()
    assert "offline draft" in listing and "Alexia" in listing
    page = client.get(reverse("admin:agents_briefing_change", args=[day.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Good morning. Spring Sale ROAS fell." in html and "offline draft" in html
    for item in briefing["items"].values():
        assert item.title in html
    for proposal in (briefing["growth"], briefing["finance"]):
        assert reverse("admin:approvals_proposedaction_change", args=[proposal.pk]) in html
    assert "280" in html  # the ranking's inputs are shown

    # Read-only: no add, no edit, no delete.
    assert client.get(reverse("admin:agents_briefing_add")).status_code == 403
    assert client.post(reverse("admin:agents_briefing_change", args=[day.pk]), {"narrative": "x"}).status_code == 403
    assert client.post(reverse("admin:agents_briefing_delete", args=[day.pk]), {"post": "yes"}).status_code == 403
    day.refresh_from_db()
    assert day.narrative.startswith("Good morning")


def test_staff_see_the_narrative_and_only_their_divisions_items(client, growth_viewer, briefing):
    client.force_login(growth_viewer)
    html = client.get(reverse("admin:agents_briefing_change", args=[briefing["briefing"].pk])).content.decode()
    assert "Good morning. Spring Sale ROAS fell." in html  # the narrative is brand-wide
    assert briefing["items"]["risk"].title in html and briefing["items"]["opportunity"].title in html
    assert briefing["items"]["win"].title not in html
    assert reverse("admin:approvals_proposedaction_change", args=[briefing["growth"].pk]) in html
    assert reverse("admin:approvals_proposedaction_change", args=[briefing["finance"].pk]) not in html
    assert briefing["finance"].title not in html


def test_all_records_links_to_todays_briefing(client, growth_viewer, briefing):
    client.force_login(growth_viewer)
    index = client.get(reverse("atlas_records")).content.decode()
    today = reverse("admin:agents_briefing_today")
    assert today in index
    response = client.get(today)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:agents_briefing_change", args=[briefing["briefing"].pk])


def test_without_a_briefing_today_the_link_says_so(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:agents_briefing_today"), follow=True)
    assert response.status_code == 200
    assert "No briefing yet" in response.content.decode()


def test_intents_are_read_only_and_scoped(client, owner, growth_viewer, finance_director):
    from tests.agents.orchestrator.factories import ProposalFactory, agent_run
    from tests.factories import division

    intent = Intent.objects.create(
        text="Pause the Spring Sale ads",
        user=growth_viewer,
        division=division("growth"),
        agent_keys=["growth.paid_media"],
        confidence=0.82,
        reason="names a campaign of growth",
    )
    run = agent_run("growth.paid_media", intent=intent, trigger=RunTrigger.INTENT)
    proposal = ProposalFactory(title="Pause Spring Sale", agent_run=run)
    url = reverse("admin:agents_intent_change", args=[intent.pk])

    client.force_login(owner)
    html = client.get(url).content.decode()
    assert "Pause the Spring Sale ads" in html and "names a campaign of growth" in html and "0.82" in html
    assert reverse("admin:agents_agentrun_change", args=[run.pk]) in html
    assert reverse("admin:approvals_proposedaction_change", args=[proposal.pk]) in html
    assert client.post(url, {"text": "changed"}).status_code == 403

    client.force_login(growth_viewer)
    assert reverse("admin:approvals_proposedaction_change", args=[proposal.pk]) in client.get(url).content.decode()

    client.force_login(finance_director)
    listing = client.get(reverse("admin:agents_intent_changelist"))
    assert listing.status_code == 200 and not listing.context["cl"].result_list
    assert client.get(url).status_code in (302, 403, 404)


def test_staff_see_only_their_divisions_runs(db, growth_viewer, owner):
    from django.contrib.auth.models import Permission
    from django.test import Client
    from django.urls import reverse

    from agents.models import Agent, AgentRun
    from agents.runtime import registry

    growth_viewer.user_permissions.add(Permission.objects.get(codename="view_agentrun"))
    registry.sync_agents()
    growth_run = AgentRun.objects.create(agent=Agent.objects.get(key="growth.director"), error="growth detail")
    finance_run = AgentRun.objects.create(agent=Agent.objects.get(key="finance.director"), error="finance detail")
    client = Client()
    client.force_login(growth_viewer)
    page = client.get(reverse("admin:agents_agentrun_changelist")).content.decode()
    assert f"/agentrun/{growth_run.pk}/change/" in page and f"/agentrun/{finance_run.pk}/change/" not in page
    assert client.get(reverse("admin:agents_agentrun_change", args=[finance_run.pk])).status_code in (302, 404)
    client.force_login(owner)
    page = client.get(reverse("admin:agents_agentrun_changelist")).content.decode()
    assert f"/agentrun/{finance_run.pk}/change/" in page


def test_an_agent_model_without_a_price_is_refused_in_the_admin(client, owner, agent_registry):
    agent_registry(Writer)
    client.force_login(owner)
    agent = Agent.objects.get(key=Writer.key)
    url = reverse("admin:agents_agent_change", args=[agent.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update({"llm_model": "llama3", "config": "{}"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "has no price in ATLAS_LLM_PRICES" in str(response.context["adminform"].form.errors["llm_model"])
    agent.refresh_from_db()
    assert agent.llm_model == ""


def test_prompts_and_answers_are_shown_to_owners_only(client, owner, growth_director, agent_registry):
    from django.contrib.auth.models import Permission

    agent_registry(Writer)
    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    url = reverse("admin:agents_agentrun_change", args=[run.pk])
    client.force_login(owner)
    page = client.get(url).content.decode()
    assert "Write a note [mode:ok] number 0" in page and "You are Test writer" in page

    growth_director.user_permissions.add(*Permission.objects.filter(codename__in=["view_agentrun", "view_llmcall"]))
    client.force_login(growth_director)
    response = client.get(url)
    assert response.status_code == 200  # the run is growth's: the director reads it
    page = response.content.decode()
    assert "calls-group" in page  # the run's calls are listed
    assert "Write a note" not in page and "You are Test writer" not in page
