"""A year of the team's work for the console benchmark (and the console's query-count tests).

`year_of_work(n)` adds `n` proposals as a brand that has run Atlas for a year has them: every status,
every division and agent, every action type the console shows, with the decisions people took, the
executions, the memory evidence, holds, bundles, revisions and history rows, spread over the year.
Each action type's arguments, preview, money at stake and basis come from one proposal made by
`proposal_create` on a small real brand (so a proposal's page reads real rows); the rest are copies
written with `bulk_create` in batches, fast enough for 100,000. Calling it again adds more.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agents.models import (
    Agent,
    AgentRun,
    Briefing,
    BriefingItem,
    Cycle,
    CyclePhase,
    CycleStatus,
    ItemKind,
    RunStatus,
    RunTrigger,
)
from agents.runtime.registry import sync_agents
from approvals import guards, registry
from approvals.models import Category, Decision, Execution, ProposedAction, Status, Verdict
from approvals.services import proposal_create
from atlas_project.audit import history_write
from brand.clock import brand_today
from brand.demo.people import people_set
from brand.models import AdCampaign, EmailCampaign, Product, Segment, Supplier, Variant
from divisions.models import Division, Membership, Role
from memory import bench as memory_bench
from memory.models import MemoryEntry

BATCH = 2_000
PENDING_SHARE = 0.02  # of a year's proposals, still waiting: people fall a little behind
MIN_PENDING = 10
HELD_EVERY = 7  # one pending proposal in seven is held by a cross-division rule
# How a year's proposals ended (pending ones aside), weighted as a team's log looks.
FINAL_MIX: tuple[tuple[str, int], ...] = (
    (Status.EXECUTED, 55),
    (Status.REJECTED, 10),
    (Status.SENT_BACK, 8),
    (Status.EXPIRED, 14),
    (Status.FAILED, 3),
    (Status.STALE, 3),
    (Status.CANCELLED, 2),
    (Status.APPROVED, 1),
    (Status.EXECUTING, 1),
)
HELD_REASON = "Held: scaling ads on a product that operations says runs out in 5 days."


@dataclass(frozen=True)
class Template:
    """One real proposal's content, copied into many."""

    divisions: tuple[str, ...]
    fields: dict[str, Any]


@dataclass
class Brand:
    templates: list[Template]
    users: dict[str, list[Any]]  # division slug -> its approver and director
    agents: dict[str, list[str]]  # division slug -> agent keys
    divisions: dict[str, Division]


def _brand_rows() -> dict[str, Any]:
    """The few real brand rows the proposals act on (made once per database)."""
    supplier, _ = Supplier.objects.get_or_create(name="Bench Ironworks", defaults={"lead_time_days": 21})
    product, _ = Product.objects.get_or_create(handle="bench-kettle", defaults={"title": "Bench Kettle"})
    variants = []
    for i in range(4):
        variant, _ = Variant.objects.get_or_create(
            sku=f"BENCH-{i + 1}",
            defaults={
                "product": product,
                "title": f"Size {i + 1}",
                "price": Decimal("49.00") + i * 10,
                "cost": Decimal("18.00") + i * 4,
                "stock": 40 + 60 * i,
                "supplier": supplier,
            },
        )
        variants.append(variant)
    campaigns = [
        AdCampaign.objects.get_or_create(
            name=f"Bench {name}", defaults={"channel": channel, "daily_budget": Decimal(budget)}
        )[0]
        for name, channel, budget in (
            ("Spring Sale", "meta", "190"),
            ("Kettle Search", "google", "120"),
            ("Retargeting", "meta", "60"),
        )
    ]
    segment, _ = Segment.objects.get_or_create(key="bench-lapsed", defaults={"name": "Lapsed buyers"})
    email, _ = EmailCampaign.objects.get_or_create(
        name="Bench win-back",
        defaults={
            "segment": segment,
            "subject": "We saved you a kettle",
            "body_text": "It has been a while. Here is 10% off your next order.",
        },
    )
    return {"supplier": supplier, "variants": variants, "campaigns": campaigns, "segment": segment, "email": email}


def _template_specs(rows: dict[str, Any]) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    skus = [v.sku for v in rows["variants"]]
    campaigns = rows["campaigns"]
    return [
        ("ads.set_daily_budget", {"campaign_id": campaigns[0].pk, "daily_budget": "150"}, ("growth", "finance")),
        ("ads.set_daily_budget", {"campaign_id": campaigns[1].pk, "daily_budget": "160"}, ("growth",)),
        ("ads.pause_campaign", {"campaign_id": campaigns[2].pk}, ("growth", "creative")),
        ("pricing.create_discount", {"code": "BENCH10", "percent_off": 10, "skus": skus[:2]}, ("growth", "product")),
        ("pricing.set_markdown", {"sku": skus[3], "percent": 20}, ("product",)),
        ("email.send_campaign", {"email_campaign_id": rows["email"].pk}, ("retention", "creative")),
        (
            "po.create",
            {"supplier": rows["supplier"].name, "lines": [{"sku": skus[0], "quantity": 400}]},
            ("operations",),
        ),
        (
            "po.create",
            {"supplier": rows["supplier"].name, "lines": [{"sku": skus[1], "quantity": 30}]},
            ("operations",),
        ),
        ("report.publish", {"title": "Weekly numbers", "body": "Revenue up 4% week on week."}, ("finance",)),
        ("brief.draft", {"title": "Spring creative brief", "body": "Three hooks for the kettle."}, ("creative",)),
    ]


_COPIED = (
    "action_type",
    "category",
    "title",
    "args",
    "preview",
    "basis",
    "basis_fingerprint",
    "money_at_stake",
    "currency",
)


def _templates(rows: dict[str, Any]) -> list[Template]:
    """Each action type's content as the real service writes it; internal ones are described without
    being created (creating one would execute it)."""
    templates = []
    for action_type, args, divisions in _template_specs(rows):
        action = registry.get(action_type)
        if action.category == Category.INTERNAL:
            fields = {"action_type": action.key, "category": action.category, "args": action.dump(action.parse(args))}
            fields.update(guards.describe(action, action.parse(args)))
        else:
            made = proposal_create(
                action_type=action_type,
                args=args,
                division=divisions[0],
                rationale="Template for the console benchmark.",
                agent_key="bench.template",
            )
            fields = {name: getattr(made, name) for name in _COPIED}
        templates.append(Template(divisions=divisions, fields={k: fields[k] for k in _COPIED}))
    return templates


def brand_for_bench() -> Brand:
    """People (the demo's owner, approvers and directors), agents, the brand rows and the templates."""
    people_set()
    sync_agents()
    divisions = {d.slug: d for d in Division.objects.all()}
    users: dict[str, list[Any]] = {slug: [] for slug in divisions}
    for membership in Membership.objects.filter(role__in=(Role.APPROVER, Role.DIRECTOR)).select_related(
        "user", "division"
    ):
        users[membership.division.slug].append(membership.user)
    agents: dict[str, list[str]] = {slug: [] for slug in divisions}
    for key, slug in Agent.objects.filter(division__isnull=False).values_list("key", "division__slug"):
        agents[slug].append(key)
    return Brand(templates=_templates(_brand_rows()), users=users, agents=agents, divisions=divisions)


def _statuses(n: int, rng: random.Random) -> list[str]:
    """Every status appears even in a small batch; the rest follow the year's mix."""
    pending = max(MIN_PENDING, round(n * PENDING_SHARE))
    finals = [s for s, _ in FINAL_MIX]
    weights = [w for _, w in FINAL_MIX]
    rest = max(0, n - pending - len(finals))
    statuses = [Status.PENDING] * pending + finals + rng.choices(finals, weights=weights, k=rest)
    rng.shuffle(statuses)
    return [str(s) for s in statuses[:n]]


def _cycles(days: Sequence[dt.date], brand: Brand, now: dt.datetime) -> dict[tuple[str, dt.date], int]:
    """A cycle per brand day with a run per agent (one in forty failed): Today's health and history."""
    have = set(Cycle.objects.filter(brand_date__in=days).values_list("brand_date", flat=True))
    new_days = [d for d in days if d not in have]
    cycles = Cycle.objects.bulk_create(
        [Cycle(brand_date=d, trigger="schedule", status=CycleStatus.DONE, phase=CyclePhase.FINISHED) for d in new_days]
    )
    agent_rows = list(Agent.objects.filter(division__isnull=False))
    runs: list[AgentRun] = []
    for cycle in cycles:
        started = timezone.make_aware(dt.datetime.combine(cycle.brand_date, dt.time(7)))
        started = min(started, now)
        for i, agent in enumerate(agent_rows):
            failed = (cycle.pk + i) % 40 == 0
            runs.append(
                AgentRun(
                    agent=agent,
                    cycle=cycle,
                    trigger=RunTrigger.SCHEDULE,
                    status=RunStatus.FAILED if failed else RunStatus.SUCCEEDED,
                    error="TimeoutError: the shop's API did not answer" if failed else "",
                    started_at=started,
                    finished_at=started + dt.timedelta(seconds=20),
                    llm_calls=2,
                    tokens_in=3_000,
                    tokens_out=600,
                    cost=Decimal("0.004"),
                )
            )
    AgentRun.objects.bulk_create(runs, batch_size=BATCH)
    return {
        (key, day): pk
        for key, day, pk in AgentRun.objects.filter(cycle__brand_date__in=days).values_list(
            "agent__key", "cycle__brand_date", "pk"
        )
    }


def _chunks(n: int) -> Iterator[range]:
    for start in range(0, n, BATCH):
        yield range(start, min(n, start + BATCH))


def year_of_work(
    n: int, *, brand: Brand | None = None, seed: int = 13, progress: Callable[[int], None] | None = None
) -> Brand:
    """Add `n` proposals spread over the past year (see the module's docstring); returns the brand."""
    brand = brand or brand_for_bench()
    rng = random.Random(seed + ProposedAction.objects.count())
    now = timezone.now()
    ttl = dt.timedelta(hours=settings.ATLAS_PROPOSAL_TTL_HOURS)
    statuses = _statuses(n, rng)
    ages = [
        dt.timedelta(minutes=rng.randint(5, int(ttl.total_seconds() // 60) - 5))
        if s in (Status.PENDING, Status.APPROVED, Status.EXECUTING)
        else dt.timedelta(minutes=rng.randint(int(ttl.total_seconds() // 60), 525_600))
        for s in statuses
    ]
    days = sorted({(now - age).date() for age in ages})
    runs = _cycles(days, brand, now)
    memory_bench.seed(max(200, n // 2), seed_value=seed + n)
    memory_ids = list(MemoryEntry.objects.order_by("-pk").values_list("pk", flat=True)[: max(200, n // 2)])
    done = 0
    for chunk in _chunks(n):
        with transaction.atomic():
            _write_chunk([(statuses[i], now - ages[i]) for i in chunk], brand, runs, memory_ids, rng, now)
        done += len(chunk)
        if progress is not None:
            progress(done)
    _briefing(now)
    return brand


def _write_chunk(
    rows: list[tuple[str, dt.datetime]],
    brand: Brand,
    runs: dict[tuple[str, dt.date], int],
    memory_ids: list[int],
    rng: random.Random,
    now: dt.datetime,
) -> None:
    ttl = dt.timedelta(hours=settings.ATLAS_PROPOSAL_TTL_HOURS)
    proposals: list[ProposedAction] = []
    for i, (status, created) in enumerate(rows):
        template = brand.templates[rng.randrange(len(brand.templates))]
        slug = rng.choice(template.divisions)
        agent_key = rng.choice(brand.agents[slug]) if brand.agents[slug] else ""
        fields = dict(template.fields)
        internal = fields["category"] == Category.INTERNAL
        if internal:
            status = Status.EXECUTED
        held = status == Status.PENDING and i % HELD_EVERY == 0
        proposals.append(
            ProposedAction(
                **fields,
                division=brand.divisions[slug],
                agent_key=agent_key,
                agent_run_id=runs.get((agent_key, created.date())),
                rationale=f"{fields['preview']}: the last 28 days back it ({rng.randint(2, 40)}% above the norm).",
                drafted_by="offline",
                confidence=round(rng.uniform(0.3, 0.95), 2),
                priority=round(rng.uniform(0, 100), 6),
                status=status,
                status_reason=_reason(status),
                hold_reason=HELD_REASON if held else "",
                expires_at=None if internal else created + ttl,
                created_at=created,
                updated_at=created,
            )
        )
    # created_at is auto_now_add: bulk_create would stamp now over the year's spread.
    ProposedAction.objects.bulk_create(proposals, batch_size=BATCH)
    ProposedAction.objects.bulk_update(proposals, ["created_at"], batch_size=BATCH)
    _history(proposals)
    _evidence(proposals, memory_ids, rng)
    _decisions_and_executions(proposals, brand, rng)
    _links(proposals)


def _reason(status: str) -> str:
    return {
        Status.REJECTED: "Rejected: not during the launch week.",
        Status.SENT_BACK: "Sent back: try 10% less.",
        Status.EXPIRED: "Expired: nobody decided within its time.",
        Status.FAILED: "The ad platform refused the change (HTTP 503).",
        Status.STALE: "Stale: the campaign's budget changed since the proposal.",
        Status.CANCELLED: "Cancelled before it ran.",
    }.get(status, "")


def _history(proposals: list[ProposedAction]) -> None:
    """A 'proposed' history row per proposal, dated the day it was made."""
    by_day: dict[dt.date, list[ProposedAction]] = {}
    for p in proposals:
        by_day.setdefault(p.created_at.date(), []).append(p)
    for group in by_day.values():
        history_write(group, reason="proposed", created=True, at=group[0].created_at)


def _evidence(proposals: list[ProposedAction], memory_ids: list[int], rng: random.Random) -> None:
    through = ProposedAction.evidence.through
    links = [
        through(proposedaction_id=p.pk, memoryentry_id=m)
        for p in proposals
        for m in rng.sample(memory_ids, k=min(len(memory_ids), rng.randint(1, 3)))
    ]
    through.objects.bulk_create(links, batch_size=BATCH)


_VERDICT_OF = {
    Status.EXECUTED: Verdict.APPROVE,
    Status.FAILED: Verdict.APPROVE,
    Status.APPROVED: Verdict.APPROVE,
    Status.EXECUTING: Verdict.APPROVE,
    Status.STALE: Verdict.APPROVE,
    Status.REJECTED: Verdict.REJECT,
    Status.SENT_BACK: Verdict.SEND_BACK,
    Status.CANCELLED: Verdict.CANCEL,
}


def _decisions_and_executions(proposals: list[ProposedAction], brand: Brand, rng: random.Random) -> None:
    decisions: list[Decision] = []
    executions: list[Execution] = []
    four_eyes = Decimal(settings.ATLAS_FOUR_EYES_AMOUNT)
    for p in proposals:
        at = p.created_at + dt.timedelta(minutes=rng.randint(10, 600))
        people = brand.users[p.division.slug]
        if p.category == Category.INTERNAL:
            decisions.append(
                Decision(
                    proposal=p, actor_label="policy", verdict=Verdict.APPROVE, via="policy", comment="internal", at=at
                )
            )
        elif p.status in _VERDICT_OF and people:
            deciders = (
                people if p.money_at_stake > four_eyes and _VERDICT_OF[p.status] == Verdict.APPROVE else people[:1]
            )
            for user in deciders:
                decisions.append(
                    Decision(
                        proposal=p,
                        user=user,
                        actor_label=f"user:{user.username}",
                        verdict=_VERDICT_OF[p.status],
                        comment=p.status_reason,
                        via=rng.choice(("console", "link")),
                        at=at,
                    )
                )
        elif p.status == Status.PENDING and p.money_at_stake > four_eyes and people and p.pk % 2:
            # A four-eyes proposal with its first approval in: waiting for the director.
            decisions.append(
                Decision(
                    proposal=p, user=people[0], actor_label=f"user:{people[0].username}", verdict=Verdict.APPROVE, at=at
                )
            )
        if p.status in (Status.EXECUTED, Status.FAILED, Status.EXECUTING):
            ok = p.status == Status.EXECUTED
            executions.append(
                Execution(
                    proposal=p,
                    idempotency_key=f"proposal:{p.pk}",
                    attempt=1,
                    actor_label="executor",
                    action_type=p.action_type,
                    args=p.args,
                    ok=ok,
                    result={"done": True} if ok else {},
                    error="" if ok or p.status == Status.EXECUTING else p.status_reason,
                    started_at=at + dt.timedelta(seconds=2),
                    finished_at=None if p.status == Status.EXECUTING else at + dt.timedelta(seconds=3),
                )
            )
    made = Decision.objects.bulk_create(decisions, batch_size=BATCH)
    # `at` is auto_now_add too.
    Decision.objects.bulk_update(made, ["at"], batch_size=BATCH)
    Execution.objects.bulk_create(executions, batch_size=BATCH)


def _links(proposals: list[ProposedAction]) -> None:
    """A sent-back proposal's revision is the next one of its type and division; a held proposal is
    bundled with the next pending one of its division."""
    revisions: list[ProposedAction] = []
    bundles = []
    through = ProposedAction.bundled_with.through
    for i, p in enumerate(proposals):
        later = proposals[i + 1 :]
        if p.status == Status.SENT_BACK:
            twin = next((q for q in later if q.action_type == p.action_type and q.division_id == p.division_id), None)
            if twin is not None and twin.revision_of_id is None:
                twin.revision_of_id = p.pk
                revisions.append(twin)
        if p.is_held:
            partner = next((q for q in later if q.status == Status.PENDING and q.division_id == p.division_id), None)
            if partner is not None:
                bundles.append(through(from_proposedaction_id=p.pk, to_proposedaction_id=partner.pk))
    ProposedAction.objects.bulk_update(revisions, ["revision_of"], batch_size=BATCH)
    through.objects.bulk_create(bundles, batch_size=BATCH)


def _briefing(now: dt.datetime) -> None:
    """Today's briefing with its win, risk and opportunity, each with pending drafted work."""
    today = brand_today()
    if Briefing.objects.filter(brand_date=today).exists():
        return
    briefing = Briefing.objects.create(brand_date=today, narrative="A good week: the spring sale carries it.")
    pending = list(ProposedAction.objects.filter(status=Status.PENDING, hold_reason="").order_by("-priority")[:6])
    for rank, kind in enumerate((ItemKind.WIN, ItemKind.RISK, ItemKind.OPPORTUNITY)):
        item = BriefingItem.objects.create(
            briefing=briefing,
            kind=kind,
            rank=rank,
            division=pending[rank].division if len(pending) > rank else None,
            title=f"The {kind} of the day",
            text="What moved, and the drafted work that follows from it.",
            numbers={"revenue_28d": "12400.00", "roas": 3.1, "days_of_cover": 5},
            ranking={"money": 1200, "confidence": 0.7},
        )
        item.proposals.set(pending[rank * 2 : rank * 2 + 2])


def owner_and_approver() -> tuple[Any, Any]:
    """The two people the console is measured as: the owner (sees all) and the growth approver."""
    User = get_user_model()
    return User.objects.get(username="owner"), User.objects.get(username=f"growth_{Role.APPROVER}")
