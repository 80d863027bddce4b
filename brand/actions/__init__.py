"""The brand's action types: the only ways agents change the brand's data, each behind the gate.

Imported by `approvals` at start-up (autodiscovery of `<app>.actions`). Categories:
spend (`ads.*`, `pricing.*`, `po.confirm`), message (`email.send_campaign`), schedule
(`calendar.reschedule`), internal (`po.create`, `brief.draft`, `report.publish`, `segment.build`).

Money at stake, per type (what the four-eyes threshold and the daily spend cap compare):
- `ads.set_daily_budget`: |new - old| x 7 days, a week of the change (the horizon budgets are
  reviewed on); `ads.resume_campaign`: a week of its daily budget; `ads.pause_campaign`: 0;
- `pricing.create_discount`: the revenue given away, percent x the trailing 30 days' revenue of
  the SKUs (storewide when none) prorated to the discount's days (30 when open-ended);
  `pricing.set_markdown`: percent x price x the units sold in the last 30 days;
  `pricing.retire_discount`: 0;
- `po.confirm` (and `po.create`, for information): the PO total.
"""

from approvals import registry

from . import ads, content, email, orders, pricing, schedule, segments  # noqa: F401  (registers the types)
from .base import brand_currency, brand_timezone, money

registry.configure(currency=brand_currency, timezone=brand_timezone, money=money)
