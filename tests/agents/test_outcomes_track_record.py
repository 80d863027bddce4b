"""Track records: per agent and action type, what was proposed, decided, executed and how it came out;
the one-line summary beside a proposal, the orchestrator's ranking, the admin page, the commands."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from agents.orchestrator.ranking import rank
from agents.outcomes.checks import BACKFIRED, NO_CLEAR_EFFECT, WORKED, Outcome
from agents.outcomes.selectors import track_record, track_record_line, window_for
from agents.outcomes.services import outcome_record
from approvals.models import Execution, ProposedAction
from approvals.services import proposal_reject, proposal_send_back
from brand.clock import brand_today
from memory.selectors import outcome_key
from memory.services import memory_add_by_person
from tests.agents.test_outcomes import budget_case, executed
from tests.approvals.factories import budget_proposal
from tests.factories import AdCampaignFactory

AGENT = "growth.paid_media"
TYPE = "ads.set_daily_budget"


@pytest.fixture(autouse=True)
def _execute_inline(settings):
    settings.ATLAS_EXECUTE_SYNC = True
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("100000")
    settings.ATLAS_WEBHOOK_URL = ""


def judged(proposal: ProposedAction, verdict: str) -> None:
    """The outcome service writes a verdict for an executed proposal, as a check would."""
    execution = Execution.objects.get(proposal=proposal, ok=True)
    window = window_for(proposal, execution, brand_today() + dt.timedelta(days=10))
    outcome_record(window=window, outcome=Outcome(verdict, 0.7, f"planted {verdict}", {"roas_after": 1.0}))


@pytest.fixture
def history(growth_approver, django_capture_on_commit_callbacks):
    """An agent's budget changes: four executed (3 worked, 1 backfired), one rejected, one sent back."""
    capture = django_capture_on_commit_callbacks
    done = []
    for verdict in (WORKED, WORKED, BACKFIRED, WORKED):
        campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
        proposal = executed(budget_proposal(campaign, "100.00"), growth_approver, capture)
        judged(proposal, verdict)
        done.append(proposal)
    proposal_reject(
        proposal=budget_proposal(AdCampaignFactory(daily_budget=Decimal("50"))),
        user=growth_approver,
        reason="not now",
    )
    proposal_send_back(
        proposal=budget_proposal(AdCampaignFactory(daily_budget=Decimal("50"))),
        user=growth_approver,
        comment="smaller",
    )
    return done


def test_track_record_counts_decisions_outcomes_and_money(history):
    [record] = track_record(agent_key=AGENT, action_type=TYPE)
    assert (record.proposed, record.approved, record.rejected, record.sent_back, record.executed) == (6, 4, 1, 1, 4)
    assert record.money_moved == Decimal("140.00") * 4  # (120 - 100) x 7 days each
    assert record.outcomes[WORKED] == 3 and record.outcomes[BACKFIRED] == 1
    assert record.success_rate() == pytest.approx((3 + 1) / (4 + 2))
    assert track_record(agent_key="growth.someone_else") == []


def test_the_line_beside_a_proposal_counts_the_agents_last_outcomes(history):
    pending = budget_proposal(AdCampaignFactory(daily_budget=Decimal("80")), "60.00")
    assert track_record_line(pending) == "this agent's last 4 budget changes: 3 worked, 1 backfired"
    other = budget_proposal(AdCampaignFactory(daily_budget=Decimal("80")), "60.00", agent_key="growth.promotions")
    assert track_record_line(other) == "this agent has no judged budget changes yet"


def test_a_persons_verdict_on_an_outcome_counts_instead_of_the_checks(history, owner):
    # The check said "worked"; the owner knows better and says so on the outcome's key.
    memory_add_by_person(
        user=owner,
        kind="outcome",
        key=outcome_key(history[0].pk),
        text="That was the holiday, not the cut.",
        data={"value": NO_CLEAR_EFFECT},
    )
    [record] = track_record(agent_key=AGENT, action_type=TYPE)
    assert record.outcomes[WORKED] == 2 and record.outcomes[NO_CLEAR_EFFECT] == 1


@pytest.mark.parametrize("seed", [2, 11, 31])
def test_ranking_weighs_the_track_record_gently_and_leaves_new_agents_alone(seed, history):
    rng = random.Random(seed)
    budget = Decimal(rng.choice(["60.00", "70.00", "90.00"]))
    confidence = rng.uniform(0.4, 0.8)
    proven = budget_proposal(AdCampaignFactory(daily_budget=Decimal("120")), budget, confidence=confidence)
    newcomer = budget_proposal(
        AdCampaignFactory(daily_budget=Decimal("120")), budget, confidence=confidence, agent_key="growth.promotions"
    )
    ranked = rank([newcomer, proven], timezone.now())
    assert [r.proposal for r in ranked] == [proven, newcomer]
    by = {r.proposal.pk: r for r in ranked}
    assert by[newcomer.pk].track_weight == 1.0 and by[newcomer.pk].confidence == pytest.approx(confidence)
    assert 1.0 < by[proven.pk].track_weight <= 1.2
    # 3 of 4 worked: the reported confidence moves towards 75% by 4/(5+4) of the way.
    expected = (confidence * 5 + 0.75 * 4) / 9
    assert by[proven.pk].confidence == pytest.approx(expected)
    assert by[proven.pk].inputs()["reported_confidence"] == round(confidence, 2)


def test_the_agent_admin_page_shows_the_track_record(client, owner, history):
    client.force_login(owner)
    agent = Agent.objects.get(key=AGENT)
    page = client.get(reverse("admin:agents_agent_change", args=[agent.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="track-record"' in html and f"<td>{TYPE}</td>" in html
    assert "<th>backfired</th>" in html and "<td>67%</td>" in html


def test_the_proposal_page_shows_its_agents_record_beside_it(client, owner, history):
    client.force_login(owner)
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    fresh = budget_proposal(campaign, "90.00")
    html = client.get(reverse("admin:approvals_proposedaction_change", args=[fresh.pk])).content.decode()
    assert "Track record" in html
    assert "last 4 budget changes: 3 worked, 1 backfired" in html


def test_atlas_outcomes_track_record_and_memory_outcomes(history):
    out = io.StringIO()
    call_command("atlas_outcomes", "--track-record", "--agent", AGENT, "--json", stdout=out)
    [row] = json.loads(out.getvalue())
    assert row["outcomes"] == {WORKED: 3, NO_CLEAR_EFFECT: 0, BACKFIRED: 1, "too_early": 0}
    assert row["rejected"] == 1

    out = io.StringIO()
    call_command("atlas_memory", "outcomes", "--verdict", BACKFIRED, "--json", stdout=out)
    [entry] = json.loads(out.getvalue())
    assert entry["key"] == outcome_key(history[2].pk) and entry["data"]["verdict"] == BACKFIRED

    with pytest.raises(CommandError, match="unknown action type"):
        call_command("atlas_outcomes", "--track-record", "--action-type", "no.such")
    with pytest.raises(CommandError, match="--proposal 999999"):
        call_command("atlas_outcomes", "--due", "--proposal", "999999")


def test_atlas_outcomes_runs_the_due_checks(growth_approver, django_capture_on_commit_callbacks):
    proposal = budget_case(4, growth_approver, django_capture_on_commit_callbacks, roas_after=1.6)
    day = (brand_today() + dt.timedelta(days=8)).isoformat()
    out = io.StringIO()
    call_command("atlas_outcomes", "--due", "--date", day, "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["checked"] == 1
    assert result["written"][0]["key"] == outcome_key(proposal.pk) and result["written"][0]["verdict"] == WORKED
    text = io.StringIO()
    call_command("atlas_outcomes", "--date", day, stdout=text)
    assert "0 due" in text.getvalue()
    with pytest.raises(CommandError, match="--date"):
        call_command("atlas_outcomes", "--date", "yesterday")
