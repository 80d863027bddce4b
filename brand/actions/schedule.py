"""`calendar.reschedule` (schedule): move a content calendar item."""

from __future__ import annotations

import datetime as dt

import pydantic

from approvals.registry import register

from ..models import CalendarItem, EmailCampaign, EmailStatus
from .base import BrandAction, row_basis, when


def _item(item_id: int) -> CalendarItem:
    item = CalendarItem.objects.filter(pk=item_id).first()
    if item is None:
        raise ValueError(f"no calendar item with id {item_id}")
    return item


class RescheduleArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    item_id: int
    starts_at: dt.datetime

    @pydantic.field_validator("item_id")
    @classmethod
    def _exists(cls, value: int) -> int:
        _item(value)
        return value

    @pydantic.field_validator("starts_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone (e.g. 2026-05-01T09:00:00+00:00)")
        return value


@register
class Reschedule(BrandAction):
    key = "calendar.reschedule"
    category = "schedule"
    Args = RescheduleArgs

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"calendar:{args.get('item_id')}",)

    def check(self, args: RescheduleArgs) -> None:
        if _item(args.item_id).starts_at == args.starts_at:
            raise ValueError(f"starts_at={args.starts_at.isoformat()}: the item starts then already")

    def title(self, args: RescheduleArgs) -> str:
        return f"Move {_item(args.item_id).title}"

    def preview(self, args: RescheduleArgs) -> str:
        item = _item(args.item_id)
        return (
            f"Move {item.get_kind_display().lower()} {item.title!r}: {when(item.starts_at)} -> {when(args.starts_at)}"
        )

    def basis(self, args: RescheduleArgs) -> dict:
        return row_basis(_item(args.item_id), "starts_at", "ends_at")

    def apply(self, args: RescheduleArgs, *, idempotency_key: str) -> dict:
        item = CalendarItem.objects.select_for_update().get(pk=args.item_id)
        before = item.starts_at
        shift = args.starts_at - before
        item.starts_at = args.starts_at
        if item.ends_at is not None:
            item.ends_at = item.ends_at + shift  # the item keeps its length
        item.save(update_fields=["starts_at", "ends_at"])
        result = {"item_id": item.pk, "starts_at_before": before.isoformat(), "starts_at": item.starts_at.isoformat()}
        if item.email_campaign_id is not None:
            # Moving a send on the calendar moves the send itself, or the clash it resolves stays.
            campaign = EmailCampaign.objects.select_for_update().get(pk=item.email_campaign_id)
            if campaign.status in (EmailStatus.DRAFT, EmailStatus.SCHEDULED):
                campaign.scheduled_at = args.starts_at
                campaign.save(update_fields=["scheduled_at"])
                result["email_campaign_id"] = campaign.pk
        return result
