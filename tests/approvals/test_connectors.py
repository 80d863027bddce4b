"""Connectors against real peers: SMTP (aiosmtpd) for e-mail sends, an HTTP server for the webhook."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from approvals.executor import executions_sweep
from approvals.models import Execution, ProposedAction, Status
from approvals.services import proposal_approve, proposal_create
from brand.connectors import webhook
from brand.models import AppliedAction, EmailCampaign, EmailStatus
from tests.factories import CustomerFactory, SegmentFactory

from .factories import budget_proposal
from .servers import Inbox, Receiver, http_server, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment():
    segment = SegmentFactory(key="lapsed", name="Lapsed buyers")
    customers = [CustomerFactory(email=f"buyer{i}@example.com") for i in range(5)]
    customers.append(CustomerFactory(email="no-marketing@example.com", accepts_marketing=False))
    segment.customers.set(customers)
    return segment


def _smtp(port):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT=5,
    )


def _send_proposal(segment, **extra):
    return proposal_create(
        action_type="email.send_campaign",
        args={"segment": segment.key, "subject": "We miss you", "body": "Come back for 10% off", **extra},
        division="retention",
        rationale="Lapsed buyers respond to win-back mails",
    )


def _retention_approver():
    from divisions.models import Role
    from tests.factories import MembershipFactory, UserFactory, division

    return MembershipFactory(
        user=UserFactory(username="retention_approver"), division=division("retention"), role=Role.APPROVER
    ).user


def test_send_campaign_goes_through_smtp_once_per_customer(segment, committed):
    inbox = Inbox()
    with smtp_server(inbox) as port, _smtp(port):
        proposal = _send_proposal(segment)
        assert proposal.preview.startswith("E-mail 'We miss you' to Lapsed buyers (5 customers who accept marketing)")
        committed(proposal_approve, proposal=proposal, user=_retention_approver())
        proposal.refresh_from_db()
        assert proposal.status == Status.EXECUTED
        # A repeated call with the same key sends nothing more.
        from approvals import registry

        action = registry.get("email.send_campaign")
        action.execute(action.parse(proposal.args), idempotency_key=f"proposal-{proposal.pk}")
    recipients = sorted(m["To"] for m in inbox.messages)
    assert recipients == [f"buyer{i}@example.com" for i in range(5)]
    assert {m["Subject"] for m in inbox.messages} == {"We miss you"}
    campaign = EmailCampaign.objects.get(subject="We miss you")
    assert (campaign.status, campaign.recipients) == (EmailStatus.SENT, 5)


def test_smtp_failure_half_way_retries_only_the_rest(segment, committed, settings):
    inbox = Inbox(refuse_after=2)
    with smtp_server(inbox) as port, _smtp(port):
        proposal = _send_proposal(segment)
        committed(proposal_approve, proposal=proposal, user=_retention_approver())
        proposal.refresh_from_db()
        assert proposal.status == Status.APPROVED  # waiting for its retry
        assert "sending failed after 2 of 5 messages" in Execution.objects.get(proposal=proposal).error
        inbox.refuse_after = None
        ProposedAction.objects.filter(pk=proposal.pk).update(next_attempt_at=timezone.now())
        assert executions_sweep() == 1
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert len(inbox.messages) == 5
    assert len({m["To"] for m in inbox.messages}) == 5


def test_smtp_server_down_is_transient(segment, committed):
    from .servers import free_port

    with _smtp(free_port()):
        proposal = _send_proposal(segment)
        committed(proposal_approve, proposal=proposal, user=_retention_approver())
    proposal.refresh_from_db()
    assert proposal.status == Status.APPROVED and proposal.next_attempt_at is not None
    assert "e-mail server unavailable" in Execution.objects.get(proposal=proposal).error


def test_a_scheduled_send_waits_until_due_and_can_be_cancelled_until_then(segment, committed):
    later = timezone.now() + dt.timedelta(days=2)
    proposal = _send_proposal(segment, scheduled_at=later.isoformat())
    approver = _retention_approver()
    committed(proposal_approve, proposal=proposal, user=approver)
    proposal.refresh_from_db()
    assert proposal.status == Status.APPROVED and proposal.next_attempt_at == later
    assert EmailCampaign.objects.get(subject="We miss you").status == EmailStatus.SCHEDULED
    assert not Execution.objects.exists()
    from approvals.services import proposal_cancel

    proposal_cancel(proposal=proposal, user=approver, reason="Offer withdrawn")
    assert executions_sweep(now=later + dt.timedelta(minutes=1)) == 0


def test_webhook_posts_signed_executions_and_retries_5xx(campaign, growth_approver, committed, settings):
    receiver = Receiver([503, 200])
    with http_server(receiver) as url:
        settings.ATLAS_WEBHOOK_URL = url
        settings.ATLAS_WEBHOOK_SECRET = "s3cret"
        settings.ATLAS_WEBHOOK_ACTIONS = ["ads.set_daily_budget"]
        proposal = committed(proposal_approve, proposal=budget_proposal(campaign), user=growth_approver)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert len(receiver.requests) == 2  # one 503, one accepted
    request = receiver.requests[-1]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["idempotency-key"] == f"proposal-{proposal.pk}"
    assert webhook.verify(request["body"], headers["x-atlas-signature"], "s3cret")
    assert not webhook.verify(request["body"], headers["x-atlas-signature"], "wrong")
    assert request["json"]["action_type"] == "ads.set_daily_budget"
    assert request["json"]["result"]["daily_budget"] == "80.00"
    assert AppliedAction.objects.get(key=f"proposal-{proposal.pk}").webhook_delivered_at is not None


def test_webhook_down_retries_later_without_repeating_the_effect(campaign, growth_approver, committed, settings):
    receiver = Receiver([500, 502, 503])
    with http_server(receiver) as url:
        settings.ATLAS_WEBHOOK_URL = url
        settings.ATLAS_WEBHOOK_SECRET = "s3cret"
        settings.ATLAS_WEBHOOK_ACTIONS = ["ads.set_daily_budget"]
        proposal = committed(proposal_approve, proposal=budget_proposal(campaign), user=growth_approver)
        proposal.refresh_from_db()
        assert proposal.status == Status.APPROVED
        assert "did not accept ads.set_daily_budget" in Execution.objects.get(proposal=proposal).error
        ProposedAction.objects.filter(pk=proposal.pk).update(next_attempt_at=timezone.now())
        assert executions_sweep() == 1
    proposal.refresh_from_db()
    campaign.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert campaign.daily_budget == Decimal("80.00")
    assert len({r["headers"]["Idempotency-Key"] for r in receiver.requests}) == 1
    assert campaign.history.filter(daily_budget=Decimal("80.00")).count() == 1


def test_a_send_killed_half_way_is_resumed_not_judged_stale(segment, committed, settings, monkeypatch):
    """What a worker SIGKILLed after two messages leaves: the send marked begun, two customers served,
    the campaign "sending" (its own doing), an expired claim. The sweeper's next attempt finishes the
    send for the other three, each message with the Message-ID it would always have had."""
    from approvals import executor
    from brand.connectors import email as email_connector

    campaign = EmailCampaign.objects.create(
        name="Win-back", segment=segment, subject="We miss you", body_text="Come back", status=EmailStatus.DRAFT
    )
    proposal = proposal_create(
        action_type="email.send_campaign",
        args={"email_campaign_id": campaign.pk},
        division="retention",
        rationale="Lapsed buyers respond to win-back mails",
    )
    monkeypatch.setattr(executor, "dispatch", lambda pk, *, inline=None: None)  # the worker that will die
    committed(proposal_approve, proposal=proposal, user=_retention_approver())
    key = f"proposal-{proposal.pk}"
    served = list(email_connector.recipients_of(campaign)[:2])
    AppliedAction.objects.create(key=email_connector.started_key(key), action_type="email.started", result={})
    for customer in served:
        AppliedAction.objects.create(key=email_connector.recipient_key(key, customer.pk), action_type="email.recipient")
    EmailCampaign.objects.filter(pk=campaign.pk).update(status=EmailStatus.SENDING)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.ATLAS_EXECUTION_CLAIM_TTL * 2)
    ProposedAction.objects.filter(pk=proposal.pk).update(
        status=Status.EXECUTING, claim_token="killed", claimed_at=long_ago, attempts=1
    )
    monkeypatch.undo()

    inbox = Inbox()
    with smtp_server(inbox) as port, _smtp(port):
        assert executions_sweep() == 1
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED, proposal.status_reason
    rest = sorted(c.email for c in email_connector.recipients_of(campaign) if c not in served)
    assert sorted(m["To"] for m in inbox.messages) == rest
    for message in inbox.messages:
        customer = segment.customers.get(email=message["To"])
        assert message["Message-ID"] == email_connector.message_id(key, customer.pk)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.recipients) == (EmailStatus.SENT, 5)
