"""Ad campaign actions: daily budget, pause, resume (spend)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pydantic
from django.utils import timezone

from approvals.registry import Value, register

from ..clock import brand_today
from ..metrics.growth import effective_budget
from ..models import AdCampaign, CampaignStatus
from ..money import money_words
from .base import BrandAction, row_basis

BUDGET_HORIZON_DAYS = 7


def _campaign(campaign_id: int) -> AdCampaign:
    campaign = AdCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise ValueError(f"no ad campaign with id {campaign_id}")
    return campaign


def _current(campaign: AdCampaign) -> Decimal:
    """The budget a change moves from: the one on record, or what the campaign is seen to spend a day when
    its ads export carried none (writing $50 on a campaign seen spending $80 is a cut, not a raise from $0)."""
    return effective_budget(campaign, brand_today())


class CampaignArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    campaign_id: int

    @pydantic.field_validator("campaign_id")
    @classmethod
    def _exists(cls, value: int) -> int:
        _campaign(value)
        return value


class BudgetArgs(CampaignArgs):
    daily_budget: Annotated[Decimal, pydantic.Field(gt=0, max_digits=12, decimal_places=2)]


@register
class SetDailyBudget(BrandAction):
    key = "ads.set_daily_budget"
    category = "spend"
    Args = BudgetArgs
    target_fields = ("campaign_id",)
    outcome_horizon_days = 7
    plural = "budget changes"

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"campaign:{args.get('campaign_id')}",)

    def check(self, args: BudgetArgs) -> None:
        campaign = _campaign(args.campaign_id)
        if campaign.status == CampaignStatus.ARCHIVED:
            raise ValueError(f"campaign_id={args.campaign_id}: {campaign.name} is archived")
        if campaign.daily_budget == args.daily_budget:
            raise ValueError(f"daily_budget={args.daily_budget}: {campaign.name} already has this budget")

    def money_at_stake(self, args: BudgetArgs) -> Decimal:
        campaign = _campaign(args.campaign_id)
        return abs(args.daily_budget - _current(campaign)) * BUDGET_HORIZON_DAYS

    def money_explained(self, args: BudgetArgs) -> str:
        campaign = _campaign(args.campaign_id)
        return (
            f"|{money_words(args.daily_budget)} - {money_words(_current(campaign))}| a day "
            f"x {BUDGET_HORIZON_DAYS} days "
            "(a week of the change, the horizon budgets are reviewed on)"
        )

    def title(self, args: BudgetArgs) -> str:
        campaign = _campaign(args.campaign_id)
        verb = "Raise" if args.daily_budget > _current(campaign) else "Cut"
        return f"{verb} the daily budget of {campaign.name}"

    def preview(self, args: BudgetArgs) -> str:
        campaign = _campaign(args.campaign_id)
        observed = "" if campaign.daily_budget else " (none on record: the observed daily spend)"
        return (
            f"Daily budget of {campaign.name} ({campaign.get_channel_display()}): "
            f"{money_words(_current(campaign))}{observed} -> {money_words(args.daily_budget)}"
        )

    def basis(self, args: BudgetArgs) -> dict:
        return row_basis(_campaign(args.campaign_id), "daily_budget", "status")

    def apply(self, args: BudgetArgs, *, idempotency_key: str) -> dict:
        campaign = AdCampaign.objects.select_for_update().get(pk=args.campaign_id)
        before = campaign.daily_budget
        campaign.daily_budget = args.daily_budget
        campaign.save(update_fields=["daily_budget"])
        return {"campaign_id": campaign.pk, "daily_budget_before": str(before), "daily_budget": str(args.daily_budget)}


class _StatusChange(BrandAction):
    category = "spend"
    Args = CampaignArgs
    target_fields = ("campaign_id",)
    from_status: str
    to_status: str
    verb: str

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"campaign:{args.get('campaign_id')}",)

    def check(self, args: CampaignArgs) -> None:
        campaign = _campaign(args.campaign_id)
        if campaign.status != self.from_status:
            raise ValueError(
                f"campaign_id={args.campaign_id}: {campaign.name} is {campaign.status}, not {self.from_status}"
            )

    def title(self, args: CampaignArgs) -> str:
        return f"{self.verb} {_campaign(args.campaign_id).name}"

    def preview(self, args: CampaignArgs) -> str:
        campaign = _campaign(args.campaign_id)
        return (
            f"{self.verb} {campaign.name} ({campaign.get_channel_display()}, "
            f"{money_words(campaign.daily_budget)}/day): {campaign.status} -> {self.to_status}"
        )

    def basis(self, args: CampaignArgs) -> dict:
        return row_basis(_campaign(args.campaign_id), "daily_budget", "status")

    def apply(self, args: CampaignArgs, *, idempotency_key: str) -> dict:
        campaign = AdCampaign.objects.select_for_update().get(pk=args.campaign_id)
        before = campaign.status
        campaign.status = self.to_status
        campaign.save(update_fields=["status"])
        return {
            "campaign_id": campaign.pk,
            "status_before": before,
            "status": self.to_status,
            "at": timezone.now().isoformat(),
        }


@register
class PauseCampaign(_StatusChange):
    key = "ads.pause_campaign"
    from_status = CampaignStatus.ACTIVE
    to_status = CampaignStatus.PAUSED
    verb = "Pause"

    def value(self, args: CampaignArgs) -> Value:
        # A pause spends nothing; what it is worth deciding is the spend it stops.
        campaign = _campaign(args.campaign_id)
        return Value(
            amount=campaign.daily_budget * BUDGET_HORIZON_DAYS,
            kind="spend it stops",
            how=f"{money_words(campaign.daily_budget)} a day x {BUDGET_HORIZON_DAYS} days (a week of its budget)",
        )


@register
class ResumeCampaign(_StatusChange):
    key = "ads.resume_campaign"
    from_status = CampaignStatus.PAUSED
    to_status = CampaignStatus.ACTIVE
    verb = "Resume"

    def money_at_stake(self, args: CampaignArgs) -> Decimal:
        return _campaign(args.campaign_id).daily_budget * BUDGET_HORIZON_DAYS

    def money_explained(self, args: CampaignArgs) -> str:
        budget = _campaign(args.campaign_id).daily_budget
        return f"{money_words(budget)} a day x {BUDGET_HORIZON_DAYS} days (a week of its budget, spent again)"
