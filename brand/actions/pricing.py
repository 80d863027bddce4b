"""Pricing actions: discount codes and markdowns (spend: they give revenue away)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

import pydantic
from django.utils import timezone

from approvals.registry import register

from ..models import Discount, DiscountStatus, Variant
from ..money import money_words
from .base import TRAILING_DAYS, BrandAction, row_basis, trailing_revenue, when

Percent = Annotated[Decimal, pydantic.Field(gt=0, le=90, max_digits=5, decimal_places=2)]
CENT = Decimal("0.01")


def _variant(sku: str) -> Variant:
    variant = Variant.objects.select_related("product").filter(sku=sku).first()
    if variant is None:
        raise ValueError(f"no variant with SKU {sku!r}")
    return variant


def _discount(code: str) -> Discount:
    discount = Discount.objects.filter(code=code).first()
    if discount is None:
        raise ValueError(f"no discount with code {code!r}")
    return discount


class DiscountArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    code: Annotated[str, pydantic.Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    percent_off: Percent
    skus: list[str] = pydantic.Field(default_factory=list, description="Empty: storewide.")
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None

    @pydantic.field_validator("code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @pydantic.field_validator("skus")
    @classmethod
    def _skus_exist(cls, value: list[str]) -> list[str]:
        missing = sorted(set(value) - set(Variant.objects.filter(sku__in=value).values_list("sku", flat=True)))
        if missing:
            raise ValueError(f"no variant with SKU {', '.join(missing)}")
        return sorted(set(value))

    @pydantic.model_validator(mode="after")
    def _window(self) -> DiscountArgs:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError(f"ends_at={self.ends_at.isoformat()} must be after starts_at={self.starts_at.isoformat()}")
        return self

    def days(self) -> int:
        start = self.starts_at or timezone.now()
        if self.ends_at is None:
            return TRAILING_DAYS
        return max(1, (self.ends_at - start).days or 1)


@register
class CreateDiscount(BrandAction):
    key = "pricing.create_discount"
    category = "spend"
    Args = DiscountArgs

    def targets(self, args: dict) -> tuple[str, ...]:
        # The code, and the SKUs it discounts (none: storewide).
        return (f"discount:{args.get('code')}", *(f"sku:{sku}" for sku in sorted(set(args.get("skus") or []))))

    def check(self, args: DiscountArgs) -> None:
        if Discount.objects.filter(code=args.code).exists():
            raise ValueError(f"code={args.code!r}: a discount with this code exists already")

    def money_at_stake(self, args: DiscountArgs) -> Decimal:
        revenue, _units = trailing_revenue(skus=args.skus or None)
        return (revenue * args.percent_off / 100 * args.days() / TRAILING_DAYS).quantize(CENT, ROUND_HALF_UP)

    def money_explained(self, args: DiscountArgs) -> str:
        scope = "its SKUs'" if args.skus else "the store's"
        return f"{args.percent_off.normalize():f}% of {scope} last 30 days' revenue, prorated to {args.days()} days"

    def title(self, args: DiscountArgs) -> str:
        return f"Discount {args.code}: {args.percent_off.normalize():f}% off"

    def preview(self, args: DiscountArgs) -> str:
        scope = ", ".join(args.skus) if args.skus else "storewide"
        until = f" until {when(args.ends_at)}" if args.ends_at else ""
        return (
            f"New code {args.code}: {args.percent_off.normalize():f}% off {scope}, from {when(args.starts_at)}{until}"
        )

    def basis(self, args: DiscountArgs) -> dict:
        basis: dict = {f"brand.discount:code={args.code}": {"exists": "no"}}
        for variant in Variant.objects.filter(sku__in=args.skus):
            basis.update(row_basis(variant, "price", "is_active"))
        return basis

    def apply(self, args: DiscountArgs, *, idempotency_key: str) -> dict:
        scheduled = args.starts_at is not None and args.starts_at > timezone.now()
        discount = Discount.objects.create(
            code=args.code,
            percent_off=args.percent_off,
            status=DiscountStatus.SCHEDULED if scheduled else DiscountStatus.ACTIVE,
            starts_at=args.starts_at,
            ends_at=args.ends_at,
        )
        if args.skus:
            discount.variants.set(Variant.objects.filter(sku__in=args.skus))
        return {"discount_id": discount.pk, "code": discount.code, "status": discount.status}


class MarkdownArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    sku: str
    percent: Percent

    @pydantic.field_validator("sku")
    @classmethod
    def _exists(cls, value: str) -> str:
        _variant(value)
        return value


def _marked_down(price: Decimal, percent: Decimal) -> Decimal:
    return (price * (100 - percent) / 100).quantize(CENT, ROUND_HALF_UP)


@register
class SetMarkdown(BrandAction):
    key = "pricing.set_markdown"
    category = "spend"
    Args = MarkdownArgs
    target_fields = ("sku",)
    outcome_horizon_days = 14
    plural = "markdowns"

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"sku:{args.get('sku')}",)

    def money_at_stake(self, args: MarkdownArgs) -> Decimal:
        variant = _variant(args.sku)
        _revenue, units = trailing_revenue(skus=[args.sku])
        return (variant.price - _marked_down(variant.price, args.percent)) * units

    def money_explained(self, args: MarkdownArgs) -> str:
        return "the price cut x the units sold in the last 30 days"

    def title(self, args: MarkdownArgs) -> str:
        return f"Mark down {args.sku} by {args.percent.normalize():f}%"

    def preview(self, args: MarkdownArgs) -> str:
        variant = _variant(args.sku)
        new_price = _marked_down(variant.price, args.percent)
        return (
            f"Price of {variant}: {money_words(variant.price)} -> {money_words(new_price)} "
            f"({args.percent.normalize():f}% markdown)"
        )

    def basis(self, args: MarkdownArgs) -> dict:
        return row_basis(_variant(args.sku), "price", "compare_at_price")

    def apply(self, args: MarkdownArgs, *, idempotency_key: str) -> dict:
        variant = Variant.objects.select_for_update().get(sku=args.sku)
        before = variant.price
        variant.compare_at_price = variant.compare_at_price or variant.price
        variant.price = _marked_down(variant.price, args.percent)
        variant.save(update_fields=["price", "compare_at_price"])
        return {"sku": variant.sku, "price_before": str(before), "price": str(variant.price)}


class RetireArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    code: str

    @pydantic.field_validator("code")
    @classmethod
    def _exists(cls, value: str) -> str:
        return _discount(value.upper()).code


@register
class RetireDiscount(BrandAction):
    key = "pricing.retire_discount"
    category = "spend"
    Args = RetireArgs

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"discount:{args.get('code')}",)

    def check(self, args: RetireArgs) -> None:
        if _discount(args.code).status == DiscountStatus.RETIRED:
            raise ValueError(f"code={args.code!r}: the discount is retired already")

    def title(self, args: RetireArgs) -> str:
        return f"Retire discount {args.code}"

    def preview(self, args: RetireArgs) -> str:
        discount = _discount(args.code)
        return f"Retire {discount.code} ({discount.percent_off.normalize():f}% off): {discount.status} -> retired"

    def basis(self, args: RetireArgs) -> dict:
        return row_basis(_discount(args.code), "status", "percent_off", "ends_at")

    def apply(self, args: RetireArgs, *, idempotency_key: str) -> dict:
        discount = Discount.objects.select_for_update().get(code=args.code)
        now = timezone.now()
        discount.status = DiscountStatus.RETIRED
        if discount.ends_at is None or discount.ends_at > now:
            discount.ends_at = now
        discount.save(update_fields=["status", "ends_at"])
        return {"code": discount.code, "status": discount.status, "ended_at": discount.ends_at.isoformat()}
