"""django-q2 task of the orchestrator: the morning digest, sent once after the day's cycle."""

from __future__ import annotations

from agents.schedules import register_schedule

DIGEST_SCHEDULE = "orchestrator: morning digest"


def digest_if_due() -> str:
    """Send the day's digest once its cycle is done (the schedule polls; the memory entry makes it once)."""
    from agents.clock import brand_today
    from agents.orchestrator.digest import digest_due, digests_send

    day = brand_today()
    if not digest_due(day):
        return f"digest of {day}: not due"
    sent = digests_send(day=day)
    return f"digest of {day}: {sum(1 for s in sent if s.get('sent'))} of {len(sent)} sent"


# Polled, not timed: the digest follows the cycle whenever the cycle finishes.
register_schedule(DIGEST_SCHEDULE, "agents.orchestrator.tasks.digest_if_due", minutes=15)
