"""Proposals through the service, the way agents make them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from approvals.models import ProposedAction
from approvals.services import proposal_create


def budget_proposal(campaign: Any, new_budget: str | Decimal = "80.00", **kwargs: Any) -> ProposedAction:
    kwargs.setdefault("division", "growth")
    kwargs.setdefault("rationale", "ROAS fell below target for 7 days")
    kwargs.setdefault("agent_key", "growth.paid_media")
    return proposal_create(
        action_type="ads.set_daily_budget",
        args={"campaign_id": campaign.pk, "daily_budget": str(new_budget)},
        **kwargs,
    )
