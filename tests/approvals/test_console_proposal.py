"""A proposal's page decides: approve, edit and approve, send back, reject, release a hold; plain 404s."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import Decision, ProposedAction, Status
from approvals.services import proposal_create, proposal_hold
from divisions.models import Role
from memory.services import remember
from tests.factories import AdCampaignFactory, EmailCampaignFactory, MembershipFactory, UserFactory, division
from tests.memory.factories import run_of

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _page(proposal):
    return reverse("admin:approvals_proposedaction_change", args=[proposal.pk])


def _decide(proposal):
    return reverse("admin:approvals_proposedaction_decide", args=[proposal.pk])


def test_page_shows_the_change_money_in_words_and_the_decide_forms(campaign, growth_approver):
    proposal = budget_proposal(campaign, "80.00")
    body = _client(growth_approver).get(_page(proposal)).content.decode()
    assert "120.00" in body and "80.00" in body and "→" in body  # before -> after from the basis
    assert "$280" in body  # |80 - 120| x 7 days, in the brand's words
    assert 'value="approve"' in body and 'value="send_back"' in body and 'value="reject"' in body
    assert "doesn't exist" not in body


def test_viewer_sees_the_page_without_decide_forms(campaign, growth_viewer):
    body = _client(growth_viewer).get(_page(budget_proposal(campaign))).content.decode()
    assert 'value="approve"' not in body


def test_approve_from_the_page_goes_through_the_services(campaign, growth_approver, committed):
    proposal = budget_proposal(campaign, "80.00")
    response = committed(
        _client(growth_approver).post, _decide(proposal), {"verdict": "approve", "comment": "ok"}, follow=True
    )
    assert b"Approved #" in response.content
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    decision = Decision.objects.get(proposal=proposal)
    assert (decision.via, decision.comment, decision.user) == ("console", "ok", growth_approver)
    campaign.refresh_from_db()
    assert campaign.daily_budget == Decimal("80.00")


def test_decide_returns_to_a_safe_next_only(campaign, growth_approver):
    client = _client(growth_approver)
    first, second = budget_proposal(campaign, "80.00"), budget_proposal(campaign, "90.00")
    response = client.post(_decide(first), {"verdict": "reject", "comment": "no", "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    response = client.post(_decide(second), {"verdict": "reject", "comment": "no", "next": "https://evil.example/"})
    assert response["Location"] == _page(second)


def test_send_back_needs_a_comment_and_says_so(campaign, growth_approver):
    proposal = budget_proposal(campaign)
    response = _client(growth_approver).post(_decide(proposal), {"verdict": "send_back", "comment": " "}, follow=True)
    assert b"needs a comment" in response.content
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING


def test_send_back_with_a_comment(campaign, growth_approver, committed):
    proposal = budget_proposal(campaign)
    committed(_client(growth_approver).post, _decide(proposal), {"verdict": "send_back", "comment": "try 100"})
    proposal.refresh_from_db()
    assert proposal.status == Status.SENT_BACK and proposal.status_reason == "try 100"


def test_edit_and_approve_shows_the_diff_then_approves_the_edited_amount(campaign, growth_approver, committed):
    proposal = budget_proposal(campaign, "80.00")
    client = _client(growth_approver)
    url = reverse("admin:approvals_proposedaction_edit", args=[proposal.pk])
    form = client.get(url).content.decode()
    assert 'name="daily_budget"' in form and 'value="80.00"' in form
    preview = client.post(url, {"campaign_id": campaign.pk, "daily_budget": "100", "preview": "yes"})
    body = preview.content.decode()
    assert "Confirm: approve with these changes" in body and "$280" in body and "$140" in body
    assert Decision.objects.count() == 0  # nothing decided before confirming
    args_json = preview.context["preview"].new_args_json
    committed(client.post, url, {"args_json": args_json, "comment": "a bit less", "confirm": "yes"})
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED and proposal.args["daily_budget"] == "100.00"
    decision = Decision.objects.get(proposal=proposal)
    assert decision.verdict == "edit_approve" and decision.args_diff == {"daily_budget": ["80.00", "100.00"]}


def test_edit_re_validates_and_names_the_field(campaign, growth_approver):
    proposal = budget_proposal(campaign, "80.00")
    url = reverse("admin:approvals_proposedaction_edit", args=[proposal.pk])
    response = _client(growth_approver).post(url, {"campaign_id": campaign.pk, "daily_budget": "-5", "preview": "1"})
    assert b"daily_budget" in response.content and b"Confirm" not in response.content
    forged = _client(growth_approver).post(
        url, {"args_json": json.dumps({"campaign_id": campaign.pk, "daily_budget": "0"}), "confirm": "yes"}, follow=True
    )
    assert b"daily_budget" in forged.content
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING and proposal.args["daily_budget"] == "80.00"


def test_a_discount_with_a_list_of_skus_is_edited_as_a_comma_separated_list(growth_approver):
    from tests.factories import VariantFactory

    VariantFactory(sku="HP-104")
    VariantFactory(sku="HP-310")
    proposal = proposal_create(
        action_type="pricing.create_discount",
        args={"code": "SPRING15", "percent_off": "15", "skus": ["HP-104"]},
        division="growth",
        rationale="Spring.",
    )
    client = _client(growth_approver)
    url = reverse("admin:approvals_proposedaction_edit", args=[proposal.pk])
    form = client.get(url)
    assert form.status_code == 200  # a list argument once crashed the form
    assert 'name="skus"' in form.content.decode() and 'value="HP-104"' in form.content.decode()
    preview = client.post(url, {"code": "SPRING15", "percent_off": "20", "skus": "HP-104, HP-310", "preview": "1"})
    assert json.loads(preview.context["preview"].new_args_json)["skus"] == ["HP-104", "HP-310"]
    unknown = client.post(url, {"code": "SPRING15", "percent_off": "20", "skus": "HP-104, NOPE-1", "preview": "1"})
    assert b"no variant with SKU NOPE-1" in unknown.content and b"Confirm" not in unknown.content


def test_another_divisions_proposal_is_a_plain_404(campaign, finance_director):
    proposal = budget_proposal(campaign)
    client = _client(finance_director)
    for url in (_page(proposal), reverse("admin:approvals_proposedaction_edit", args=[proposal.pk])):
        response = client.get(url)
        assert response.status_code == 404
    assert client.post(_decide(proposal), {"verdict": "approve"}).status_code == 404
    assert ProposedAction.objects.get(pk=proposal.pk).status == Status.PENDING


def test_release_a_hold_is_for_directors_with_a_reason(campaign, growth_approver, growth_director):
    proposal = proposal_hold(proposal=budget_proposal(campaign), reason="conflicts with stock")
    body = _client(growth_approver).get(_page(proposal)).content.decode()
    assert "conflicts with stock" in body and 'value="release"' not in body and 'value="approve"' not in body
    _client(growth_approver).post(_decide(proposal), {"verdict": "release", "comment": "fine"})
    proposal.refresh_from_db()
    assert proposal.is_held
    director = _client(growth_director)
    assert 'value="release"' in director.get(_page(proposal)).content.decode()
    director.post(_decide(proposal), {"verdict": "release", "comment": "stock arrives Monday"})
    proposal.refresh_from_db()
    assert not proposal.is_held
    assert proposal.history.first().history_change_reason.endswith("stock arrives Monday")


def test_spend_cap_is_a_warning_before_approving(campaign, growth_approver):
    growth = division("growth")
    growth.daily_spend_cap = Decimal("100")
    growth.save()
    body = _client(growth_approver).get(_page(budget_proposal(campaign, "80.00"))).content.decode()
    assert "Warning before you approve" in body and "daily spend cap" in body


def test_revision_links_both_ways(campaign, growth_approver):
    original = budget_proposal(campaign, "80.00")
    revision = budget_proposal(campaign, "90.00", revision_of=original)
    client = _client(growth_approver)
    assert f"#{revision.pk}" in client.get(_page(original)).content.decode()
    assert f"#{original.pk}" in client.get(_page(revision)).content.decode()


def test_list_opens_on_what_waits_for_this_person(campaign, growth_approver):
    waiting = budget_proposal(campaign, "80.00")
    decided = budget_proposal(campaign, "90.00")
    ProposedAction.objects.filter(pk=decided.pk).update(status=Status.REJECTED)
    url = reverse("admin:approvals_proposedaction_changelist")
    client = _client(growth_approver)
    rows = list(client.get(url).context["cl"].result_list)
    assert rows == [waiting]
    everything = list(client.get(url + "?show=all").context["cl"].result_list)
    assert set(everything) == {waiting, decided}


def test_list_division_filter_offers_only_the_persons_divisions(campaign):
    user = MembershipFactory(user=UserFactory(username="both"), division=division("growth"), role=Role.APPROVER).user
    MembershipFactory(user=user, division=division("finance"), role=Role.VIEWER)
    budget_proposal(campaign)
    response = _client(user).get(reverse("admin:approvals_proposedaction_changelist") + "?show=all")
    body = response.content.decode()
    assert "Growth" in body and "Finance" in body and "Retention" not in body


def test_an_emails_body_is_shown_as_the_customer_will_see_it(growth_approver):
    campaign = EmailCampaignFactory(
        name="VIP Early Access",
        subject="Early access, just for you",
        body_text="Hello!\n\nOur new roasting pan is here before anyone else sees it.",
        body_html="",
        segment__audience=1,
    )
    proposal = proposal_create(
        action_type="email.send_campaign",
        args={"email_campaign_id": campaign.pk},
        division="growth",
        rationale="VIPs open 3x more.",
        agent_key="retention.vip",
    )
    body = _client(growth_approver).get(_page(proposal)).content.decode()
    assert "The e-mail, as the customer will see it" in body
    assert "Early access, just for you" in body and "Our new roasting pan is here" in body


def test_an_html_email_is_rendered_in_a_sandboxed_frame(growth_approver):
    campaign = EmailCampaignFactory(
        subject="Hi", body_text="plain", body_html="<h1>Spring <b>sale</b></h1>", segment__audience=1
    )
    proposal = proposal_create(
        action_type="email.send_campaign",
        args={"email_campaign_id": campaign.pk},
        division="growth",
        rationale="r",
        agent_key="retention.vip",
    )
    body = _client(growth_approver).get(_page(proposal)).content.decode()
    assert 'sandbox=""' in body and "&lt;h1&gt;Spring &lt;b&gt;sale&lt;/b&gt;&lt;/h1&gt;" in body  # escaped into srcdoc


def test_evidence_links_to_the_memory_entries(campaign, growth_approver):
    entry = remember(
        key="campaign:spring:roas_7d",
        text="Spring Sale ROAS 0.8 over 7 days",
        division="growth",
        author_run=run_of("growth.paid_media"),
    )
    proposal = budget_proposal(campaign, evidence=[entry])
    body = _client(growth_approver).get(_page(proposal)).content.decode()
    assert reverse("admin:memory_memoryentry_change", args=[entry.pk]) in body
    assert "Spring Sale ROAS 0.8 over 7 days" in body


def test_a_bundled_proposal_says_what_deciding_it_alone_does(campaign, growth_approver):
    raise_ = budget_proposal(campaign, "150.00")
    cut = budget_proposal(AdCampaignFactory(name="Other", daily_budget=Decimal("200")), "170.00")
    proposal_hold(proposal=raise_, reason="funded by the cut", bundle=[cut])
    body = _client(growth_approver).get(_page(raise_)).content.decode()
    assert f"belongs with #{cut.pk}" in body and "Decide them together" in body
    ProposedAction.objects.filter(pk=cut.pk).update(status=Status.REJECTED)
    assert "Decide them together" not in _client(growth_approver).get(_page(raise_)).content.decode()


def test_money_at_stake_says_how_it_was_counted(campaign, growth_approver):
    body = _client(growth_approver).get(_page(budget_proposal(campaign, "80.00"))).content.decode()
    assert "|$80 - $120| a day x 7 days" in body
