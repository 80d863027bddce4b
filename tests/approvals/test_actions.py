"""The brand's action types: categories, money at stake, previews, effects."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals import registry
from approvals.errors import InvalidArguments
from approvals.models import Status
from approvals.services import proposal_approve, proposal_create
from brand.models import CampaignStatus, Discount, POStatus, PurchaseOrder, Segment
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    PurchaseOrderFactory,
    SupplierFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db

CATEGORIES = {
    "ads.set_daily_budget": "spend",
    "ads.pause_campaign": "spend",
    "ads.resume_campaign": "spend",
    "pricing.create_discount": "spend",
    "pricing.set_markdown": "spend",
    "pricing.retire_discount": "spend",
    "po.confirm": "spend",
    "email.send_campaign": "message",
    "calendar.reschedule": "schedule",
    "po.create": "internal",
    "brief.draft": "internal",
    "report.publish": "internal",
    "segment.build": "internal",
}


def test_every_brand_type_is_registered_with_its_category():
    assert {key: registry.get(key).category for key in CATEGORIES} == CATEGORIES


def test_pause_campaign(campaign, growth_approver, committed):
    proposal = proposal_create(
        action_type="ads.pause_campaign", args={"campaign_id": campaign.pk}, division="growth", rationale="r"
    )
    assert proposal.preview == "Pause Spring Sale (Meta, $120/day): active -> paused"
    committed(proposal_approve, proposal=proposal, user=growth_approver)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    with pytest.raises(InvalidArguments, match="is paused, not active"):
        proposal_create(
            action_type="ads.pause_campaign", args={"campaign_id": campaign.pk}, division="growth", rationale="r"
        )


def test_discount_money_at_stake_and_effect(growth_approver, committed):
    variant = VariantFactory(sku="HP-104", price=Decimal("40.00"))
    OrderLineFactory(order=OrderFactory(created_at=timezone.now() - dt.timedelta(days=3)), variant=variant, quantity=10)
    args = {"code": "spring20", "percent_off": "20", "skus": ["HP-104"]}
    proposal = proposal_create(action_type="pricing.create_discount", args=args, division="growth", rationale="r")
    assert proposal.money_at_stake == Decimal("80.00")  # 20% of $400 trailing revenue, 30 days
    committed(proposal_approve, proposal=proposal, user=growth_approver)
    discount = Discount.objects.get(code="SPRING20")
    assert list(discount.variants.values_list("sku", flat=True)) == ["HP-104"]
    with pytest.raises(InvalidArguments, match="exists already"):
        proposal_create(action_type="pricing.create_discount", args=args, division="growth", rationale="r")
    with pytest.raises(InvalidArguments, match=r"skus=.*no variant with SKU NOPE"):
        proposal_create(
            action_type="pricing.create_discount",
            args={"code": "X20", "percent_off": "20", "skus": ["NOPE"]},
            division="growth",
            rationale="r",
        )


def test_po_create_is_internal_and_po_confirm_spends_the_total(finance_approver, committed):
    supplier = SupplierFactory(name="Acme Ceramics")
    VariantFactory(sku="MUG-1", cost=Decimal("4.00"), supplier=supplier)
    created = committed(
        proposal_create,
        action_type="po.create",
        args={"supplier": "Acme Ceramics", "lines": [{"sku": "MUG-1", "quantity": 300}]},
        division="operations",
        rationale="Cover runs out in 9 days",
    )
    created.refresh_from_db()
    assert created.status == Status.EXECUTED
    po = PurchaseOrder.objects.get(supplier=supplier)
    assert po.status == POStatus.DRAFT
    confirm = proposal_create(action_type="po.confirm", args={"po": po.number}, division="finance", rationale="r")
    assert (confirm.category, confirm.money_at_stake) == ("spend", Decimal("1200.00"))
    assert confirm.preview.endswith("300 units, $1,200, draft -> confirmed")


def test_segment_build_from_a_rule(committed):
    recent = CustomerFactory(email="recent@example.com")
    CustomerFactory(email="lapsed@example.com")
    OrderFactory(customer=recent, created_at=timezone.now() - dt.timedelta(days=5))
    committed(
        proposal_create,
        action_type="segment.build",
        args={"key": "lapsed-90", "name": "Lapsed 90 days", "rule": {"not_ordered_within_days": 90}},
        division="retention",
        rationale="Win-back",
    )
    segment = Segment.objects.get(key="lapsed-90")
    assert list(segment.customers.values_list("email", flat=True)) == ["lapsed@example.com"]
    assert segment.definition == {"not_ordered_within_days": 90}


def test_po_confirm_refuses_a_confirmed_po():
    po = PurchaseOrderFactory(status=POStatus.CONFIRMED)
    with pytest.raises(InvalidArguments, match="confirmed, not a draft"):
        proposal_create(action_type="po.confirm", args={"po": po.number}, division="finance", rationale="r")


def _retention_approver():
    from divisions.models import Role
    from tests.factories import MembershipFactory, UserFactory, division

    return MembershipFactory(
        user=UserFactory(username="retention_approver"), division=division("retention"), role=Role.APPROVER
    ).user


def test_a_scheduled_send_appears_on_the_calendar_once(committed):
    from brand.models import CalendarItem, CalendarKind, EmailCampaign, EmailStatus
    from tests.factories import SegmentFactory

    segment = SegmentFactory(key="vip", name="VIPs", audience=2)
    later = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    args = {"segment": "vip", "name": "VIP Restock", "subject": "Back in stock", "body": "b", "scheduled_at": later}
    proposal = proposal_create(
        action_type="email.send_campaign", args={**args, "scheduled_at": later.isoformat()}, division="retention",
        rationale="r",
    )  # fmt: skip
    committed(proposal_approve, proposal=proposal, user=_retention_approver())
    campaign = EmailCampaign.objects.get(name="VIP Restock")
    assert campaign.status == EmailStatus.SCHEDULED
    item = CalendarItem.objects.get(email_campaign=campaign)
    assert (item.kind, item.starts_at, item.segment, item.title) == (CalendarKind.EMAIL, later, segment, "VIP Restock")
    # The deferred retry and a second proposal moving the same campaign keep one item, at the new time.
    action = registry.get("email.send_campaign")
    with pytest.raises(Exception, match="scheduled for"):
        action.execute(action.parse(proposal.args), idempotency_key=f"proposal-{proposal.pk}")
    moved = later + dt.timedelta(days=1)
    with pytest.raises(Exception, match="scheduled for"):
        action.execute(
            action.parse({"email_campaign_id": campaign.pk, "scheduled_at": moved.isoformat()}), idempotency_key="k2"
        )
    assert list(CalendarItem.objects.filter(email_campaign=campaign).values_list("starts_at", flat=True)) == [moved]


def test_an_existing_campaign_sent_now_gets_its_calendar_item(committed):
    from brand.models import CalendarItem, EmailCampaign, EmailStatus
    from tests.factories import SegmentFactory

    segment = SegmentFactory(key="vip", name="VIPs")
    segment.customers.set([CustomerFactory(email="vip@example.com")])
    campaign = EmailCampaign.objects.create(name="Flash", segment=segment, subject="Flash", body_text="b")
    proposal = proposal_create(
        action_type="email.send_campaign", args={"email_campaign_id": campaign.pk}, division="retention", rationale="r"
    )
    before = timezone.now()
    committed(proposal_approve, proposal=proposal, user=_retention_approver())
    campaign.refresh_from_db()
    assert campaign.status == EmailStatus.SENT
    (item,) = CalendarItem.objects.filter(email_campaign=campaign)
    assert item.segment == segment and before <= item.starts_at <= timezone.now()


def test_rescheduling_a_send_on_the_calendar_moves_the_send_itself(committed):
    from brand.models import CalendarItem, CalendarKind, EmailCampaign, EmailStatus
    from divisions.models import Role
    from tests.factories import MembershipFactory, SegmentFactory, UserFactory, division

    ops = MembershipFactory(
        user=UserFactory(username="ops_approver"), division=division("operations"), role=Role.APPROVER
    )
    segment = SegmentFactory(key="vip", name="VIPs")
    at = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    campaign = EmailCampaign.objects.create(
        name="VIP Restock Alert",
        segment=segment,
        subject="s",
        body_text="b",
        status=EmailStatus.SCHEDULED,
        scheduled_at=at,
    )
    item = CalendarItem.objects.create(
        title="VIP Restock Alert", kind=CalendarKind.EMAIL, starts_at=at, segment=segment, email_campaign=campaign
    )
    moved = at + dt.timedelta(days=1)
    proposal = proposal_create(
        action_type="calendar.reschedule",
        args={"item_id": item.pk, "starts_at": moved.isoformat()},
        division="operations",
        rationale="clash",
    )
    committed(proposal_approve, proposal=proposal, user=ops.user)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    campaign.refresh_from_db()
    item.refresh_from_db()
    assert item.starts_at == moved and campaign.scheduled_at == moved


def test_a_draft_campaign_approved_for_later_is_not_stale_when_it_comes_due(committed):
    """The action schedules the draft (draft -> scheduled); that must not void its own approval."""
    from approvals.executor import proposal_execute
    from brand.models import EmailCampaign, EmailStatus
    from tests.factories import SegmentFactory

    segment = SegmentFactory(key="vip", name="VIPs")
    segment.customers.set([CustomerFactory(email="vip@example.com")])
    later = timezone.now() + dt.timedelta(seconds=2)
    campaign = EmailCampaign.objects.create(name="Later", segment=segment, subject="s", body_text="b")
    proposal = proposal_create(
        action_type="email.send_campaign",
        args={"email_campaign_id": campaign.pk, "scheduled_at": later.isoformat()},
        division="retention",
        rationale="r",
    )
    committed(proposal_approve, proposal=proposal, user=_retention_approver())
    campaign.refresh_from_db()
    assert campaign.status == EmailStatus.SCHEDULED
    # The send comes due: the executor runs it again and it goes out.
    while timezone.now() <= later:
        time.sleep(0.2)
    proposal_execute(proposal_id=proposal.pk)
    proposal.refresh_from_db()
    campaign.refresh_from_db()
    assert (proposal.status, campaign.status) == (Status.EXECUTED, EmailStatus.SENT), proposal.status_reason
