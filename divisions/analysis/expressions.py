"""Query expressions that several analyses share."""

from __future__ import annotations

import datetime as dt

from django.db.models import IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce


def units_sold(start: dt.datetime, end: dt.datetime, *, prefix: str = "") -> Coalesce:
    """Units of a Variant (or, with `prefix`, of a related variant) ordered in [start, end); 0 when none."""
    lines = f"{prefix}order_lines"
    return Coalesce(
        Sum(
            f"{lines}__quantity",
            filter=Q(**{f"{lines}__order__created_at__gte": start, f"{lines}__order__created_at__lt": end}),
        ),
        Value(0),
        output_field=IntegerField(),
    )
