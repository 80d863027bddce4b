"""The morning digest by e-mail: one message per person, their divisions only, their decisions with
signed links, and a small chart of the last 28 days of revenue and ad spend as an inline PNG.

The HTML carries no external asset (no web fonts, no remote images): the chart travels inside the
message as a related MIME part referenced by `cid:`, and the only links are Atlas's own.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from email.mime.image import MIMEImage
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string

from agents.models import AgentRun, Briefing, BriefingItem, ItemKind
from divisions import permissions

if TYPE_CHECKING:
    from django.contrib.auth.models import User


CHART_DAYS = 28
HEADLINE_ORDER: dict[str, int] = {ItemKind.RISK: 0, ItemKind.WIN: 1, ItemKind.OPPORTUNITY: 2, ItemKind.RANKED: 3}


@dataclass
class Digest:
    user: User
    items: list[BriefingItem]
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "username": self.user.get_username(),
            "email": self.user.email,
            "items": [f"{i.kind}: {i.title}" for i in self.items],
            "decisions": [d["proposal"].pk for d in self.decisions],
        }


def recipients() -> QuerySet[Any]:
    """Active people with an e-mail address and a membership, and the owners."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    return (
        users.filter(Q(memberships__isnull=False) | Q(is_superuser=True) | Q(groups__name=permissions.OWNERS_GROUP))
        .distinct()
        .order_by("username")
    )


def digest_for(user: User, briefing: Briefing) -> Digest:
    """The briefing items of the person's divisions (owners: all) and the decisions waiting on them."""
    from approvals.links import approval_link
    from approvals.selectors import proposals_decidable_by

    items = briefing.items.select_related("division").prefetch_related("proposals")
    if not permissions.is_owner(user):
        items = items.filter(division__in=permissions.visible_divisions(user))
    ordered = sorted(items, key=lambda i: (HEADLINE_ORDER.get(i.kind, 9), i.rank))
    decisions = [
        {
            "proposal": p,
            # No approve link for work the person asked for: four-eyes leaves its approval to others.
            "approve": "" if p.proposed_by_id == user.pk else approval_link(p, user, "approve"),
            "send_back": approval_link(p, user, "send_back"),
            "reject": approval_link(p, user, "reject"),
        }
        for p in proposals_decidable_by(user).order_by("-priority", "pk")[:20]
    ]
    return Digest(user=user, items=ordered, decisions=decisions)


# --- the chart ----------------------------------------------------------------------------------


def chart_series(day: dt.date) -> tuple[list[dt.date], list[float], list[float]]:
    """Revenue (orders, by brand day) and ad spend over the 28 whole days before `day`."""
    from brand import models as bm
    from brand.clock import brand_day_start, brand_tz

    days = [day - dt.timedelta(days=n) for n in range(CHART_DAYS, 0, -1)]
    start, end = brand_day_start(days[0]), brand_day_start(day)
    revenue = dict(
        bm.Order.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=brand_tz()))
        .values("day")
        .annotate(total=Sum("total"))
        .values_list("day", "total")
    )
    spend = dict(
        bm.AdMetric.objects.filter(date__gte=days[0], date__lt=day)
        .values("date")
        .annotate(total=Sum("spend"))
        .values_list("date", "total")
    )
    return (
        days,
        [float(revenue.get(d) or Decimal(0)) for d in days],
        [float(spend.get(d) or Decimal(0)) for d in days],
    )


def chart_png(day: dt.date) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    days, revenue, spend = chart_series(day)
    fig, ax = plt.subplots(figsize=(6, 2.4), dpi=100)
    try:
        # matplotlib plots dates through its units registry; its type hints only list numbers and strings.
        ax.plot(days, revenue, color="#1f6f4a", linewidth=2, label="Revenue")  # type: ignore[arg-type]
        ax.plot(days, spend, color="#b5562b", linewidth=2, label="Ad spend")  # type: ignore[arg-type]
        ax.set_title(f"Last {CHART_DAYS} days", fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
        ax.spines[["top", "right"]].set_visible(False)
        fig.autofmt_xdate()
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    return buffer.getvalue()


# --- the message --------------------------------------------------------------------------------


def digest_message(
    digest: Digest, briefing: Briefing, chart: bytes, *, connection: Any = None
) -> EmailMultiAlternatives:
    from agents.runtime.llm import drafted_by_label
    from brand.selectors import brand_profile

    profile = brand_profile()
    cid = f"chart-{briefing.brand_date:%Y%m%d}@atlas"
    context = {
        "brand": profile.name,
        "persona": briefing.persona,
        "briefing": briefing,
        "drafted_by": drafted_by_label(briefing.drafted_by),
        "user": digest.user,
        "narrative": _narrative(digest, briefing),
        "headlines": [i for i in digest.items if i.kind != ItemKind.RANKED],
        "ranked": [i for i in digest.items if i.kind == ItemKind.RANKED],
        "decisions": digest.decisions,
        "chart_cid": cid,
        "site_url": settings.ATLAS_SITE_URL.rstrip("/"),
        "currency": profile.currency,
    }
    subject = f"{profile.name}: {briefing.persona}'s briefing for {briefing.brand_date:%a %d %b}"
    if digest.decisions:
        subject += f" ({len(digest.decisions)} decision{'s' if len(digest.decisions) != 1 else ''} waiting)"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("agents/digest_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.user.email],
        connection=connection,
    )
    message.attach_alternative(render_to_string("agents/digest_email.html", context), "text/html")
    # multipart/related keeps the PNG with the HTML part that references it by Content-ID.
    # A class attribute of Django's EmailMessage that django-stubs does not declare.
    message.mixed_subtype = "related"  # type: ignore[attr-defined]
    image = MIMEImage(chart, _subtype="png")
    image.add_header("Content-ID", f"<{cid}>")
    image.add_header("Content-Disposition", "inline", filename="last-28-days.png")
    message.attach(image)
    return message


def _narrative(digest: Digest, briefing: Briefing) -> str:
    """Owners read the whole briefing; everyone else a summary of their divisions' items only, since the
    brand-wide narrative names other divisions' work."""
    if permissions.is_owner(digest.user):
        return briefing.narrative
    names = ", ".join(d.name for d in permissions.visible_divisions(digest.user).order_by("name"))
    headlines = [i for i in digest.items if i.kind != ItemKind.RANKED]
    opening = f"Good morning, {briefing.persona} here with what concerns {names} today."
    if not digest.items:
        return f"{opening} Nothing of your divisions made today's briefing."
    lead = "; ".join(f"the {i.get_kind_display().lower()}: {i.title}" for i in headlines)
    rest = len(digest.items) - len(headlines)
    return " ".join(
        part
        for part in (
            opening,
            f"In the headlines, {lead}." if lead else "",
            f"{rest} more item(s) are ranked below." if rest else "",
        )
        if part
    )


def digests_send(*, day: dt.date | None = None, dry_run: bool = False) -> list[dict[str, Any]]:
    """Send each recipient their digest of the day's briefing; returns who got what.

    Raises `LookupError` when the day has no briefing. With `dry_run` nothing is sent.
    """
    from brand.clock import brand_today

    day = day or brand_today()
    briefing = Briefing.objects.filter(brand_date=day).first()
    if briefing is None:
        raise LookupError(f"No briefing for {day}: run the cycle first (python manage.py atlas_run).")
    digests = [digest_for(user, briefing) for user in recipients()]
    summaries = [d.summary() for d in digests]
    if dry_run or not digests:
        return summaries
    chart = chart_png(day)
    with get_connection() as connection:
        # One connection for the whole batch; each person's message is sent on its own so that one
        # refused address does not stop the others.
        for digest, summary in zip(digests, summaries, strict=True):
            try:
                digest_message(digest, briefing, chart, connection=connection).send()
                summary["sent"] = True
            except Exception as exc:
                summary["sent"] = False
                summary["error"] = f"{type(exc).__name__}: {exc}"
    _remember_sent(briefing, summaries)
    return summaries


def _remember_sent(briefing: Briefing, summaries: list[dict[str, Any]]) -> None:
    """Remember that the day's digest went out (the schedule sends it once), authored by the briefing's run."""
    from memory.services import remember

    run = (
        AgentRun.objects.filter(agent__key="orchestrator", context__briefing=briefing.pk).order_by("-pk").first()
        if briefing.pk
        else None
    )
    if run is None:
        return
    sent = [s["username"] for s in summaries if s.get("sent")]
    remember(
        kind="outcome",
        key=f"briefing:{briefing.brand_date.isoformat()}:digest",
        text=f"The digest of {briefing.brand_date} went to {len(sent)} people: {', '.join(sent) or 'nobody'}.",
        data={"value": len(sent), "sent": sent, "failed": [s["username"] for s in summaries if not s.get("sent")]},
        author_run=run,
    )


def digest_due(day: dt.date) -> bool:
    """The day's digest goes out once: its briefing exists, its cycle is done, and no digest was recorded."""
    from agents.models import CycleStatus
    from memory.selectors import current

    briefing = Briefing.objects.filter(brand_date=day).select_related("cycle").first()
    if briefing is None or (briefing.cycle is not None and briefing.cycle.status == CycleStatus.RUNNING):
        return False
    return current(f"briefing:{day.isoformat()}:digest") is None


def briefing_json_for(user: User, briefing: Briefing) -> dict[str, Any]:
    """The briefing as `briefing_json` gives it, seen by one person (`atlas_brief --as`): what their
    digest shows, i.e. their divisions' items, proposals and held work (owners: everything)."""
    from agents.orchestrator.selectors import briefing_json
    from approvals.selectors import proposals_visible_to

    data = briefing_json(briefing) or {}
    if permissions.is_owner(user):
        return data
    slugs = set(permissions.visible_divisions(user).values_list("slug", flat=True))
    visible = set(proposals_visible_to(user).values_list("pk", flat=True))

    def seen(item: dict[str, Any] | None) -> dict[str, Any] | None:
        if item is None or item["division"] not in slugs:
            return None
        return item | {"proposals": [p for p in item["proposals"] if p in visible]}

    for kind in ("win", "risk", "opportunity"):
        data[kind] = seen(data[kind])
    data["ranked"] = [item for item in map(seen, data["ranked"]) if item is not None]
    data["held"] = [
        held | {"bundled_with": [b for b in held["bundled_with"] if b in visible]}
        for held in data["held"]
        if held["proposal"] in visible
    ]
    data["narrative"] = _narrative(digest_for(user, briefing), briefing)
    return data
