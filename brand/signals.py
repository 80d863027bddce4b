"""Signals brand sends so that the apps above it can follow its data without brand importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after an import file committed, with `kind` (e.g. "shopify-orders"): fresh data has arrived,
# and what waited for it (the outcome checks) may run now.
data_imported = Signal()
