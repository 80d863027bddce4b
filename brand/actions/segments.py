"""`segment.build` (internal): a named customer segment from a small rule vocabulary.

Rule fields (all given ones must hold): `customer_ids` (explicit members), `ordered_within_days`,
`not_ordered_within_days`, `min_orders`, `min_spent`, `bought_skus` (any of), `accepts_marketing`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import pydantic
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from approvals.registry import register

from ..models import Customer, Order, Segment, Variant
from .base import BrandAction


class Rule(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    customer_ids: list[int] | None = None
    ordered_within_days: Annotated[int, pydantic.Field(gt=0)] | None = None
    not_ordered_within_days: Annotated[int, pydantic.Field(gt=0)] | None = None
    min_orders: Annotated[int, pydantic.Field(ge=1)] | None = None
    min_spent: Annotated[Decimal, pydantic.Field(ge=0)] | None = None
    bought_skus: list[str] | None = None
    accepts_marketing: bool | None = None

    @pydantic.field_validator("customer_ids")
    @classmethod
    def _customers_exist(cls, value: list[int] | None) -> list[int] | None:
        if value:
            missing = sorted(set(value) - set(Customer.objects.filter(pk__in=value).values_list("pk", flat=True)))
            if missing:
                raise ValueError(f"no customer with id {', '.join(map(str, missing))}")
        return value

    @pydantic.field_validator("bought_skus")
    @classmethod
    def _skus_exist(cls, value: list[str] | None) -> list[str] | None:
        if value:
            missing = sorted(set(value) - set(Variant.objects.filter(sku__in=value).values_list("sku", flat=True)))
            if missing:
                raise ValueError(f"no variant with SKU {', '.join(missing)}")
        return value

    def members(self) -> QuerySet[Customer]:
        qs = Customer.objects.all()
        now = timezone.now()
        if self.customer_ids is not None:
            qs = qs.filter(pk__in=self.customer_ids)
        if self.accepts_marketing is not None:
            qs = qs.filter(accepts_marketing=self.accepts_marketing)
        if self.ordered_within_days:
            since = now - dt.timedelta(days=self.ordered_within_days)
            qs = qs.filter(pk__in=Order.objects.filter(created_at__gte=since).values("customer_id"))
        if self.not_ordered_within_days:
            since = now - dt.timedelta(days=self.not_ordered_within_days)
            qs = qs.exclude(
                pk__in=Order.objects.filter(created_at__gte=since, customer__isnull=False).values("customer_id")
            )
        if self.bought_skus:
            qs = qs.filter(pk__in=Order.objects.filter(lines__variant__sku__in=self.bought_skus).values("customer_id"))
        if self.min_orders or self.min_spent is not None:
            qs = qs.annotate(n_orders=Count("orders", distinct=True), spent=Sum("orders__total"))
            if self.min_orders:
                qs = qs.filter(n_orders__gte=self.min_orders)
            if self.min_spent is not None:
                qs = qs.filter(spent__gte=self.min_spent)
        return qs.order_by("pk")

    def words(self) -> str:
        parts = []
        if self.customer_ids is not None:
            parts.append(f"{len(self.customer_ids)} listed customers")
        if self.ordered_within_days:
            parts.append(f"ordered in the last {self.ordered_within_days} days")
        if self.not_ordered_within_days:
            parts.append(f"no order in the last {self.not_ordered_within_days} days")
        if self.min_orders:
            parts.append(f"at least {self.min_orders} orders")
        if self.min_spent is not None:
            parts.append(f"spent at least {self.min_spent}")
        if self.bought_skus:
            parts.append(f"bought {', '.join(self.bought_skus)}")
        if self.accepts_marketing is not None:
            parts.append("accepts marketing" if self.accepts_marketing else "does not accept marketing")
        return ", ".join(parts) or "all customers"


class BuildArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    key: Annotated[str, pydantic.Field(min_length=1, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$")]
    name: Annotated[str, pydantic.Field(min_length=1, max_length=120)]
    description: str = ""
    rule: Rule


@register
class BuildSegment(BrandAction):
    key = "segment.build"
    category = "internal"
    Args = BuildArgs

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"segment:{args.get('key')}",)

    def title(self, args: BuildArgs) -> str:
        return f"Build segment {args.name}"

    def preview(self, args: BuildArgs) -> str:
        return f"Segment {args.name} ({args.key}): {args.rule.words()}; {args.rule.members().count()} customers now"

    def apply(self, args: BuildArgs, *, idempotency_key: str) -> dict:
        segment, _created = Segment.objects.update_or_create(
            key=args.key,
            defaults={
                "name": args.name,
                "description": args.description or args.rule.words(),
                "definition": args.rule.model_dump(mode="json", exclude_none=True),
                "built_at": timezone.now(),
            },
        )
        members = list(args.rule.members().values_list("pk", flat=True))
        segment.customers.set(members)
        return {"segment_id": segment.pk, "key": segment.key, "members": len(members)}
