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
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
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
from bench import memory_data as memory_bench
from brand.clock import brand_today
from brand.demo.people import people_set
from brand.models import AdCampaign, EmailCampaign, Product, Segment, Supplier, Variant
from divisions.models import Division, Membership, Role
from memory.models import MemoryEntry

BATCH = 2_000
PENDING_SHARE = 0.02  # of a year's proposals, still waiting: people fall a little behind
MIN_PENDING = 10
HELD_SHARE = 1 / 7  # of pending proposals, held by a cross-division rule
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


@dataclass(frozen=True)
class Row:
    status: str
    template: int  # index into Brand.templates
    division: str
    held: bool = False


# Each call starts with these, so that ten proposals already show every part of every measured page
# to both people (waiting work, a held proposal and its bundle, executed spend, a failure, a send-back
# and its revision, another division's work): a page's query count then cannot differ between sizes
# because a part of it was empty at one of them. Indexes follow `_template_specs`.
COVERAGE: tuple[Row, ...] = (
    Row(Status.PENDING, 1, "growth"),
    Row(Status.PENDING, 0, "growth", held=True),
    Row(Status.PENDING, 2, "growth"),
    Row(Status.EXECUTED, 1, "growth"),
    Row(Status.EXECUTED, 3, "growth"),
    Row(Status.FAILED, 0, "growth"),
    Row(Status.SENT_BACK, 1, "growth"),
    Row(Status.REJECTED, 5, "retention"),
    Row(Status.PENDING, 5, "retention"),
    Row(Status.EXPIRED, 6, "operations"),
)


def _plan(n: int, brand: Brand, rng: random.Random) -> list[Row]:
    """The coverage rows, then pending work at its share and the year's mix of endings."""
    rows = list(COVERAGE[:n])
    finals = [s for s, _ in FINAL_MIX]
    weights = [w for _, w in FINAL_MIX]
    rest = n - len(rows)
    pending = min(rest, max(MIN_PENDING, round(n * PENDING_SHARE)))
    statuses = [Status.PENDING] * pending + rng.choices(finals, weights=weights, k=rest - pending)
    for status in statuses:
        index = rng.randrange(len(brand.templates))
        template = brand.templates[index]
        if template.fields["category"] == Category.INTERNAL:
            status = Status.EXECUTED  # the policy approved and ran it
        held = status == Status.PENDING and rng.random() < HELD_SHARE
        rows.append(Row(str(status), index, rng.choice(template.divisions), held))
    return rows


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


@contextmanager
def _dated_as_given(model: type[models.Model], *names: str) -> Iterator[None]:
    """Rows keep the dates set on them: a year of work is not all dated now (auto_now and
    auto_now_add would stamp the moment of the insert)."""
    fields = [model._meta.get_field(name) for name in names]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]  # type: ignore[union-attr]
    for f in fields:
        f.auto_now = f.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        for f, (now, add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = now, add  # type: ignore[union-attr]


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
    plan = _plan(n, brand, rng)
    open_statuses = (Status.PENDING, Status.APPROVED, Status.EXECUTING)
    ttl_minutes = int(ttl.total_seconds() // 60)
    ages = [
        dt.timedelta(minutes=rng.randint(5, ttl_minutes - 5))
        if row.status in open_statuses
        else dt.timedelta(minutes=rng.randint(ttl_minutes, 525_600))
        for row in plan
    ]
    # Oldest first, as the team made them: ids follow time, and a batch spans a few days of history.
    order = sorted(range(n), key=lambda i: ages[i], reverse=True)
    plan = [plan[i] for i in order]
    ages = [ages[i] for i in order]
    days = sorted({(now - age).date() for age in ages})
    runs = _cycles(days, brand, now)
    memory_bench.seed(max(200, n // 2), seed_value=seed + n)
    memory_ids = list(MemoryEntry.objects.order_by("-pk").values_list("pk", flat=True)[: max(200, n // 2)])
    done = 0
    for chunk in _chunks(n):
        with transaction.atomic():
            _write_chunk([(plan[i], now - ages[i]) for i in chunk], brand, runs, memory_ids, rng)
        done += len(chunk)
        if progress is not None:
            progress(done)
    _briefing(now)
    return brand


def _write_chunk(
    rows: list[tuple[Row, dt.datetime]],
    brand: Brand,
    runs: dict[tuple[str, dt.date], int],
    memory_ids: list[int],
    rng: random.Random,
) -> None:
    ttl = dt.timedelta(hours=settings.ATLAS_PROPOSAL_TTL_HOURS)
    proposals: list[ProposedAction] = []
    for row, created in rows:
        slug, status = row.division, row.status
        agent_key = rng.choice(brand.agents[slug]) if brand.agents[slug] else ""
        fields = dict(brand.templates[row.template].fields)
        internal = fields["category"] == Category.INTERNAL
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
                hold_reason=HELD_REASON if row.held else "",
                expires_at=None if internal else created + ttl,
                created_at=created,
                updated_at=created,
            )
        )
    with _dated_as_given(ProposedAction, "created_at", "updated_at"):
        ProposedAction.objects.bulk_create(proposals, batch_size=BATCH)
    _history(proposals)
    _evidence(proposals, memory_ids, rng)
    _decisions_and_executions(proposals, brand, rng)
    _links(proposals)


def _reason(status: str) -> str:
    reasons: dict[str, str] = {
        Status.REJECTED: "Rejected: not during the launch week.",
        Status.SENT_BACK: "Sent back: try 10% less.",
        Status.EXPIRED: "Expired: nobody decided within its time.",
        Status.FAILED: "The ad platform refused the change (HTTP 503).",
        Status.STALE: "Stale: the campaign's budget changed since the proposal.",
        Status.CANCELLED: "Cancelled before it ran.",
    }
    return reasons.get(status, "")


def _history(proposals: list[ProposedAction]) -> None:
    """A 'proposed' history row per proposal, dated when it was made, by its agent.

    Copied inside the database (INSERT ... SELECT) rather than through `history_write`: a year of
    rows through simple-history's per-row Python took most of the benchmark's seeding time, and these
    rows record no state change of the running app, only the past the benchmark pretends to have.
    """
    history = ProposedAction.history.model
    quote = connection.ops.quote_name
    tracked = [f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")]
    columns = [*tracked, "history_actor", "history_date", "history_change_reason", "history_type", "history_user_id"]
    values = [quote(c) for c in tracked] + [
        f"CASE WHEN {quote('agent_key')} = '' THEN 'system' ELSE 'agent:' || {quote('agent_key')} END",
        quote("created_at"),
        "%s",
        "%s",
        "NULL",
    ]
    pks = [p.pk for p in proposals]
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join(values)} FROM {quote(ProposedAction._meta.db_table)} "
        f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(pks))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ["proposed", "+", *pks])


def _evidence(proposals: list[ProposedAction], memory_ids: list[int], rng: random.Random) -> None:
    through = ProposedAction.evidence.through
    links = [
        through(proposedaction_id=p.pk, memoryentry_id=m)
        for p in proposals
        for m in rng.sample(memory_ids, k=min(len(memory_ids), rng.randint(1, 3)))
    ]
    through.objects.bulk_create(links, batch_size=BATCH)


_VERDICT_OF: dict[str, str] = {
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
    with _dated_as_given(Decision, "at"):
        Decision.objects.bulk_create(decisions, batch_size=BATCH)
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
            partner = next(
                (
                    q
                    for q in [*later, *reversed(proposals[:i])]
                    if q.status == Status.PENDING and not q.is_held and q.division_id == p.division_id
                ),
                None,
            )
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
