"""Every admin URL and every command, enumerated: nobody sees another division's data, nor customers'
personal data without the permission (issue 15 §5).

The tables below name each registered ModelAdmin's and each Atlas command's scoping rule. A new
admin or command fails `test_every_admin_has_a_scoping_rule` / `test_every_command_has_a_scoping_rule`
until it is added here, and so joins the crawl: every persona (a director of each of the eight
divisions, a viewer, the owner) opens every page of every admin (list, search, add, change, history,
history record, delete, each autocomplete) over rows seeded with one canary per division and one
customer, and no page may show a canary of a division the persona is not in, nor the customer's
personal data to someone without `can_see_customer_pii`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from agents.models import Briefing, BriefingItem, Cycle, Intent
from agents.runtime.access import AccessDenied, run_scope_check
from approvals.models import Decision, Execution, LinkUse, ProposedAction
from divisions.catalog import DIVISIONS
from divisions.models import Role
from divisions.permissions import can_see_customer_pii
from memory.models import Conflict, MemoryEntry
from tests.approvals.factories import budget_proposal
from tests.factories import (
    AdCampaignFactory,
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    SegmentFactory,
    UserFactory,
    division,
)
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db

SLUGS = [slug for slug, _, _ in DIVISIONS]
ATLAS_APPS = {"atlas_project", "divisions", "brand", "memory", "approvals", "agents", "bench"}

# How each registered ModelAdmin is scoped.
DIVISION = "division rows: members of the division and owners"  # canaries seeded per division
BRAND = "the brand's own data: all staff read it, without customers' personal data"
PII = "customers' personal data: owners, retention, sales, the permission"
OWNERS = "Django's model permissions: superusers (and whoever is granted them)"

ADMIN_RULES: dict[str, str] = {
    "auth.Group": OWNERS,
    "auth.User": OWNERS,
    "django_q.Schedule": OWNERS,
    "django_q.Success": OWNERS,
    "django_q.Failure": OWNERS,
    "django_q.OrmQ": OWNERS,
    "axes.AccessAttempt": OWNERS,
    "axes.AccessLog": OWNERS,
    "axes.AccessFailureLog": OWNERS,
    "divisions.Division": OWNERS,
    "divisions.Membership": OWNERS,
    "brand.BrandProfile": BRAND,
    "brand.ChannelBudget": BRAND,
    "brand.SalesTarget": BRAND,
    "brand.Product": BRAND,
    "brand.Variant": BRAND,
    "brand.Supplier": BRAND,
    "brand.Customer": PII,
    "brand.Order": BRAND,
    "brand.OrderLine": BRAND,
    "brand.AdCampaign": BRAND,
    "brand.AdMetric": BRAND,
    "brand.Discount": BRAND,
    "brand.Segment": BRAND,
    "brand.EmailCampaign": BRAND,
    "brand.CalendarItem": BRAND,
    "brand.PurchaseOrder": BRAND,
    "brand.PurchaseOrderLine": BRAND,
    "brand.Document": BRAND,
    "brand.AppliedAction": BRAND,
    "agents.Agent": BRAND,  # the team's roster: names and descriptions, no division's work
    "agents.AgentRun": DIVISION,
    "agents.Cycle": BRAND,  # the cycle row is brand-wide; its runs inline are scoped (canaries below)
    "agents.Briefing": BRAND,  # the briefing is brand-wide; its items inline are scoped (canaries below)
    "agents.Intent": DIVISION,
    "memory.MemoryEntry": DIVISION,
    "memory.Conflict": DIVISION,
    "approvals.ProposedAction": DIVISION,
    "approvals.Decision": DIVISION,
    "approvals.Execution": DIVISION,
    "approvals.LinkUse": DIVISION,
}

# How each Atlas command is scoped, and the test below that proves it.
PERSON = "acts as a person: --as USER is required and that person's role is checked"
PERSON_OR_SYSTEM = "the operator's, as the system; with --as USER, as that person, role checked"
SYSTEM = "the operator's command: runs as the system over the whole brand"
COMMAND_RULES: dict[str, tuple[str, str]] = {
    "atlas_ask": (PERSON, "test_atlas_ask_takes_a_deciding_role_in_the_named_division"),
    "atlas_decide": (PERSON, "test_atlas_decide_decides_only_in_the_persons_divisions"),
    "atlas_memory": (PERSON, "test_atlas_memory_add_writes_only_where_the_person_may"),
    "atlas_run": (PERSON_OR_SYSTEM, "test_atlas_run_as_a_person_runs_only_their_divisions"),
    "atlas_brief": (PERSON_OR_SYSTEM, "test_atlas_brief_as_a_person_shows_only_their_divisions"),
    "atlas_digest": (SYSTEM, "test_operator_commands_take_no_person"),
    "atlas_import": (SYSTEM, "test_operator_commands_take_no_person"),
    "atlas_demo": (SYSTEM, "test_operator_commands_take_no_person"),
    "atlas_demo_past": (SYSTEM, "test_operator_commands_take_no_person"),
    "atlas_schedules": (SYSTEM, "test_operator_commands_take_no_person"),
    "atlas_outcomes": (SYSTEM, "test_operator_commands_take_no_person"),
    "atlas_llm_prune": (SYSTEM, "test_operator_commands_take_no_person"),
    "atlas_eval": (SYSTEM, "test_operator_commands_take_no_person"),
    "atlas_bench": (SYSTEM, "test_operator_commands_take_no_person"),
}

PII_TEXT = ("pii.canary@example.com", "Pcanaryfirst", "Pcanarylast")


def canary(slug: str) -> str:
    return f"canary-{slug}"


@dataclass
class World:
    directors: dict[str, Any]
    viewer: Any
    owner: Any
    objects: dict[str, list[Any]] = field(default_factory=dict)  # model label -> canary rows


@pytest.fixture
def world(owner) -> World:
    now = timezone.now()
    directors = {
        slug: MembershipFactory(
            user=UserFactory(username=f"{slug}_dir"), division=division(slug), role=Role.DIRECTOR
        ).user
        for slug in SLUGS
    }
    viewer = MembershipFactory(user=UserFactory(username="growth_look"), division=division("growth"), role=Role.VIEWER)
    w = World(directors=directors, viewer=viewer.user, owner=owner)

    def add(row: Any) -> Any:
        w.objects.setdefault(row._meta.label, []).append(row)
        return row

    campaign = AdCampaignFactory(name="Canary campaign")
    cycle = add(Cycle.objects.create(brand_date=now.date(), scope=""))
    briefing = add(Briefing.objects.create(brand_date=now.date(), narrative="The day.", cycle=cycle))
    for rank, slug in enumerate(SLUGS, start=1):
        text = canary(slug)
        d = division(slug)
        proposal = budget_proposal(campaign, division=slug, rationale=f"{text} rationale")
        ProposedAction.objects.filter(pk=proposal.pk).update(title=f"{text} title")
        add(ProposedAction.objects.get(pk=proposal.pk))
        add(
            Decision.objects.create(
                proposal=proposal, user=directors[slug], actor_label="user:x", verdict="send_back", comment=text
            )
        )
        add(
            Execution.objects.create(
                proposal=proposal,
                idempotency_key=f"{text}-key",
                attempt=1,
                actor_label="system",
                action_type=proposal.action_type,
                args={"note": text},
                error=text,
                started_at=now,
            )
        )
        add(
            LinkUse.objects.create(
                token_hash=hashlib.sha256(text.encode()).hexdigest(),
                proposal=proposal,
                user=UserFactory(username=f"{text}-link-user"),  # the name is what the page shows of it
                verdict="approve",
            )
        )
        key = f"sku:{text}:days_of_cover"
        earlier = add(
            MemoryEntry.objects.create(
                kind="observation",
                key=key,
                subject=text,
                text=f"{text} earlier",
                division=d,
                author_label="agent",
                valid_from=now,
                is_current=False,
            )
        )
        later = add(
            MemoryEntry.objects.create(
                kind="observation",
                key=key,
                subject=text,
                text=f"{text} later",
                division=d,
                author_label="person",
                valid_from=now,
            )
        )
        add(Conflict.objects.create(key=key, earlier=earlier, later=later))
        intent = add(Intent.objects.create(text=f"{text} ask", user=directors[slug], division=d, reason=text))
        run = run_of(f"{slug}.canary_watch", slug)
        run.error, run.cycle, run.intent = text, cycle, intent
        run.save()
        add(run)
        BriefingItem.objects.create(briefing=briefing, kind="ranked", rank=rank, division=d, title=text, text=text)
    customer = add(CustomerFactory(email=PII_TEXT[0], first_name=PII_TEXT[1], last_name=PII_TEXT[2]))
    add(OrderFactory(name="#7777", customer=customer))
    segment = add(SegmentFactory(key="canary-seg", name="Seg"))
    segment.customers.add(customer)
    return w


def _admin_urls(w: World) -> list[str]:
    urls: list[str] = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls += [
            reverse("admin:{}_{}_changelist".format(*info)),
            reverse("admin:{}_{}_changelist".format(*info)) + "?q=canary",
            reverse("admin:{}_{}_add".format(*info)),
        ]
        for name in model_admin.autocomplete_fields:
            urls.append(
                reverse("admin:autocomplete") + f"?app_label={info[0]}&model_name={info[1]}&field_name={name}&term="
            )
        for row in w.objects.get(model._meta.label, []):
            for view in ("change", "history", "delete"):
                urls.append(reverse("admin:{}_{}_{}".format(*info, view), args=[row.pk]))
            history = getattr(row, "history", None)
            if history is not None and history.exists():
                # A model with history whose admin is not a SimpleHistoryAdmin has no such page.
                with contextlib.suppress(NoReverseMatch):
                    urls.append(
                        reverse("admin:{}_{}_simple_history".format(*info), args=[row.pk, history.first().history_id])
                    )
    return urls


def _leaks(client, user, urls: list[str], allowed: set[str], sees_pii: bool) -> list[str]:
    client.force_login(user)
    forbidden = [canary(s) for s in SLUGS if s not in allowed] + ([] if sees_pii else list(PII_TEXT))
    found = []
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            found.append(f"{url}: {response.status_code}")
            continue
        body = response.content.decode(errors="replace")
        found += [f"{user.username} sees {text!r} on {url}" for text in forbidden if text in body]
    client.logout()
    return found


def test_every_admin_has_a_scoping_rule():
    registered = {model._meta.label for model in admin.site._registry}
    assert registered - set(ADMIN_RULES) == set(), "a new admin: give it a rule (and canaries) in ADMIN_RULES"
    # django-q2 registers its queue's admin only with the ORM broker (not with Redis).
    by_configuration = {"django_q.OrmQ"}
    assert set(ADMIN_RULES) - registered - by_configuration == set(), "a rule for an admin that no longer exists"


def test_every_command_has_a_scoping_rule():
    commands = {name for name, app in get_commands().items() if app in ATLAS_APPS}
    assert commands - set(COMMAND_RULES) == set(), "a new command: give it a rule and a test in COMMAND_RULES"
    assert set(COMMAND_RULES) - commands == set()
    for name, (rule, test_name) in COMMAND_RULES.items():
        assert callable(globals().get(test_name)), f"{name}: its scoping test {test_name} does not exist"
        parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
        as_options = [a for a in _all_actions(parser) if "--as" in a.option_strings]
        if rule == SYSTEM:
            assert not as_options, f"{name} takes --as: give it a person's rule"
        else:
            assert as_options, f"{name}: a command acting for a person takes --as"
            assert all(a.required for a in as_options) == (rule == PERSON), name


def _all_actions(parser) -> list[Any]:
    """The parser's options and its sub-commands' (atlas_memory add --as)."""
    actions = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                actions += list(sub._actions)
    return actions


def test_the_crawl_reaches_every_canary(client, world):
    """The owner sees every canary: the pages the crawl opens do show them, so their absence means something."""
    client.force_login(world.owner)
    missing = []
    for label, rule in ADMIN_RULES.items():
        if rule != DIVISION:
            continue
        app, model = label.lower().split(".")
        for row in world.objects[label]:
            page = client.get(reverse(f"admin:{app}_{model}_change", args=[row.pk]))
            if page.status_code != 200 or "canary-" not in page.content.decode():
                missing.append(f"{label} #{row.pk}: {page.status_code}")
    assert missing == []
    assert PII_TEXT[0] in client.get(reverse("admin:brand_customer_changelist")).content.decode()
    briefing = world.objects["agents.Briefing"][0]
    body = client.get(reverse("admin:agents_briefing_change", args=[briefing.pk])).content.decode()
    assert all(canary(s) in body for s in SLUGS)


@pytest.mark.parametrize("slug", SLUGS)
def test_a_director_sees_no_other_division_on_any_admin_page(client, world, slug):
    director = world.directors[slug]
    leaks = _leaks(client, director, _admin_urls(world), {slug}, can_see_customer_pii(director))
    assert leaks == []
    # And sees their own: the scoping lets the division's work through.
    client.force_login(director)
    own = next(p for p in world.objects["approvals.ProposedAction"] if p.division.slug == slug)
    assert canary(slug) in client.get(reverse("admin:approvals_proposedaction_change", args=[own.pk])).content.decode()


def test_a_viewer_sees_no_other_division_nor_customers(client, world):
    assert _leaks(client, world.viewer, _admin_urls(world), {"growth"}, sees_pii=False) == []


# --- commands ----------------------------------------------------------------------------------


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_atlas_decide_decides_only_in_the_persons_divisions(world):
    proposals = {p.division.slug: p for p in world.objects["approvals.ProposedAction"]}
    for mine in SLUGS:
        for theirs in SLUGS:
            if mine == theirs:
                continue
            with pytest.raises(CommandError):
                _call("atlas_decide", str(proposals[theirs].pk), "reject", "--as", f"{mine}_dir", "--comment", "no")
    with pytest.raises(CommandError):
        _call("atlas_decide", str(proposals["growth"].pk), "reject", "--as", "growth_look", "--comment", "no")
    assert all(ProposedAction.objects.get(pk=p.pk).status == "pending" for p in proposals.values())
    _call("atlas_decide", str(proposals["growth"].pk), "reject", "--as", "growth_dir", "--comment", "not now")
    assert ProposedAction.objects.get(pk=proposals["growth"].pk).status == "rejected"


def test_atlas_memory_add_writes_only_where_the_person_may(world):
    before = MemoryEntry.objects.count()
    for mine in SLUGS:
        for theirs in SLUGS:
            if mine != theirs:
                with pytest.raises(CommandError):
                    _call("atlas_memory", "add", "--as", f"{mine}_dir", "--division", theirs, "--text", "x")
    with pytest.raises(CommandError):
        _call("atlas_memory", "add", "--as", "growth_look", "--division", "growth", "--text", "x")
    assert MemoryEntry.objects.count() == before
    _call("atlas_memory", "add", "--as", "growth_dir", "--division", "growth", "--text", "Keep ROAS above 3.")
    assert MemoryEntry.objects.count() == before + 1


def test_atlas_ask_takes_a_deciding_role_in_the_named_division(world):
    for mine in SLUGS:
        for theirs in SLUGS:
            if mine != theirs:
                with pytest.raises(CommandError, match="approves or directs nothing there"):
                    _call("atlas_ask", "anything at all", "--as", f"{mine}_dir", "--division", theirs)
    with pytest.raises(CommandError, match="only an owner, an approver or a director"):
        _call("atlas_ask", "pause the spring campaign", "--as", "growth_look")
    with pytest.raises(CommandError, match="no such user"):
        _call("atlas_ask", "pause the spring campaign", "--as", "nobody")
    assert Intent.objects.count() == len(SLUGS)  # the seeded ones only


def test_atlas_run_as_a_person_runs_only_their_divisions(world, growth_approver):
    for mine in SLUGS:
        director = world.directors[mine]
        run_scope_check(user=director, division=mine)
        for theirs in SLUGS:
            if mine != theirs:
                with pytest.raises(AccessDenied):
                    run_scope_check(user=director, division=theirs)
                with pytest.raises(AccessDenied):
                    run_scope_check(user=director, agent_key=f"{theirs}.canary_watch")
        with pytest.raises(AccessDenied, match="not an owner"):
            run_scope_check(user=director)  # the whole cycle
    with pytest.raises(AccessDenied):
        run_scope_check(user=world.viewer, division="growth")
    run_scope_check(user=world.owner)
    # Through the command: refused before anything runs.
    cycles = Cycle.objects.count()
    with pytest.raises(CommandError, match="approves or directs nothing there"):
        _call("atlas_run", "--sync", "--as", "growth_dir", "--division", "finance")
    with pytest.raises(CommandError, match="not an owner"):
        _call("atlas_run", "--sync", "--as", "growth_dir")
    with pytest.raises(CommandError, match="no such active user"):
        _call("atlas_run", "--sync", "--as", "nobody", "--division", "growth")
    assert Cycle.objects.count() == cycles


def test_atlas_brief_as_a_person_shows_only_their_divisions(world):
    day = world.objects["agents.Briefing"][0].brand_date.isoformat()
    whole = _call("atlas_brief", "--date", day, "--json")
    assert all(canary(s) in whole for s in SLUGS)  # the operator's view
    for mine in SLUGS:
        for fmt in ([], ["--json"]):
            seen = _call("atlas_brief", "--date", day, "--as", f"{mine}_dir", *fmt)
            assert canary(mine) in seen
            assert [s for s in SLUGS if s != mine and canary(s) in seen] == []
    seen = json.loads(_call("atlas_brief", "--date", day, "--as", "growth_look", "--json"))
    assert [i["title"] for i in seen["ranked"]] == [canary("growth")]
    owner_view = _call("atlas_brief", "--date", day, "--as", "owner", "--json")
    assert all(canary(s) in owner_view for s in SLUGS)


def test_operator_commands_take_no_person():
    # They run as the system over the whole brand (cron, `make demo`); shell access is the operator's.
    for name, (rule, _) in COMMAND_RULES.items():
        if rule == SYSTEM:
            parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
            assert not [a for a in _all_actions(parser) if "--as" in a.option_strings], name
