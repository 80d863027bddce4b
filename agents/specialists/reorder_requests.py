"""A person's request to reorder a product ("reorder 300 units of HP-104"), honoured as asked.

The SKU the request names most precisely gets a draft purchase order to its supplier for the
quantity asked (Atlas's own quantity when none is named: the lead time plus the target cover at the
current pace); a draft already waiting for it, or an open one, is cited instead of a second one; a
SKU without a supplier on record is said to be, since a PO cannot name none. Atlas's view (its days
of cover, the quantity it would order) is written beside the proposal.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from agents.specialists import focus
from approvals.selectors import open_on_target
from brand.metrics.operations import SkuCover

if TYPE_CHECKING:
    from agents.runtime.context import RunContext

REORDER = re.compile(r"\b(?:re-?order|order|restock|re-?stock|buy|purchase|top up)\b", re.IGNORECASE)
# "300 units", "300 more", "300 of", "300 pieces", "x300": the count asked for; a SKU's own digits
# ("HP-104") are not a quantity.
QUANTITY = re.compile(r"(?<![\w-])(?:x\s*)?(\d{1,3}(?:,\d{3})+|\d+)(?=\s*(?:units?|pcs|pieces|more|of|x)\b)", re.I)
# A quantity this many times Atlas's own is worth saying beside the proposal.
FAR_ABOVE = 2


def quantity_asked(text: str) -> int | None:
    found = QUANTITY.search(text)
    return int(found.group(1).replace(",", "")) if found else None


def honour_reorder_request(ctx: RunContext, skus: list[SkuCover], *, target_cover_days: int) -> bool:
    """Draft the reorder the person asked for (or cite the one waiting, or say why not); False when the
    request asks for no reorder of a product it names."""
    intent = ctx.intent
    if intent is None or not REORDER.search(intent.text):
        return False
    named = focus.most_named(intent.text, skus, lambda s: (s.sku, s.title))
    if not named:
        return False
    if len(named) > 1:
        ctx.warn(
            f"The request names {len(named)} products alike ({', '.join(s.sku for s in named)}): "
            "say which one (its SKU) to reorder."
        )
        return True
    cover = named[0]
    existing = open_on_target(action_type="po.create", target=f"sku:{cover.sku}")
    if existing is not None or cover.draft_po_units:
        what = (
            f"#{existing.pk} ({existing.title}, {existing.status})"
            if existing is not None
            else f"a draft purchase order for {cover.draft_po_units} units"
        )
        if existing is not None:
            ctx.annotate(cited=[*(ctx.run.context or {}).get("cited", []), existing.pk])
        ctx.warn(f"{cover.sku} already has {what} waiting: confirm or change that one rather than a second order.")
        return True
    if not cover.supplier_name:
        ctx.warn(
            f"{cover.sku} {cover.title} has no supplier on record, and a purchase order must name one: record the "
            "supplier in Atlas (or order from them directly)."
        )
        return True
    atlas = cover.reorder_units(target_cover_days)
    asked = quantity_asked(intent.text)
    quantity = asked if asked is not None else atlas
    if quantity <= 0:
        ctx.warn(
            f"{cover.sku}: stock and open orders ({cover.stock} + {cover.incoming_units} units) already cover "
            f"{cover.lead_time_days} + {target_cover_days} days at the current pace; say how many to order anyway."
        )
        return True
    days = "no recent sales" if cover.days_of_cover is None else f"{cover.days_of_cover:.0f} days of cover"
    who = intent.user.get_username() if intent.user_id else "a person"
    rationale = (
        f'{who} asked: "{intent.text.strip()}". {cover.sku} {cover.title}: {cover.stock} in stock, '
        f"{cover.units_28d} sold in 28 days ({days}); {cover.supplier_name} delivers in {cover.lead_time_days} days. "
        f"A draft PO for {quantity} units."
    )
    views = []
    if asked is not None and atlas > 0 and asked > FAR_ABOVE * atlas:
        views.append(f"Atlas would order {atlas} ({cover.lead_time_days} + {target_cover_days} days at the pace)")
    if asked is not None and atlas <= 0:
        views.append("stock and open orders already cover the lead time and the target cover")
    if views:
        rationale += f" Where Atlas disagrees: {'; '.join(views)}. Drafted as asked, for a person to confirm."
    line: dict = {"sku": cover.sku, "quantity": quantity}
    if cover.unit_cost is not None:
        line["unit_cost"] = str(cover.unit_cost)
    ctx.propose(
        "po.create",
        {
            "supplier": cover.supplier_name,
            "lines": [line],
            "expected_at": (ctx.today + dt.timedelta(days=cover.lead_time_days or 0)).isoformat(),
            "notes": f"Reorder asked by {who}.",
        },
        rationale=rationale,
        confidence=0.4 if views else 0.8,
    )
    return True
