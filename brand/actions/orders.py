"""Purchase orders: `po.create` drafts one (internal), `po.confirm` commits the money (spend)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Annotated

import pydantic
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from approvals.registry import register

from ..models import POStatus, PurchaseOrder, PurchaseOrderLine, Supplier, Variant
from ..money import money_words
from .base import BrandAction, row_basis


class POLine(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    sku: str
    quantity: Annotated[int, pydantic.Field(gt=0)]
    unit_cost: Annotated[Decimal, pydantic.Field(ge=0, max_digits=12, decimal_places=2)] | None = None

    @pydantic.field_validator("sku")
    @classmethod
    def _exists(cls, value: str) -> str:
        if not Variant.objects.filter(sku=value).exists():
            raise ValueError(f"no variant with SKU {value!r}")
        return value


class CreateArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    supplier: str = pydantic.Field(description="The supplier's name.")
    lines: Annotated[list[POLine], pydantic.Field(min_length=1)]
    expected_at: dt.date | None = None
    notes: str = ""

    @pydantic.field_validator("supplier")
    @classmethod
    def _supplier_exists(cls, value: str) -> str:
        if not Supplier.objects.filter(name=value).exists():
            raise ValueError(f"no supplier named {value!r}")
        return value


def _unit_cost(line: POLine) -> Decimal:
    if line.unit_cost is not None:
        return line.unit_cost
    cost = Variant.objects.filter(sku=line.sku).values_list("cost", flat=True).first()
    if cost is None:
        raise ValueError(f"lines: SKU {line.sku} has no cost on record; give unit_cost")
    return cost


@register
class CreatePurchaseOrder(BrandAction):
    key = "po.create"
    category = "internal"
    Args = CreateArgs

    def targets(self, args: dict) -> tuple[str, ...]:
        skus = sorted(
            {str(line["sku"]) for line in args.get("lines") or [] if isinstance(line, dict) and line.get("sku")}
        )
        supplier = (f"supplier:{args['supplier']}",) if args.get("supplier") else ()
        return (*supplier, *(f"sku:{sku}" for sku in skus))

    def money_at_stake(self, args: CreateArgs) -> Decimal:
        return sum((_unit_cost(line) * line.quantity for line in args.lines), Decimal("0"))

    def title(self, args: CreateArgs) -> str:
        return f"Draft a purchase order to {args.supplier}"

    def preview(self, args: CreateArgs) -> str:
        lines = ", ".join(f"{line.quantity} x {line.sku}" for line in args.lines)
        return f"Draft PO to {args.supplier}: {lines} ({money_words(self.money_at_stake(args))})"

    def apply(self, args: CreateArgs, *, idempotency_key: str) -> dict:
        supplier = Supplier.objects.get(name=args.supplier)
        # The number derives from the key: a retry that got past the ledger could not make a second PO.
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:6].upper()
        po = PurchaseOrder.objects.create(
            number=f"PO-{timezone.now():%Y%m%d}-{digest}",
            supplier=supplier,
            status=POStatus.DRAFT,
            expected_at=args.expected_at or (timezone.now().date() + dt.timedelta(days=supplier.lead_time_days)),
            notes=args.notes,
        )
        variants = {v.sku: v for v in Variant.objects.filter(sku__in=[line.sku for line in args.lines])}
        for line in args.lines:
            PurchaseOrderLine.objects.create(
                purchase_order=po, variant=variants[line.sku], quantity=line.quantity, unit_cost=_unit_cost(line)
            )
        return {"purchase_order_id": po.pk, "number": po.number, "total": str(self.money_at_stake(args))}


def _po(number: str) -> PurchaseOrder:
    po = PurchaseOrder.objects.select_related("supplier").filter(number=number).first()
    if po is None:
        raise ValueError(f"no purchase order {number!r}")
    return po


def po_total(po: PurchaseOrder) -> Decimal:
    total = po.lines.aggregate(
        total=Sum(
            ExpressionWrapper(
                F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=16, decimal_places=2)
            )
        )
    )["total"]
    return total or Decimal("0")


class ConfirmArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    po: str = pydantic.Field(description="The purchase order's number.")

    @pydantic.field_validator("po")
    @classmethod
    def _exists(cls, value: str) -> str:
        _po(value)
        return value


@register
class ConfirmPurchaseOrder(BrandAction):
    key = "po.confirm"
    category = "spend"
    spend_limit = "per_order"
    Args = ConfirmArgs
    target_fields = ("po",)
    # Long enough for the goods to arrive on a usual lead time: did the stock-out it was meant to avoid happen?
    outcome_horizon_days = 28
    plural = "purchase order confirmations"

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"po:{args.get('po')}",)

    def check(self, args: ConfirmArgs) -> None:
        po = _po(args.po)
        if po.status != POStatus.DRAFT:
            raise ValueError(f"po={args.po!r}: it is {po.status}, not a draft")
        if not po.lines.exists():
            raise ValueError(f"po={args.po!r}: it has no lines")

    def money_at_stake(self, args: ConfirmArgs) -> Decimal:
        return po_total(_po(args.po))

    def money_explained(self, args: ConfirmArgs) -> str:
        return "the purchase order's total (quantity x unit cost of its lines)"

    def title(self, args: ConfirmArgs) -> str:
        return f"Confirm {args.po}"

    def preview(self, args: ConfirmArgs) -> str:
        po = _po(args.po)
        units = sum(po.lines.values_list("quantity", flat=True))
        total = money_words(po_total(po))
        return f"Confirm {po.number} to {po.supplier.name}: {units} units, {total}, draft -> confirmed"

    def basis(self, args: ConfirmArgs) -> dict:
        po = _po(args.po)
        basis = row_basis(po, "status", "supplier_id")
        for line in po.lines.all():
            basis.update(row_basis(line, "variant_id", "quantity", "unit_cost"))
        return basis

    def apply(self, args: ConfirmArgs, *, idempotency_key: str) -> dict:
        po = PurchaseOrder.objects.select_for_update().get(number=args.po)
        po.status = POStatus.CONFIRMED
        po.confirmed_at = timezone.now()
        po.save(update_fields=["status", "confirmed_at"])
        return {"number": po.number, "status": po.status, "total": str(po_total(po))}
