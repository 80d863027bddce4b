"""django-q2 task of the orchestrator: the morning digest, sent once after the day's cycle."""

from __future__ import annotations

DIGEST_SCHEDULE = "orchestrator: morning digest"


def digest_if_due() -> str:
    """Send the day's digest once its cycle is done (the schedule polls; the memory entry makes it once)."""
    from agents.orchestrator.digest import digest_due, digests_send
    from brand.clock import brand_today

    day = brand_today()
    if not digest_due(day):
        return f"digest of {day}: not due"
    sent = digests_send(day=day)
    return f"digest of {day}: {sum(1 for s in sent if s.get('sent'))} of {len(sent)} sent"
