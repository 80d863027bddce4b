"""`email.send_campaign` (message): an existing campaign, or a new one for a segment, sent once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pydantic
from django.db import IntegrityError, transaction
from django.db.models import Avg
from django.utils import timezone

from approvals.errors import ActionNotDue
from approvals.registry import Message, Value, register

from ..connectors import email as email_connector
from ..models import AppliedAction, CalendarItem, CalendarKind, EmailCampaign, EmailStatus, Order, Segment
from ..money import money_words
from .base import BrandAction, row_basis, row_key, when

# The share of a send's recipients assumed to order in response, for its expected revenue. An
# assumption, said as one wherever the estimate is shown.
EMAIL_RESPONSE_RATE = Decimal("0.02")


class SendArgs(pydantic.BaseModel):
    """Either `email_campaign_id`, or `segment` + `subject` + `body` for a new campaign."""

    model_config = pydantic.ConfigDict(extra="forbid")

    email_campaign_id: int | None = None
    segment: str | None = None
    name: str | None = None
    subject: str | None = pydantic.Field(default=None, max_length=200)
    body: str | None = None
    body_html: str | None = None
    scheduled_at: dt.datetime | None = None

    @pydantic.field_validator("email_campaign_id")
    @classmethod
    def _campaign_exists(cls, value: int | None) -> int | None:
        if value is not None and not EmailCampaign.objects.filter(pk=value).exists():
            raise ValueError(f"no e-mail campaign with id {value}")
        return value

    @pydantic.field_validator("segment")
    @classmethod
    def _segment_exists(cls, value: str | None) -> str | None:
        if value is not None and not Segment.objects.filter(key=value).exists():
            raise ValueError(f"no segment with key {value!r}")
        return value

    @pydantic.model_validator(mode="after")
    def _one_source(self) -> SendArgs:
        if self.email_campaign_id is None:
            missing = [f for f in ("segment", "subject", "body") if not getattr(self, f)]
            if missing:
                raise ValueError(f"without email_campaign_id, {', '.join(missing)} must be given")
        elif self.segment or self.subject or self.body:
            raise ValueError("give either email_campaign_id or segment/subject/body, not both")
        return self


@transaction.atomic
def calendar_item_for(campaign: EmailCampaign, *, at: dt.datetime, move: bool) -> CalendarItem:
    """The campaign's e-mail item on the content calendar, created once per campaign.

    The calendar specialist reads the calendar for clashes, so a send approved here must appear
    there. The campaign row is locked so that two executions for one campaign create one item;
    `move` aligns an existing item with a new schedule, otherwise only a future item is pulled
    back to `at` (a send happening now), and one already in the past keeps its time.
    """
    EmailCampaign.objects.select_for_update().filter(pk=campaign.pk).first()
    item = CalendarItem.objects.filter(email_campaign=campaign, kind=CalendarKind.EMAIL).order_by("pk").first()
    if item is None:
        return CalendarItem.objects.create(
            title=campaign.name[:200],
            kind=CalendarKind.EMAIL,
            starts_at=at,
            segment_id=campaign.segment_id,
            email_campaign=campaign,
        )
    fields = []
    if item.starts_at != at and (move or item.starts_at > at):
        if item.ends_at is not None:
            item.ends_at += at - item.starts_at  # the item keeps its length
            fields.append("ends_at")
        item.starts_at = at
        fields.append("starts_at")
    if item.segment_id is None:
        item.segment_id = campaign.segment_id
        fields.append("segment")
    if fields:
        item.save(update_fields=fields)
    return item


@register
class SendCampaign(BrandAction):
    key = "email.send_campaign"
    category = "message"
    target_fields = ("email_campaign_id", "segment")
    outcome_horizon_days = 7
    plural = "e-mail sends"
    Args = SendArgs

    def targets(self, args: dict) -> tuple[str, ...]:
        # An existing campaign is what a send acts on; a new one, its segment.
        if args.get("email_campaign_id") is not None:
            return (f"email:{args['email_campaign_id']}",)
        return (f"segment:{args.get('segment')}",)

    def check(self, args: SendArgs) -> None:
        if args.email_campaign_id is not None:
            campaign = EmailCampaign.objects.get(pk=args.email_campaign_id)
            if campaign.status in (EmailStatus.SENT, EmailStatus.CANCELLED, EmailStatus.SENDING):
                raise ValueError(f"email_campaign_id={campaign.pk}: {campaign.name} is {campaign.status}")
        _name, _subject, segment = self._parts(args)
        if not segment.audience().exists():
            # A send to nobody is never worth a person's approval: most often the segment is not built yet.
            members = segment.customers.count()
            where = "email_campaign_id" if args.email_campaign_id is not None else "segment"
            value = args.email_campaign_id if args.email_campaign_id is not None else args.segment
            raise ValueError(
                f"{where}={value!r}: segment {segment.key!r} ({segment.name}) has no customer who accepts "
                f"marketing ({members} member(s){', never built' if segment.built_at is None else ''}); "
                "build or refresh the segment before proposing a send to it"
            )

    def value(self, args: SendArgs) -> Value | None:
        """Expected revenue: the customers it reaches x their average order x an assumed response rate."""
        _name, _subject, segment = self._parts(args)
        audience = segment.audience()
        recipients = audience.count()
        average = Order.objects.filter(customer__in=audience.values("pk")).aggregate(aov=Avg("total"))["aov"]
        if not recipients or not average:
            return None
        aov = Decimal(average).quantize(Decimal("0.01"))
        return Value(
            amount=recipients * aov * EMAIL_RESPONSE_RATE,
            kind="expected revenue",
            how=(
                f"{recipients:,} consenting customers x {money_words(aov)} average order "
                f"x {EMAIL_RESPONSE_RATE:.0%} response (assumed)"
            ),
        )

    def _parts(self, args: SendArgs) -> tuple[str, str, Segment]:
        if args.email_campaign_id is not None:
            campaign = EmailCampaign.objects.select_related("segment").get(pk=args.email_campaign_id)
            return campaign.name, campaign.subject, campaign.segment
        segment = Segment.objects.get(key=args.segment)
        return args.name or args.subject or "", args.subject or "", segment

    def title(self, args: SendArgs) -> str:
        name, subject, segment = self._parts(args)
        return f"Send {name or subject!r} to {segment.name}"

    def message(self, args: SendArgs) -> Message:
        if args.email_campaign_id is not None:
            campaign = EmailCampaign.objects.get(pk=args.email_campaign_id)
            return Message(subject=campaign.subject, text=campaign.body_text, html=campaign.body_html)
        return Message(subject=args.subject or "", text=args.body or "", html=args.body_html or "")

    def preview(self, args: SendArgs) -> str:
        _name, subject, segment = self._parts(args)
        count = segment.audience().count()
        scheduled = args.scheduled_at
        if scheduled is None and args.email_campaign_id is not None:
            scheduled = EmailCampaign.objects.get(pk=args.email_campaign_id).scheduled_at
        audience = f"{count:,} customers who accept marketing"
        return f"E-mail {subject!r} to {segment.name} ({audience}), sending {when(scheduled)}"

    def basis(self, args: SendArgs) -> dict:
        _name, _subject, segment = self._parts(args)
        basis = row_basis(segment, "built_at")
        if args.email_campaign_id is not None:
            campaign = EmailCampaign.objects.get(pk=args.email_campaign_id)
            basis.update(row_basis(campaign, "subject", "body_text", "body_html", "segment_id"))
            # Draft and scheduled are both still to send: the action itself schedules a draft, and
            # that must not make its own proposal stale when the send comes due.
            basis[row_key(campaign)]["sendable"] = str(campaign.status in (EmailStatus.DRAFT, EmailStatus.SCHEDULED))
        return basis

    def _campaign_for(self, args: SendArgs, idempotency_key: str) -> EmailCampaign:
        """The campaign to send; a new one is created once per key (a retry finds it in the ledger)."""
        if args.email_campaign_id is not None:
            return EmailCampaign.objects.select_related("segment").get(pk=args.email_campaign_id)
        ledger_key = f"{idempotency_key}/campaign"
        entry = AppliedAction.objects.filter(key=ledger_key).first()
        if entry is not None:
            return EmailCampaign.objects.select_related("segment").get(pk=entry.result["email_campaign_id"])
        try:
            with transaction.atomic():
                campaign = EmailCampaign.objects.create(
                    name=(args.name or args.subject or "")[:200],
                    segment=Segment.objects.get(key=args.segment),
                    subject=args.subject or "",
                    body_text=args.body or "",
                    body_html=args.body_html or "",
                    scheduled_at=args.scheduled_at,
                )
                AppliedAction.objects.create(
                    key=ledger_key, action_type="email.campaign", result={"email_campaign_id": campaign.pk}
                )
        except IntegrityError:
            entry = AppliedAction.objects.get(key=ledger_key)
            return EmailCampaign.objects.select_related("segment").get(pk=entry.result["email_campaign_id"])
        return campaign

    def applied(self, idempotency_key: str) -> dict | None:
        """Done, or begun: a send killed half-way set the campaign "sending" itself, which must not make
        its own proposal stale; the next attempt resumes it for the customers not yet served."""
        done = super().applied(idempotency_key)
        if done is not None:
            return done
        if AppliedAction.objects.filter(key=email_connector.started_key(idempotency_key)).exists():
            return {"resumed": True}
        return None

    def execute(self, args: SendArgs, *, idempotency_key: str) -> dict:
        entry = AppliedAction.objects.filter(key=idempotency_key).first()
        if entry is None:
            campaign = self._campaign_for(args, idempotency_key)
            due = args.scheduled_at or campaign.scheduled_at
            now = timezone.now()
            if due is not None and due > now:
                with transaction.atomic():
                    if campaign.status == EmailStatus.DRAFT or campaign.scheduled_at != due:
                        campaign.status = EmailStatus.SCHEDULED
                        campaign.scheduled_at = due
                        campaign.save(update_fields=["status", "scheduled_at"])
                    calendar_item_for(campaign, at=due, move=True)
                raise ActionNotDue(due, f"{campaign.name!r} is scheduled for {when(due)}")
            # Sent now: the calendar shows it at its send time (an item already in the past stays).
            calendar_item_for(campaign, at=now, move=False)
            result: dict[str, Any] = email_connector.send_campaign(campaign=campaign, idempotency_key=idempotency_key)
            try:
                with transaction.atomic():
                    entry = AppliedAction.objects.create(key=idempotency_key, action_type=self.key, result=result)
            except IntegrityError:
                entry = AppliedAction.objects.get(key=idempotency_key)
        return entry.result
