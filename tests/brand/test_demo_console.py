"""The console on the demo brand: the owner and each division's people log in and see what they should.

The demo (seed 1) is built once for the module and one cycle is run on it, then every test logs in
through the admin's login form (with CSRF checks on) and walks the console like a person would.
Scoping is checked against the database: the proposals a division user sees on the changelist are
exactly their division's, and another division's proposal is out of reach by every URL.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from agents.models import Briefing, Cycle, CycleStatus
from agents.runtime.registry import sync_agents
from agents.runtime.services import cycle_start
from approvals.models import Decision, ProposedAction, Status, Verdict
from approvals.policy import approvals_status, needs_four_eyes
from brand import models as bm
from brand.demo import build_demo
from brand.demo.people import STAFF_GROUP
from divisions.catalog import DIVISIONS
from divisions.models import Division, Membership, Role
from divisions.permissions import OWNERS_GROUP, PII_DIVISIONS
from memory.models import MemoryEntry

pytestmark = pytest.mark.django_db

PASSWORD = "hearth-and-pine-demo-pw"
DIVISION_USERS = [f"{slug}_{role}" for slug, _, _ in DIVISIONS for role in (Role.APPROVER, Role.DIRECTOR)]
CHANGE_LINK = re.compile(r'href="/admin/(\w+)/(\w+)/(\d+)/change/(?:\?[^"]*)?"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo brand and its first cycle, committed (the cycle's runs work in threads); flushed afterwards
    the way a transactional test leaves the database (the conftest puts the migrated rows back)."""
    with django_db_blocker.unblock(), override_settings(ATLAS_DEMO_PASSWORD=PASSWORD):
        try:
            result = build_demo(seed=1, end_date=None, out_dir=tmp_path_factory.mktemp("demo"))
            cycle = cycle_start(trigger="manual", sync=True)
            yield {"build": result, "cycle": cycle}
        finally:
            call_command("flush", interactive=False, verbosity=0)
            for slug, name, mandate in DIVISIONS:
                Division.objects.create(slug=slug, name=name, mandate=mandate)
            Group.objects.create(name=OWNERS_GROUP)
            sync_agents()


def login(username: str, password: str = PASSWORD) -> Client:
    """A real login through the admin's form: GET it for the CSRF token, POST it, follow to the index."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    token = CSRF.search(page.content.decode()).group(1)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302, f"{username} could not log in"
    assert response["Location"] == "/admin/"
    return client


def ids_on(html: str, app: str, model: str) -> set[int]:
    return {int(pk) for a, m, pk in CHANGE_LINK.findall(html) if (a, m) == (app, model)}


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


def proposals_url(pk: int | None = None, view: str = "change") -> str:
    if pk is None:
        return reverse("admin:approvals_proposedaction_changelist")
    return reverse(f"admin:approvals_proposedaction_{view}", args=[pk])


def division_of(username: str) -> str:
    return username.rsplit("_", 1)[0]


def test_the_demo_is_ready_for_the_console(demo):
    """What the rest of the module rests on: the cycle finished and left proposals in several divisions."""
    assert demo["cycle"].status == CycleStatus.DONE, demo["cycle"].error
    assert demo["build"]["people"]["generated_password"] is None
    assert get_user_model().objects.filter(username__in=["owner", *DIVISION_USERS]).count() == 17
    with_proposals = set(ProposedAction.objects.values_list("division__slug", flat=True))
    assert {"growth", "finance"} <= with_proposals
    assert ProposedAction.objects.filter(division__slug="growth", status=Status.PENDING, hold_reason="").exists()


def test_a_wrong_password_is_refused(demo):
    client = Client()
    response = client.post("/admin/login/", {"username": "growth_approver", "password": "not-it", "next": "/admin/"})
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("username", ["owner", *DIVISION_USERS])
def test_everyone_logs_in_and_walks_the_console(demo, username):
    client = login(username)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/approvals/proposedaction/" in index.content.decode()  # Today links the proposals
    records = client.get(reverse("atlas_records"))  # and the model index is one click away
    assert records.status_code == 200
    html = records.content.decode()
    for section in ("/admin/approvals/proposedaction/", "/admin/memory/memoryentry/", "/admin/brand/order/"):
        assert section in html, (username, section)

    # Proposals: exactly the ones this person may see, every one on the page (a cycle makes fewer than 100).
    visible = ProposedAction.objects.all()
    if username != "owner":
        visible = visible.filter(division__slug=division_of(username))
    assert visible.count() <= 100
    changelist = client.get(proposals_url() + "?show=all")  # the list opens on what waits; all is one click
    assert changelist.status_code == 200
    assert ids_on(changelist.content.decode(), "approvals", "proposedaction") == set(
        visible.values_list("pk", flat=True)
    )

    # A proposal of their division opens (read-only, with its decisions and executions inline).
    division = Division.objects.get(slug="growth" if username == "owner" else division_of(username))
    mine = ProposedAction.objects.filter(division=division).order_by("pk").first()
    if mine is None:  # a division whose specialists found nothing to propose on this brand day
        mine = ProposedAction.objects.create(
            division=division,
            agent_key=f"{division.slug}.test",
            action_type="report.publish",
            category="internal",
            title="A report for the console test",
            args={},
        )
    page = client.get(proposals_url(mine.pk))
    assert page.status_code == 200
    assert f"#{mine.pk}" in page.content.decode() or str(mine.title or mine.action_type) in page.content.decode()
    assert client.get(proposals_url(mine.pk, "history")).status_code == 200

    # Memory: the division's entries and the brand-wide ones, nobody else's.
    memory = client.get(reverse("admin:memory_memoryentry_changelist"))
    assert memory.status_code == 200
    shown = ids_on(memory.content.decode(), "memory", "memoryentry")
    assert shown
    if username != "owner":
        assert (
            not MemoryEntry.objects.filter(pk__in=shown)
            .exclude(division__isnull=True)
            .exclude(division=division)
            .exists()
        )

    # The brand's tables; the big ones page through the cheap paginator, 50 rows and no full count.
    for name in ("adcampaign", "emailcampaign", "purchaseorder"):
        response = client.get(reverse(f"admin:brand_{name}_changelist"))
        assert response.status_code == 200, (username, name)
        assert ids_on(response.content.decode(), "brand", name), (username, name)
    # Customers are personal data: their list opens to owners, retention and sales only (issue 15 §5).
    tables = [("order", bm.Order), ("orderline", bm.OrderLine)]
    customers = reverse("admin:brand_customer_changelist")
    if username == "owner" or division_of(username) in PII_DIVISIONS:
        tables.append(("customer", bm.Customer))
    else:
        assert client.get(customers).status_code == 403, username
    for name, model in tables:
        response = client.get(reverse(f"admin:brand_{name}_changelist"))
        assert response.status_code == 200, (username, name)
        html = response.content.decode()
        assert len(ids_on(html, "brand", name)) == 50, (username, name)
        assert 'class="paginator"' in html
        assert model.objects.count() >= 4000


@pytest.mark.parametrize("username", [u for u in DIVISION_USERS if u.startswith(("growth_", "finance_"))])
def test_another_divisions_proposal_is_out_of_reach(demo, username):
    client = login(username)
    other = ProposedAction.objects.exclude(division__slug=division_of(username)).order_by("pk").first()
    change = client.get(proposals_url(other.pk))
    # Django's admin answers an object outside get_queryset with a redirect to the index and a
    # "doesn't exist" message: nothing of the proposal is shown.
    assert change.status_code in (302, 403, 404)
    if change.status_code == 302:
        assert change["Location"] == reverse("admin:index")
        after = client.get(change["Location"]).content.decode()
        assert "doesn’t exist" in after
        assert other.title not in after
    # Its history, and one of its historical versions, are refused outright.
    assert client.get(proposals_url(other.pk, "history")).status_code in (403, 404)
    version = other.history.order_by("history_id").first()
    assert client.get(f"{proposals_url(other.pk)[: -len('change/')]}history/{version.history_id}/").status_code in (
        403,
        404,
    )
    # Another division's memory entry: neither its page nor its history.
    entry = MemoryEntry.objects.exclude(division__isnull=True).exclude(division__slug=division_of(username)).first()
    url = reverse("admin:memory_memoryentry_change", args=[entry.pk])
    assert client.get(url).status_code in (302, 403, 404)
    assert client.get(reverse("admin:memory_memoryentry_history", args=[entry.pk])).status_code in (403, 404)
    # Its decisions are not listed either.
    decisions = client.get(reverse("admin:approvals_decision_changelist"))
    assert decisions.status_code == 200
    assert (
        not Decision.objects.filter(pk__in=ids_on(decisions.content.decode(), "approvals", "decision"))
        .exclude(proposal__division__slug=division_of(username))
        .exists()
    )


def _decidable(slug: str, *, four_eyes: bool | None = None) -> ProposedAction:
    pending = ProposedAction.objects.filter(division__slug=slug, status=Status.PENDING, hold_reason="")
    ordered = pending.order_by("money_at_stake", "pk")
    found = [p for p in ordered if four_eyes is None or needs_four_eyes(p) == four_eyes]
    assert found, f"no pending {slug} proposal (four_eyes={four_eyes}) on the demo's first day"
    return found[0]


def _act(client: Client, action: str, *pks: int) -> tuple[int, str]:
    token = csrf_of(client.get(proposals_url()).content.decode())
    response = client.post(
        proposals_url(),
        {"action": action, "_selected_action": [str(pk) for pk in pks], "index": "0", "csrfmiddlewaretoken": token},
        follow=True,
    )
    return response.status_code, response.content.decode()


def test_a_growth_approver_approves_a_growth_proposal_through_the_admin_action(demo):
    proposal = _decidable("growth", four_eyes=False)
    approver = get_user_model().objects.get(username="growth_approver")
    client = login("growth_approver")
    changelist = client.get(proposals_url()).content.decode()
    assert 'value="approve_selected"' in changelist

    status, html = _act(client, "approve_selected", proposal.pk)

    assert status == 200
    assert "Approved and queued 1 proposal" in html
    decision = Decision.objects.get(proposal=proposal)
    assert (decision.user, decision.verdict, decision.via, decision.actor_label) == (
        approver,
        Verdict.APPROVE,
        "console",
        "user:growth_approver",
    )
    proposal.refresh_from_db()
    assert proposal.status == Status.APPROVED
    assert approvals_status(proposal).satisfied
    # The service wrote the proposal's history with the actor, and remembered the decision.
    assert proposal.history.filter(history_user=approver, status=Status.APPROVED).exists()
    assert MemoryEntry.objects.filter(kind="decision", author_user=approver, text__contains="approved").exists()


def test_four_eyes_in_the_console_takes_the_finance_approver_and_director(demo):
    proposal = _decidable("finance", four_eyes=True)
    _act(login("finance_approver"), "approve_selected", proposal.pk)
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert approvals_status(proposal).missing == "a director's approval as the second approver (four-eyes)"
    _act(login("finance_director"), "approve_selected", proposal.pk)
    proposal.refresh_from_db()
    assert proposal.status == Status.APPROVED
    assert sorted(Decision.objects.filter(proposal=proposal).values_list("user__username", flat=True)) == [
        "finance_approver",
        "finance_director",
    ]


def test_a_growth_user_cannot_act_on_a_finance_proposal(demo):
    proposal = _decidable("finance")
    for username in ("growth_approver", "growth_director"):
        client = login(username)
        status, html = _act(client, "approve_selected", proposal.pk)
        assert status == 200
        # The action runs on the changelist's queryset, which has no finance proposal in it: nothing to do.
        assert 'class="success"' not in html
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert not Decision.objects.filter(proposal=proposal).exists()


def test_a_viewer_sees_the_divisions_proposals_but_has_no_decide_action(demo):
    viewer = get_user_model().objects.create_user("growth_viewer", password=PASSWORD, is_staff=True)
    viewer.groups.add(Group.objects.get(name=STAFF_GROUP))
    Membership.objects.create(user=viewer, division=Division.objects.get(slug="growth"), role=Role.VIEWER)
    proposal = _decidable("growth")

    client = login("growth_viewer")
    html = client.get(proposals_url()).content.decode()
    assert ids_on(html, "approvals", "proposedaction") == set(
        ProposedAction.objects.filter(division__slug="growth").values_list("pk", flat=True)
    )
    for action in ("approve_selected", "reject_selected", "send_back_selected"):
        assert f'value="{action}"' not in html
    assert client.get(proposals_url(proposal.pk)).status_code == 200

    # Forging the action's POST does not decide anything either.
    status, _ = _act(client, "approve_selected", proposal.pk)
    assert status == 200
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert not Decision.objects.filter(proposal=proposal).exists()


def test_the_owner_sees_every_division_and_decides_anywhere(demo):
    client = login("owner")
    html = client.get(proposals_url() + "?show=all").content.decode()
    assert ids_on(html, "approvals", "proposedaction") == set(ProposedAction.objects.values_list("pk", flat=True))
    assert 'value="approve_selected"' in html
    finance = _decidable("finance", four_eyes=False)
    assert client.get(proposals_url(finance.pk)).status_code == 200
    status, page = _act(client, "approve_selected", finance.pk)
    assert status == 200
    assert "Approved and queued 1 proposal" in page
    assert Decision.objects.get(proposal=finance).user.username == "owner"


def test_the_owner_reads_the_briefing(demo):
    briefing = Briefing.objects.get(brand_date=Cycle.objects.get(pk=demo["cycle"].pk).brand_date)
    out = io.StringIO()
    call_command("atlas_brief", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["date"] == briefing.brand_date.isoformat()
    assert data["narrative"] == briefing.narrative
    assert data["risk"]["title"] and data["win"]["title"] and data["opportunity"]["title"]

    client = login("owner")
    if Briefing in admin.site._registry:
        url = reverse("admin:agents_briefing_change", args=[briefing.pk])
        assert client.get(url).status_code == 200
    # The cycle that wrote it is in the console, with its runs.
    cycle = client.get(reverse("admin:agents_cycle_change", args=[demo["cycle"].pk]))
    assert cycle.status_code == 200
    assert "growth.director" in cycle.content.decode()
