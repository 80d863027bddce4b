"""What a person's request or send-back comment means for a specialist's analysis, deterministically.

An intent ("we're overstocked on the blue kettle") narrows a specialist to what it names and may
relax its thresholds for that target; a send-back comment ("make it 15% not 25%", "cap at $40")
carries numbers that the revision uses as they are (read by `agents.runtime.asks.parse_ask`). Free
text beyond that is the LLM's, online.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.runtime.context import RunContext

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


def feedback_comment(ctx: RunContext) -> str:
    return str((getattr(ctx, "feedback", None) or {}).get("comment") or "")


def sent_back_args(ctx: RunContext) -> dict:
    proposal = (getattr(ctx, "feedback", None) or {}).get("proposal")
    return dict(getattr(proposal, "args", None) or {})


def pick(items: Iterable[Any], limit: int) -> list[Any]:
    return list(items)[: max(int(limit), 0)]
