"""Product's specialists: assortment (slow movers -> markdowns) and returns (refund rate by product).

The numbers and the decision to propose come from `brand.metrics.product`; the LLM (or the
offline templates) writes the note after the numbers and the returns report's prose.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from agents.runtime.asks import parse_ask
from agents.runtime.base import RunContext, Specialist
from agents.runtime.registry import register
from agents.specialists import focus
from approvals import hooks as approval_hooks
from approvals.models import ProposedAction
from approvals.selectors import busy_targets, open_on_target
from brand.metrics.figures import pct
from brand.metrics.product import ProductReturns, SlowMover, refund_rates, slow_movers
from brand.money import money_words
from divisions.models import Division

if TYPE_CHECKING:
    from memory.models import MemoryEntry


# A request that asks for a markdown in words ("mark down", "clear it"), with or without a percentage.
ASKS_MARKDOWN = re.compile(r"mark[- ]?down|\bclear\b|clearance|price cut|cut the price|reduce the price", re.I)


class Note(BaseModel):
    note: str = Field(max_length=600)


class Report(BaseModel):
    title: str = Field(max_length=200)
    body: str


def markdown_percent(mover: SlowMover, cfg: dict) -> Decimal | None:
    """The markdown for a slow mover: deeper past `deep_cover_days`, never below the margin floor."""
    wanted = Decimal(
        str(cfg["deep_markdown_percent"] if mover.days_of_cover >= cfg["deep_cover_days"] else cfg["markdown_percent"])
    )
    if mover.cost is not None and mover.price:
        floor_price = mover.cost * (1 + Decimal(str(cfg["min_margin_after_markdown"])))
        room = ((1 - floor_price / mover.price) * 100).quantize(Decimal("1"), rounding=ROUND_DOWN)
        wanted = min(wanted, room)
    return wanted if wanted >= Decimal(str(cfg["min_markdown_percent"])) else None


@register
class Assortment(Specialist):
    key = "product.assortment"
    division = "product"
    name = "Assortment"
    description = (
        "Finds slow movers in the assortment: SKUs with high stock and low sales velocity, over 120 days of cover, "
        "and proposes price markdowns that keep a margin over cost. Ask it about overstock, dead stock, slow sellers, "
        "markdowns, clearance, a product that does not sell."
    )
    instructions = "You are a merchandiser explaining why a slow-moving product should be marked down."
    defaults = {
        "window_days": 28,
        "min_stock": 50,
        "min_days_of_cover": 120,
        "focus_min_days_of_cover": 60,  # when a person names the product ("we're overstocked on ...")
        "focus_min_stock": 10,
        "markdown_percent": 25,
        "deep_markdown_percent": 40,
        "deep_cover_days": 365,
        "min_margin_after_markdown": 0.15,  # the marked-down price stays at least 15% above cost
        "min_markdown_percent": 5,
        "max_proposals": 3,
    }

    def run(self, ctx: RunContext) -> None:
        cfg = dict(ctx.config)
        asked = focus.intent_text(ctx)
        if asked and self._honour_request(ctx, asked, cfg):
            return
        revising = focus.sent_back_args(ctx).get("sku")
        if asked or revising:
            cfg["min_days_of_cover"] = min(cfg["min_days_of_cover"], cfg["focus_min_days_of_cover"])
            cfg["min_stock"] = min(cfg["min_stock"], cfg["focus_min_stock"])
        movers = slow_movers(ctx.today, cfg)
        named_by_person = self._named(ctx, asked, cfg) if asked and not revising else []
        if named_by_person:
            # The person named their product: the answer is about it, never about other products.
            skus = {m.sku for m in movers}
            for other in named_by_person:
                if other.sku not in skus:
                    ctx.warn(self._why_no_markdown(other, cfg))
            movers = [m for m in movers if m.sku in {n.sku for n in named_by_person}]
        elif asked or revising:
            named = [m for m in movers if m.sku == revising or focus.mentions(asked, m.sku, m.handle, m.title)]
            # A named product gets the relaxed thresholds; the rest still needs the default ones.
            movers = named or [m for m in movers if m.days_of_cover > ctx.config["min_days_of_cover"]]
        taken = busy_targets(action_type="pricing.set_markdown")
        chosen = 0
        for mover in movers:
            if chosen >= int(cfg["max_proposals"]):
                break
            entry = ctx.remember(
                key=f"sku:{mover.sku}:slow_mover",
                kind="observation",
                subject=mover.title,
                text=(
                    f"{mover.sku} {mover.title}: {mover.stock} in stock, {mover.units} sold in {mover.window_days} "
                    f"days: {mover.cover_label} of cover."
                ),
                data={
                    "value": None if math.isinf(mover.days_of_cover) else mover.days_of_cover,
                    "stock": mover.stock,
                    "units": mover.units,
                    "window_days": mover.window_days,
                    "daily_rate": mover.daily_rate,
                },
                evidence=[{"model": "brand.variant", "pk": mover.variant_id}],
            )
            if f"sku:{mover.sku}" in taken and mover.sku != revising:
                if named_by_person:
                    self._cite_open(ctx, mover.sku)
                continue
            if mover.best_seller and mover.sku != revising:
                ctx.warn(
                    f"{mover.sku}: {mover.cover_label} of cover, but a best-seller (top tenth of the catalogue by "
                    f"units or revenue, {mover.units} sold in {mover.window_days} days): not marked down for cover "
                    "alone"
                )
                continue
            if mover.recent_cover <= float(cfg["min_days_of_cover"]) and mover.sku != revising:
                ctx.warn(
                    f"{mover.sku}: {mover.cover_label} of cover on the {mover.window_days}-day rate, but sales are "
                    f"rising ({mover.units_7d} in the last 7 days, {mover.recent_daily_rate:.2f}/day): "
                    f"{mover.recent_cover:,.0f} days on the recent rate, no markdown"
                )
                continue
            percent = markdown_percent(mover, cfg)
            asked_percent = parse_ask(focus.feedback_comment(ctx)).percent if mover.sku == revising else None
            if asked_percent is not None and 0 < asked_percent < 100:
                percent = asked_percent
            if percent is None:
                ctx.warn(
                    f"{mover.sku}: no markdown keeps the price {pct(cfg['min_margin_after_markdown'])} above cost."
                )
                continue
            self._propose(ctx, mover, percent, entry)
            chosen += 1

    @staticmethod
    def _cite_open(ctx: RunContext, sku: str) -> bool:
        """One open markdown per SKU: a request about it is pointed at it (send it back to change it)."""
        existing = open_on_target(action_type="pricing.set_markdown", target=f"sku:{sku}")
        if existing is None:
            return False
        ctx.annotate(cited=[*(ctx.run.context or {}).get("cited", []), existing.pk])
        ctx.warn(
            f"{sku} already has an open markdown, #{existing.pk} ({existing.title}, {existing.status}): "
            "decide that one, or send it back with the percentage you want."
        )
        return True

    @staticmethod
    def _named(ctx: RunContext, asked: str, cfg: dict) -> list[SlowMover]:
        """The active products the request names most precisely, whatever their cover."""
        everyone = slow_movers(ctx.today, {**cfg, "min_stock": 0, "min_days_of_cover": -1})
        return focus.most_named(asked, everyone, lambda m: (m.sku, m.handle, m.title))

    @staticmethod
    def _why_no_markdown(mover: SlowMover, cfg: dict) -> str:
        """Why a product a person named gets no markdown: its numbers against the marks Atlas uses."""
        numbers = (
            f"{mover.sku} {mover.title}: {mover.stock} in stock, {mover.units} sold in the last {mover.window_days} "
            f"days ({mover.cover_label} of cover)"
        )
        if mover.stock < int(cfg["focus_min_stock"]):
            why = f"under the {cfg['focus_min_stock']} units Atlas would clear"
        else:
            why = (
                f"under the {cfg['focus_min_days_of_cover']} days of cover from which Atlas marks down a product "
                "people name: it is not overstocked by these numbers"
            )
        return (
            f'{numbers}; {why}, so no markdown is proposed. Ask with a percentage ("mark down {mover.sku} by 15%") '
            "to have one proposed as asked, with Atlas's view beside it."
        )

    def _honour_request(self, ctx: RunContext, asked: str, cfg: dict) -> bool:
        """A person asked for a markdown of a product they named: propose that product, at what they
        asked, and say beside it where Atlas disagrees. False when the request names no product or
        asks for no markdown (the usual analysis then runs, narrowed to what it names)."""
        ask = parse_ask(asked)
        if ask.percent is None and not ASKS_MARKDOWN.search(asked):
            return False
        # Every active SKU with its numbers, whatever its cover: the person's choice, not the thresholds'.
        everyone = slow_movers(ctx.today, {**cfg, "min_stock": 0, "min_days_of_cover": -1})
        named = focus.most_named(asked, everyone, lambda m: (m.sku, m.handle, m.title))
        if not named:
            return False
        for mover in focus.pick(named, cfg["max_proposals"]):
            self._honour(ctx, mover, ask.percent, cfg)
        return True

    def _honour(self, ctx: RunContext, mover: SlowMover, asked: Decimal | None, cfg: dict) -> None:
        if self._cite_open(ctx, mover.sku):
            return
        atlas = markdown_percent(mover, cfg)
        percent = asked if asked is not None else atlas or Decimal(str(cfg["markdown_percent"]))
        if not 0 < percent < 100:
            ctx.warn(f"{mover.sku}: {percent.normalize():f}% is no markdown (it must be above 0 and below 100).")
            return
        args = {"sku": mover.sku, "percent": f"{percent.normalize():f}"}
        new_price = (mover.price * (100 - percent) / 100).quantize(Decimal("0.01"))
        views: list[str] = []
        if mover.days_of_cover <= float(cfg["focus_min_days_of_cover"]):
            views.append(
                f"{mover.sku} is not a slow mover by Atlas's numbers: {mover.cover_label} of cover, under the "
                f"{cfg['focus_min_days_of_cover']}-day mark where Atlas marks down a product people name"
            )
        if mover.cost is not None:
            floor = mover.cost * (1 + Decimal(str(cfg["min_margin_after_markdown"])))
            if new_price < floor:
                deepest = f"no deeper than {atlas.normalize():f}%" if atlas is not None else "no markdown at all"
                views.append(
                    f"{percent.normalize():f}% takes the price under the {pct(cfg['min_margin_after_markdown'])} "
                    f"margin over its {money_words(mover.cost)} cost that Atlas keeps: Atlas would go {deepest}"
                )
        division = Division.objects.filter(slug=self.division).first()
        gate = approval_hooks.judge(ProposedAction(action_type="pricing.set_markdown", args=args, division=division))
        if gate is not None:
            views.append(f"the rules hold it ({gate.rule}): {gate.reason}")
        intent = ctx.intent
        who = intent.user.get_username() if intent is not None and intent.user_id else "a person"
        said = intent.text.strip() if intent is not None else ""
        rationale = (
            f'{who} asked: "{said}". {mover.sku} {mover.title}: {mover.stock} in stock, {mover.units} sold in the '
            f"last {mover.window_days} days ({mover.cover_label} of cover). A {percent.normalize():f}% markdown "
            f"takes it from {money_words(mover.price)} to {money_words(new_price)}."
        )
        if views:
            rationale += f" Where Atlas disagrees: {'; '.join(views)}. Proposed as asked, for a person to decide."
        ctx.propose(
            "pricing.set_markdown",
            args,
            rationale=rationale,
            confidence=0.4 if views else 0.75,
            priority=float(mover.stock * (mover.cost or mover.price)) / 100,
        )

    def _propose(self, ctx: RunContext, mover: SlowMover, percent: Decimal, entry: MemoryEntry) -> None:
        new_price = (mover.price * (100 - percent) / 100).quantize(Decimal("0.01"))
        numbers = (
            f"{mover.sku} {mover.title}: {mover.stock} in stock, {mover.units} sold in the last {mover.window_days} "
            f"days ({mover.daily_rate:.2f}/day): {mover.cover_label} of cover vs a "
            f"{ctx.config['min_days_of_cover']}-day "
            f"limit ({mover.units_7d} sold in the last 7 days: not rising). At the current pace the stock lasts "
            f"{mover.cover_label}. A {percent.normalize():f}% markdown takes it from {money_words(mover.price)} to "
            f"{money_words(new_price)}"
        )
        if mover.cost is not None and new_price:
            margin = pct(float((new_price - mover.cost) / new_price))
            numbers += f", still {margin} over its {money_words(mover.cost)} cost."
        else:
            numbers += "."
        if focus.feedback_comment(ctx):
            numbers += f" Revised after: {focus.feedback_comment(ctx)!r}."
        note = ctx.write(
            Note,
            task="In one or two sentences, say why this markdown frees cash. Cite no new numbers.",
            facts={
                "sku": mover.sku,
                "title": mover.title,
                "stock": mover.stock,
                "units": mover.units,
                "percent": percent,
                "feedback": focus.feedback_comment(ctx),
            },
            offline=lambda: Note(
                note="Stock that does not sell ties up cash and shelf space; a markdown turns it back "
                "into revenue while the margin stays positive."
            ),
            purpose="markdown rationale",
        )
        ctx.propose(
            "pricing.set_markdown",
            {"sku": mover.sku, "percent": f"{percent.normalize():f}"},
            rationale=f"{numbers} {note.note}".strip(),
            evidence=[entry],
            confidence=0.75,
            priority=float(mover.stock * (mover.cost or mover.price)) / 100,
        )


@register
class Returns(Specialist):
    key = "product.returns"
    division = "product"
    name = "Returns"
    description = (
        "Refund rate by product from the orders' refunds, against the rest of the catalogue with a significance "
        "test; flags products returned far more often than the rest and publishes a returns report. Ask it about "
        "returns, refunds, product quality, complaints, defective products."
    )
    instructions = "You are a product quality analyst writing a short internal returns report."
    defaults = {
        "window_days": 90,
        "min_orders": 30,
        "min_refunds": 5,
        "min_ratio": 2.5,  # at least 2.5 times the rest's refund rate
        "min_z": 3.0,
        "focus_min_ratio": 1.3,
        "focus_min_z": 2.0,
        "max_proposals": 3,
    }

    def run(self, ctx: RunContext) -> None:
        cfg = dict(ctx.config)
        asked = focus.intent_text(ctx)
        rows = refund_rates(ctx.today, cfg)
        enough = int(cfg["min_orders"])
        products = [r for r in refund_rates(ctx.today, cfg, level="product") if r.orders >= enough]
        skus = [r for r in rows if r.orders >= enough]
        product_facts = [
            self._fact(r, cfg, f"product:{r.handle}", r.title, "the rest of the catalogue", ("product", r.product_id))
            for r in products
        ]
        sku_facts = [
            self._fact(r, cfg, f"sku:{r.sku}", f"{r.sku} {r.title}", "the other SKUs", ("variant", r.variant_id))
            for r in skus
            if r.variant_id is not None  # always, for a SKU row
        ]
        # One write for the whole catalogue; the SKU entries come back after the products'.
        written = ctx.remember_many(product_facts + sku_facts)
        entries = {r.sku: entry for r, entry in zip(skus, written[len(product_facts) :], strict=True)}
        flagged = [r for r in rows if r.flagged(cfg)]
        if asked:
            relaxed = {**cfg, "min_ratio": cfg["focus_min_ratio"], "min_z": cfg["focus_min_z"]}
            named = [r for r in rows if focus.mentions(asked, r.sku, r.handle, r.title) and r.flagged(relaxed)]
            flagged = named or flagged
        flagged = focus.pick(flagged, cfg["max_proposals"])
        if not flagged:
            return
        insights = []
        for r in flagged:
            insights.append(
                ctx.remember(
                    key=f"sku:{r.sku}:returns_alert",
                    kind="insight",
                    subject=r.title,
                    text=(
                        f"{r.title} is refunded {r.ratio:.1f}x as often as the rest: {pct(r.rate, 1)} of {r.orders} "
                        f"orders vs {pct(r.rest_rate, 1)} (z = {r.z:.1f})."
                    ),
                    data={"value": r.ratio, "rate": r.rate, "rest_rate": r.rest_rate, "orders": r.orders, "z": r.z},
                    evidence=[{"memory": entries[r.sku].pk}] if r.sku in entries else [],
                    confidence=min(0.99, 0.6 + r.z / 20),
                )
            )
        self._publish(ctx, flagged, insights)

    @classmethod
    def _fact(cls, r: ProductReturns, cfg: dict, entity: str, label: str, rest: str, model_pk: tuple[str, int]) -> dict:
        """A refund-rate fact for memory, of a product or a SKU (`entity` is the key's prefix)."""
        return {
            "key": f"{entity}:refund_rate",
            "kind": "metric",
            "subject": r.title,
            "text": (
                f"{label}: {r.refunded} of {r.orders} orders refunded in {cfg['window_days']} days "
                f"({pct(r.rate, 1)}) vs {pct(r.rest_rate, 1)} for {rest}."
            ),
            "data": cls._data(r, cfg),
            "evidence": [{"model": f"brand.{model_pk[0]}", "pk": model_pk[1]}],
        }

    @staticmethod
    def _data(r: ProductReturns, cfg: dict) -> dict:
        return {
            "value": r.rate,
            "orders": r.orders,
            "refunded": r.refunded,
            "rest_rate": r.rest_rate,
            "ratio": r.ratio,
            "z": r.z,
            "window_days": int(cfg["window_days"]),
        }

    def _publish(self, ctx: RunContext, flagged: list[ProductReturns], insights: list) -> None:
        window = int(ctx.config["window_days"])
        lines = [
            f"- {r.sku} {r.title}: {r.refunded} of {r.orders} orders refunded ({pct(r.rate, 1)}), "
            f"{r.ratio:.1f}x the rest's "
            f"{pct(r.rest_rate, 1)} (z = {r.z:.1f})"
            for r in flagged
        ]
        title = f"Returns report: {', '.join(r.title for r in flagged)} refunded far above the catalogue"
        facts = {
            "window_days": window,
            "products": [r.__dict__ for r in flagged],
            "feedback": focus.feedback_comment(ctx),
        }

        def offline() -> Report:
            body = (
                f"Refund rates over the last {window} days, by product, against the rest of the catalogue:\n"
                + "\n".join(lines)
                + "\n\nNext steps: read the refund reasons and reviews of these products, check the latest "
                "batch with the supplier, and hold paid promotion of them until the cause is known."
            )
            return Report(title=title[:200], body=body)

        report = ctx.write(
            Report,
            task="Write a short internal returns report from these refund rates.",
            facts=facts,
            offline=offline,
            purpose="returns report",
        )
        worst = flagged[0]
        ctx.propose(
            "report.publish",
            {
                "title": report.title[:200],
                "body": report.body,
                "data": {
                    "window_days": window,
                    "products": [
                        {
                            "sku": r.sku,
                            "handle": r.handle,
                            "orders": r.orders,
                            "refunded": r.refunded,
                            "rate": r.rate,
                            "rest_rate": r.rest_rate,
                            "ratio": r.ratio,
                            "z": r.z,
                        }
                        for r in flagged
                    ],
                },
            },
            rationale=(
                f"{worst.title} is refunded {worst.ratio:.1f}x as often as the rest: "
                f"{worst.refunded} of {worst.orders} "
                f"orders ({pct(worst.rate, 1)}) vs {pct(worst.rest_rate, 1)} over {window} days (z = {worst.z:.1f})."
                + (f" {len(flagged) - 1} more product(s) in the report." if len(flagged) > 1 else "")
            ),
            evidence=insights,
            confidence=0.8,
            priority=float(worst.z),
        )
