"""What a person's request or send-back comment means for a specialist's analysis, deterministically.

An intent ("we're overstocked on the blue kettle") narrows a specialist to what it names and may
relax its thresholds for that target; a send-back comment ("make it 15% not 25%", "cap at $40")
carries numbers that the revision uses as they are (read by `agents.runtime.asks.parse_ask`). Free
text beyond that is the LLM's, online.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from agents.runtime.context import RunContext

T = TypeVar("T")

WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
STOP = {"the", "and", "for", "with", "our", "set", "pack", "of", "in", "on", "a", "an"}


def intent_text(ctx: RunContext) -> str:
    intent = getattr(ctx, "intent", None)
    return (getattr(intent, "text", "") or "").lower()


def words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 1}


def mentions(text: str, *names: str) -> bool:
    """Whether a request names this target: a code/SKU/handle verbatim, or at least two words of
    its title ("the blue kettle" names "Glass Kettle - Blue"), or its only word."""
    if not text:
        return False
    said = words(text)
    lowered = text.lower()
    for name in names:
        if not name:
            continue
        name_l = name.lower()
        if ("-" in name_l or any(c.isdigit() for c in name_l)) and name_l in lowered:
            return True
        title_words = {w for w in words(name_l) if len(w) > 2 and not any(c.isdigit() for c in w)}
        hits = title_words & said
        if len(hits) >= 2 or (len(title_words) == 1 and hits):
            return True
    return False


def naming_strength(text: str, *names: str) -> int:
    """How precisely a request names a target: 1000 for a code/SKU/handle said verbatim, else the
    number of its title's words said (0: not named at all, by `mentions`' rule)."""
    if not mentions(text, *names):
        return 0
    lowered, said = text.lower(), words(text)
    best = 0
    for name in names:
        name_l = (name or "").lower()
        if name_l and ("-" in name_l or any(c.isdigit() for c in name_l)) and name_l in lowered:
            return 1000
        best = max(best, len({w for w in words(name_l) if len(w) > 2} & said))
    return best


def most_named(text: str, items: Iterable[T], names: Callable[[T], tuple[str, ...]]) -> list[T]:
    """The items a request names most precisely: "the Linen Apron - Sage (LA-220)" names LA-220, not
    every linen apron, although "linen apron" alone would name them all."""
    scored = [(naming_strength(text, *names(item)), item) for item in items]
    top = max((score for score, _ in scored), default=0)
    return [item for score, item in scored if top and score == top]


def feedback_comment(ctx: RunContext) -> str:
    return str((getattr(ctx, "feedback", None) or {}).get("comment") or "")


def sent_back_args(ctx: RunContext) -> dict:
    proposal = (getattr(ctx, "feedback", None) or {}).get("proposal")
    return dict(getattr(proposal, "args", None) or {})


def pick(items: Iterable[Any], limit: int) -> list[Any]:
    return list(items)[: max(int(limit), 0)]
