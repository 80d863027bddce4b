"""What every brand action type shares: the idempotency ledger, the webhook, row bases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from approvals.registry import ActionType

from ..clock import brand_tz
from ..connectors import webhook
from ..models import AppliedAction, OrderLine
from ..money import brand_currency

TRAILING_DAYS = 30


def when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "now"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, brand_tz()).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def row_key(instance: models.Model) -> str:
    return f"{instance._meta.label_lower}:{instance.pk}"


def row_basis(instance: models.Model, *fields: str) -> dict[str, Any]:
    """{"brand.adcampaign:12": {"daily_budget": "120.00", ...}}: the values the action rests on."""
    values = {}
    for field in fields:
        value = getattr(instance, field)
        values[field] = (
            value.isoformat() if isinstance(value, dt.date | dt.datetime) else (None if value is None else str(value))
        )
    return {row_key(instance): values}


def trailing_revenue(*, skus: list[str] | None = None, days: int = TRAILING_DAYS) -> tuple[Decimal, int]:
    """Revenue and units of the last `days` days, for some SKUs or storewide (an ORM aggregate)."""
    since = timezone.now() - dt.timedelta(days=days)
    lines = OrderLine.objects.filter(order__created_at__gte=since)
    if skus:
        lines = lines.filter(variant__sku__in=skus)
    totals = lines.aggregate(
        revenue=Sum(
            ExpressionWrapper(F("quantity") * F("price"), output_field=DecimalField(max_digits=16, decimal_places=2))
        ),
        units=Sum("quantity"),
    )
    return (totals["revenue"] or Decimal("0")), (totals["units"] or 0)


class BrandAction(ActionType):
    """A brand action: `apply` changes the brand's data once per idempotency key (ledger row in the
    same transaction), then the webhook connector mirrors the execution when configured."""

    def currency(self, args: Any) -> str:
        return brand_currency()

    def apply(self, args: Any, *, idempotency_key: str) -> dict:
        raise NotImplementedError

    def applied(self, idempotency_key: str) -> dict | None:
        entry = AppliedAction.objects.filter(key=idempotency_key).first()
        return None if entry is None else entry.result

    def execute(self, args: Any, *, idempotency_key: str) -> dict:
        entry = AppliedAction.objects.filter(key=idempotency_key).first()
        if entry is None:
            try:
                with transaction.atomic():
                    result = self.apply(args, idempotency_key=idempotency_key)
                    entry = AppliedAction.objects.create(key=idempotency_key, action_type=self.key, result=result)
            except IntegrityError:
                # A concurrent call with the same key won the ledger row: its effect stands, ours
                # rolled back with this transaction.
                entry = AppliedAction.objects.filter(key=idempotency_key).first()
                if entry is None:
                    raise
        return entry.result

    def deliver(self, args: Any, *, idempotency_key: str) -> None:
        """The webhook, once the effect has committed (the executor calls this after `execute`)."""
        if not settings.ATLAS_WEBHOOK_URL or self.key not in settings.ATLAS_WEBHOOK_ACTIONS:
            return
        entry = AppliedAction.objects.filter(key=idempotency_key).first()
        if entry is None or entry.webhook_delivered_at is not None:
            return
        webhook.deliver(
            action_type=self.key,
            idempotency_key=entry.key,
            payload={
                "action_type": self.key,
                "idempotency_key": entry.key,
                "args": self.dump(args),
                "result": entry.result,
                "applied_at": entry.created_at.isoformat(),
            },
        )
        AppliedAction.objects.filter(pk=entry.pk, webhook_delivered_at__isnull=True).update(
            webhook_delivered_at=timezone.now()
        )
